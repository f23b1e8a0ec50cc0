/* mb_band_write: the JSON summary, the SVG plot and the extended XYZ frames of a band,
 * each parsed back, and the errors.
 *
 * The band does not depend on the built-in potentials: a C callback gives one atom (Cu)
 * the analytic energy
 *     E(x, y, z) = V0 sin^2(pi (x - 1) / 4) + k/2 ((y - 5)^2 + (z - 5)^2)
 * in an 8 x 10 x 10 A cell (period 4 A along x, so it is periodic in the cell), and a
 * second atom (Au), fixed by selective dynamics, a harmonic well around its site. The
 * Cu atom goes from x = 1 to x = 5, two minima; with 5 intermediate images placed by
 * linear interpolation, image i sits at x = 1 + 4i/6, so, exactly:
 *     E_i = V0 sin^2(pi i / 6),   barrier forward = backward = V0 at image 3,
 *     reaction coordinate s_i = 4i/6 A,
 *     tangential force (tangent +x) = -dE/dx = -V0 (pi/4) sin(pi i / 3).
 * These are the references (tolerance 1e-9, as computed in double precision). */
#include <dirent.h>
#include <locale.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../testutil.h"
#include "surface.h"

#define NINTER 5
#define NIMG (NINTER + 2)


/* The evaluated band of the header comment; *dir a fresh temporary directory. */
static mb_band *make_band(char *dir, size_t size) {
  const double lat[9] = {8, 0, 0, 0, 10, 0, 0, 0, 10};
  const double a[6] = {1, 5, 5, 3, 2, 8}, c[6] = {5, 5, 5, 3, 2, 8};
  const int z[2] = {29, 79}, flags[6] = {1, 1, 1, 0, 0, 0};
  mb_structure *s0 = NULL, *s1 = NULL;
  mb_band *b = NULL;
  MB_OK_OR_FAIL(mb_structure_create(lat, 2, a, MB_COORDS_CARTESIAN, z, &s0));
  MB_OK_OR_FAIL(mb_structure_create(lat, 2, c, MB_COORDS_CARTESIAN, z, &s1));
  MB_OK_OR_FAIL(mb_structure_set_selective(s0, flags));
  MB_OK_OR_FAIL(mb_band_create(s0, s1, NINTER, MB_INTERPOLATION_LINEAR, &b));
  MB_OK_OR_FAIL(mb_band_set_callback(b, surface, NULL, 1));
  MB_OK_OR_FAIL(mb_band_evaluate(b));
  mb_structure_free(s0);
  mb_structure_free(s1);
  snprintf(dir, size, "%s/mb-write-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
  ck_assert_ptr_nonnull(mkdtemp(dir));
  return b;
}

/* Files left in dir other than the expected ones (temporary files of the writer). */
static int count_files(const char *dir) {
  DIR *d = opendir(dir);
  ck_assert_ptr_nonnull(d);
  int n = 0;
  struct dirent *e;
  while ((e = readdir(d)))
    if (e->d_name[0] != '.') n++;
  closedir(d);
  return n;
}

static void remove_dir(const char *dir) {
  char cmd[1200];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  ck_assert_int_eq(system(cmd), 0);
}

/* ---- a strict JSON validator (RFC 8259) and member lookup ------------------------- */

static const char *jvalue(const char *p);

static const char *jws(const char *p) {
  while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') p++;
  return p;
}

static const char *jstring(const char *p) {
  if (*p++ != '"') return NULL;
  for (; *p != '"'; p++) {
    if ((unsigned char)*p < 0x20) return NULL;
    if (*p == '\\') {
      p++;
      if (*p == 'u') {
        for (int k = 1; k <= 4; k++)
          if (!strchr("0123456789abcdefABCDEF", p[k]) || !p[k]) return NULL;
        p += 4;
      } else if (!*p || !strchr("\"\\/bfnrt", *p)) {
        return NULL;
      }
    }
  }
  return p + 1;
}

static const char *jnumber(const char *p) {
  if (*p == '-') p++;
  if (*p == '0') p++;
  else if (*p >= '1' && *p <= '9') while (*p >= '0' && *p <= '9') p++;
  else return NULL;
  if (*p == '.') {
    if (!(*++p >= '0' && *p <= '9')) return NULL;
    while (*p >= '0' && *p <= '9') p++;
  }
  if (*p == 'e' || *p == 'E') {
    p++;
    if (*p == '+' || *p == '-') p++;
    if (!(*p >= '0' && *p <= '9')) return NULL;
    while (*p >= '0' && *p <= '9') p++;
  }
  return p;
}

static const char *jcontainer(const char *p, char close) {
  int object = close == '}';
  p = jws(p + 1);
  if (*p == close) return p + 1;
  for (;;) {
    if (object) {
      if (!(p = jstring(p))) return NULL;
      p = jws(p);
      if (*p++ != ':') return NULL;
    }
    if (!(p = jvalue(jws(p)))) return NULL;
    p = jws(p);
    if (*p == close) return p + 1;
    if (*p++ != ',') return NULL;
    p = jws(p);
  }
}

static const char *jvalue(const char *p) {
  if (*p == '{') return jcontainer(p, '}');
  if (*p == '[') return jcontainer(p, ']');
  if (*p == '"') return jstring(p);
  if (!strncmp(p, "true", 4)) return p + 4;
  if (!strncmp(p, "false", 5)) return p + 5;
  if (!strncmp(p, "null", 4)) return p + 4;
  return jnumber(p);
}

/* The value at a dotted path ("barrier.forward") of the valid JSON object at p. */
static const char *jget(const char *p, const char *path) {
  char key[64];
  while (*path) {
    size_t n = strcspn(path, ".");
    snprintf(key, sizeof key, "\"%.*s\"", (int)n, path);
    path += n + (path[n] == '.');
    p = jws(p);
    ck_assert_int_eq(*p, '{');
    p = jws(p + 1);
    for (;;) {
      ck_assert_msg(*p == '"', "JSON lacks '%s'", key);
      const char *k = p;
      p = jws(jstring(p) + 1); /* past ':' */
      if (!strncmp(k, key, strlen(key))) break;
      p = jws(jvalue(p));
      if (*p == ',') p = jws(p + 1);
    }
  }
  return jws(p);
}

static double jnum(const char *json, const char *path) {
  const char *p = jget(json, path);
  char *end;
  double v = strtod(p, &end);
  ck_assert_msg(end != p, "'%s' is not a number: %.20s", path, p);
  return v;
}

/* The numbers of the array at path into out (at most max); returns the count. */
static int jarray(const char *json, const char *path, double *out, int max) {
  const char *p = jget(json, path);
  ck_assert_int_eq(*p, '[');
  int n = 0;
  p = jws(p + 1);
  while (*p != ']') {
    char *end;
    double v = strtod(p, &end);
    ck_assert_msg(end != p, "'%s' holds a non-number: %.20s", path, p);
    if (n < max) out[n] = v;
    n++;
    p = jws(end);
    if (*p == ',') p = jws(p + 1);
  }
  return n;
}

/* ---- tests -------------------------------------------------------------------------- */

START_TEST(json_summary) {
  char dir[512], path[600];
  mb_band *b = make_band(dir, sizeof dir);
  snprintf(path, sizeof path, "%s/neb.json", dir);
  MB_OK_OR_FAIL(mb_band_set_option(b, MB_BAND_SPRING, 0.25));
  MB_OK_OR_FAIL(mb_band_set_option(b, MB_BAND_OPTIMIZER, MB_OPTIMIZER_FIRE));
  MB_OK_OR_FAIL(mb_band_write(b, path, MB_BAND_FILE_JSON));
  char *text = mb_test_slurp(path);
  const char *end = jvalue(jws(text));
  ck_assert_msg(end && *jws(end) == '\0', "neb.json is not valid JSON near: %.40s",
                end ? end : text);

  ck_assert_int_eq((int)jnum(text, "nimages"), NIMG);
  ck_assert_int_eq((int)jnum(text, "natoms"), 2);
  double e[NIMG + 1], s[NIMG + 1], ft[NIMG + 1], fm[NIMG + 1];
  ck_assert_int_eq(jarray(text, "energies", e, NIMG + 1), NIMG);
  ck_assert_int_eq(jarray(text, "reaction_coordinate", s, NIMG + 1), NIMG);
  ck_assert_int_eq(jarray(text, "tangential_force", ft, NIMG + 1), NIMG);
  ck_assert_int_eq(jarray(text, "neb_force_max", fm, NIMG + 1), NIMG);
  for (int i = 0; i < NIMG; i++) {
    double si = sin(M_PI * i / 6);
    ck_assert_double_eq_tol(e[i], V0 * si * si, 1e-9);
    ck_assert_double_eq_tol(s[i], 4.0 * i / 6, 1e-9);
    if (i > 0 && i < NIMG - 1)
      ck_assert_double_eq_tol(ft[i], -V0 * M_PI / 4 * sin(M_PI * i / 3), 1e-9);
    ck_assert(fm[i] >= 0 && isfinite(fm[i]));
  }
  ck_assert_double_eq_tol(jnum(text, "barrier.forward"), V0, 1e-9);
  ck_assert_double_eq_tol(jnum(text, "barrier.backward"), V0, 1e-9);
  ck_assert_double_eq_tol(jnum(text, "barrier.reaction_energy"), 0, 1e-9);
  ck_assert_int_eq((int)jnum(text, "barrier.saddle_image"), 3);

  double pc[128], pe[128];
  ck_assert_int_eq((int)jnum(text, "profile.npoints"), 101);
  ck_assert_int_eq(jarray(text, "profile.coordinate", pc, 128), 101);
  ck_assert_int_eq(jarray(text, "profile.energy", pe, 128), 101);
  ck_assert_double_eq_tol(pc[0], 0, 1e-9);
  ck_assert_double_eq_tol(pc[100], 4, 1e-9);
  ck_assert_double_eq_tol(pe[0], e[0], 1e-9);
  ck_assert_double_eq_tol(pe[100], e[NIMG - 1], 1e-9);
  ck_assert_double_eq_tol(pe[50], V0, 1e-9); /* s = 2 A is image 3, the top */

  int steps, conv;
  long moving, ends;
  double fmax;
  MB_OK_OR_FAIL(mb_band_stats(b, &steps, &moving, &ends, &fmax, &conv));
  ck_assert_int_eq((int)jnum(text, "stats.steps"), steps);
  ck_assert_int_eq((long)jnum(text, "stats.force_calls_moving"), moving);
  ck_assert_int_eq((long)jnum(text, "stats.force_calls_endpoints"), ends);
  ck_assert(!strncmp(jget(text, "stats.converged"), conv ? "true" : "false", 4));
  ck_assert_double_eq_tol(jnum(text, "options.spring"), 0.25, 1e-15);
  ck_assert(!strncmp(jget(text, "options.optimizer"), "\"fire\"", 6));
  ck_assert_double_eq_tol(jnum(text, "options.fmax"), 0.05, 1e-15);
  ck_assert_int_eq((int)jnum(text, "options.max_steps"), 1000);
  ck_assert(!strncmp(jget(text, "units.energy"), "\"eV\"", 4));
  free(text);
  ck_assert_int_eq(count_files(dir), 1); /* no temporary file left */
  mb_band_free(b);
  remove_dir(dir);
}
END_TEST

/* The frames read back by the library's own reader, and the energy and forces parsed
 * from the text (the reader skips them). */
START_TEST(xyz_frames) {
  char dir[512], path[600];
  mb_band *b = make_band(dir, sizeof dir);
  snprintf(path, sizeof path, "%s/band.xyz", dir);
  MB_OK_OR_FAIL(mb_band_write(b, path, MB_BAND_FILE_XYZ));
  int count = 0;
  MB_OK_OR_FAIL(mb_structure_count_frames(path, MB_FORMAT_XYZ, &count));
  ck_assert_int_eq(count, NIMG);
  double energies[NIMG];
  MB_OK_OR_FAIL(mb_band_energies(b, energies));
  char *text = mb_test_slurp(path), *line = text;
  for (int i = 0; i < NIMG; i++) {
    mb_structure *want = NULL, *got = NULL;
    double p0[6], p1[6], l0[9], l1[9], f[6];
    int g0[6], g1[6], h0, h1;
    MB_OK_OR_FAIL(mb_band_image(b, i, &want));
    MB_OK_OR_FAIL(mb_structure_read_frame(path, MB_FORMAT_XYZ, i, &got));
    MB_OK_OR_FAIL(mb_structure_positions(want, MB_COORDS_CARTESIAN, p0));
    MB_OK_OR_FAIL(mb_structure_positions(got, MB_COORDS_CARTESIAN, p1));
    MB_OK_OR_FAIL(mb_structure_lattice(want, l0));
    MB_OK_OR_FAIL(mb_structure_lattice(got, l1));
    MB_OK_OR_FAIL(mb_structure_selective(want, g0, &h0));
    MB_OK_OR_FAIL(mb_structure_selective(got, g1, &h1));
    for (int k = 0; k < 6; k++) ck_assert_double_eq_tol(p1[k], p0[k], 1e-12);
    for (int k = 0; k < 9; k++) ck_assert_double_eq_tol(l1[k], l0[k], 1e-12);
    ck_assert_int_eq(h1, h0);
    ck_assert_int_eq(h1, 1); /* the Au atom is fixed in the initial structure */
    for (int k = 0; k < 6; k++) ck_assert_int_eq(g1[k], g0[k]);
    ck_assert_double_eq_tol(p1[0], 1 + 4.0 * i / 6, 1e-12);

    /* "2", the comment line, two atom lines: species, position, forces, move_mask. */
    MB_OK_OR_FAIL(mb_band_forces(b, i, 0, f));
    ck_assert_int_eq(atoi(line), 2);
    char *comment = strchr(line, '\n') + 1, *eol = strchr(comment, '\n');
    *eol = '\0';
    ck_assert_ptr_nonnull(strstr(comment, "Properties=species:S:1:pos:R:3:forces:R:3"));
    ck_assert_ptr_nonnull(strstr(comment, "pbc=\"T T T\""));
    ck_assert_ptr_nonnull(strstr(comment, "Lattice=\"8 0 0 0 10 0 0 0 10\""));
    char *en = strstr(comment, " energy=");
    ck_assert_ptr_nonnull(en);
    ck_assert_double_eq_tol(strtod(en + 8, NULL), energies[i], 1e-15);
    line = eol + 1;
    for (int a = 0; a < 2; a++) {
      char sym[4], m[3][2];
      double r[3], fa[3];
      ck_assert_int_eq(sscanf(line, "%3s %lf %lf %lf %lf %lf %lf %1s %1s %1s", sym, &r[0], &r[1],
                              &r[2], &fa[0], &fa[1], &fa[2], m[0], m[1], m[2]), 10);
      ck_assert_str_eq(sym, a == 0 ? "Cu" : "Au");
      for (int k = 0; k < 3; k++) {
        ck_assert_double_eq_tol(fa[k], f[3 * a + k], 1e-11);
        ck_assert_str_eq(m[k], a == 0 ? "T" : "F");
      }
      line = strchr(line, '\n') + 1;
    }
    mb_structure_free(want);
    mb_structure_free(got);
  }
  ck_assert_int_eq(*line, '\0');
  free(text);
  mb_band_free(b);
  remove_dir(dir);
}
END_TEST

/* Well-formed XML: every tag closed in order, attributes quoted, one root <svg>. */
static void check_xml(const char *p) {
  const char *stack[64];
  size_t len[64];
  int depth = 0, roots = 0;
  if (!strncmp(p, "<?xml", 5)) p = strstr(p, "?>") + 2;
  for (; *p; p++) {
    if (*p == '&') { /* only the entities the writer uses */
      ck_assert_msg(!strncmp(p, "&#", 2) || !strncmp(p, "&amp;", 5) || !strncmp(p, "&lt;", 4),
                    "bad entity: %.10s", p);
      continue;
    }
    if (*p != '<') continue;
    int closing = p[1] == '/';
    const char *name = p + 1 + closing;
    size_t n = strcspn(name, " \t\n/>");
    ck_assert_msg(n > 0, "empty tag name at %.20s", p);
    const char *q = name + n;
    while (*q && *q != '>') { /* attributes: name="value" */
      if (*q == '"') {
        q = strchr(q + 1, '"');
        ck_assert_ptr_nonnull(q);
      } else if (*q == '=') {
        ck_assert_msg(q[1] == '"', "unquoted attribute at %.30s", q);
      } else {
        ck_assert_msg(*q != '<', "'<' inside a tag at %.30s", p);
      }
      q++;
    }
    ck_assert_int_eq(*q, '>');
    int empty = q[-1] == '/';
    if (closing) {
      ck_assert_msg(depth > 0 && len[depth - 1] == n && !strncmp(stack[depth - 1], name, n),
                    "</%.*s> closes nothing open", (int)n, name);
      depth--;
    } else if (!empty) {
      if (depth == 0) roots++;
      ck_assert_int_lt(depth, 64);
      stack[depth] = name;
      len[depth++] = n;
    }
    p = q;
  }
  ck_assert_int_eq(depth, 0);
  ck_assert_int_eq(roots, 1);
}

static int count(const char *text, const char *what) {
  int n = 0;
  for (const char *p = text; (p = strstr(p, what)); p++) n++;
  return n;
}

START_TEST(svg_plot) {
  char dir[512], path[600];
  mb_band *b = make_band(dir, sizeof dir);
  snprintf(path, sizeof path, "%s/profile.svg", dir);
  MB_OK_OR_FAIL(mb_band_write(b, path, MB_BAND_FILE_SVG));
  char *text = mb_test_slurp(path);
  check_xml(text);
  ck_assert_ptr_nonnull(strstr(text, "<svg xmlns=\"http://www.w3.org/2000/svg\""));
  for (char *c = text; *c; c++) *c = (char)(*c | 0x20); /* lower case, for the search */
  ck_assert_msg(!strstr(text, "nan") && !strstr(text, "inf"), "a non-finite number");
  ck_assert_int_eq(count(text, "<circle"), NIMG + 1); /* the images and the legend's */
  ck_assert_int_eq(count(text, "r=\"7\""), 1);        /* one saddle marker */
  ck_assert_int_eq(count(text, "<polyline"), 1);
  ck_assert_ptr_nonnull(strstr(text, "forward barrier: 0.500 ev"));
  ck_assert_ptr_nonnull(strstr(text, "saddle: image 3"));
  ck_assert_ptr_nonnull(strstr(text, "reaction coordinate (&#197;)"));
  /* The polyline: 201 points, every coordinate inside the 720 x 450 canvas. */
  const char *pts = strstr(strstr(text, "<polyline"), "points=\"") + 8;
  int npts = 0;
  while (*pts != '"') {
    char *end;
    double x = strtod(pts, &end);
    ck_assert_int_eq(*end, ',');
    double y = strtod(end + 1, &end);
    ck_assert(x >= 0 && x <= 720 && y >= 0 && y <= 450);
    npts++;
    pts = end + (*end == ' ');
  }
  ck_assert_int_eq(npts, 201);
  free(text);
  mb_band_free(b);
  remove_dir(dir);
}
END_TEST

/* A band that has run: steps and converged as mb_band_stats says, the barrier found.
 * The evenly spaced straight band is already converged, so it starts from images
 * moved off it (along x by 0.15 sin(i) A, along y by 0.2 A). With a climbing image
 * and fmax 0.01 eV/A the top is found to 1e-4 eV (curvature V0 pi^2/8 there). */
START_TEST(after_a_run) {
  char dir[512], path[600];
  mb_band *b = make_band(dir, sizeof dir), *moved = NULL;
  mb_structure *img[NIMG];
  for (int i = 0; i < NIMG; i++) {
    double p[6];
    MB_OK_OR_FAIL(mb_band_image(b, i, &img[i]));
    MB_OK_OR_FAIL(mb_structure_positions(img[i], MB_COORDS_CARTESIAN, p));
    if (i > 0 && i < NIMG - 1) p[0] += 0.15 * sin(i), p[1] += 0.2;
    MB_OK_OR_FAIL(mb_structure_set_positions(img[i], p, MB_COORDS_CARTESIAN));
  }
  MB_OK_OR_FAIL(mb_band_create_from_images(NIMG, (const mb_structure *const *)img, &moved));
  for (int i = 0; i < NIMG; i++) mb_structure_free(img[i]);
  mb_band_free(b);
  b = moved;
  MB_OK_OR_FAIL(mb_band_set_callback(b, surface, NULL, 1));
  MB_OK_OR_FAIL(mb_band_set_option(b, MB_BAND_CLIMB, 1));
  MB_OK_OR_FAIL(mb_band_set_option(b, MB_BAND_FMAX, 0.01));
  MB_OK_OR_FAIL(mb_band_set_option(b, MB_BAND_MAX_STEPS, 500));
  MB_OK_OR_FAIL(mb_band_run(b));
  snprintf(path, sizeof path, "%s/neb.json", dir);
  MB_OK_OR_FAIL(mb_band_write(b, path, MB_BAND_FILE_JSON));
  char *text = mb_test_slurp(path);
  int steps, conv;
  MB_OK_OR_FAIL(mb_band_stats(b, &steps, NULL, NULL, NULL, &conv));
  ck_assert_int_gt(steps, 0);
  ck_assert_int_eq((int)jnum(text, "stats.steps"), steps);
  ck_assert(!strncmp(jget(text, "stats.converged"), "true", 4));
  ck_assert(jnum(text, "stats.max_force") < 0.01);
  ck_assert_double_eq_tol(jnum(text, "barrier.forward"), V0, 1e-3); /* climbing image */
  ck_assert_int_eq((int)jnum(text, "options.climb"), 1);
  free(text);
  snprintf(path, sizeof path, "%s/profile.svg", dir);
  MB_OK_OR_FAIL(mb_band_write(b, path, MB_BAND_FILE_SVG));
  text = mb_test_slurp(path);
  check_xml(text);
  ck_assert_ptr_nonnull(strstr(text, ", converged</text>"));
  free(text);
  mb_band_free(b);
  remove_dir(dir);
}
END_TEST

START_TEST(errors) {
  char dir[512], path[600];
  mb_band *b = make_band(dir, sizeof dir);
  snprintf(path, sizeof path, "%s/neb.json", dir);
  ck_assert_int_eq(mb_band_write(NULL, path, MB_BAND_FILE_JSON), MB_ERR_INVALID_ARG);
  ck_assert_int_eq(mb_band_write(b, NULL, MB_BAND_FILE_JSON), MB_ERR_INVALID_ARG);
  ck_assert_int_eq(mb_band_write(b, "", MB_BAND_FILE_JSON), MB_ERR_INVALID_ARG);
  ck_assert_int_eq(mb_band_write(b, path, (mb_band_file)7), MB_ERR_INVALID_ARG);
  ck_assert_ptr_nonnull(strstr(mb_last_error(), "unknown file kind 7"));

  /* A directory that does not exist; a path that is a directory. */
  char bad[700];
  snprintf(bad, sizeof bad, "%s/no/such/dir/neb.json", dir);
  ck_assert_int_eq(mb_band_write(b, bad, MB_BAND_FILE_XYZ), MB_ERR_IO);
  ck_assert_ptr_nonnull(strstr(mb_last_error(), bad));
  ck_assert_int_eq(mb_band_write(b, dir, MB_BAND_FILE_SVG), MB_ERR_IO);
  ck_assert_ptr_nonnull(strstr(mb_last_error(), dir));
  ck_assert_int_eq(count_files(dir), 0); /* the failed writes left nothing behind */

  /* A write that fails half-way (over the file size limit: EFBIG) leaves the
   * previous file as it was, and no temporary file. */
  MB_OK_OR_FAIL(mb_band_write(b, path, MB_BAND_FILE_JSON));
  char *before = mb_test_slurp(path);
  MB_OK_OR_FAIL(mb_band_set_option(b, MB_BAND_SPRING, 0.3));
  struct rlimit old, lim;
  signal(SIGXFSZ, SIG_IGN);
  ck_assert_int_eq(getrlimit(RLIMIT_FSIZE, &old), 0);
  lim = old;
  lim.rlim_cur = 512;
  ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &lim), 0);
  mb_status st = mb_band_write(b, path, MB_BAND_FILE_JSON);
  ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &old), 0);
  ck_assert_int_eq(st, MB_ERR_IO);
  ck_assert_ptr_nonnull(strstr(mb_last_error(), "write error"));
  char *after = mb_test_slurp(path);
  ck_assert_str_eq(after, before);
  ck_assert_int_eq(count_files(dir), 1);
  free(before);
  free(after);

  /* A band without energies has nothing to report. */
  const double lat[9] = {8, 0, 0, 0, 10, 0, 0, 0, 10};
  const double a[6] = {1, 5, 5, 3, 2, 8}, c[6] = {5, 5, 5, 3, 2, 8};
  const int z[2] = {29, 79};
  mb_structure *s0 = NULL, *s1 = NULL;
  mb_band *fresh = NULL;
  MB_OK_OR_FAIL(mb_structure_create(lat, 2, a, MB_COORDS_CARTESIAN, z, &s0));
  MB_OK_OR_FAIL(mb_structure_create(lat, 2, c, MB_COORDS_CARTESIAN, z, &s1));
  MB_OK_OR_FAIL(mb_band_create(s0, s1, 3, MB_INTERPOLATION_LINEAR, &fresh));
  for (int kind = 0; kind < 3; kind++) {
    ck_assert_int_eq(mb_band_write(fresh, path, (mb_band_file)kind), MB_ERR_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(mb_last_error(), "mb_band_evaluate"));
  }
  mb_band_free(fresh);
  mb_structure_free(s0);
  mb_structure_free(s1);
  mb_band_free(b);
  remove_dir(dir);
}
END_TEST

/* The files use '.' decimals even when the host program runs in a locale with a
 * decimal comma (de_DE, compiled with localedef into a temporary LOCPATH, as
 * tests/structure/test_locale.c does). */
START_TEST(host_locale_is_ignored) {
  char locpath[] = "/tmp/mb-locale-XXXXXX", cmd[512];
  ck_assert_ptr_nonnull(mkdtemp(locpath));
  snprintf(cmd, sizeof cmd, "localedef -i de_DE -f UTF-8 %s/de_DE.UTF-8 >/dev/null 2>&1",
           locpath);
  int rc = system(cmd);
  ck_assert_msg(rc == 0 || WEXITSTATUS(rc) == 1, "localedef failed (%d)", rc);
  setenv("LOCPATH", locpath, 1);
  ck_assert_ptr_nonnull(setlocale(LC_ALL, "de_DE.UTF-8"));
  char probe[16];
  snprintf(probe, sizeof probe, "%.1f", 1.5);
  ck_assert_str_eq(probe, "1,5");

  char dir[512], path[600];
  mb_band *b = make_band(dir, sizeof dir);
  MB_OK_OR_FAIL(mb_band_set_option(b, MB_BAND_SPRING, 0.25));
  snprintf(path, sizeof path, "%s/neb.json", dir);
  MB_OK_OR_FAIL(mb_band_write(b, path, MB_BAND_FILE_JSON));
  char *text = mb_test_slurp(path);
  ck_assert_ptr_nonnull(jvalue(jws(text)));
  ck_assert(!strncmp(jget(text, "options.spring"), "0.25", 4)); /* strtod reads commas now */
  ck_assert_ptr_null(strstr(text, "0,25"));
  free(text);
  snprintf(path, sizeof path, "%s/profile.svg", dir);
  MB_OK_OR_FAIL(mb_band_write(b, path, MB_BAND_FILE_SVG));
  text = mb_test_slurp(path);
  check_xml(text);
  ck_assert_ptr_nonnull(strstr(text, "forward barrier: 0.500 eV"));
  free(text);
  snprintf(path, sizeof path, "%s/band.xyz", dir);
  MB_OK_OR_FAIL(mb_band_write(b, path, MB_BAND_FILE_XYZ));
  text = mb_test_slurp(path);
  ck_assert_ptr_nonnull(strstr(text, "energy=0.12499999")); /* image 1: V0 sin^2(pi/6) */
  ck_assert_ptr_nonnull(strstr(text, "1.6666666666666"));  /* its x, 1 + 4/6 */
  ck_assert_ptr_null(strstr(text, "1,6666"));
  free(text);
  mb_band_free(b);
  remove_dir(dir);
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", locpath);
  ck_assert_int_eq(system(cmd), 0);
}
END_TEST

int main(void) {
  Suite *s = suite_create("neb write");
  TCase *tc = tcase_create("write");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, json_summary);
  tcase_add_test(tc, xyz_frames);
  tcase_add_test(tc, svg_plot);
  tcase_add_test(tc, after_a_run);
  tcase_add_test(tc, errors);
  tcase_add_test(tc, host_locale_is_ignored);
  suite_add_tcase(s, tc);
  return mb_run_suite(s);
}
