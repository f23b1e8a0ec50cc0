/* What a band must refuse or survive (issue 12):
 *  - end points that are not the same system atom by atom: atoms that swap places
 *    (two, or three in a cycle) are refused before the first step with a message
 *    naming them, accepted with a warning under MB_BAND_ALLOW_EXCHANGE; ordinary
 *    hops (a vacancy-like hop, a collinear kick-out) are not flagged;
 *  - a band in which every coordinate is fixed is refused;
 *  - messages about the final end point say "final", not "image 1";
 *  - mb_band_free from the band's own force, step or log callback (also from a
 *    worker thread) during mb_band_run / mb_band_evaluate frees nothing the run
 *    still uses: the run stops with MB_ERR_STOPPED and "freed during" and the band
 *    is released as it returns (leaks and invalid accesses show under make
 *    check-asan); setters and a nested run refuse while the band runs. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../testutil.h"

static const double cube[9] = {10, 0, 0, 0, 10, 0, 0, 0, 10};

/* A loose 2x2x2 simple-cubic cluster of 8 atoms (spacing 2.5 A) in a 10 A box. */
static void cluster(double *x) {
  for (int a = 0; a < 8; a++) {
    x[3 * a] = 3 + 2.5 * (a & 1);
    x[3 * a + 1] = 3 + 2.5 * ((a >> 1) & 1);
    x[3 * a + 2] = 3 + 2.5 * ((a >> 2) & 1);
  }
}

static mb_structure *make(const double *x, int natoms, const int *z) {
  mb_structure *s;
  MB_OK_OR_FAIL(mb_structure_create(cube, natoms, x, MB_COORDS_CARTESIAN, z, &s));
  return s;
}

static const int cu8[8] = {29, 29, 29, 29, 29, 29, 29, 29};

typedef struct logbook {
  int warnings;
  char last[1024];
} logbook;

static void log_fn(mb_log_level level, const char *message, void *user) {
  logbook *lb = user;
  if (level == MB_LOG_WARNING) {
    lb->warnings++;
    snprintf(lb->last, sizeof lb->last, "%s", message);
  }
}

/* A band from x0 to x1 with the LJ potential (sigma 2.2 A), linear path. */
static mb_band *band(const double *x0, const double *x1, const int *z, mb_potential **pot) {
  mb_structure *s0 = make(x0, 8, z), *s1 = make(x1, 8, z);
  mb_band *b;
  MB_OK_OR_FAIL(mb_band_create(s0, s1, 3, MB_INTERPOLATION_LINEAR, &b));
  mb_structure_free(s0);
  mb_structure_free(s1);
  MB_OK_OR_FAIL(mb_potential_create(MB_POTENTIAL_LJ, pot));
  MB_OK_OR_FAIL(mb_potential_set(*pot, MB_POTENTIAL_SIGMA, 2.2));
  MB_OK_OR_FAIL(mb_potential_set(*pot, MB_POTENTIAL_CUTOFF, 4.9));
  MB_OK_OR_FAIL(mb_band_set_potential(b, *pot));
  MB_OK_OR_FAIL(mb_band_set_option(b, MB_BAND_MAX_STEPS, 3));
  return b;
}

static void swap_atoms(double *x, int a, int c) {
  for (int k = 0; k < 3; k++) {
    double t = x[3 * a + k];
    x[3 * a + k] = x[3 * c + k];
    x[3 * c + k] = t;
  }
}

/* Atom 7 hops 1.2 A outwards: fine. The same final structure listing atoms 2 and 5
 * in the other order: refused, both named; allowed with a warning. */
START_TEST(test_swapped_pair) {
  double x0[24], x1[24];
  cluster(x0);
  memcpy(x1, x0, sizeof x1);
  x1[21] += 1.2;
  mb_potential *p;
  mb_band *b = band(x0, x1, cu8, &p);
  logbook lb = {0};
  MB_OK_OR_FAIL(mb_band_set_log(b, log_fn, &lb));
  mb_status st = mb_band_run(b);
  ck_assert_msg(st == MB_OK || st == MB_ERR_NOT_CONVERGED, "%d: %s", st, mb_last_error());
  ck_assert_int_eq(lb.warnings, 0);
  mb_band_free(b);
  mb_potential_free(p);

  swap_atoms(x1, 2, 5);
  b = band(x0, x1, cu8, &p);
  ck_assert_int_eq(mb_band_run(b), MB_ERR_GEOMETRY);
  const char *msg = mb_last_error();
  printf("swapped pair: %s\n", msg);
  ck_assert_ptr_nonnull(strstr(msg, "atoms 2 (Cu) and 5 (Cu) swap places"));
  ck_assert_ptr_nonnull(strstr(msg, "not the same system"));
  ck_assert_ptr_nonnull(strstr(msg, "MB_BAND_ALLOW_EXCHANGE"));
  int steps;
  long calls;
  MB_OK_OR_FAIL(mb_band_stats(b, &steps, &calls, NULL, NULL, NULL));
  ck_assert(steps == 0 && calls == 0); /* refused before anything was computed */
  lb.warnings = 0;
  MB_OK_OR_FAIL(mb_band_set_log(b, log_fn, &lb));
  MB_OK_OR_FAIL(mb_band_set_option(b, MB_BAND_ALLOW_EXCHANGE, 1));
  st = mb_band_run(b);
  ck_assert_msg(st == MB_OK || st == MB_ERR_NOT_CONVERGED, "%d: %s", st, mb_last_error());
  ck_assert_int_eq(lb.warnings, 1);
  ck_assert_ptr_nonnull(strstr(lb.last, "atoms 2 (Cu) and 5 (Cu) swap places"));
  mb_band_free(b);
  mb_potential_free(p);
}
END_TEST

/* Atoms of different elements that exchange places, and a three-atom cycle. */
START_TEST(test_exchange_and_cycle) {
  double x0[24], x1[24];
  int z[8] = {3, 3, 3, 3, 8, 8, 8, 8};
  cluster(x0);
  memcpy(x1, x0, sizeof x1);
  swap_atoms(x1, 1, 6);
  mb_potential *p;
  mb_band *b = band(x0, x1, z, &p);
  ck_assert_int_eq(mb_band_run(b), MB_ERR_GEOMETRY);
  ck_assert_msg(strstr(mb_last_error(), "atoms 1 (Li) and 6 (O) swap places") &&
                    strstr(mb_last_error(), "different elements"),
                "%s", mb_last_error());
  mb_band_free(b);
  mb_potential_free(p);

  memcpy(x1, x0, sizeof x1);
  swap_atoms(x1, 0, 3); /* 0 <- 3, 3 <- 0 */
  swap_atoms(x1, 3, 5); /* now 0 ends at 3's site, 3 at 5's, 5 at 0's */
  b = band(x0, x1, cu8, &p);
  ck_assert_int_eq(mb_band_run(b), MB_ERR_GEOMETRY);
  printf("three-atom cycle: %s\n", mb_last_error());
  ck_assert_msg(strstr(mb_last_error(), "cycle") && strstr(mb_last_error(), " 0 (Cu") &&
                    strstr(mb_last_error(), " 3 (Cu") && strstr(mb_last_error(), " 5 (Cu"),
                "%s", mb_last_error());
  mb_band_free(b);
  mb_potential_free(p);
}
END_TEST

/* A collinear kick-out: atom 0 moves onto atom 1's site while atom 1 moves on by
 * the same distance. Relabelling saves nothing: not flagged. */
START_TEST(test_kickout_not_flagged) {
  double x0[24], x1[24];
  cluster(x0);
  memcpy(x1, x0, sizeof x1);
  x1[0] += 2.5; /* atom 0 to atom 1's site */
  x1[3] += 2.5; /* atom 1 on, outwards */
  mb_potential *p;
  mb_band *b = band(x0, x1, cu8, &p);
  mb_status st = mb_band_run(b);
  ck_assert_msg(st == MB_OK || st == MB_ERR_NOT_CONVERGED, "%d: %s", st, mb_last_error());
  mb_band_free(b);
  mb_potential_free(p);
}
END_TEST

START_TEST(test_all_fixed) {
  double x0[24], x1[24];
  int flags[24] = {0};
  cluster(x0);
  memcpy(x1, x0, sizeof x1);
  x1[21] += 1.2;
  mb_potential *p;
  mb_band *b = band(x0, x1, cu8, &p);
  MB_OK_OR_FAIL(mb_band_set_fixed(b, flags));
  ck_assert_int_eq(mb_band_run(b), MB_ERR_INVALID_ARG);
  ck_assert_msg(strstr(mb_last_error(), "every coordinate") != NULL, "%s", mb_last_error());
  /* the hopping atom fixed, the others free: a warning, and the run goes on */
  for (int q = 0; q < 21; q++) flags[q] = 1;
  MB_OK_OR_FAIL(mb_band_set_fixed(b, flags));
  logbook lb = {0};
  MB_OK_OR_FAIL(mb_band_set_log(b, log_fn, &lb));
  mb_status st = mb_band_run(b);
  ck_assert_msg(st == MB_OK || st == MB_ERR_NOT_CONVERGED, "%d: %s", st, mb_last_error());
  ck_assert_int_eq(lb.warnings, 1);
  ck_assert_ptr_nonnull(strstr(lb.last, "atom 7 (Cu) has fixed coordinates but moves 1.20 A"));
  mb_band_free(b);
  mb_potential_free(p);
}
END_TEST

/* Messages about the final end point name it. */
START_TEST(test_final_named) {
  double x0[24], x1[24];
  int z[8] = {29, 29, 29, 29, 29, 29, 29, 28};
  cluster(x0);
  memcpy(x1, x0, sizeof x1);
  mb_structure *s0 = make(x0, 8, cu8), *s1 = make(x1, 8, z), *s7 = make(x1, 7, cu8);
  mb_band *b = NULL;
  ck_assert_int_eq(mb_band_create(s0, s1, 3, MB_INTERPOLATION_IDPP, &b), MB_ERR_INVALID_ARG);
  ck_assert_msg(strstr(mb_last_error(), "atom 7 is Ni (Z = 28) in the final structure but Cu"),
                "%s", mb_last_error());
  ck_assert_ptr_null(strstr(mb_last_error(), "image 1"));
  ck_assert_int_eq(mb_band_create(s0, s7, 3, MB_INTERPOLATION_IDPP, &b), MB_ERR_INVALID_ARG);
  ck_assert_msg(strstr(mb_last_error(), "the final structure has 7 atoms"), "%s",
                mb_last_error());
  const mb_structure *imgs[3] = {s0, s0, s1};
  ck_assert_int_eq(mb_band_create_from_images(3, imgs, &b), MB_ERR_INVALID_ARG);
  ck_assert_msg(strstr(mb_last_error(), "image 2 (the final end point)"), "%s", mb_last_error());
  ck_assert_ptr_null(b);
  mb_structure_free(s0);
  mb_structure_free(s1);
  mb_structure_free(s7);
}
END_TEST

/* ---- freeing a band from its own callbacks ------------------------------------ */

typedef struct freer {
  mb_band *band;
  int after;      /* the force callback frees on this call (0: never) */
  int after_step; /* the step callback frees after this step */
  long calls;
  int running; /* mb_band_is_running as the callback saw it */
  mb_status nested, setter;
  int thread_safe;
} freer;

/* A harmonic well around x = 5 A for every coordinate (any smooth surface does).
 * Frees the band on call number fr->after. */
static int force_fn(const double *lattice, int natoms, const int *numbers,
                    const double *positions, double *energy, double *forces, void *user) {
  freer *fr = user;
  long call = __atomic_add_fetch(&fr->calls, 1, __ATOMIC_SEQ_CST);
  double e = 0;
  for (int q = 0; q < 3 * natoms; q++) {
    double d = positions[q] - 5;
    e += 0.5 * d * d;
    forces[q] = -d;
  }
  *energy = e;
  if (call == fr->after) mb_band_free(fr->band);
  return 0;
}

static int step_fn(const mb_band *b, int step, void *user) {
  freer *fr = user;
  mb_band_is_running(b, &fr->running);
  fr->nested = mb_band_run((mb_band *)b);
  fr->setter = mb_band_set_option((mb_band *)b, MB_BAND_OPTIMIZER, MB_OPTIMIZER_FIRE);
  if (step == fr->after_step) mb_band_free((mb_band *)b);
  return 0;
}

static void log_free(mb_log_level level, const char *message, void *user) {
  freer *fr = user;
  if (strncmp(message, "step 2 ", 7) == 0) mb_band_free(fr->band);
}

static mb_band *free_band(freer *fr, int threads) {
  double x0[24], x1[24];
  cluster(x0);
  memcpy(x1, x0, sizeof x1);
  x1[21] += 1.2;
  mb_structure *s0 = make(x0, 8, cu8), *s1 = make(x1, 8, cu8);
  mb_band *b;
  MB_OK_OR_FAIL(mb_band_create(s0, s1, 5, MB_INTERPOLATION_LINEAR, &b));
  mb_structure_free(s0);
  mb_structure_free(s1);
  fr->band = b;
  MB_OK_OR_FAIL(mb_band_set_callback(b, force_fn, fr, threads > 1));
  MB_OK_OR_FAIL(mb_band_set_option(b, MB_BAND_THREADS, threads));
  MB_OK_OR_FAIL(mb_band_set_option(b, MB_BAND_FMAX, 1e-9));
  MB_OK_OR_FAIL(mb_band_set_option(b, MB_BAND_MAX_STEPS, 50));
  return b;
}

/* _i: 0 = the force callback frees on call 9 (one thread), 1 = the same from one
 * of 4 worker threads, 2 = the step callback frees after step 2, 3 = the log
 * callback frees on the line of step 2, 4 = the force callback frees during
 * mb_band_evaluate. */
START_TEST(test_free_in_callback) {
  freer fr = {0};
  mb_band *b = free_band(&fr, _i == 1 ? 4 : 1);
  if (_i <= 1 || _i == 4) fr.after = 9;
  if (_i == 2) {
    fr.after_step = 2;
    MB_OK_OR_FAIL(mb_band_set_step_callback(b, step_fn, &fr));
  }
  if (_i == 3) MB_OK_OR_FAIL(mb_band_set_log(b, log_free, &fr));
  int running = -1;
  MB_OK_OR_FAIL(mb_band_is_running(b, &running));
  ck_assert_int_eq(running, 0);
  mb_status st = _i == 4 ? mb_band_evaluate(b) : mb_band_run(b);
  if (_i == 4) { /* 7 images: the end points are calls 1-2, the run frees on call 9 */
    ck_assert_int_eq(st, MB_OK);
    st = mb_band_evaluate(b);
  }
  ck_assert_int_eq(st, MB_ERR_STOPPED);
  printf("freed in callback %d: %s\n", _i, mb_last_error());
  ck_assert_msg(strstr(mb_last_error(), _i == 4 ? "the band was freed during mb_band_evaluate"
                                                : "the band was freed during mb_band_run"),
                "%s", mb_last_error());
  ck_assert_ptr_nonnull(strstr(mb_last_error(), "released when the run returns"));
  if (_i == 2) {
    ck_assert_int_eq(fr.running, 1);
    ck_assert_int_eq(fr.nested, MB_ERR_INVALID_ARG);
    ck_assert_int_eq(fr.setter, MB_ERR_INVALID_ARG);
  }
  /* b is gone: asan/valgrind would report a leak or a second free otherwise */
}
END_TEST

int main(void) {
  Suite *s = suite_create("checks");
  TCase *tc = tcase_create("checks");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_swapped_pair);
  tcase_add_test(tc, test_exchange_and_cycle);
  tcase_add_test(tc, test_kickout_not_flagged);
  tcase_add_test(tc, test_all_fixed);
  tcase_add_test(tc, test_final_named);
  tcase_add_loop_test(tc, test_free_in_callback, 0, 5);
  suite_add_tcase(s, tc);
  return mb_run_suite(s);
}
