/* Climbing-image NEB on the Muller-Brown surface (Muller & Brown, Theor. Chim.
 * Acta 53, 75 (1979); the standard parameters below), given to the band as a
 * force callback: one atom in a 30 A cube, the surface in x and y, z fixed. Its
 * units are taken as eV and A. Reference saddle points, from the literature and
 * checked by a Newton search on the analytic gradient (tests/data/neb/
 * make_reference.py, muller_brown_saddles):
 *   (-0.82200, 0.62431), E = -40.66484, between (-0.558, 1.442) and (-0.050, 0.467)
 *   ( 0.21249, 0.29299), E = -72.24894, between (-0.050, 0.467) and ( 0.623, 0.028)
 * Tolerances: saddle position 1e-3 A, energy 1e-4 eV, at fmax 1e-3 eV/A, for the
 * three optimisers. The number of force calls is printed for the record. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../testutil.h"

static const double A[4] = {-200, -100, -170, 15}, a_[4] = {-1, -1, -6.5, 0.7},
                    b_[4] = {0, 0, 11, 0.6}, c_[4] = {-10, -10, -6.5, 0.7},
                    mx0[4] = {1, 0, -0.5, -1}, my0[4] = {0, 0.5, 1.5, 1};

static double muller_brown(double x, double y, double *fx, double *fy) {
  double e = 0, gx = 0, gy = 0;
  for (int k = 0; k < 4; k++) {
    double dx = x - mx0[k], dy = y - my0[k];
    double t = A[k] * exp(a_[k] * dx * dx + b_[k] * dx * dy + c_[k] * dy * dy);
    e += t;
    gx += t * (2 * a_[k] * dx + b_[k] * dy);
    gy += t * (b_[k] * dx + 2 * c_[k] * dy);
  }
  *fx = -gx, *fy = -gy;
  return e;
}

static int mb_force(const double *lattice, int natoms, const int *numbers,
                    const double *positions, double *energy, double *forces, void *user) {
  (void)lattice, (void)numbers;
  if (natoms != 1) return 1;
  if (user) (*(long *)user)++;
  *energy = muller_brown(positions[0], positions[1], &forces[0], &forces[1]);
  forces[2] = 0;
  return 0;
}

static mb_structure *point(double x, double y) {
  double lattice[9] = {30, 0, 0, 0, 30, 0, 0, 0, 30}, pos[3] = {x, y, 0};
  int z = 1;
  mb_structure *s;
  MB_OK_OR_FAIL(mb_structure_create(lattice, 1, pos, MB_COORDS_CARTESIAN, &z, &s));
  return s;
}

static void print_log(mb_log_level level, const char *message, void *user) {
  (void)level, (void)user;
  printf("%s\n", message);
}

typedef struct case_ {
  double ix, iy, fx, fy; /* end points */
  double sx, sy, se;     /* saddle */
} case_;

static const case_ cases[2] = {
    {-0.558, 1.442, -0.050, 0.467, -0.82200, 0.62431, -40.66484},
    {-0.050, 0.467, 0.623, 0.028, 0.21249, 0.29299, -72.24894},
};
static const char *names[3] = {"FIRE", "L-BFGS", "ODE"};

static void run_case(const case_ *c, int optimizer, int climb, int relax) {
  mb_structure *s0 = point(c->ix, c->iy), *s1 = point(c->fx, c->fy);
  mb_band *b;
  long calls = 0;
  MB_OK_OR_FAIL(mb_band_create(s0, s1, 7, MB_INTERPOLATION_LINEAR, &b));
  int fixed[3] = {1, 1, 0};
  MB_OK_OR_FAIL(mb_band_set_fixed(b, fixed));
  MB_OK_OR_FAIL(mb_band_set_callback(b, mb_force, &calls, 1));
  MB_OK_OR_FAIL(mb_band_set_option(b, MB_BAND_OPTIMIZER, optimizer));
  MB_OK_OR_FAIL(mb_band_set_option(b, MB_BAND_CLIMB, climb));
  MB_OK_OR_FAIL(mb_band_set_option(b, MB_BAND_FMAX, 1e-3));
  MB_OK_OR_FAIL(mb_band_set_option(b, MB_BAND_SPRING, 1.0));
  MB_OK_OR_FAIL(mb_band_set_option(b, MB_BAND_MAX_MOVE, 0.05));
  MB_OK_OR_FAIL(mb_band_set_option(b, MB_BAND_MAX_STEPS, 20000));
  MB_OK_OR_FAIL(mb_band_set_option(b, MB_BAND_RELAX_ENDPOINTS, relax));
  if (getenv("MB_TEST_VERBOSE")) MB_OK_OR_FAIL(mb_band_set_log(b, print_log, NULL));
  MB_OK_OR_FAIL(mb_band_run(b));
  int steps, converged, saddle, nimages;
  long moving, ends;
  double fmax, fwd, bwd;
  MB_OK_OR_FAIL(mb_band_stats(b, &steps, &moving, &ends, &fmax, &converged));
  ck_assert_int_eq(converged, 1);
  ck_assert(fmax < 1e-3);
  ck_assert_int_eq(moving + ends, calls);
  MB_OK_OR_FAIL(mb_band_barrier(b, &fwd, &bwd, &saddle));
  MB_OK_OR_FAIL(mb_band_nimages(b, &nimages));
  mb_structure *sad;
  MB_OK_OR_FAIL(mb_band_image(b, saddle, &sad));
  double r[3], e[9];
  MB_OK_OR_FAIL(mb_structure_positions(sad, MB_COORDS_CARTESIAN, r));
  MB_OK_OR_FAIL(mb_band_energies(b, e));
  printf("Muller-Brown %s climb=%d relax=%d: saddle (%.5f, %.5f) E %.5f, %d steps, %ld "
         "moving-image calls, %ld end-point calls\n",
         names[optimizer], climb, relax, r[0], r[1], e[saddle], steps, moving, ends);
  ck_assert_double_eq_tol(r[0], c->sx, 1e-3);
  ck_assert_double_eq_tol(r[1], c->sy, 1e-3);
  ck_assert_double_eq_tol(r[2], 0.0, 1e-12); /* z is fixed */
  ck_assert_double_eq_tol(e[saddle], c->se, 1e-4);
  ck_assert_double_eq_tol(fwd, e[saddle] - e[0], 1e-12);
  if (relax) { /* the end points are minima: their forces vanish */
    double f[3];
    for (int i = 0; i < nimages; i += nimages - 1) {
      MB_OK_OR_FAIL(mb_band_forces(b, i, 0, f));
      ck_assert(fabs(f[0]) < 1e-3 && fabs(f[1]) < 1e-3);
    }
    ck_assert(ends > 2);
  } else {
    ck_assert_int_eq(ends, 2);
  }
  mb_structure_free(sad);
  mb_band_free(b);
  mb_structure_free(s0);
  mb_structure_free(s1);
}

START_TEST(test_saddle) {
  int optimizer = _i / 2;
  run_case(&cases[_i % 2], optimizer, 1, 0);
}
END_TEST

/* The delayed climbing image (MB_BAND_CLIMB 2) and relaxed end points reach the
 * same saddle. */
START_TEST(test_delayed_climb_relaxed_ends) {
  run_case(&cases[_i % 2], _i / 2, 2, 1);
}
END_TEST

int main(void) {
  Suite *s = suite_create("muller_brown");
  TCase *tc = tcase_create("neb");
  tcase_set_timeout(tc, 60);
  tcase_add_loop_test(tc, test_saddle, 0, 6);
  tcase_add_loop_test(tc, test_delayed_climb_relaxed_ends, 0, 6);
  suite_add_tcase(s, tc);
  return mb_run_suite(s);
}
