/* The ALIGNN-style graph (docs/model.md, section 1) against a brute-force construction
 * that follows the document literally: for each atom, all atoms in all periodic images
 * within a box of lattice translations, the k nearest (ties within 1e-8 A kept), both
 * directed edges per pair, duplicates dropped. Cells are small random triclinic ones. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../testutil.h"

typedef struct bedge {
  int src, dst;
  double v[3];
} bedge;

static int bedge_cmp(const void *pa, const void *pb) {
  const bedge *a = pa, *b = pb;
  if (a->dst != b->dst) return a->dst - b->dst;
  if (a->src != b->src) return a->src - b->src;
  for (int c = 0; c < 3; c++)
    if (fabs(a->v[c] - b->v[c]) > 1e-6) return a->v[c] < b->v[c] ? -1 : 1;
  return 0;
}

static mb_structure *random_cell(unsigned long long *seed, int n) {
  double lat[9];
  for (int r = 0; r < 3; r++)
    for (int c = 0; c < 3; c++)
      lat[3 * r + c] = (r == c ? 3.2 + 1.5 * mb_test_rand(seed) : 1.2 * (mb_test_rand(seed) - .5));
  double *frac = malloc(sizeof(double) * 3 * n);
  int *z = malloc(sizeof(int) * n);
  for (int i = 0; i < n; i++) {
    for (int c = 0; c < 3; c++) frac[3 * i + c] = mb_test_rand(seed) * 1.6 - 0.3; /* some outside */
    z[i] = 1 + (int)(mb_test_rand(seed) * 30);
  }
  mb_structure *s = NULL;
  MB_OK_OR_FAIL(mb_structure_create(lat, n, frac, MB_COORDS_FRACTIONAL, z, &s));
  free(frac);
  free(z);
  return s;
}

typedef struct cand {
  double d, v[3];
  int j;
} cand;
static int cand_cmp(const void *pa, const void *pb) {
  const cand *a = pa, *b = pb;
  return a->d < b->d ? -1 : a->d > b->d;
}

/* Brute force edges; returns the count, edges in *out (sorted, deduplicated). */
static size_t brute_edges(const mb_structure *s, int k, bedge **out) {
  int n;
  double lat[9];
  MB_OK_OR_FAIL(mb_structure_natoms(s, &n));
  MB_OK_OR_FAIL(mb_structure_lattice(s, lat));
  double *r = malloc(sizeof(double) * 3 * n);
  MB_OK_OR_FAIL(mb_structure_positions(s, MB_COORDS_CARTESIAN, r));
  const int R = 5;
  size_t ncand = (size_t)n * (2 * R + 1) * (2 * R + 1) * (2 * R + 1);
  cand *cs = malloc(sizeof(cand) * ncand);
  bedge *e = malloc(sizeof(bedge) * 2 * ncand * n);
  size_t m = 0;
  for (int i = 0; i < n; i++) {
    size_t nc = 0;
    for (int j = 0; j < n; j++)
      for (int a = -R; a <= R; a++)
        for (int b = -R; b <= R; b++)
          for (int c = -R; c <= R; c++) {
            if (i == j && !a && !b && !c) continue;
            cand *x = &cs[nc++];
            for (int q = 0; q < 3; q++)
              x->v[q] = r[3 * j + q] + a * lat[q] + b * lat[3 + q] + c * lat[6 + q] - r[3 * i + q];
            x->d = sqrt(x->v[0] * x->v[0] + x->v[1] * x->v[1] + x->v[2] * x->v[2]);
            x->j = j;
          }
    qsort(cs, nc, sizeof *cs, cand_cmp);
    double kth = cs[k - 1].d;
    ck_assert_msg(kth < 0.5 * R * 3.0, "image box too small for the test");
    for (size_t p = 0; p < nc && cs[p].d <= kth + 1e-8; p++) {
      bedge *f = &e[m++], *g = &e[m++];
      f->src = cs[p].j, f->dst = i;
      g->src = i, g->dst = cs[p].j;
      for (int q = 0; q < 3; q++) f->v[q] = -cs[p].v[q], g->v[q] = cs[p].v[q];
    }
  }
  qsort(e, m, sizeof *e, bedge_cmp);
  size_t u = 0;
  for (size_t p = 0; p < m; p++)
    if (!u || bedge_cmp(&e[u - 1], &e[p])) e[u++] = e[p];
  free(cs);
  free(r);
  *out = e;
  return u;
}

static bedge *graph_edges(const mb_graph *g, size_t *m) {
  MB_OK_OR_FAIL(mb_graph_sizes(g, NULL, m, NULL));
  int *src = malloc(sizeof(int) * (*m + 1)), *dst = malloc(sizeof(int) * (*m + 1));
  double *v = malloc(sizeof(double) * 3 * (*m + 1));
  MB_OK_OR_FAIL(mb_graph_edges(g, src, dst, v));
  bedge *e = malloc(sizeof(bedge) * (*m + 1));
  for (size_t p = 0; p < *m; p++) {
    e[p].src = src[p];
    e[p].dst = dst[p];
    memcpy(e[p].v, &v[3 * p], sizeof e[p].v);
  }
  free(src);
  free(dst);
  free(v);
  return e;
}

START_TEST(edges_match_brute_force) {
  unsigned long long seed = 0x9e3779b97f4a7c15ULL + (unsigned long long)_i;
  int n = 2 + _i % 6, k = 1 + (_i * 5) % 14;
  mb_structure *s = random_cell(&seed, n);
  mb_graph *g = NULL;
  MB_OK_OR_FAIL(mb_graph_create(s, k, 0, &g));
  size_t m, mb;
  bedge *e = graph_edges(g, &m), *b = NULL;
  mb = brute_edges(s, k, &b);
  ck_assert_uint_eq(m, mb);
  bedge *sorted = malloc(sizeof(bedge) * (m + 1));
  memcpy(sorted, e, sizeof(bedge) * m);
  qsort(sorted, m, sizeof *sorted, bedge_cmp);
  for (size_t p = 0; p < m; p++) {
    ck_assert_int_eq(bedge_cmp(&sorted[p], &b[p]), 0);
    for (int c = 0; c < 3; c++) ck_assert_double_eq_tol(sorted[p].v[c], b[p].v[c], 1e-9);
  }
  /* Every vector is r_dst - r_src(image): the difference is a lattice translation. */
  double lat[9], *r = malloc(sizeof(double) * 3 * n), *f = malloc(sizeof(double) * 3 * n);
  MB_OK_OR_FAIL(mb_structure_lattice(s, lat));
  MB_OK_OR_FAIL(mb_structure_positions(s, MB_COORDS_CARTESIAN, r));
  for (size_t p = 0; p < m; p++) {
    double t[3];
    for (int c = 0; c < 3; c++) t[c] = r[3 * e[p].dst + c] - e[p].v[c] - r[3 * e[p].src + c];
    /* solve t = S . L for S by Cramer's rule-free least effort: project on the inverse */
    double det = lat[0] * (lat[4] * lat[8] - lat[5] * lat[7]) -
                 lat[1] * (lat[3] * lat[8] - lat[5] * lat[6]) +
                 lat[2] * (lat[3] * lat[7] - lat[4] * lat[6]);
    double inv[9] = {(lat[4] * lat[8] - lat[5] * lat[7]) / det, (lat[2] * lat[7] - lat[1] * lat[8]) / det,
                     (lat[1] * lat[5] - lat[2] * lat[4]) / det, (lat[5] * lat[6] - lat[3] * lat[8]) / det,
                     (lat[0] * lat[8] - lat[2] * lat[6]) / det, (lat[2] * lat[3] - lat[0] * lat[5]) / det,
                     (lat[3] * lat[7] - lat[4] * lat[6]) / det, (lat[1] * lat[6] - lat[0] * lat[7]) / det,
                     (lat[0] * lat[4] - lat[1] * lat[3]) / det};
    for (int c = 0; c < 3; c++) {
      double sc = t[0] * inv[c] + t[1] * inv[3 + c] + t[2] * inv[6 + c];
      ck_assert_double_eq_tol(sc, round(sc), 1e-9);
    }
    /* the reverse edge is present */
    bedge rev = {e[p].dst, e[p].src, {-e[p].v[0], -e[p].v[1], -e[p].v[2]}};
    ck_assert_ptr_nonnull(bsearch(&rev, sorted, m, sizeof rev, bedge_cmp));
  }
  (void)f;
  free(f);
  free(r);
  free(sorted);
  free(e);
  free(b);
  mb_graph_free(g);
  mb_structure_free(s);
}
END_TEST

START_TEST(triplets_match_direct_computation) {
  unsigned long long seed = 77 + (unsigned long long)_i;
  mb_structure *s = random_cell(&seed, 3 + _i);
  mb_graph *g = NULL;
  MB_OK_OR_FAIL(mb_graph_create(s, 12, 1, &g));
  size_t m, t;
  int n;
  MB_OK_OR_FAIL(mb_graph_sizes(g, &n, &m, &t));
  bedge *e = graph_edges(g, &m);
  /* Reference count: for every edge b, one triplet per edge into src(b). */
  size_t *indeg = calloc((size_t)n, sizeof *indeg), expect = 0;
  for (size_t p = 0; p < m; p++) indeg[e[p].dst]++;
  for (size_t p = 0; p < m; p++) expect += indeg[e[p].src];
  ck_assert_uint_eq(t, expect);
  int *a = malloc(sizeof(int) * t), *b = malloc(sizeof(int) * t);
  double *cs = malloc(sizeof(double) * t);
  MB_OK_OR_FAIL(mb_graph_triplets(g, a, b, cs));
  unsigned char *seen = calloc(m * m, 1);
  for (size_t q = 0; q < t; q++) {
    ck_assert(a[q] >= 0 && (size_t)a[q] < m && b[q] >= 0 && (size_t)b[q] < m);
    ck_assert_int_eq(e[a[q]].dst, e[b[q]].src);
    ck_assert(!seen[(size_t)a[q] * m + b[q]]);
    seen[(size_t)a[q] * m + b[q]] = 1;
    const double *ra = e[a[q]].v, *rb = e[b[q]].v;
    double c = -(ra[0] * rb[0] + ra[1] * rb[1] + ra[2] * rb[2]) /
               (sqrt(ra[0] * ra[0] + ra[1] * ra[1] + ra[2] * ra[2]) *
                sqrt(rb[0] * rb[0] + rb[1] * rb[1] + rb[2] * rb[2]));
    ck_assert_double_eq_tol(cs[q], c, 1e-12);
  }
  free(seen);
  free(indeg);
  free(a);
  free(b);
  free(cs);
  free(e);
  mb_graph_free(g);
  mb_structure_free(s);
}
END_TEST

static int dcmp(const void *pa, const void *pb) {
  double a = *(const double *)pa, b = *(const double *)pb;
  return a < b ? -1 : a > b;
}

START_TEST(edge_lengths_do_not_depend_on_atom_order) {
  unsigned long long seed = 4242 + (unsigned long long)_i;
  int n = 6 + _i;
  mb_structure *s = random_cell(&seed, n);
  double lat[9], *frac = malloc(sizeof(double) * 3 * n), *pf = malloc(sizeof(double) * 3 * n);
  int *z = malloc(sizeof(int) * n), *pz = malloc(sizeof(int) * n), *perm = malloc(sizeof(int) * n);
  MB_OK_OR_FAIL(mb_structure_lattice(s, lat));
  MB_OK_OR_FAIL(mb_structure_positions(s, MB_COORDS_FRACTIONAL, frac));
  MB_OK_OR_FAIL(mb_structure_numbers(s, z));
  for (int i = 0; i < n; i++) perm[i] = i;
  for (int i = n - 1; i > 0; i--) {
    int j = (int)(mb_test_rand(&seed) * (i + 1)), x = perm[i];
    perm[i] = perm[j];
    perm[j] = x;
  }
  for (int i = 0; i < n; i++) {
    memcpy(&pf[3 * i], &frac[3 * perm[i]], 3 * sizeof(double));
    pz[i] = z[perm[i]];
  }
  mb_structure *p = NULL;
  MB_OK_OR_FAIL(mb_structure_create(lat, n, pf, MB_COORDS_FRACTIONAL, pz, &p));
  mb_graph *g1 = NULL, *g2 = NULL;
  MB_OK_OR_FAIL(mb_graph_create(s, 12, 0, &g1));
  MB_OK_OR_FAIL(mb_graph_create(p, 12, 0, &g2));
  size_t m1, m2, t1, t2;
  MB_OK_OR_FAIL(mb_graph_sizes(g1, NULL, &m1, &t1));
  MB_OK_OR_FAIL(mb_graph_sizes(g2, NULL, &m2, &t2));
  ck_assert_uint_eq(m1, m2);
  ck_assert_uint_eq(t1, t2);
  double *v1 = malloc(sizeof(double) * 3 * m1), *v2 = malloc(sizeof(double) * 3 * m2);
  double *l1 = malloc(sizeof(double) * m1), *l2 = malloc(sizeof(double) * m2);
  MB_OK_OR_FAIL(mb_graph_edges(g1, NULL, NULL, v1));
  MB_OK_OR_FAIL(mb_graph_edges(g2, NULL, NULL, v2));
  for (size_t q = 0; q < m1; q++) {
    l1[q] = sqrt(v1[3 * q] * v1[3 * q] + v1[3 * q + 1] * v1[3 * q + 1] + v1[3 * q + 2] * v1[3 * q + 2]);
    l2[q] = sqrt(v2[3 * q] * v2[3 * q] + v2[3 * q + 1] * v2[3 * q + 1] + v2[3 * q + 2] * v2[3 * q + 2]);
  }
  qsort(l1, m1, sizeof(double), dcmp);
  qsort(l2, m2, sizeof(double), dcmp);
  for (size_t q = 0; q < m1; q++) ck_assert_double_eq_tol(l1[q], l2[q], 1e-10);
  double *c1 = malloc(sizeof(double) * t1), *c2 = malloc(sizeof(double) * t2);
  MB_OK_OR_FAIL(mb_graph_triplets(g1, NULL, NULL, c1));
  MB_OK_OR_FAIL(mb_graph_triplets(g2, NULL, NULL, c2));
  qsort(c1, t1, sizeof(double), dcmp);
  qsort(c2, t2, sizeof(double), dcmp);
  for (size_t q = 0; q < t1; q++) ck_assert_double_eq_tol(c1[q], c2[q], 1e-10);
  free(c1), free(c2), free(v1), free(v2), free(l1), free(l2);
  free(frac), free(pf), free(z), free(pz), free(perm);
  mb_graph_free(g1);
  mb_graph_free(g2);
  mb_structure_free(s);
  mb_structure_free(p);
}
END_TEST

START_TEST(bad_arguments) {
  unsigned long long seed = 5;
  mb_structure *s = random_cell(&seed, 3);
  mb_graph *g = NULL;
  ck_assert_int_eq(mb_graph_create(s, 0, 0, &g), MB_ERR_INVALID_ARG);
  ck_assert_int_eq(mb_graph_create(s, 12, 4, &g), MB_ERR_INVALID_ARG);
  ck_assert_int_eq(mb_graph_create(s, 12, -1, &g), MB_ERR_INVALID_ARG);
  ck_assert_int_eq(mb_graph_create(NULL, 12, 0, &g), MB_ERR_INVALID_ARG);
  ck_assert_ptr_null(g);
  ck_assert_int_eq(mb_graph_sizes(NULL, NULL, NULL, NULL), MB_ERR_INVALID_ARG);
  mb_graph_free(NULL);
  mb_structure_free(s);
}
END_TEST

int main(void) {
  Suite *s = suite_create("gnn graph");
  TCase *tc = tcase_create("graph");
  tcase_set_timeout(tc, 60);
  tcase_add_loop_test(tc, edges_match_brute_force, 0, 24);
  tcase_add_loop_test(tc, triplets_match_direct_computation, 0, 4);
  tcase_add_loop_test(tc, edge_lengths_do_not_depend_on_atom_order, 0, 4);
  tcase_add_test(tc, bad_arguments);
  suite_add_tcase(s, tc);
  return mb_run_suite(s);
}
