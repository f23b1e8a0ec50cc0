/* IDPP paths (lib/neb/idpp.c) against ASE 3.22's, and stopping IDPP from the step
 * callback (how Ctrl-C reaches it in migbar neb).
 *
 * Reference: tests/data/neb/idpp_vacancy.ref, written by make_idpp_reference.py: a
 * vacancy hop in a 107-atom fcc Cu cell, ASE's IDPP over all pairs converged to
 * fmax 1e-4. libmigbar sums over the pairs within 8 A only, with the improved
 * tangent instead of ASE's 'aseneb' one, and stops at a per-atom force of 1e-3.
 * Tolerance: every atom of every moving image within 0.02 A of ASE's position
 * (found: 0.005 A; IDPP itself moves atoms up to 0.1 A off the straight line here,
 * which the test checks too, so the agreement is not that of two straight lines). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../testutil.h"

#define TOL 0.02 /* A */

typedef struct path {
  int natoms, nimages;
  double cell[9];
  int z[128];
  double pos[7][3 * 128];
} path;

static path ref;

static void load(void) {
  char name[1024], line[512];
  FILE *f = fopen(mb_test_data("neb/idpp_vacancy.ref", name, sizeof name), "r");
  ck_assert_msg(f != NULL, "cannot open %s", name);
  ck_assert_ptr_nonnull(fgets(line, sizeof line, f));
  ck_assert_int_eq(fscanf(f, " natoms %d nimages %d", &ref.natoms, &ref.nimages), 2);
  ck_assert(ref.natoms <= 128 && ref.nimages == 7);
  for (int c = 0; c < 9; c++) ck_assert_int_eq(fscanf(f, "%lf", &ref.cell[c]), 1);
  for (int a = 0; a < ref.natoms; a++) ck_assert_int_eq(fscanf(f, "%d", &ref.z[a]), 1);
  for (int i = 0; i < ref.nimages; i++)
    for (int q = 0; q < 3 * ref.natoms; q++)
      ck_assert_int_eq(fscanf(f, "%lf", &ref.pos[i][q]), 1);
  fclose(f);
}

static mb_band *make_band(mb_interpolation how) {
  mb_structure *s0, *s1;
  MB_OK_OR_FAIL(mb_structure_create(ref.cell, ref.natoms, ref.pos[0], MB_COORDS_CARTESIAN,
                                    ref.z, &s0));
  MB_OK_OR_FAIL(mb_structure_create(ref.cell, ref.natoms, ref.pos[ref.nimages - 1],
                                    MB_COORDS_CARTESIAN, ref.z, &s1));
  mb_band *b;
  MB_OK_OR_FAIL(mb_band_create(s0, s1, ref.nimages - 2, how, &b));
  mb_structure_free(s0);
  mb_structure_free(s1);
  return b;
}

/* Largest distance (minimum image, cubic cell) between the atoms of image i of b
 * and the positions x. */
static double worst(const mb_band *b, int i, const double *x) {
  mb_structure *s;
  double p[3 * 128], m = 0;
  MB_OK_OR_FAIL(mb_band_image(b, i, &s));
  MB_OK_OR_FAIL(mb_structure_positions(s, MB_COORDS_CARTESIAN, p));
  mb_structure_free(s);
  for (int a = 0; a < ref.natoms; a++) {
    double d2 = 0;
    for (int k = 0; k < 3; k++) {
      double l = ref.cell[4 * k], v = p[3 * a + k] - x[3 * a + k];
      v -= l * round(v / l);
      d2 += v * v;
    }
    m = fmax(m, sqrt(d2));
  }
  return m;
}

START_TEST(test_against_ase) {
  load();
  mb_band *idpp = make_band(MB_INTERPOLATION_IDPP), *lin = make_band(MB_INTERPOLATION_LINEAR);
  double dev = 0, off = 0;
  for (int i = 1; i < ref.nimages - 1; i++) {
    dev = fmax(dev, worst(idpp, i, ref.pos[i]));
    off = fmax(off, worst(lin, i, ref.pos[i]));
  }
  printf("IDPP vacancy hop (107 atoms): libmigbar within %.4f A of ASE's converged path "
         "(the straight line is %.4f A from it)\n", dev, off);
  ck_assert_msg(dev < TOL, "IDPP path %.4f A from ASE's (tolerance %g A)", dev, TOL);
  ck_assert(off > 2.5 * TOL); /* IDPP does move the atoms off the line here (0.1 A) */
  /* mb_band_interpolate makes the same path again on a linear band */
  MB_OK_OR_FAIL(mb_band_interpolate(lin, MB_INTERPOLATION_IDPP));
  for (int i = 1; i < ref.nimages - 1; i++) {
    mb_structure *s;
    double p[3 * 128];
    MB_OK_OR_FAIL(mb_band_image(idpp, i, &s));
    MB_OK_OR_FAIL(mb_structure_positions(s, MB_COORDS_CARTESIAN, p));
    mb_structure_free(s);
    ck_assert(worst(lin, i, p) < 1e-9);
  }
  ck_assert_int_eq(mb_band_interpolate(lin, (mb_interpolation)5), MB_ERR_INVALID_ARG);
  mb_band_free(idpp);
  mb_band_free(lin);
}
END_TEST

static int stop_at(const mb_band *b, int step, void *user) {
  int *calls = user;
  ck_assert_int_eq(step, 0); /* IDPP iterations come with step 0 */
  return ++*calls == 3;
}

static int free_at(const mb_band *b, int step, void *user) {
  int *calls = user;
  if (++*calls == 2) mb_band_free((mb_band *)b);
  return 0;
}

/* The step callback stops IDPP (Ctrl-C in migbar neb) and may free the band. */
START_TEST(test_stop) {
  load();
  mb_band *b = make_band(MB_INTERPOLATION_LINEAR);
  int calls = 0;
  MB_OK_OR_FAIL(mb_band_set_step_callback(b, stop_at, &calls));
  ck_assert_int_eq(mb_band_interpolate(b, MB_INTERPOLATION_IDPP), MB_ERR_STOPPED);
  ck_assert_int_eq(calls, 3);
  ck_assert_msg(strstr(mb_last_error(), "IDPP interpolation was stopped"), "%s",
                mb_last_error());
  calls = 0;
  MB_OK_OR_FAIL(mb_band_set_step_callback(b, free_at, &calls));
  ck_assert_int_eq(mb_band_interpolate(b, MB_INTERPOLATION_IDPP), MB_ERR_STOPPED);
  ck_assert_msg(strstr(mb_last_error(), "freed during mb_band_interpolate"), "%s",
                mb_last_error());
}
END_TEST

int main(void) {
  Suite *s = suite_create("idpp");
  TCase *tc = tcase_create("idpp");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_against_ase);
  tcase_add_test(tc, test_stop);
  suite_add_tcase(s, tc);
  return mb_run_suite(s);
}
