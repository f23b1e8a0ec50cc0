/* The mb_band API: NEB forces against ASE 3.22 (tests/data/neb/neb_forces.ref,
 * written by tests/data/neb/make_reference.py: ase.neb.NEB(method=
 * 'improvedtangent').get_forces() on a Morse cluster band with fixed atoms and a
 * hop across the periodic boundary; matched to 1e-8 eV/A), interpolation (linear
 * and IDPP, compared qualitatively with ASE's NEB.interpolate('idpp'), idpp.ref),
 * results along the path, threads and batches, and the error paths. */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../testutil.h"

/* ---- the Morse pair potential of make_reference.py, as a force callback ---- */

typedef struct morse {
  double d, alpha, r0;
  long calls;
  int fail_after; /* fail (return 3) on call number fail_after; 0 = never */
  int nan_energy;
  int smooth; /* 1: switch the pairs off smoothly between 3.6 and 4.4 A (runs) */
  pthread_mutex_t lock;
} morse;

static void mic(const double *lattice, double v[3]) {
  /* the test cells are cubic */
  for (int k = 0; k < 3; k++) {
    double l = lattice[4 * k];
    v[k] -= l * round(v[k] / l);
  }
}

static int morse_fn(const double *lattice, int natoms, const int *numbers,
                    const double *positions, double *energy, double *forces, void *user) {
  (void)numbers;
  morse *m = user;
  pthread_mutex_lock(&m->lock);
  long call = ++m->calls;
  pthread_mutex_unlock(&m->lock);
  if (m->fail_after && call >= m->fail_after) return 3;
  double e = 0;
  memset(forces, 0, 3 * (size_t)natoms * sizeof(double));
  for (int i = 0; i < natoms; i++)
    for (int j = i + 1; j < natoms; j++) {
      double v[3];
      for (int k = 0; k < 3; k++) v[k] = positions[3 * j + k] - positions[3 * i + k];
      mic(lattice, v);
      double d = sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]);
      double x = exp(-m->alpha * (d - m->r0));
      double ep = m->d * (x * x - 2 * x);
      double dedd = m->d * (-2 * m->alpha * x * x + 2 * m->alpha * x);
      if (m->smooth) {
        /* the minimum-image pair force jumps at half the cell (4.5 A): a smooth
         * cutoff below that makes the surface differentiable for the runs */
        const double r1 = 3.6, r2 = 4.4, pi = 3.14159265358979323846;
        double sw = 0, dsw = 0;
        if (d < r1) {
          sw = 1;
        } else if (d < r2) {
          sw = 0.5 * (1 + cos(pi * (d - r1) / (r2 - r1)));
          dsw = -0.5 * pi / (r2 - r1) * sin(pi * (d - r1) / (r2 - r1));
        }
        dedd = dedd * sw + ep * dsw;
        ep *= sw;
      }
      e += ep;
      for (int k = 0; k < 3; k++) {
        forces[3 * i + k] += dedd * v[k] / d;
        forces[3 * j + k] -= dedd * v[k] / d;
      }
    }
  *energy = m->nan_energy ? NAN : e;
  return 0;
}

static int morse_batch(int nimages, const double *lattice, int natoms, const int *numbers,
                       const double *positions, double *energies, double *forces, void *user) {
  size_t n = 3 * (size_t)natoms;
  for (int i = 0; i < nimages; i++)
    if (morse_fn(lattice, natoms, numbers, positions + i * n, &energies[i], forces + i * n,
                 user))
      return 1;
  return 0;
}

static morse new_morse(double d, double alpha, double r0) {
  morse m = {d, alpha, r0, 0, 0, 0, 0, PTHREAD_MUTEX_INITIALIZER};
  return m;
}

/* ---- the reference band ------------------------------------------------------ */

typedef struct reference {
  double d, alpha, r0, cell[9];
  int nimages, natoms;
  double energy[16], pos[16][3 * 16], force[16][3 * 16];
  double k[4];
  int climb[4];
  double neb[4][16][3 * 16];
} reference;

static reference ref;

static void load_reference(void) {
  char path[1024], line[512];
  FILE *f = fopen(mb_test_data("neb/neb_forces.ref", path, sizeof path), "r");
  ck_assert_msg(f != NULL, "cannot open %s", path);
  ck_assert_ptr_nonnull(fgets(line, sizeof line, f));
  ck_assert_int_eq(fscanf(f, " morse %lf %lf %lf", &ref.d, &ref.alpha, &ref.r0), 3);
  ck_assert_int_eq(fscanf(f, " nimages %d natoms %d", &ref.nimages, &ref.natoms), 2);
  ck_assert(ref.nimages <= 16 && ref.natoms <= 16);
  ck_assert_int_eq(fscanf(f, " cell"), 0);
  for (int c = 0; c < 9; c++) ck_assert_int_eq(fscanf(f, "%lf", &ref.cell[c]), 1);
  int a0, a1;
  ck_assert_int_eq(fscanf(f, " fixed %d %d", &a0, &a1), 2);
  ck_assert(a0 == 0 && a1 == 1);
  for (int i = 0; i < ref.nimages; i++) {
    ck_assert_int_eq(fscanf(f, " image %lf", &ref.energy[i]), 1);
    for (int a = 0; a < ref.natoms; a++) {
      for (int k = 0; k < 3; k++) ck_assert_int_eq(fscanf(f, "%lf", &ref.pos[i][3 * a + k]), 1);
      for (int k = 0; k < 3; k++)
        ck_assert_int_eq(fscanf(f, "%lf", &ref.force[i][3 * a + k]), 1);
    }
  }
  for (int c = 0; c < 4; c++) {
    ck_assert_int_eq(fscanf(f, " case k %lf climb %d", &ref.k[c], &ref.climb[c]), 2);
    for (int i = 1; i < ref.nimages - 1; i++)
      for (int q = 0; q < 3 * ref.natoms; q++)
        ck_assert_int_eq(fscanf(f, "%lf", &ref.neb[c][i][q]), 1);
  }
  fclose(f);
}

static mb_band *reference_band(morse *m) {
  load_reference();
  *m = new_morse(ref.d, ref.alpha, ref.r0);
  mb_structure *img[16];
  int z[16], flags[48];
  for (int a = 0; a < ref.natoms; a++) z[a] = 29;
  for (int q = 0; q < 3 * ref.natoms; q++) flags[q] = q >= 6; /* atoms 0 and 1 fixed */
  for (int i = 0; i < ref.nimages; i++) {
    MB_OK_OR_FAIL(mb_structure_create(ref.cell, ref.natoms, ref.pos[i], MB_COORDS_CARTESIAN,
                                      z, &img[i]));
    if (i == 0) MB_OK_OR_FAIL(mb_structure_set_selective(img[i], flags));
  }
  mb_band *b;
  MB_OK_OR_FAIL(mb_band_create_from_images(ref.nimages, (const mb_structure *const *)img, &b));
  for (int i = 0; i < ref.nimages; i++) mb_structure_free(img[i]);
  MB_OK_OR_FAIL(mb_band_set_callback(b, morse_fn, m, 1));
  return b;
}

START_TEST(test_ase_forces) {
  morse m;
  mb_band *b = reference_band(&m);
  double e[16], f[48];
  for (int c = 0; c < 4; c++) {
    MB_OK_OR_FAIL(mb_band_set_option(b, MB_BAND_SPRING, ref.k[c]));
    MB_OK_OR_FAIL(mb_band_set_option(b, MB_BAND_CLIMB, ref.climb[c]));
    MB_OK_OR_FAIL(mb_band_evaluate(b));
    MB_OK_OR_FAIL(mb_band_energies(b, e));
    for (int i = 0; i < ref.nimages; i++) {
      ck_assert_double_eq_tol(e[i], ref.energy[i], 1e-10);
      MB_OK_OR_FAIL(mb_band_forces(b, i, 0, f));
      for (int q = 0; q < 3 * ref.natoms; q++)
        ck_assert_double_eq_tol(f[q], ref.force[i][q], 1e-9);
    }
    /* the largest per-atom NEB force norm, as ASE's optimisers measure it
     * (sqrt((forces**2).sum(axis=1)).max()), and not the largest component */
    double worst = 0, worst_component = 0;
    for (int i = 1; i < ref.nimages - 1; i++) {
      MB_OK_OR_FAIL(mb_band_forces(b, i, 1, f));
      for (int q = 0; q < 3 * ref.natoms; q++) {
        ck_assert_msg(fabs(f[q] - ref.neb[c][i][q]) < 1e-8,
                      "case %d image %d component %d: %.12g vs ASE %.12g", c, i, q, f[q],
                      ref.neb[c][i][q]);
        worst_component = fmax(worst_component, fabs(f[q]));
      }
      for (int a = 0; a < ref.natoms; a++) {
        const double *g = ref.neb[c][i] + 3 * a;
        worst = fmax(worst, sqrt(g[0] * g[0] + g[1] * g[1] + g[2] * g[2]));
      }
    }
    double max_force;
    MB_OK_OR_FAIL(mb_band_stats(b, NULL, NULL, NULL, &max_force, NULL));
    ck_assert_double_eq_tol(max_force, worst, 1e-8);
    ck_assert(max_force > worst_component); /* a norm, not a component */
    /* the end points do not move */
    MB_OK_OR_FAIL(mb_band_forces(b, 0, 1, f));
    for (int q = 0; q < 3 * ref.natoms; q++) ck_assert(f[q] == 0.0);
  }
  mb_band_free(b);
}
END_TEST

/* Energy-weighted springs with spring_min == spring are plain springs; lowering
 * spring_min softens the springs away from the top and changes the forces. */
START_TEST(test_weighted_springs) {
  morse m;
  mb_band *b = reference_band(&m);
  double f0[48], f1[48], f2[48], t[16];
  MB_OK_OR_FAIL(mb_band_set_option(b, MB_BAND_SPRING, 0.7));
  MB_OK_OR_FAIL(mb_band_evaluate(b));
  MB_OK_OR_FAIL(mb_band_forces(b, 1, 1, f0));
  MB_OK_OR_FAIL(mb_band_set_option(b, MB_BAND_SPRING_MIN, 0.7));
  MB_OK_OR_FAIL(mb_band_evaluate(b));
  MB_OK_OR_FAIL(mb_band_forces(b, 1, 1, f1));
  for (int q = 0; q < 3 * ref.natoms; q++) ck_assert_double_eq_tol(f1[q], f0[q], 1e-14);
  MB_OK_OR_FAIL(mb_band_set_option(b, MB_BAND_SPRING_MIN, 0.1));
  MB_OK_OR_FAIL(mb_band_evaluate(b));
  MB_OK_OR_FAIL(mb_band_forces(b, 1, 1, f2));
  MB_OK_OR_FAIL(mb_band_path(b, NULL, t));
  double diff = 0;
  for (int q = 0; q < 3 * ref.natoms; q++) diff += fabs(f2[q] - f0[q]);
  ck_assert(diff > 1e-6);
  mb_band_free(b);
}
END_TEST

/* ---- interpolation --------------------------------------------------------- */

static const double cube12[9] = {12, 0, 0, 0, 12, 0, 0, 0, 12};

static mb_structure *make(const double *lattice, int natoms, const double *pos, int z) {
  int zz[16];
  for (int a = 0; a < natoms; a++) zz[a] = z;
  mb_structure *s;
  MB_OK_OR_FAIL(mb_structure_create(lattice, natoms, pos, MB_COORDS_CARTESIAN, zz, &s));
  return s;
}

static void image_positions(const mb_band *b, int i, double *pos) {
  mb_structure *s;
  MB_OK_OR_FAIL(mb_band_image(b, i, &s));
  MB_OK_OR_FAIL(mb_structure_positions(s, MB_COORDS_CARTESIAN, pos));
  mb_structure_free(s);
}

/* An atom hopping from x = 11.5 to x = 0.5 goes the short way across the
 * boundary (1 A), not 11 A through the cell. */
START_TEST(test_linear_boundary_hop) {
  double p0[6] = {11.5, 6, 6, 3, 3, 3}, p1[6] = {0.5, 6, 6, 3, 3, 3};
  mb_structure *s0 = make(cube12, 2, p0, 3), *s1 = make(cube12, 2, p1, 3);
  for (int method = 0; method < 2; method++) {
    mb_band *b;
    MB_OK_OR_FAIL(mb_band_create(s0, s1, 3, (mb_interpolation)method, &b));
    int n;
    MB_OK_OR_FAIL(mb_band_nimages(b, &n));
    ck_assert_int_eq(n, 5);
    double x[6], coord[5];
    image_positions(b, 0, x);
    for (int q = 0; q < 6; q++) ck_assert_double_eq_tol(x[q], p0[q], 1e-12);
    image_positions(b, 4, x);
    for (int q = 0; q < 6; q++) ck_assert_double_eq_tol(x[q], p1[q], 1e-12);
    for (int i = 1; i < 4; i++) {
      image_positions(b, i, x);
      double want = 11.5 + 0.25 * i; /* the straight line (IDPP keeps it: 2 atoms far apart) */
      ck_assert_double_eq_tol(x[0], want, 1e-3);
      ck_assert_double_eq_tol(x[1], 6, 1e-3);
      ck_assert_double_eq_tol(x[3], 3, 1e-3);
    }
    MB_OK_OR_FAIL(mb_band_path(b, coord, NULL));
    ck_assert_double_eq_tol(coord[4], 1.0, 1e-3);
    mb_band_free(b);
  }
  mb_structure_free(s0);
  mb_structure_free(s1);
}
END_TEST

static double min_distance(const double *x, int natoms) {
  double best = INFINITY;
  for (int a = 0; a < natoms; a++)
    for (int c = a + 1; c < natoms; c++) {
      double v[3];
      for (int k = 0; k < 3; k++) v[k] = x[3 * c + k] - x[3 * a + k];
      mic(cube12, v);
      best = fmin(best, sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]));
    }
  return best;
}

/* Two atoms swapping places beside two spectators (make_reference.py, crowded()):
 * the straight line takes them within 0.2 A of each other; IDPP must keep every
 * pair at least as far apart as the line does, image by image, and, compared
 * with ASE 3.22's NEB.interpolate('idpp', mic=True) (idpp.ref: the smallest pair
 * distance per image), its closest approach over the path must be no shorter
 * than 0.9 times ASE's (ours is converged further than ASE's 100 MDMin steps). */
START_TEST(test_idpp_crowded) {
  double p0[12] = {5, 5, 5, 7.5, 5, 5, 6.25, 8, 5, 6.25, 2, 5.5};
  double p1[12] = {7.5, 5.2, 5, 5, 4.8, 5, 6.25, 8, 5, 6.25, 2, 5.5};
  mb_structure *s0 = make(cube12, 4, p0, 29), *s1 = make(cube12, 4, p1, 29);
  mb_band *lin, *idpp;
  MB_OK_OR_FAIL(mb_band_create(s0, s1, 5, MB_INTERPOLATION_LINEAR, &lin));
  MB_OK_OR_FAIL(mb_band_create(s0, s1, 5, MB_INTERPOLATION_IDPP, &idpp));
  char path[1024], line[256];
  FILE *f = fopen(mb_test_data("neb/idpp.ref", path, sizeof path), "r");
  ck_assert_ptr_nonnull(f);
  ck_assert_ptr_nonnull(fgets(line, sizeof line, f));
  ck_assert_ptr_nonnull(fgets(line, sizeof line, f));
  double ase_min = INFINITY, ours_min = INFINITY;
  for (int i = 0; i < 7; i++) {
    double xl[12], xi[12], d;
    ck_assert_int_eq(fscanf(f, "%lf", &d), 1);
    ase_min = fmin(ase_min, d);
    image_positions(lin, i, xl);
    image_positions(idpp, i, xi);
    double dl = min_distance(xl, 4), di = min_distance(xi, 4);
    ck_assert_msg(di >= dl - 1e-9, "image %d: IDPP %.3f A < linear %.3f A", i, di, dl);
    ours_min = fmin(ours_min, di);
    if (i == 0 || i == 6)
      for (int q = 0; q < 12; q++) ck_assert_double_eq_tol(xi[q], i ? p1[q] : p0[q], 1e-12);
    else if (i == 3)
      ck_assert(dl < 0.25 && di > 2.0);
  }
  fclose(f);
  printf("IDPP crowded swap: closest approach %.3f A (ASE 3.22: %.3f A, linear 0.2 A)\n",
         ours_min, ase_min);
  ck_assert(ours_min >= 0.9 * ase_min);
  mb_band_free(lin);
  mb_band_free(idpp);
  mb_structure_free(s0);
  mb_structure_free(s1);
}
END_TEST

/* ---- runs ------------------------------------------------------------------ */

typedef struct logbook {
  int lines, last_step;
  double last_fmax;
  int bad;
} logbook;

static void log_fn(mb_log_level level, const char *message, void *user) {
  logbook *lb = user;
  int step;
  double fmax, barrier, t;
  if (level != MB_LOG_INFO) return;
  if (strncmp(message, "step", 4)) return;
  if (sscanf(message, "step %d  fmax %lf eV/A  barrier %lf eV  %lf s", &step, &fmax, &barrier,
             &t) != 4 ||
      step != lb->last_step + 1)
    lb->bad++;
  lb->lines++;
  lb->last_step = step;
  lb->last_fmax = fmax;
}

/* Every optimiser converges the reference band on the Morse cluster (smooth
 * cutoff), end points relaxed first, delayed climbing image; the log has one
 * well-formed line per step. */
START_TEST(test_run_converges) {
  morse m;
  mb_band *b = reference_band(&m);
  m.smooth = 1;
  logbook lb = {0};
  MB_OK_OR_FAIL(mb_band_set_log(b, log_fn, &lb));
  MB_OK_OR_FAIL(mb_band_set_option(b, MB_BAND_OPTIMIZER, _i));
  MB_OK_OR_FAIL(mb_band_set_option(b, MB_BAND_CLIMB, 2));
  MB_OK_OR_FAIL(mb_band_set_option(b, MB_BAND_RELAX_ENDPOINTS, 1));
  MB_OK_OR_FAIL(mb_band_set_option(b, MB_BAND_MAX_STEPS, 3000));
  MB_OK_OR_FAIL(mb_band_run(b));
  int steps, converged, saddle;
  long moving, ends;
  double fmax, fwd, bwd, e[16], f[48];
  MB_OK_OR_FAIL(mb_band_stats(b, &steps, &moving, &ends, &fmax, &converged));
  ck_assert(converged && fmax < 0.05);
  ck_assert_int_eq(lb.lines, steps);
  ck_assert_int_eq(lb.bad, 0);
  ck_assert(ends > 2); /* the end points were relaxed first */
  ck_assert_int_eq(moving + ends, m.calls);
  MB_OK_OR_FAIL(mb_band_barrier(b, &fwd, &bwd, &saddle));
  MB_OK_OR_FAIL(mb_band_energies(b, e));
  for (int i = 0; i < ref.nimages; i++) ck_assert(e[i] <= e[saddle]);
  ck_assert_double_eq_tol(fwd, e[saddle] - e[0], 1e-12);
  ck_assert_double_eq_tol(bwd, e[saddle] - e[ref.nimages - 1], 1e-12);
  /* at the climbing image (the highest intermediate one) the true force on the
   * free atoms is below fmax too */
  int ci = 1;
  for (int i = 2; i < ref.nimages - 1; i++)
    if (e[i] > e[ci]) ci = i;
  MB_OK_OR_FAIL(mb_band_forces(b, ci, 0, f));
  for (int a = 2; a < ref.natoms; a++)
    ck_assert(sqrt(f[3 * a] * f[3 * a] + f[3 * a + 1] * f[3 * a + 1] +
                   f[3 * a + 2] * f[3 * a + 2]) < 0.05);
  printf("Morse band, optimiser %d: %d steps, %ld moving-image calls\n", _i, steps, moving);
  /* running a converged band again does nothing */
  MB_OK_OR_FAIL(mb_band_run(b));
  long moving2;
  MB_OK_OR_FAIL(mb_band_stats(b, NULL, &moving2, NULL, NULL, NULL));
  ck_assert_int_eq(moving2, moving);
  mb_band_free(b);
}
END_TEST

/* The profile passes through the image energies at the image coordinates, and
 * its slope there is minus the tangential force. */
START_TEST(test_profile) {
  morse m;
  mb_band *b = reference_band(&m);
  MB_OK_OR_FAIL(mb_band_evaluate(b));
  int n = ref.nimages;
  double s[16], ft[16], e[16], pc[2], pe[2];
  MB_OK_OR_FAIL(mb_band_path(b, s, ft));
  MB_OK_OR_FAIL(mb_band_energies(b, e));
  ck_assert(s[0] == 0);
  for (int i = 1; i < n; i++) ck_assert(s[i] > s[i - 1]);
  MB_OK_OR_FAIL(mb_band_profile(b, 2, pc, pe));
  ck_assert_double_eq_tol(pc[1], s[n - 1], 1e-12);
  ck_assert_double_eq_tol(pe[0], e[0], 1e-12);
  ck_assert_double_eq_tol(pe[1], e[n - 1], 1e-12);
  /* dense profile: values at the image coordinates and finite-difference slopes */
  int np = 20001;
  double *c = malloc(np * sizeof *c), *pr = malloc(np * sizeof *pr);
  MB_OK_OR_FAIL(mb_band_profile(b, np, c, pr));
  double ds = s[n - 1] / (np - 1);
  for (int i = 1; i < n - 1; i++) {
    int p = (int)lround(s[i] / ds);
    ck_assert_double_eq_tol(pr[p], e[i], fabs(ft[i]) * ds * 1.01 + 1e-9);
  }
  double slope0 = (pr[1] - pr[0]) / ds;
  ck_assert_double_eq_tol(slope0, -ft[0], 1e-2 * (1 + fabs(ft[0])));
  free(c);
  free(pr);
  mb_band_free(b);
}
END_TEST

static void run_steps(int threads, int batch, int optimizer, double *pos, double *energy) {
  morse m;
  mb_band *b = reference_band(&m);
  if (batch) MB_OK_OR_FAIL(mb_band_set_batch_callback(b, morse_batch, &m));
  MB_OK_OR_FAIL(mb_band_set_option(b, MB_BAND_THREADS, threads));
  MB_OK_OR_FAIL(mb_band_set_option(b, MB_BAND_OPTIMIZER, optimizer));
  MB_OK_OR_FAIL(mb_band_set_option(b, MB_BAND_MAX_STEPS, 8));
  ck_assert_int_eq(mb_band_run(b), MB_ERR_NOT_CONVERGED);
  ck_assert_msg(strstr(mb_last_error(), "largest NEB force") != NULL, "%s", mb_last_error());
  for (int i = 0; i < ref.nimages; i++) image_positions(b, i, pos + i * 3 * ref.natoms);
  MB_OK_OR_FAIL(mb_band_energies(b, energy));
  long moving;
  MB_OK_OR_FAIL(mb_band_stats(b, NULL, &moving, NULL, NULL, NULL));
  ck_assert_int_eq(moving, 9 * (ref.nimages - 2));
  mb_band_free(b);
}

/* Results do not depend on the thread count nor on batching (bit for bit). */
START_TEST(test_threads_and_batch) {
  static double p1[16 * 48], p4[16 * 48], pb[16 * 48], e1[16], e4[16], eb[16];
  for (int opt = 0; opt < 3; opt++) {
    run_steps(1, 0, opt, p1, e1);
    run_steps(4, 0, opt, p4, e4);
    run_steps(0, 0, opt, p4, e4);
    run_steps(1, 1, opt, pb, eb);
    size_t np = (size_t)ref.nimages * 3 * ref.natoms;
    ck_assert(memcmp(p1, p4, np * sizeof(double)) == 0);
    ck_assert(memcmp(p1, pb, np * sizeof(double)) == 0);
    ck_assert(memcmp(e1, e4, ref.nimages * sizeof(double)) == 0);
    ck_assert(memcmp(e1, eb, ref.nimages * sizeof(double)) == 0);
  }
}
END_TEST

static int stop_at_3(const mb_band *b, int step, void *user) {
  (void)b;
  *(int *)user = step;
  return step == 3;
}

START_TEST(test_stop_and_continue) {
  morse m;
  mb_band *b = reference_band(&m);
  m.smooth = 1;
  int seen = 0, steps;
  MB_OK_OR_FAIL(mb_band_set_step_callback(b, stop_at_3, &seen));
  ck_assert_int_eq(mb_band_run(b), MB_ERR_STOPPED);
  MB_OK_OR_FAIL(mb_band_stats(b, &steps, NULL, NULL, NULL, NULL));
  ck_assert_int_eq(steps, 3);
  ck_assert_int_eq(seen, 3);
  MB_OK_OR_FAIL(mb_band_set_step_callback(b, NULL, NULL));
  MB_OK_OR_FAIL(mb_band_set_option(b, MB_BAND_MAX_STEPS, 2));
  ck_assert_int_eq(mb_band_run(b), MB_ERR_NOT_CONVERGED);
  MB_OK_OR_FAIL(mb_band_stats(b, &steps, NULL, NULL, NULL, NULL));
  ck_assert_int_eq(steps, 5);
  MB_OK_OR_FAIL(mb_band_set_option(b, MB_BAND_MAX_STEPS, 1000));
  MB_OK_OR_FAIL(mb_band_run(b));
  mb_band_free(b);
}
END_TEST

/* the relaxation's progress: a line per optimiser step of each end point, then one with
 * the energy gained */
typedef struct relax_log {
  int steps[2], done[2], bad;
} relax_log;

static void relax_log_fn(mb_log_level level, const char *message, void *user) {
  relax_log *rl = user;
  char which[16];
  int step;
  double fmax, e, t;
  if (level != MB_LOG_INFO) return;
  if (sscanf(message, "relaxing the %15s end point: step %d  fmax %lf eV/A  energy %lf eV  "
             "%lf s", which, &step, &fmax, &e, &t) == 5) {
    int i = !strcmp(which, "final");
    if (step != rl->steps[i] || rl->done[i]) rl->bad++;
    rl->steps[i]++;
  } else if (sscanf(message, "the %15s end point relaxed in %d steps", which, &step) == 2) {
    int i = !strcmp(which, "final");
    if (step != rl->steps[i] - 1) rl->bad++;
    rl->done[i]++;
  }
}

START_TEST(test_relax_endpoints) {
  morse m;
  mb_band *b = reference_band(&m);
  m.smooth = 1;
  relax_log rl = {{0, 0}, {0, 0}, 0};
  MB_OK_OR_FAIL(mb_band_set_log(b, relax_log_fn, &rl));
  MB_OK_OR_FAIL(mb_band_set_option(b, MB_BAND_FMAX, 0.01));
  MB_OK_OR_FAIL(mb_band_relax_endpoints(b));
  ck_assert(rl.steps[0] > 1 && rl.steps[1] > 1 && rl.done[0] == 1 && rl.done[1] == 1);
  ck_assert_int_eq(rl.bad, 0);
  long ends, moving;
  double f[48];
  MB_OK_OR_FAIL(mb_band_stats(b, NULL, &moving, &ends, NULL, NULL));
  ck_assert(ends > 2 && moving == 0);
  MB_OK_OR_FAIL(mb_band_evaluate(b));
  for (int i = 0; i < ref.nimages; i += ref.nimages - 1) {
    MB_OK_OR_FAIL(mb_band_forces(b, i, 0, f));
    for (int q = 6; q < 3 * ref.natoms; q++) ck_assert(fabs(f[q]) < 0.01);
  }
  mb_band_free(b);
}
END_TEST

/* ---- errors ------------------------------------------------------------------ */

START_TEST(test_create_errors) {
  double p0[6] = {1, 1, 1, 3, 3, 3}, p1[6] = {1.5, 1, 1, 3, 3, 3};
  double other[9] = {12, 0, 0, 0, 12.1, 0, 0, 0, 12};
  mb_structure *s0 = make(cube12, 2, p0, 29), *s1 = make(cube12, 2, p1, 29);
  mb_structure *three = make(cube12, 1, p1, 29), *species = make(cube12, 2, p1, 28);
  mb_structure *cell = make(other, 2, p1, 29);
  mb_band *b = NULL;
  ck_assert_int_eq(mb_band_create(s0, three, 3, MB_INTERPOLATION_LINEAR, &b), MB_ERR_INVALID_ARG);
  ck_assert_ptr_nonnull(strstr(mb_last_error(), "atoms"));
  ck_assert_int_eq(mb_band_create(s0, species, 3, MB_INTERPOLATION_LINEAR, &b),
                   MB_ERR_INVALID_ARG);
  ck_assert_ptr_nonnull(strstr(mb_last_error(), "same order"));
  ck_assert_int_eq(mb_band_create(s0, cell, 3, MB_INTERPOLATION_LINEAR, &b), MB_ERR_INVALID_ARG);
  ck_assert_ptr_nonnull(strstr(mb_last_error(), "lattice"));
  ck_assert_int_eq(mb_band_create(s0, s1, 0, MB_INTERPOLATION_LINEAR, &b), MB_ERR_INVALID_ARG);
  ck_assert_int_eq(mb_band_create(s0, s1, 1, (mb_interpolation)7, &b), MB_ERR_INVALID_ARG);
  ck_assert_int_eq(mb_band_create(NULL, s1, 1, MB_INTERPOLATION_LINEAR, &b), MB_ERR_INVALID_ARG);
  const mb_structure *imgs[3] = {s0, s1, species};
  ck_assert_int_eq(mb_band_create_from_images(2, imgs, &b), MB_ERR_INVALID_ARG);
  ck_assert_int_eq(mb_band_create_from_images(3, imgs, &b), MB_ERR_INVALID_ARG);
  ck_assert_ptr_nonnull(strstr(mb_last_error(), "image 2"));
  ck_assert_ptr_null(b);
  mb_band_free(NULL);
  mb_structure_free(s0);
  mb_structure_free(s1);
  mb_structure_free(three);
  mb_structure_free(species);
  mb_structure_free(cell);
}
END_TEST

START_TEST(test_option_errors) {
  morse m;
  mb_band *b = reference_band(&m);
  static const struct {
    mb_band_option key;
    double value;
  } bad[] = {
      {MB_BAND_SPRING, 0},      {MB_BAND_SPRING, -1},       {MB_BAND_SPRING_MIN, 5},
      {MB_BAND_CLIMB, 3},       {MB_BAND_CLIMB, 0.5},       {MB_BAND_CLIMB_FMAX, 0},
      {MB_BAND_FMAX, -0.1},     {MB_BAND_MAX_STEPS, -1},    {MB_BAND_MAX_STEPS, 2.5},
      {MB_BAND_OPTIMIZER, 3},   {MB_BAND_MAX_MOVE, 0},      {MB_BAND_MAX_MOVE, 11},
      {MB_BAND_THREADS, -1},    {MB_BAND_RELAX_ENDPOINTS, 2}, {(mb_band_option)42, 1},
      {MB_BAND_FMAX, NAN},      {MB_BAND_ALLOW_EXCHANGE, 2},
  };
  for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++)
    ck_assert_msg(mb_band_set_option(b, bad[k].key, bad[k].value) == MB_ERR_INVALID_ARG,
                  "option %d = %g accepted", (int)bad[k].key, bad[k].value);
  /* defaults, as the header documents them */
  static const double defaults[11] = {0.1, -1, 0, 0.5, 0.05, 1000, MB_OPTIMIZER_LBFGS, 0.2, 1,
                                      0, 0};
  for (int key = 0; key < 11; key++) {
    double v;
    MB_OK_OR_FAIL(mb_band_get_option(b, (mb_band_option)key, &v));
    ck_assert_double_eq(v, defaults[key]);
  }
  double v;
  ck_assert_int_eq(mb_band_get_option(b, (mb_band_option)11, &v), MB_ERR_INVALID_ARG);
  MB_OK_OR_FAIL(mb_band_set_option(b, MB_BAND_SPRING_MIN, 0.05));
  ck_assert_int_eq(mb_band_set_option(b, MB_BAND_SPRING, 0.01), MB_ERR_INVALID_ARG);
  /* nothing computed yet */
  double f[48], e[16];
  ck_assert_int_eq(mb_band_forces(b, 1, 1, f), MB_ERR_INVALID_ARG);
  ck_assert_int_eq(mb_band_barrier(b, NULL, NULL, NULL), MB_ERR_INVALID_ARG);
  MB_OK_OR_FAIL(mb_band_energies(b, e));
  ck_assert(isnan(e[0]) && isnan(e[2]));
  ck_assert_int_eq(mb_band_forces(b, ref.nimages, 0, f), MB_ERR_RANGE);
  mb_structure *s;
  ck_assert_int_eq(mb_band_image(b, -1, &s), MB_ERR_RANGE);
  ck_assert_int_eq(mb_band_profile(b, 1, f, e), MB_ERR_INVALID_ARG);
  ck_assert_int_eq(mb_band_set_callback(b, NULL, NULL, 0), MB_ERR_INVALID_ARG);
  ck_assert_int_eq(mb_band_set_potential(b, NULL), MB_ERR_INVALID_ARG);
  ck_assert_int_eq(mb_band_set_mpi(b, 0), MB_ERR_UNSUPPORTED);
  ck_assert_int_eq(mb_band_run(NULL), MB_ERR_INVALID_ARG);
  mb_band_free(b);
  /* no provider */
  double p0[3] = {1, 1, 1}, p1[3] = {2, 1, 1};
  mb_structure *s0 = make(cube12, 1, p0, 29), *s1 = make(cube12, 1, p1, 29);
  MB_OK_OR_FAIL(mb_band_create(s0, s1, 1, MB_INTERPOLATION_LINEAR, &b));
  ck_assert_int_eq(mb_band_run(b), MB_ERR_INVALID_ARG);
  ck_assert_ptr_nonnull(strstr(mb_last_error(), "provider"));
  mb_band_free(b);
  mb_structure_free(s0);
  mb_structure_free(s1);
}
END_TEST

START_TEST(test_callback_errors) {
  morse m;
  mb_band *b = reference_band(&m);
  m.fail_after = 5; /* end points are calls 1-2, images 1-3 are 3-5 */
  ck_assert_int_eq(mb_band_evaluate(b), MB_ERR_CALLBACK);
  ck_assert_msg(strstr(mb_last_error(), "image 3") != NULL, "%s", mb_last_error());
  double e[16];
  MB_OK_OR_FAIL(mb_band_energies(b, e));
  ck_assert(isnan(e[3]));
  m.fail_after = 0;
  m.nan_energy = 1;
  ck_assert_int_eq(mb_band_run(b), MB_ERR_CALLBACK);
  ck_assert_msg(strstr(mb_last_error(), "non-finite") != NULL, "%s", mb_last_error());
  m.nan_energy = 0;
  MB_OK_OR_FAIL(mb_band_set_batch_callback(b, morse_batch, &m));
  m.fail_after = (int)m.calls + 1;
  ck_assert_int_eq(mb_band_evaluate(b), MB_ERR_CALLBACK);
  ck_assert_msg(strstr(mb_last_error(), "batch") != NULL, "%s", mb_last_error());
  mb_band_free(b);
}
END_TEST

int main(void) {
  Suite *s = suite_create("band");
  TCase *tc = tcase_create("band");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_ase_forces);
  tcase_add_test(tc, test_weighted_springs);
  tcase_add_test(tc, test_linear_boundary_hop);
  tcase_add_test(tc, test_idpp_crowded);
  tcase_add_loop_test(tc, test_run_converges, 0, 3);
  tcase_add_test(tc, test_profile);
  tcase_add_test(tc, test_threads_and_batch);
  tcase_add_test(tc, test_stop_and_continue);
  tcase_add_test(tc, test_relax_endpoints);
  tcase_add_test(tc, test_create_errors);
  tcase_add_test(tc, test_option_errors);
  tcase_add_test(tc, test_callback_errors);
  suite_add_tcase(s, tc);
  return mb_run_suite(s);
}
