/* Hop descriptors (lib/desc/descriptors.c) against train/migbar_train/descriptors.py:
 * tests/data/desc/reference.json holds 32 bands (27 em entries, 5 synthetic corner cases)
 * and their "full" descriptors computed by numpy in float64 (make_reference.py there);
 * every C value must agree within 1e-9 (bit for bit where numpy runs on OpenBLAS with
 * FMA kernels). Then the feature names, the smaller feature sets as prefixes, symmetries
 * that hold exactly, and the errors. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "descutil.h"

START_TEST(numpy_parity) {
  desc_load_refs();
  mb__forest *f = desc_load_forest();
  int n = f->desc.nfeatures, exact = 0, total = 0;
  double worst = 0;
  for (int i = 0; i < desc_nrefs; i++) {
    mb_structure *s = desc_structure(&desc_refs[i]);
    double x[DESC_MAX_FEATURES];
    ck_assert_int_eq(desc_refs[i].nfeatures, n);
    MB_OK_OR_FAIL(mb__desc_compute(&f->desc, s, x));
    for (int k = 0; k < n; k++) {
      double r = desc_refs[i].x[k], err = fabs(x[k] - r);
      char name[64];
      mb__desc_name(&f->desc, k, name, sizeof name);
      ck_assert_msg(err <= 1e-9 * fmax(1, fabs(r)), "input %d feature %d (%s): C %.17g, "
                    "numpy %.17g", i, k, name, x[k], r);
      worst = fmax(worst, err);
      exact += x[k] == r;
      total++;
    }
    mb_structure_free(s);
  }
  printf("descriptors: %d bands x %d features, max |C - numpy| = %.3g, %d of %d values "
         "identical\n", desc_nrefs, n, worst, exact, total);
  mb__forest_free(f);
}
END_TEST

START_TEST(feature_names) {
  mb__forest *f = desc_load_forest();
  char name[64];
  ck_assert_int_eq(f->desc.nfeatures, 90); /* 58 elements, 9 ions, 2, 6, 5 + 2, 8 */
  ck_assert_int_eq(f->desc.nelements, 58);
  mb__desc_name(&f->desc, 0, name, sizeof name);
  ck_assert_str_eq(name, "frac_Al");
  mb__desc_name(&f->desc, 58, name, sizeof name);
  ck_assert_str_eq(name, "ion_Li");
  mb__desc_name(&f->desc, 67, name, sizeof name);
  ck_assert_str_eq(name, "hop_length");
  mb__desc_name(&f->desc, 74, name, sizeof name);
  ck_assert_str_eq(name, "mid_d6");
  mb__desc_name(&f->desc, 79, name, sizeof name);
  ck_assert_str_eq(name, "image4_nn");
  mb__desc_name(&f->desc, 89, name, sizeof name);
  ck_assert_str_eq(name, "ion_fraction");
  mb__forest_free(f);
}
END_TEST

/* "issue" and "path" are prefixes of "full". */
START_TEST(smaller_sets_are_prefixes) {
  desc_load_refs();
  mb__forest *f = desc_load_forest();
  mb__desc d = f->desc;
  mb_structure *s = desc_structure(&desc_refs[3]);
  double full[DESC_MAX_FEATURES], part[DESC_MAX_FEATURES];
  MB_OK_OR_FAIL(mb__desc_compute(&d, s, full));
  int sizes[2] = {58 + 9 + 2 + 6, 58 + 9 + 2 + 6 + 5 + 2};
  for (int set = 0; set < 2; set++) {
    d.set = set;
    d.nfeatures = sizes[set];
    for (int k = 0; k < DESC_MAX_FEATURES; k++) part[k] = -7;
    MB_OK_OR_FAIL(mb__desc_compute(&d, s, part));
    ck_assert_mem_eq(part, full, sizeof(double) * (size_t)sizes[set]);
    ck_assert_double_eq(part[sizes[set]], -7); /* nothing written beyond */
  }
  mb_structure_free(s);
  mb__forest_free(f);
}
END_TEST

/* Reordering host atoms changes nothing (sums, minima and sorts over sets); translating
 * every atom by a lattice vector changes the values by rounding only. */
START_TEST(symmetries) {
  desc_load_refs();
  mb__forest *f = desc_load_forest();
  const mb__desc *d = &f->desc;
  for (int i = 0; i < desc_nrefs; i += 5) {
    mb_structure *s = desc_structure(&desc_refs[i]), *t = NULL, *u = NULL;
    int n;
    MB_OK_OR_FAIL(mb_structure_natoms(s, &n));
    double lat[9], *pos = malloc(sizeof(double) * 3 * (size_t)n);
    double *rev = malloc(sizeof(double) * 3 * (size_t)n);
    int *z = malloc(sizeof(int) * (size_t)n), *zr = malloc(sizeof(int) * (size_t)n);
    MB_OK_OR_FAIL(mb_structure_lattice(s, lat));
    MB_OK_OR_FAIL(mb_structure_positions(s, MB_COORDS_FRACTIONAL, pos));
    MB_OK_OR_FAIL(mb_structure_numbers(s, z));
    for (int a = 0; a < n; a++) {
      int from = a < 5 ? a : n - 1 - (a - 5); /* host reversed */
      memcpy(&rev[3 * a], &pos[3 * from], 3 * sizeof(double));
      zr[a] = z[from];
    }
    MB_OK_OR_FAIL(mb_structure_create(lat, n, rev, MB_COORDS_FRACTIONAL, zr, &t));
    for (int a = 0; a < 3 * n; a++) pos[a] += (a % 3 == 1) ? 1.0 : (a % 3 == 2) ? -2.0 : 0.0;
    MB_OK_OR_FAIL(mb_structure_create(lat, n, pos, MB_COORDS_FRACTIONAL, z, &u));
    double x[DESC_MAX_FEATURES], y[DESC_MAX_FEATURES], w[DESC_MAX_FEATURES];
    MB_OK_OR_FAIL(mb__desc_compute(d, s, x));
    MB_OK_OR_FAIL(mb__desc_compute(d, t, y));
    MB_OK_OR_FAIL(mb__desc_compute(d, u, w));
    ck_assert_mem_eq(x, y, sizeof(double) * (size_t)d->nfeatures);
    for (int k = 0; k < d->nfeatures; k++)
      ck_assert_double_eq_tol(w[k], x[k], 1e-12 * fmax(1, fabs(x[k])));
    mb_structure_free(s), mb_structure_free(t), mb_structure_free(u);
    free(pos), free(rev), free(z), free(zr);
  }
  mb__forest_free(f);
}
END_TEST

START_TEST(errors) {
  mb__forest *f = desc_load_forest();
  const double lat[9] = {6, 0, 0, 0, 6, 0, 0, 0, 6};
  double pos[3 * 12];
  int z[12];
  for (int a = 0; a < 12; a++) {
    pos[3 * a] = a < 5 ? 0.1 * a : 0.05 * a;
    pos[3 * a + 1] = a < 5 ? 0.5 : 0.1 * (a - 5);
    pos[3 * a + 2] = a < 5 ? 0.5 : 0.9 - 0.1 * (a - 5);
    z[a] = a < 5 ? 3 : 8;
  }
  mb_structure *s = NULL;
  double x[DESC_MAX_FEATURES];
  /* 7 host atoms: fine; 5 (fewer than the 6 nearest distances): an error */
  MB_OK_OR_FAIL(mb_structure_create(lat, 12, pos, MB_COORDS_FRACTIONAL, z, &s));
  MB_OK_OR_FAIL(mb__desc_compute(&f->desc, s, x));
  ck_assert_double_eq(x[58], 1.0); /* ion_Li */
  mb_structure_free(s);
  MB_OK_OR_FAIL(mb_structure_create(lat, 10, pos, MB_COORDS_FRACTIONAL, z, &s));
  ck_assert_int_eq(mb__desc_compute(&f->desc, s, x), MB_ERR_INVALID_ARG);
  ck_assert_ptr_nonnull(strstr(mb_last_error(), "5 host atoms, fewer than 6"));
  mb_structure_free(s);
  /* the images must be one element */
  z[3] = 11;
  MB_OK_OR_FAIL(mb_structure_create(lat, 12, pos, MB_COORDS_FRACTIONAL, z, &s));
  ck_assert_int_eq(mb__desc_compute(&f->desc, s, x), MB_ERR_INVALID_ARG);
  ck_assert_msg(strstr(mb_last_error(), "atom 3 is Z = 11"), "%s", mb_last_error());
  mb_structure_free(s);
  mb__forest_free(f);
}
END_TEST

int main(void) {
  Suite *s = suite_create("descriptors");
  TCase *tc = tcase_create("descriptors");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, numpy_parity);
  tcase_add_test(tc, feature_names);
  tcase_add_test(tc, smaller_sets_are_prefixes);
  tcase_add_test(tc, symmetries);
  tcase_add_test(tc, errors);
  suite_add_tcase(s, tc);
  int rc = mb_run_suite(s);
  free(desc_text);
  return rc;
}
