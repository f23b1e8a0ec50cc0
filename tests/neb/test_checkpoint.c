/* mb_band_save / mb_band_load: a band saved in the middle of a run comes back with the
 * same images (bit for bit), fixed coordinates, options and counts, and the caller's
 * "run" object; a loaded band given the same provider computes the same energies; the
 * file is also the JSON summary of mb_band_write. Damaged or foreign files fail with
 * a message naming the file and what is wrong.
 *
 * The band: one Cu atom over the periodic surface E = V0 sin^2(pi (x - 1) / 4) + k/2
 * ((y - 5)^2 + (z - 5)^2) (period 4 A in an 8 x 10 x 10 A cell) and an Au atom fixed by
 * selective dynamics in a harmonic well (as tests/neb/test_write.c). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../testutil.h"
#include "surface.h"



static char tmpdir[256];

static const char *tmp_path(const char *name) {
  static char path[2][512];
  static int which;
  which ^= 1;
  snprintf(path[which], sizeof path[which], "%s/%s", tmpdir, name);
  return path[which];
}

/* A band a few FIRE steps into its run (bent off the straight line in y). */
static mb_band *make_band(void) {
  const double lat[9] = {8, 0, 0, 0, 10, 0, 0, 0, 10};
  const double a[6] = {1, 5.3, 5, 3, 2, 8}, c[6] = {5, 4.8, 5, 3, 2, 8};
  const int z[2] = {29, 79}, flags[6] = {1, 1, 1, 0, 0, 0};
  mb_structure *s0 = NULL, *s1 = NULL;
  mb_band *b = NULL;
  MB_OK_OR_FAIL(mb_structure_create(lat, 2, a, MB_COORDS_CARTESIAN, z, &s0));
  MB_OK_OR_FAIL(mb_structure_create(lat, 2, c, MB_COORDS_CARTESIAN, z, &s1));
  MB_OK_OR_FAIL(mb_structure_set_selective(s0, flags));
  MB_OK_OR_FAIL(mb_band_create(s0, s1, 5, MB_INTERPOLATION_LINEAR, &b));
  MB_OK_OR_FAIL(mb_band_set_callback(b, surface, NULL, 1));
  MB_OK_OR_FAIL(mb_band_set_option(b, MB_BAND_OPTIMIZER, MB_OPTIMIZER_FIRE));
  MB_OK_OR_FAIL(mb_band_set_option(b, MB_BAND_SPRING, 0.37));
  MB_OK_OR_FAIL(mb_band_set_option(b, MB_BAND_CLIMB, 2));
  MB_OK_OR_FAIL(mb_band_set_option(b, MB_BAND_FMAX, 1e-9));
  MB_OK_OR_FAIL(mb_band_set_option(b, MB_BAND_MAX_STEPS, 7));
  ck_assert_int_eq(mb_band_run(b), MB_ERR_NOT_CONVERGED);
  mb_structure_free(s0), mb_structure_free(s1);
  return b;
}

static void positions(const mb_band *b, int i, double *x, int *flags, int *has) {
  mb_structure *s = NULL;
  MB_OK_OR_FAIL(mb_band_image(b, i, &s));
  MB_OK_OR_FAIL(mb_structure_positions(s, MB_COORDS_CARTESIAN, x));
  MB_OK_OR_FAIL(mb_structure_selective(s, flags, has));
  mb_structure_free(s);
}

START_TEST(round_trip) {
  mb_band *b = make_band();
  const char *path = tmp_path("neb.json");
  MB_OK_OR_FAIL(mb_band_save(b, path, "{\"potential\": {\"kind\": \"surface\"}, \"n\": 3}"));
  mb_band *c = NULL;
  char *extra = NULL;
  MB_OK_OR_FAIL(mb_band_load(path, &c, &extra));
  ck_assert_str_eq(extra, "{\"potential\":{\"kind\":\"surface\"},\"n\":3}");
  /* the file holds the caller's text as given */
  char *text = mb_test_slurp(path);
  ck_assert_ptr_nonnull(strstr(text, "\"run\":\t{\"potential\": {\"kind\": \"surface\"}, \"n\": 3}"));
  free(text);
  mb_free(extra);
  int n1, n2, a1, a2;
  MB_OK_OR_FAIL(mb_band_nimages(b, &n1));
  MB_OK_OR_FAIL(mb_band_nimages(c, &n2));
  MB_OK_OR_FAIL(mb_band_natoms(c, &a2));
  MB_OK_OR_FAIL(mb_band_natoms(b, &a1));
  ck_assert_int_eq(n1, 7);
  ck_assert_int_eq(n2, 7);
  ck_assert_int_eq(a2, a1);
  int moved = 0;
  for (int i = 0; i < n1; i++) {
    double x1[6], x2[6];
    int f1[6], f2[6], h1, h2;
    positions(b, i, x1, f1, &h1);
    positions(c, i, x2, f2, &h2);
    ck_assert_mem_eq(x2, x1, sizeof x1); /* bit for bit */
    ck_assert_int_eq(h2, h1);
    ck_assert_mem_eq(f2, f1, sizeof f1);
    moved |= i > 0 && i < n1 - 1 && fabs(x1[1] - 5.05) > 1e-3;
  }
  ck_assert_msg(moved, "the run did not move the images: the test would not see them");
  for (int k = 0; k < 11; k++) {
    double v1, v2;
    MB_OK_OR_FAIL(mb_band_get_option(b, (mb_band_option)k, &v1));
    MB_OK_OR_FAIL(mb_band_get_option(c, (mb_band_option)k, &v2));
    ck_assert_msg(v1 == v2, "option %d: %g saved, %g loaded", k, v1, v2);
  }
  int s1, s2, cv1, cv2;
  long m1, m2, e1, e2;
  double f1, f2;
  MB_OK_OR_FAIL(mb_band_stats(b, &s1, &m1, &e1, &f1, &cv1));
  MB_OK_OR_FAIL(mb_band_stats(c, &s2, &m2, &e2, &f2, &cv2));
  ck_assert_int_eq(s2, s1);
  ck_assert_int_eq(m2, m1);
  ck_assert_int_eq(e2, e1);
  ck_assert_int_eq(s1, 7);
  /* the same provider gives the loaded band the same energies */
  MB_OK_OR_FAIL(mb_band_set_callback(c, surface, NULL, 1));
  MB_OK_OR_FAIL(mb_band_evaluate(c));
  double en1[7], en2[7];
  MB_OK_OR_FAIL(mb_band_energies(b, en1));
  MB_OK_OR_FAIL(mb_band_energies(c, en2));
  for (int i = 0; i < 7; i++) ck_assert_double_eq_tol(en2[i], en1[i], 1e-14);
  /* a loaded band runs on */
  MB_OK_OR_FAIL(mb_band_set_option(c, MB_BAND_FMAX, 0.01));
  MB_OK_OR_FAIL(mb_band_set_option(c, MB_BAND_MAX_STEPS, 500));
  MB_OK_OR_FAIL(mb_band_run(c));
  double fwd, bwd;
  int saddle;
  MB_OK_OR_FAIL(mb_band_barrier(c, &fwd, &bwd, &saddle));
  /* the saddle at x = 3, y = 5: V0 above the line, the initial end 0.3 A off y = 5 */
  ck_assert_double_eq_tol(fwd, V0 - 0.5 * KSPRING * 0.09, 0.01);
  /* no extra object: none back */
  MB_OK_OR_FAIL(mb_band_save(c, path, NULL));
  mb_band *d = NULL;
  extra = (char *)1;
  MB_OK_OR_FAIL(mb_band_load(path, &d, &extra));
  ck_assert_ptr_null(extra);
  mb_band_free(d);
  MB_OK_OR_FAIL(mb_band_load(path, &d, NULL));
  mb_band_free(d);
  mb_band_free(b), mb_band_free(c);
}
END_TEST

static void write_text(const char *path, const char *text) {
  FILE *f = fopen(path, "w");
  ck_assert_ptr_nonnull(f);
  fputs(text, f);
  fclose(f);
}

static void expect_load_error(const char *path, mb_status want, const char *what) {
  mb_band *b = (mb_band *)&b, *before = b;
  mb_status st = mb_band_load(path, &b, NULL);
  ck_assert_msg(st == want, "%s: status %d, expected %d (%s)", path, (int)st, (int)want,
                mb_last_error());
  ck_assert_ptr_eq(b, before);
  ck_assert_msg(strstr(mb_last_error(), what), "%s: '%s' lacks '%s'", path, mb_last_error(),
                what);
}

START_TEST(bad_files) {
  mb_band *b = make_band();
  ck_assert_int_eq(mb_band_save(b, tmp_path("x.json"), "[1, 2]"), MB_ERR_INVALID_ARG);
  ck_assert_ptr_nonnull(strstr(mb_last_error(), "extra_json is not a JSON object"));
  ck_assert_int_eq(mb_band_save(b, tmp_path("x.json"), "{\"a\": "), MB_ERR_INVALID_ARG);
  ck_assert_int_eq(mb_band_save(b, tmp_path("x.json"), "{\"a\": 1} ]"), MB_ERR_INVALID_ARG);
  ck_assert_int_eq(mb_band_save(NULL, tmp_path("x.json"), NULL), MB_ERR_INVALID_ARG);
  /* the summary of mb_band_write is no checkpoint */
  MB_OK_OR_FAIL(mb_band_write(b, tmp_path("summary.json"), MB_BAND_FILE_JSON));
  expect_load_error(tmp_path("summary.json"), MB_ERR_PARSE, "no \"checkpoint\" object");
  expect_load_error(tmp_path("absent.json"), MB_ERR_IO, "absent.json");
  write_text(tmp_path("syntax.json"), "{\n\"format\": \"migbar-neb\",\n\"nimages\": ,\n}");
  expect_load_error(tmp_path("syntax.json"), MB_ERR_PARSE, "syntax.json:3:");
  /* a good file, then damaged copies of it */
  MB_OK_OR_FAIL(mb_band_save(b, tmp_path("good.json"), NULL));
  char *good = mb_test_slurp(tmp_path("good.json"));
  /* (cJSON_Print puts a tab after each colon) */
  static const struct { const char *from, *to, *what; } damage[] = {
    {"\"format\":\t\"migbar-neb\"", "\"format\":\t\"migbar-nex\"", "\"format\" is not"},
    {"\"version\":\t1,\n\t\t\"lattice\"", "\"version\":\t2,\n\t\t\"lattice\"",
     "checkpoint.version"},
    {"\"numbers\":\t[29, 79]", "\"numbers\":\t[29, 0]", "checkpoint.numbers"},
    {"\"free\":\t[1, 1, 1, 0, 0, 0]", "\"free\":\t[1, 1, 1, 0, 0, 2]", "checkpoint.free"},
    {"\"lattice\":\t[8, 0,", "\"lattice\":\t[8, 0, 0,", "checkpoint.lattice"},
    {"\"fmax\":\t1e-09", "\"fmax\":\t-1", "options.fmax"},
    {"\"optimizer\":\t\"fire\"", "\"optimizer\":\t\"sgd\"", "options.optimizer"},
    {"\"nimages\":\t7", "\"nimages\":\t8", "checkpoint.positions"},
  };

  for (size_t k = 0; k < sizeof damage / sizeof *damage; k++) {
    const char *at = strstr(good, damage[k].from);
    ck_assert_msg(at != NULL, "the checkpoint lacks %s", damage[k].from);
    char *copy = malloc(strlen(good) + 64);
    size_t head = (size_t)(at - good);
    memcpy(copy, good, head);
    strcpy(copy + head, damage[k].to);
    strcat(copy, at + strlen(damage[k].from));
    write_text(tmp_path("damaged.json"), copy);
    free(copy);
    /* an option out of bounds is mb_band_set_option's MB_ERR_INVALID_ARG */
    expect_load_error(tmp_path("damaged.json"),
                      strcmp(damage[k].what, "options.fmax") ? MB_ERR_PARSE : MB_ERR_INVALID_ARG,
                      damage[k].what);
  }
  free(good);
  mb_band_free(b);
}
END_TEST

int main(void) {
  if (mb_test_make_tmpdir(tmpdir, sizeof tmpdir, "mb-checkpoint")) return EXIT_FAILURE;
  Suite *s = suite_create("checkpoint");
  TCase *tc = tcase_create("checkpoint");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, round_trip);
  tcase_add_test(tc, bad_files);
  suite_add_tcase(s, tc);
  int rc = mb_run_suite(s);
  mb_test_remove_tmpdir(tmpdir);
  return rc;
}
