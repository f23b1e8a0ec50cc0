/* Neighbour lists: mb_neighbors_cutoff and mb_neighbors_knn against brute force.
 *
 * The reference is computed here by brute force: every atom pair in every image
 * cell that can hold it within the radius r, with one image layer to spare on
 * each side (the fractional coordinate k of a vector v is at most |v|/h_k in
 * size, h_k the perpendicular height of the cell), with vector = r_j + S L - r_i
 * from the Cartesian positions the structure reports. Tolerance: 1e-12 A on distances and
 * vector components (the library computes the same sums on wrapped positions).
 * The fcc tie test uses the exact geometry: 12 nearest neighbours at a/sqrt(2). */
#include <math.h>
#include <pthread.h>
#include <string.h>

#include "../testutil.h"

#define TOL 1e-12

/* Check records every passing ck_assert, which is slow over many pairs: in loops,
 * call it only on failure. */
#define EXPECT(cond, ...)                    \
  do {                                       \
    if (!(cond)) ck_abort_msg(__VA_ARGS__);  \
  } while (0)
#define EXPECT_NEAR(x, y, tol, what) \
  EXPECT(fabs((x) - (y)) <= (tol), "%s: %.17g != %.17g", what, (double)(x), (double)(y))

typedef struct pair {
  int i, j, s[3];
  double d, v[3];
} pair;

typedef struct list {
  size_t n;
  pair *p;
  size_t *first; /* natoms + 1 (library lists only) */
} list;

static void list_free(list *l) {
  free(l->p);
  free(l->first);
  memset(l, 0, sizeof *l);
}

static mb_structure *make(const double lat[9], int n, const double *frac) {
  int *z = malloc((size_t)n * sizeof(int));
  for (int a = 0; a < n; a++) z[a] = 3 + a % 5;
  mb_structure *s = NULL;
  MB_OK_OR_FAIL(mb_structure_create(lat, n, frac, MB_COORDS_FRACTIONAL, z, &s));
  free(z);
  return s;
}

/* Copy a library list out into pairs. */
static list from_library(const mb_neighbors *nl, int natoms) {
  list l = {0};
  MB_OK_OR_FAIL(mb_neighbors_count(nl, &l.n));
  size_t n = l.n ? l.n : 1;
  int *i = malloc(n * sizeof(int)), *j = malloc(n * sizeof(int));
  int *s = malloc(3 * n * sizeof(int));
  double *d = malloc(n * sizeof(double)), *v = malloc(3 * n * sizeof(double));
  MB_OK_OR_FAIL(mb_neighbors_pairs(nl, i, j, s, d, v));
  l.first = malloc(((size_t)natoms + 1) * sizeof(size_t));
  MB_OK_OR_FAIL(mb_neighbors_first(nl, l.first));
  l.p = malloc(n * sizeof(pair));
  for (size_t p = 0; p < l.n; p++) {
    l.p[p].i = i[p];
    l.p[p].j = j[p];
    l.p[p].d = d[p];
    for (int k = 0; k < 3; k++) {
      l.p[p].s[k] = s[3 * p + k];
      l.p[p].v[k] = v[3 * p + k];
    }
  }
  free(i);
  free(j);
  free(s);
  free(d);
  free(v);
  return l;
}

static void heights(const double L[9], double h[3]) {
  for (int k = 0; k < 3; k++) {
    const double *a = L + 3 * ((k + 1) % 3), *b = L + 3 * ((k + 2) % 3);
    double c[3] = {a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2],
                   a[0] * b[1] - a[1] * b[0]};
    double vol = fabs(L[3 * k] * c[0] + L[3 * k + 1] * c[1] + L[3 * k + 2] * c[2]);
    h[k] = vol / sqrt(c[0] * c[0] + c[1] * c[1] + c[2] * c[2]);
  }
}

/* All pairs with 0 < d <= r, by brute force. */
static list brute(const mb_structure *st, double r) {
  int n;
  double L[9], h[3];
  MB_OK_OR_FAIL(mb_structure_natoms(st, &n));
  MB_OK_OR_FAIL(mb_structure_lattice(st, L));
  double *x = malloc(3 * (size_t)n * sizeof(double)), *f = malloc(3 * (size_t)n * sizeof(double));
  MB_OK_OR_FAIL(mb_structure_positions(st, MB_COORDS_CARTESIAN, x));
  MB_OK_OR_FAIL(mb_structure_positions(st, MB_COORDS_FRACTIONAL, f));
  heights(L, h);
  list l = {0};
  size_t cap = 1024;
  l.p = malloc(cap * sizeof(pair));
  for (int i = 0; i < n; i++)
    for (int j = 0; j < n; j++) {
      int lo[3], hi[3]; /* |f_j - f_i + S|_k <= r / h_k, and one more layer */
      for (int k = 0; k < 3; k++) {
        double df = f[3 * j + k] - f[3 * i + k];
        lo[k] = (int)floor(-r / h[k] - df) - 1;
        hi[k] = (int)ceil(r / h[k] - df) + 1;
      }
      for (int s0 = lo[0]; s0 <= hi[0]; s0++)
        for (int s1 = lo[1]; s1 <= hi[1]; s1++)
          for (int s2 = lo[2]; s2 <= hi[2]; s2++) {
            double v[3], d2 = 0;
            for (int k = 0; k < 3; k++) {
              v[k] = x[3 * j + k] + (s0 * L[k] + s1 * L[3 + k] + s2 * L[6 + k]) - x[3 * i + k];
              d2 += v[k] * v[k];
            }
            double d = sqrt(d2);
            if (!(d > 0 && d <= r)) continue;
            if (l.n == cap) l.p = realloc(l.p, (cap *= 2) * sizeof(pair));
            pair *p = &l.p[l.n++];
            p->i = i;
            p->j = j;
            p->s[0] = s0;
            p->s[1] = s1;
            p->s[2] = s2;
            p->d = d;
            memcpy(p->v, v, sizeof v);
          }
    }
  free(x);
  free(f);
  return l;
}

/* Order by i, j, shift: a canonical order to compare sets. */
static int cmp_ijs(const void *pa, const void *pb) {
  const pair *a = pa, *b = pb;
  if (a->i != b->i) return a->i < b->i ? -1 : 1;
  if (a->j != b->j) return a->j < b->j ? -1 : 1;
  for (int k = 0; k < 3; k++)
    if (a->s[k] != b->s[k]) return a->s[k] < b->s[k] ? -1 : 1;
  return 0;
}

/* Order by i, then distance, j, shift: the library's contract. */
static int cmp_contract(const pair *a, const pair *b) {
  if (a->i != b->i) return a->i < b->i ? -1 : 1;
  if (a->d != b->d) return a->d < b->d ? -1 : 1;
  if (a->j != b->j) return a->j < b->j ? -1 : 1;
  for (int k = 0; k < 3; k++)
    if (a->s[k] != b->s[k]) return a->s[k] < b->s[k] ? -1 : 1;
  return 0;
}

static int cmp_contract_q(const void *a, const void *b) { return cmp_contract(a, b); }

/* Same pairs, same shifts, distances and vectors within TOL. Sorts both. */
static void assert_same_set(list *got, list *want, const char *what) {
  ck_assert_msg(got->n == want->n, "%s: %zu pairs, brute force %zu", what, got->n, want->n);
  qsort(got->p, got->n, sizeof(pair), cmp_ijs);
  qsort(want->p, want->n, sizeof(pair), cmp_ijs);
  for (size_t p = 0; p < got->n; p++) {
    const pair *a = &got->p[p], *b = &want->p[p];
    EXPECT(cmp_ijs(a, b) == 0, "%s: pair %zu is %d->%d (%d %d %d), brute force %d->%d (%d %d %d)",
                  what, p, a->i, a->j, a->s[0], a->s[1], a->s[2], b->i, b->j, b->s[0], b->s[1],
                  b->s[2]);
    EXPECT_NEAR(a->d, b->d, TOL, "distance");
    for (int k = 0; k < 3; k++) EXPECT_NEAR(a->v[k], b->v[k], TOL, "vector");
  }
}

/* The contract of one library list, in the library's own order. */
static void assert_contract(const list *l, const mb_structure *st, double r) {
  int n;
  double L[9];
  MB_OK_OR_FAIL(mb_structure_natoms(st, &n));
  MB_OK_OR_FAIL(mb_structure_lattice(st, L));
  double *x = malloc(3 * (size_t)n * sizeof(double));
  MB_OK_OR_FAIL(mb_structure_positions(st, MB_COORDS_CARTESIAN, x));
  ck_assert_uint_eq(l->first[0], 0);
  ck_assert_uint_eq(l->first[n], l->n);
  for (int a = 0; a < n; a++) {
    ck_assert_uint_le(l->first[a], l->first[a + 1]);
    for (size_t p = l->first[a]; p < l->first[a + 1]; p++)
      EXPECT(l->p[p].i == a, "pair %zu in the rows of atom %d has i = %d", p, a, l->p[p].i);
  }
  for (size_t p = 0; p < l->n; p++) {
    const pair *q = &l->p[p];
    EXPECT(q->d > 0 && q->d <= r, "pair %zu: distance %.17g outside (0, %g]", p, q->d, r);
    EXPECT(!(q->i == q->j && !q->s[0] && !q->s[1] && !q->s[2]), "atom %d neighbours itself", q->i);
    double d2 = 0;
    for (int k = 0; k < 3; k++) {
      double v = x[3 * q->j + k] + q->s[0] * L[k] + q->s[1] * L[3 + k] + q->s[2] * L[6 + k] -
                 x[3 * q->i + k];
      EXPECT_NEAR(q->v[k], v, TOL, "vector against r_j + S L - r_i");
      d2 += q->v[k] * q->v[k];
    }
    EXPECT_NEAR(q->d, sqrt(d2), TOL, "distance against |vector|");
    if (p > 0) EXPECT(cmp_contract(&l->p[p - 1], q) < 0, "pairs %zu, %zu out of order", p - 1, p);
  }
  free(x);
}

/* i->j (S) is present iff j->i (-S) is, with the same distance. l sorted by cmp_ijs. */
static void assert_symmetric(const list *l) {
  for (size_t p = 0; p < l->n; p++) {
    pair key = l->p[p];
    key.i = l->p[p].j;
    key.j = l->p[p].i;
    for (int k = 0; k < 3; k++) key.s[k] = -l->p[p].s[k];
    const pair *q = bsearch(&key, l->p, l->n, sizeof(pair), cmp_ijs);
    EXPECT(q != NULL, "pair %d->%d has no reverse", l->p[p].i, l->p[p].j);
    EXPECT_NEAR(q->d, l->p[p].d, TOL, "reverse distance");
    for (int k = 0; k < 3; k++) EXPECT_NEAR(q->v[k], -l->p[p].v[k], TOL, "reverse vector");
  }
}

/* A random lattice: a diagonal scale times a random shear, sometimes very skewed,
 * sometimes left-handed; never nearly singular. */
static void random_lattice(unsigned long long *rng, double L[9]) {
  for (;;) {
    double shear = mb_test_rand(rng) < 0.3 ? 1.8 : 0.6;
    for (int r = 0; r < 3; r++)
      for (int c = 0; c < 3; c++) {
        double u = mb_test_rand(rng) - 0.5;
        L[3 * r + c] = (r == c ? 1.0 : 0.0) + shear * u;
      }
    double scale = 2.0 + 8.0 * mb_test_rand(rng);
    for (int r = 0; r < 3; r++) {
      double f = scale * (0.5 + mb_test_rand(rng));
      for (int c = 0; c < 3; c++) L[3 * r + c] *= f;
    }
    if (mb_test_rand(rng) < 0.2)
      for (int c = 0; c < 3; c++) L[c] = -L[c];
    double det = L[0] * (L[4] * L[8] - L[5] * L[7]) - L[1] * (L[3] * L[8] - L[5] * L[6]) +
                 L[2] * (L[3] * L[7] - L[4] * L[6]);
    double norms = 1;
    for (int r = 0; r < 3; r++)
      norms *= sqrt(L[3 * r] * L[3 * r] + L[3 * r + 1] * L[3 * r + 1] + L[3 * r + 2] * L[3 * r + 2]);
    if (fabs(det) > 0.05 * norms) return;
  }
}

static double *random_frac(unsigned long long *rng, int n, int unwrapped) {
  double *f = malloc(3 * (size_t)n * sizeof(double));
  for (int k = 0; k < 3 * n; k++)
    f[k] = unwrapped ? 4.0 * mb_test_rand(rng) - 2.0 : mb_test_rand(rng);
  return f;
}

/* Check one structure and cutoff against brute force and the contract. */
static void check_cutoff(const mb_structure *st, double r, const char *what) {
  int n;
  MB_OK_OR_FAIL(mb_structure_natoms(st, &n));
  mb_neighbors *nl = NULL;
  MB_OK_OR_FAIL(mb_neighbors_cutoff(st, r, &nl));
  list got = from_library(nl, n), want = brute(st, r);
  mb_neighbors_free(nl);
  assert_contract(&got, st, r);
  assert_same_set(&got, &want, what);
  assert_symmetric(&got);
  list_free(&got);
  list_free(&want);
}

START_TEST(cutoff_random_triclinic) {
  unsigned long long rng = 0x9e3779b97f4a7c15ULL + (unsigned long long)_i;
  for (int t = 0; t < 6; t++) {
    double L[9];
    random_lattice(&rng, L);
    int n = 1 + (int)(mb_test_rand(&rng) * 24);
    double *f = random_frac(&rng, n, t % 2);
    mb_structure *st = make(L, n, f);
    double vol;
    MB_OK_OR_FAIL(mb_structure_volume(st, &vol));
    double r = (0.5 + 2.0 * mb_test_rand(&rng)) * cbrt(vol / n);
    char what[64];
    snprintf(what, sizeof what, "case %d.%d (%d atoms, r %.3f)", _i, t, n, r);
    check_cutoff(st, r, what);
    mb_structure_free(st);
    free(f);
  }
}
END_TEST

START_TEST(cutoff_skewed_cells) {
  /* a and b nearly parallel: heights 0.5 A along a and b, 10 A along c. */
  const double skew[9] = {10, 0, 0, 9.9, 0.5, 0, 0, 0, 10};
  const double skew2[9] = {6, 0, 0, -5.8, 0.7, 0, 3, 2.9, 0.9};
  unsigned long long rng = 42;
  for (int t = 0; t < 2; t++) {
    double *f = random_frac(&rng, 7, t);
    mb_structure *st = make(t ? skew2 : skew, 7, f);
    check_cutoff(st, 1.7, "skewed, r 1.7");
    check_cutoff(st, 4.3, "skewed, r 4.3");
    mb_structure_free(st);
    free(f);
  }
}
END_TEST

START_TEST(cutoff_tiny_cells) {
  /* One atom in a cell three times smaller than the cutoff: it neighbours its
   * own images only. Simple cubic 2 A, r = 6 A: 6, 12, 8, 6, 24, 24, ... shells. */
  const double cube[9] = {2, 0, 0, 0, 2, 0, 0, 0, 2};
  const double origin[3] = {0, 0, 0};
  mb_structure *st = make(cube, 1, origin);
  check_cutoff(st, 6.0 + 1e-9, "1 atom, simple cubic 2 A, r 6");
  mb_neighbors *nl = NULL;
  MB_OK_OR_FAIL(mb_neighbors_cutoff(st, 2.0 + 1e-9, &nl));
  size_t np;
  MB_OK_OR_FAIL(mb_neighbors_count(nl, &np));
  ck_assert_uint_eq(np, 6);
  double d[6];
  MB_OK_OR_FAIL(mb_neighbors_pairs(nl, NULL, NULL, NULL, d, NULL));
  for (int p = 0; p < 6; p++) ck_assert_double_eq_tol(d[p], 2.0, TOL);
  mb_neighbors_free(nl);
  mb_structure_free(st);
  /* A random skewed one-atom and two-atom cell, radius many cells wide. */
  unsigned long long rng = 7;
  for (int t = 0; t < 4; t++) {
    double L[9];
    random_lattice(&rng, L);
    for (int k = 0; k < 9; k++) L[k] *= 0.3;
    double *f = random_frac(&rng, 1 + t % 2, t >= 2);
    st = make(L, 1 + t % 2, f);
    check_cutoff(st, 3.1, "tiny cell");
    mb_structure_free(st);
    free(f);
  }
}
END_TEST

START_TEST(cutoff_many_bins) {
  /* Enough atoms for several bins per axis, and a flat cell (bins differ per axis). */
  unsigned long long rng = 1234;
  const double box[9] = {14, 0, 0, 3, 13, 0, -2, 1.5, 12};
  const double slab[9] = {22, 0, 0, 0, 20, 0, 0, 0, 2.5};
  double *f = random_frac(&rng, 220, 0);
  mb_structure *st = make(box, 220, f);
  check_cutoff(st, 3.9, "220 atoms, r 3.9");
  mb_structure_free(st);
  st = make(slab, 120, f);
  check_cutoff(st, 3.3, "slab, r 3.3");
  mb_structure_free(st);
  free(f);
}
END_TEST

START_TEST(cutoff_edge_positions) {
  /* Atoms exactly on cell faces, at -0 and just below 0 (wrapping rounds
   * -1e-17 + 1 to 1), and overlapping atoms (distance 0 is never a pair). */
  const double L[9] = {4, 0, 0, 1, 4, 0, 0.5, 0.5, 4};
  const double f[15] = {0, 0, 0, 1, 1, 1, -1e-17, 0.5, -0.0, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5};
  mb_structure *st = make(L, 5, f);
  check_cutoff(st, 4.5, "edge positions");
  mb_structure_free(st);
}
END_TEST

/* k nearest by brute force: all pairs up to a radius that surely holds them. */
static list brute_knn(const mb_structure *st, int k) {
  int n;
  MB_OK_OR_FAIL(mb_structure_natoms(st, &n));
  for (double r = 1.0;; r *= 1.5) {
    list all = brute(st, r);
    qsort(all.p, all.n, sizeof(pair), cmp_contract_q);
    list out = {0};
    out.p = malloc((all.n ? all.n : 1) * sizeof(pair));
    int ok = 1;
    size_t p = 0;
    for (int a = 0; a < n && ok; a++) {
      size_t q0 = p;
      while (p < all.n && all.p[p].i == a) p++;
      if (p - q0 < (size_t)k) ok = 0;
      else {
        double dk = all.p[q0 + k - 1].d;
        if (dk + 1e-8 > r) ok = 0;
        for (size_t q = q0; q < p && ok && all.p[q].d <= dk + 1e-8; q++) out.p[out.n++] = all.p[q];
      }
    }
    list_free(&all);
    if (ok) return out;
    list_free(&out);
  }
}

static void check_knn(const mb_structure *st, int k, const char *what) {
  int n;
  MB_OK_OR_FAIL(mb_structure_natoms(st, &n));
  mb_neighbors *nl = NULL;
  MB_OK_OR_FAIL(mb_neighbors_knn(st, k, &nl));
  list got = from_library(nl, n), want = brute_knn(st, k);
  mb_neighbors_free(nl);
  assert_contract(&got, st, HUGE_VAL);
  for (int a = 0; a < n; a++) ck_assert_uint_ge(got.first[a + 1] - got.first[a], (size_t)k);
  assert_same_set(&got, &want, what);
  list_free(&got);
  list_free(&want);
}

START_TEST(knn_against_brute_force) {
  unsigned long long rng = 99 + (unsigned long long)_i;
  const int ks[3] = {1, 12, 40};
  for (int t = 0; t < 3; t++) {
    double L[9];
    random_lattice(&rng, L);
    int n = 1 + (int)(mb_test_rand(&rng) * 15);
    double *f = random_frac(&rng, n, t == 1);
    mb_structure *st = make(L, n, f);
    char what[64];
    snprintf(what, sizeof what, "knn case %d.%d (%d atoms, k %d)", _i, t, n, ks[t]);
    check_knn(st, ks[t], what); /* k = 40 > natoms: images count */
    mb_structure_free(st);
    free(f);
  }
}
END_TEST

START_TEST(knn_one_atom_and_large_k) {
  const double skew[9] = {10, 0, 0, 9.9, 0.5, 0, 0, 0, 10};
  const double origin[3] = {0.3, 0.2, 0.1};
  mb_structure *st = make(skew, 1, origin);
  check_knn(st, 1, "one atom, skewed, k 1");
  check_knn(st, 30, "one atom, skewed, k 30");
  mb_structure_free(st);
}
END_TEST

static mb_structure *fcc(int rep) {
  const double base[12] = {0, 0, 0, .5, .5, 0, .5, 0, .5, 0, .5, .5};
  int n = 4 * rep * rep * rep, a = 0;
  double *f = malloc(3 * (size_t)n * sizeof(double));
  for (int x = 0; x < rep; x++)
    for (int y = 0; y < rep; y++)
      for (int z = 0; z < rep; z++)
        for (int b = 0; b < 4; b++, a++) {
          f[3 * a] = (base[3 * b] + x) / rep;
          f[3 * a + 1] = (base[3 * b + 1] + y) / rep;
          f[3 * a + 2] = (base[3 * b + 2] + z) / rep;
        }
  double L[9] = {3.61 * rep, 0, 0, 0, 3.61 * rep, 0, 0, 0, 3.61 * rep};
  mb_structure *st = make(L, n, f);
  free(f);
  return st;
}

START_TEST(knn_fcc_ties) {
  /* Perfect fcc: 12 nearest neighbours at a/sqrt(2), then 6 at a. k = 5 must
   * return all 12 tied ones; k = 13 the 12 and the 6. */
  for (int rep = 1; rep <= 2; rep++) {
    mb_structure *st = fcc(rep);
    int n = 4 * rep * rep * rep;
    const int ks[2] = {5, 13}, want[2] = {12, 18};
    for (int t = 0; t < 2; t++) {
      mb_neighbors *nl = NULL;
      MB_OK_OR_FAIL(mb_neighbors_knn(st, ks[t], &nl));
      list l = from_library(nl, n);
      mb_neighbors_free(nl);
      for (int a = 0; a < n; a++) {
        ck_assert_uint_eq(l.first[a + 1] - l.first[a], (size_t)want[t]);
        for (size_t p = l.first[a]; p < l.first[a + 1]; p++)
          EXPECT_NEAR(l.p[p].d, p - l.first[a] < 12 ? 3.61 / sqrt(2) : 3.61, 1e-9, "fcc shell");
      }
      list_free(&l);
    }
    mb_structure_free(st);
  }
}
END_TEST

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

START_TEST(knn_independent_of_atom_order) {
  unsigned long long rng = 2024;
  double L[9];
  random_lattice(&rng, L);
  const int n = 18, k = 6;
  double *f = random_frac(&rng, n, 0), *g = malloc(3 * n * sizeof(double));
  int perm[18];
  for (int a = 0; a < n; a++) perm[a] = a;
  for (int a = n - 1; a > 0; a--) { /* Fisher-Yates */
    int b = (int)(mb_test_rand(&rng) * (a + 1)), t = perm[a];
    perm[a] = perm[b];
    perm[b] = t;
  }
  for (int a = 0; a < n; a++) memcpy(g + 3 * a, f + 3 * perm[a], 3 * sizeof(double));
  mb_structure *s1 = make(L, n, f), *s2 = make(L, n, g);
  mb_neighbors *n1 = NULL, *n2 = NULL;
  MB_OK_OR_FAIL(mb_neighbors_knn(s1, k, &n1));
  MB_OK_OR_FAIL(mb_neighbors_knn(s2, k, &n2));
  list l1 = from_library(n1, n), l2 = from_library(n2, n);
  for (int a = 0; a < n; a++) { /* atom a of s2 is atom perm[a] of s1 */
    size_t c1 = l1.first[perm[a] + 1] - l1.first[perm[a]], c2 = l2.first[a + 1] - l2.first[a];
    ck_assert_uint_eq(c1, c2);
    double d1[64], d2[64];
    ck_assert_uint_le(c1, 64);
    for (size_t q = 0; q < c1; q++) {
      d1[q] = l1.p[l1.first[perm[a]] + q].d;
      d2[q] = l2.p[l2.first[a] + q].d;
    }
    qsort(d1, c1, sizeof(double), cmp_double);
    qsort(d2, c2, sizeof(double), cmp_double);
    for (size_t q = 0; q < c1; q++) EXPECT_NEAR(d1[q], d2[q], TOL, "kNN distances");
  }
  list_free(&l1);
  list_free(&l2);
  mb_neighbors_free(n1);
  mb_neighbors_free(n2);
  mb_structure_free(s1);
  mb_structure_free(s2);
  free(f);
  free(g);
}
END_TEST

START_TEST(errors) {
  mb_structure *st = fcc(1);
  static char byte; /* a sentinel: failing calls must leave *out untouched */
  mb_neighbors *const sentinel = (mb_neighbors *)&byte;
  mb_neighbors *nl = sentinel;
  ck_assert_int_eq(mb_neighbors_cutoff(NULL, 3.0, &nl), MB_ERR_INVALID_ARG);
  ck_assert_int_eq(mb_neighbors_cutoff(st, 3.0, NULL), MB_ERR_INVALID_ARG);
  const double bad[4] = {0.0, -1.0, NAN, INFINITY};
  for (int t = 0; t < 4; t++) {
    ck_assert_int_eq(mb_neighbors_cutoff(st, bad[t], &nl), MB_ERR_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(mb_last_error(), "cutoff"));
  }
  ck_assert_int_eq(mb_neighbors_knn(NULL, 3, &nl), MB_ERR_INVALID_ARG);
  ck_assert_int_eq(mb_neighbors_knn(st, 3, NULL), MB_ERR_INVALID_ARG);
  ck_assert_int_eq(mb_neighbors_knn(st, 0, &nl), MB_ERR_INVALID_ARG);
  ck_assert_ptr_nonnull(strstr(mb_last_error(), "k must be"));
  ck_assert_int_eq(mb_neighbors_knn(st, -5, &nl), MB_ERR_INVALID_ARG);
  /* Absurd sizes are refused with a message, not attempted. */
  mb_status s = mb_neighbors_cutoff(st, 1e4, &nl);
  ck_assert_msg(s == MB_ERR_RANGE || s == MB_ERR_NOMEM, "status %d", (int)s);
  ck_assert_ptr_nonnull(strstr(mb_last_error(), "pairs"));
  s = mb_neighbors_knn(st, 2000000000, &nl);
  ck_assert_msg(s == MB_ERR_RANGE || s == MB_ERR_NOMEM, "status %d", (int)s);
  ck_assert_str_ne(mb_last_error(), "");
  ck_assert_ptr_eq(nl, sentinel);
  size_t np, first[5];
  int i[1];
  ck_assert_int_eq(mb_neighbors_count(NULL, &np), MB_ERR_INVALID_ARG);
  ck_assert_int_eq(mb_neighbors_pairs(NULL, i, NULL, NULL, NULL, NULL), MB_ERR_INVALID_ARG);
  ck_assert_int_eq(mb_neighbors_first(NULL, first), MB_ERR_INVALID_ARG);
  mb_neighbors_free(NULL);
  nl = NULL;
  MB_OK_OR_FAIL(mb_neighbors_cutoff(st, 1.0, &nl)); /* below the nearest distance */
  MB_OK_OR_FAIL(mb_neighbors_count(nl, &np));
  ck_assert_uint_eq(np, 0);
  ck_assert_int_eq(mb_neighbors_count(nl, NULL), MB_ERR_INVALID_ARG);
  ck_assert_int_eq(mb_neighbors_first(nl, NULL), MB_ERR_INVALID_ARG);
  MB_OK_OR_FAIL(mb_neighbors_pairs(nl, NULL, NULL, NULL, NULL, NULL));
  MB_OK_OR_FAIL(mb_neighbors_first(nl, first));
  for (int a = 0; a < 5; a++) ck_assert_uint_eq(first[a], 0);
  mb_neighbors_free(nl);
  mb_structure_free(st);
}
END_TEST

/* Several threads build lists of one structure at once; all equal the serial one. */
typedef struct job {
  const mb_structure *st;
  list l;
  int n;
} job;

static void *build_in_thread(void *arg) {
  job *jb = arg;
  mb_neighbors *nl = NULL;
  if (mb_neighbors_cutoff(jb->st, 5.0, &nl) == MB_OK) {
    jb->l = from_library(nl, jb->n);
    mb_neighbors_free(nl);
  }
  return NULL;
}

START_TEST(threads_share_a_structure) {
  mb_structure *st = fcc(2);
  job jobs[4];
  pthread_t th[4];
  for (int t = 0; t < 4; t++) {
    jobs[t] = (job){st, {0}, 32};
    ck_assert_int_eq(pthread_create(&th[t], NULL, build_in_thread, &jobs[t]), 0);
  }
  for (int t = 0; t < 4; t++) pthread_join(th[t], NULL);
  mb_neighbors *nl = NULL;
  MB_OK_OR_FAIL(mb_neighbors_cutoff(st, 5.0, &nl));
  list ref = from_library(nl, 32);
  mb_neighbors_free(nl);
  ck_assert_uint_eq(ref.n, 32 * (12 + 6 + 24)); /* fcc shells within 5 A: a/sqrt2, a, a sqrt(3/2) */
  for (int t = 0; t < 4; t++) {
    ck_assert_uint_eq(jobs[t].l.n, ref.n);
    for (size_t p = 0; p < ref.n; p++) {
      EXPECT(cmp_contract(&jobs[t].l.p[p], &ref.p[p]) == 0, "thread %d, pair %zu", t, p);
      for (int k = 0; k < 3; k++) EXPECT(jobs[t].l.p[p].v[k] == ref.p[p].v[k], "thread %d", t);
    }
    list_free(&jobs[t].l);
  }
  list_free(&ref);
  mb_structure_free(st);
}
END_TEST

static Suite *neighbors_suite(void) {
  Suite *s = suite_create("neighbors");
  TCase *tc = tcase_create("cutoff");
  tcase_set_timeout(tc, 60);
  tcase_add_loop_test(tc, cutoff_random_triclinic, 0, 8);
  tcase_add_test(tc, cutoff_skewed_cells);
  tcase_add_test(tc, cutoff_tiny_cells);
  tcase_add_test(tc, cutoff_many_bins);
  tcase_add_test(tc, cutoff_edge_positions);
  suite_add_tcase(s, tc);
  tc = tcase_create("knn");
  tcase_set_timeout(tc, 60);
  tcase_add_loop_test(tc, knn_against_brute_force, 0, 6);
  tcase_add_test(tc, knn_one_atom_and_large_k);
  tcase_add_test(tc, knn_fcc_ties);
  tcase_add_test(tc, knn_independent_of_atom_order);
  suite_add_tcase(s, tc);
  tc = tcase_create("api");
  tcase_add_test(tc, errors);
  tcase_add_test(tc, threads_share_a_structure);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) { return mb_run_suite(neighbors_suite()); }
