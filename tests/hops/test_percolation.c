/* Percolation of hand-made periodic networks (lib/hops/percolation.c, internal, so the
 * suite links the static library). Every expected barrier and limiting class below is
 * worked out by hand in the comment beside it: a component's dimensionality is the rank
 * of the lattice translations of its cycles. */
#include <math.h>

#include "../testutil.h"
#include "hops/hops.h"

#define H(i, j, a, b, c) {i, j, {a, b, c}}

static void percolate(int nsites, int nhops, const mb__hop *hops, const int *cls, int nclasses,
                      const double *barrier, double out[3], int lim[3]) {
  MB_OK_OR_FAIL(mb__hops_percolate(nsites, nhops, hops, cls, nclasses, barrier, out, lim));
}

/* Two sites 0, 1 (one row per class):
 *   class 0, 0.2 eV: 0 -> 1 in the home cell: joins them, no cycle       -> 0D
 *   class 1, 0.9 eV: 0 -> 0 + (0,1,0): cycle along y
 *   class 2, 0.4 eV: 1 -> 0 + (1,0,0): 0 -> 1 -> 0+x, cycle along x       -> 1D at 0.4
 *   class 3, 0.6 eV: 1 -> 1 + (0,0,1): cycle along z                      -> 2D at 0.6
 *   class 4, 0.5 eV: 0 -> 1 + (1,0,0): cycle 0 -> 1+x -> (via 2) ... again along x: no
 *                    new dimension
 *   then class 1 at 0.9 adds y                                             -> 3D at 0.9 */
START_TEST(two_sites_by_hand) {
  mb__hop hops[] = {H(0, 1, 0, 0, 0), H(0, 0, 0, 1, 0), H(1, 0, 1, 0, 0), H(1, 1, 0, 0, 1),
                    H(0, 1, 1, 0, 0)};
  int cls[] = {0, 1, 2, 3, 4};
  double barrier[] = {0.2, 0.9, 0.4, 0.6, 0.5}, out[3];
  int lim[3];
  percolate(2, 5, hops, cls, 5, barrier, out, lim);
  ck_assert_double_eq(out[0], 0.4);
  ck_assert_double_eq(out[1], 0.6);
  ck_assert_double_eq(out[2], 0.9);
  ck_assert_int_eq(lim[0], 2);
  ck_assert_int_eq(lim[1], 3);
  ck_assert_int_eq(lim[2], 1);
}
END_TEST

/* A finite cluster (a ring 0 -> 1 -> 2 -> 0 inside the cell: its cycle translation is
 * zero) never percolates. */
START_TEST(finite_cluster_never_percolates) {
  mb__hop hops[] = {H(0, 1, 0, 0, 0), H(1, 2, 0, 0, 0), H(0, 2, 0, 0, 0)};
  int cls[] = {0, 0, 1};
  double barrier[] = {0.1, 0.2}, out[3];
  int lim[3];
  percolate(3, 3, hops, cls, 2, barrier, out, lim);
  for (int d = 0; d < 3; d++) {
    ck_assert(isinf(out[d]) && out[d] > 0);
    ck_assert_int_eq(lim[d], -1);
  }
}
END_TEST

/* Cycle translations (2,0,0) then (1,0,0) are parallel: rank 1. (1,1,0) and (1,-1,0)
 * span a plane (rank 2) although neither is a lattice axis; (0,0,2) completes 3D. One
 * site, one class per hop, barriers in the order listed. */
START_TEST(rank_of_translations) {
  mb__hop hops[] = {H(0, 0, 2, 0, 0), H(0, 0, 1, 0, 0), H(0, 0, 1, 1, 0), H(0, 0, 1, -1, 0),
                    H(0, 0, 0, 0, 2)};
  int cls[] = {0, 1, 2, 3, 4};
  double barrier[] = {0.1, 0.2, 0.3, 0.4, 0.5}, out[3];
  int lim[3];
  percolate(1, 5, hops, cls, 5, barrier, out, lim);
  ck_assert_double_eq(out[0], 0.1);
  ck_assert_double_eq(out[1], 0.3);
  ck_assert_double_eq(out[2], 0.5);
  ck_assert_int_eq(lim[0], 0);
  ck_assert_int_eq(lim[1], 2);
  ck_assert_int_eq(lim[2], 4);
}
END_TEST

/* Two separate channels along x and along y do not make a layer: 2D needs one
 * component. Sites 0 and 1 are never joined. Joining them (class 2) makes it 2D. */
START_TEST(separate_channels_stay_1d) {
  mb__hop hops[] = {H(0, 0, 1, 0, 0), H(1, 1, 0, 1, 0), H(0, 1, 0, 0, 0)};
  int cls[] = {0, 1, 2};
  double barrier[] = {0.3, 0.2, 0.7}, out[3];
  int lim[3], dim;
  percolate(2, 3, hops, cls, 3, barrier, out, lim);
  ck_assert_double_eq(out[0], 0.2); /* the y channel comes first */
  ck_assert_int_eq(lim[0], 1);
  ck_assert_double_eq(out[1], 0.7);
  ck_assert_int_eq(lim[1], 2);
  ck_assert(isinf(out[2]));
  MB_OK_OR_FAIL(mb__hops_dimensionality(2, 3, hops, cls, barrier, 0.5, &dim));
  ck_assert_int_eq(dim, 1);
  MB_OK_OR_FAIL(mb__hops_dimensionality(2, 3, hops, cls, barrier, 0.7, &dim));
  ck_assert_int_eq(dim, 2);
  MB_OK_OR_FAIL(mb__hops_dimensionality(2, 3, hops, cls, barrier, 0.1, &dim));
  ck_assert_int_eq(dim, 0);
}
END_TEST

/* Merging components carries their cycles: a chain 0-1-2-3 built so that the last
 * union joins two components that already hold a cycle each, in different
 * directions, and the larger tree must adopt the smaller one's translation. */
START_TEST(merge_keeps_cycles) {
  mb__hop hops[] = {H(0, 0, 1, 0, 0), H(0, 1, 0, 0, 0), H(2, 2, 0, 0, 1), H(1, 2, 0, 1, 0)};
  int cls[] = {0, 1, 2, 3};
  double barrier[] = {0.1, 0.2, 0.3, 0.4}, out[3];
  int lim[3];
  percolate(3, 4, hops, cls, 4, barrier, out, lim);
  ck_assert_double_eq(out[0], 0.1);
  ck_assert_double_eq(out[1], 0.4); /* x from {0,1} and z from {2} joined */
  ck_assert_int_eq(lim[1], 3);
  ck_assert(isinf(out[2]));
}
END_TEST

START_TEST(bad_networks) {
  mb__hop hops[] = {H(0, 3, 0, 0, 0)};
  int cls[] = {0};
  double barrier[] = {0.1}, out[3];
  int lim[3];
  ck_assert_int_eq(mb__hops_percolate(2, 1, hops, cls, 1, barrier, out, lim), MB_ERR_RANGE);
  ck_assert_int_eq(mb__hops_percolate(0, 1, hops, cls, 1, barrier, out, lim), MB_ERR_INVALID_ARG);
}
END_TEST

int main(void) {
  Suite *s = suite_create("hops percolation");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, two_sites_by_hand);
  tcase_add_test(tc, finite_cluster_never_percolates);
  tcase_add_test(tc, rank_of_translations);
  tcase_add_test(tc, separate_channels_stay_1d);
  tcase_add_test(tc, merge_keeps_cycles);
  tcase_add_test(tc, bad_networks);
  suite_add_tcase(s, tc);
  return mb_run_suite(s);
}
