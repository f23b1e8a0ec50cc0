/* Image-dependent pair potential interpolation: Smidstrup, Pedersen, Stokbro &
 * Jonsson, J. Chem. Phys. 140, 214106 (2014). Every pair of atoms a, b has, in
 * image i of n (t = i / (n - 1)), the target distance
 *     d_t = d_0 + t (d_1 - d_0)
 * interpolated between its distances in the end points, and each image minimises
 *     S = sum_{a<b} w(d) (d - d_t)^2,   w(d) = 1 / d^4
 * (eq. 2 and 3 of the paper), which weights short, repulsive distances most.
 *
 * Pairs within a cutoff (IDPP_CUTOFF). ASE 3.22 sums over all N^2/2 pairs; the
 * weight 1/d^4 makes far pairs matter little (their d - d_t is small too), so
 * the sum here runs over the pairs that come within IDPP_CUTOFF of each other
 * anywhere on the straight path between the end points: the pairs of the initial
 * structure's neighbour list within IDPP_CUTOFF + 2 IDPP_SKIN (an atom that moves
 * at most IDPP_SKIN cannot come closer than that), plus every pair with an atom
 * that moves more than IDPP_SKIN whose closest approach on the straight path is
 * within IDPP_CUTOFF. The list is made once, so S is one smooth function during
 * the optimisation. Cost O(N) per iteration at a fixed density instead of
 * O(N^2). Each pair keeps the lattice shift that makes its vector the minimum
 * image in the initial structure; the images are continuous in between (the
 * linear path moves every atom along its minimum-image displacement), so its
 * vector never jumps. Paths agree with ASE's all-pair IDPP converged to 1e-4 to
 * within 0.02 A per atom on the tests' cases (tests/neb/test_idpp.c).
 *
 * The images are relaxed together as a NEB on S (improved tangent, spring 0.1,
 * no climbing image), starting from the linear path, so that they stay spread
 * along the path. Optimiser: the band's global L-BFGS (lbfgs.c) with steps of at
 * most 0.1 A per atom, until the largest per-atom norm of the NEB force -dS/dx is
 * below IDPP_FMAX or after IDPP_STEPS steps (not converging is not an error: the
 * path is only a starting guess). After every iteration the band's step callback,
 * if any, is called with step 0; nonzero stops the interpolation (MB_ERR_STOPPED),
 * which is how Ctrl-C reaches it in migbar neb. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "neb.h"
#include "../structure/structure.h"

#define IDPP_CUTOFF 8.0  /* A */
#define IDPP_SKIN 0.5    /* A */
#define IDPP_SPRING 0.1
#define IDPP_MAX_MOVE 0.1
#define IDPP_FMAX 1e-3   /* A^-3: the per-atom norm of -dS/dx */
#define IDPP_STEPS 1000

typedef struct pairs {
  size_t n, cap;
  int *a, *b;
  double *shift; /* 3n: v = x_b - x_a + shift is the pair's vector in every image */
  double *d0, *d1;
} pairs;

static int pairs_add(pairs *p, int a, int b, const double shift[3]) {
  if (p->n == p->cap) {
    size_t cap = p->cap ? 2 * p->cap : 1024;
    int *na = mb__realloc(p->a, cap, sizeof(int)), *nb = na ? mb__realloc(p->b, cap, sizeof(int)) : NULL;
    if (na) p->a = na;
    if (nb) p->b = nb;
    double *ns = nb ? mb__realloc(p->shift, 3 * cap, sizeof(double)) : NULL;
    if (ns) p->shift = ns;
    if (!ns) return -1;
    p->cap = cap;
  }
  p->a[p->n] = a;
  p->b[p->n] = b;
  memcpy(p->shift + 3 * p->n, shift, 3 * sizeof(double));
  p->n++;
  return 0;
}

static void pairs_free(pairs *p) {
  free(p->a);
  free(p->b);
  free(p->shift);
  free(p->d0);
  free(p->d1);
}

static int cmp_pair(const void *x, const void *y) {
  const long long *p = x, *q = y;
  return (*p > *q) - (*p < *q);
}

/* The pair list of the band (see the top of the file). */
static mb_status make_pairs(const mb_band *b, pairs *out) {
  int natoms = b->natoms;
  size_t n = 3 * (size_t)natoms;
  const double *x0 = b->pos, *xl = b->pos + (size_t)(b->nimages - 1) * n;
  mb_status st = MB_OK;
  mb_structure *s = NULL;
  mb_neighbors *nl = NULL;
  int *ni = NULL, *nj = NULL;
  double *nv = NULL, *disp = mb__malloc(n, sizeof(double));
  long long *keys = NULL;
  pairs all = {0};
  if (!disp) return MB_ERR_NOMEM;
  mb__mic_diff(natoms, b->lattice, b->inverse, x0, xl, disp);
  /* pairs near each other in the initial structure */
  size_t np = 0;
  if ((st = mb__structure_new(b->lattice, natoms, x0, MB_COORDS_CARTESIAN, b->numbers, &s)) ||
      (st = mb_neighbors_cutoff(s, IDPP_CUTOFF + 2 * IDPP_SKIN, &nl)) ||
      (st = mb_neighbors_count(nl, &np)))
    goto cleanup;
  ni = mb__malloc(np + 1, sizeof(int));
  nj = mb__malloc(np + 1, sizeof(int));
  nv = mb__malloc(3 * np + 3, sizeof(double));
  if (!ni || !nj || !nv) {
    st = MB_ERR_NOMEM;
    goto cleanup;
  }
  if ((st = mb_neighbors_pairs(nl, ni, nj, NULL, NULL, nv))) goto cleanup;
  for (size_t p = 0; p < np; p++) {
    if (ni[p] >= nj[p]) continue; /* each pair once; an atom and its own images: d fixed */
    double shift[3];
    for (int k = 0; k < 3; k++) shift[k] = nv[3 * p + k] - (x0[3 * nj[p] + k] - x0[3 * ni[p] + k]);
    if (pairs_add(&all, ni[p], nj[p], shift)) goto nomem;
  }
  /* pairs with an atom that moves far: their closest approach on the straight path */
  for (int a = 0; a < natoms; a++) {
    const double *da = disp + 3 * a;
    if (sqrt(da[0] * da[0] + da[1] * da[1] + da[2] * da[2]) <= IDPP_SKIN) continue;
    for (int c = 0; c < natoms; c++) {
      if (c == a) continue;
      double v0[3], w[3];
      for (int k = 0; k < 3; k++) {
        v0[k] = x0[3 * c + k] - x0[3 * a + k];
        w[k] = disp[3 * c + k] - da[k];
      }
      mb__minimum_image(b->lattice, b->inverse, v0);
      double ww = w[0] * w[0] + w[1] * w[1] + w[2] * w[2];
      double t = ww > 0 ? -(v0[0] * w[0] + v0[1] * w[1] + v0[2] * w[2]) / ww : 0;
      t = t < 0 ? 0 : t > 1 ? 1 : t;
      double c2 = 0;
      for (int k = 0; k < 3; k++) c2 += (v0[k] + t * w[k]) * (v0[k] + t * w[k]);
      if (c2 >= IDPP_CUTOFF * IDPP_CUTOFF) continue;
      int lo = a < c ? a : c, hi = a < c ? c : a;
      double shift[3];
      for (int k = 0; k < 3; k++)
        shift[k] = (lo == a ? v0[k] : -v0[k]) - (x0[3 * hi + k] - x0[3 * lo + k]);
      if (pairs_add(&all, lo, hi, shift)) goto nomem;
    }
  }
  /* one term per pair (a, b): the neighbour list may hold several images of it in a
   * small cell, and the moving atoms' pairs repeat some; keep the minimum image of
   * the initial structure (the first found, the neighbour list's nearest, or the
   * minimum image itself) */
  keys = mb__malloc(all.n + 1, 2 * sizeof(long long));
  if (!keys) goto nomem;
  for (size_t p = 0; p < all.n; p++) {
    keys[2 * p] = (long long)all.a[p] * natoms + all.b[p];
    keys[2 * p + 1] = (long long)p;
  }
  qsort(keys, all.n, 2 * sizeof(long long), cmp_pair);
  for (size_t q = 0; q < all.n; q++) {
    if (q > 0 && keys[2 * q] == keys[2 * q - 2]) continue;
    size_t p = (size_t)keys[2 * q + 1];
    /* of the copies of this pair, the shortest vector in the initial structure */
    double best = INFINITY, shift[3] = {0, 0, 0};
    for (size_t r = q; r < all.n && keys[2 * r] == keys[2 * q]; r++) {
      size_t m = (size_t)keys[2 * r + 1];
      double d2 = 0;
      for (int k = 0; k < 3; k++) {
        double v = x0[3 * all.b[m] + k] - x0[3 * all.a[m] + k] + all.shift[3 * m + k];
        d2 += v * v;
      }
      if (d2 < best) best = d2, memcpy(shift, all.shift + 3 * m, sizeof shift);
    }
    if (pairs_add(out, all.a[p], all.b[p], shift)) goto nomem;
  }
  out->d0 = mb__malloc(out->n + 1, sizeof(double));
  out->d1 = mb__malloc(out->n + 1, sizeof(double));
  if (!out->d0 || !out->d1) goto nomem;
  for (size_t p = 0; p < out->n; p++) {
    int a = out->a[p], c = out->b[p];
    double v0[3], v1[3];
    for (int k = 0; k < 3; k++) {
      v0[k] = x0[3 * c + k] - x0[3 * a + k] + out->shift[3 * p + k];
      v1[k] = v0[k] + disp[3 * c + k] - disp[3 * a + k]; /* the final end point */
    }
    out->d0[p] = sqrt(v0[0] * v0[0] + v0[1] * v0[1] + v0[2] * v0[2]);
    out->d1[p] = sqrt(v1[0] * v1[0] + v1[1] * v1[1] + v1[2] * v1[2]);
  }
  goto cleanup;
nomem:
  st = MB_ERR_NOMEM;
cleanup:
  mb_structure_free(s);
  mb_neighbors_free(nl);
  free(ni);
  free(nj);
  free(nv);
  free(disp);
  free(keys);
  pairs_free(&all);
  return st;
}

/* S and its forces -dS/dx for image x at fraction t of the path. */
static double idpp_energy(const pairs *p, int natoms, double t, const double *x, double *f) {
  double s = 0;
  memset(f, 0, 3 * (size_t)natoms * sizeof(double));
  for (size_t q = 0; q < p->n; q++) {
    int a = p->a[q], b = p->b[q];
    double v[3];
    for (int k = 0; k < 3; k++) v[k] = x[3 * b + k] - x[3 * a + k] + p->shift[3 * q + k];
    double d = sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]);
    if (!(d > 1e-8)) d = 1e-8;
    double target = p->d0[q] + t * (p->d1[q] - p->d0[q]);
    double dd = d - target, d2 = d * d, d4 = d2 * d2;
    s += dd * dd / d4;
    /* dS/dd = 2 dd / d^4 - 4 dd^2 / d^5 */
    double g = (2 * dd / d4) * (1 - 2 * dd / d) / d;
    for (int k = 0; k < 3; k++) {
      f[3 * a + k] += g * v[k];
      f[3 * b + k] -= g * v[k];
    }
  }
  return s;
}

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

mb_status mb__band_idpp(mb_band *b) {
  int nimages = b->nimages, natoms = b->natoms;
  if (natoms < 2) return MB_OK;
  double t0 = now();
  size_t n = 3 * (size_t)natoms, nmove = (size_t)(nimages - 2) * n;
  mb_status st = MB_OK;
  pairs p = {0};
  double *energy = mb__malloc((size_t)nimages, sizeof(double));
  double *force = mb__calloc((size_t)nimages * n, sizeof(double));
  double *neb = mb__calloc((size_t)nimages * n, sizeof(double));
  mb__opt *o = mb__opt_new(MB_OPTIMIZER_LBFGS, nmove);
  if (!energy || !force || !neb || !o) {
    st = MB_ERR_NOMEM;
    goto cleanup;
  }
  if ((st = make_pairs(b, &p))) goto cleanup;
  mb__log(&b->log, MB_LOG_INFO, "IDPP path: %d moving images, %zu atom pairs within %.1f A",
          nimages - 2, p.n, IDPP_CUTOFF);
  energy[0] = energy[nimages - 1] = 0; /* both end points meet their targets */
  double fmax = NAN;
  int step;
  for (step = 0; step <= IDPP_STEPS; step++) {
    for (int i = 1; i < nimages - 1; i++)
      energy[i] = idpp_energy(&p, natoms, (double)i / (nimages - 1), b->pos + (size_t)i * n,
                              force + (size_t)i * n);
    mb__neb_project(nimages, natoms, b->lattice, b->inverse, b->pos, energy, force, b->free,
                    IDPP_SPRING, -1, -1, neb, NULL, NULL);
    fmax = mb__max_atom_norm(neb + n, nmove);
    mb__log(&b->log, MB_LOG_DEBUG, "IDPP step %d  fmax %.3g A^-3", step, fmax);
    if (b->step_fn && b->step_fn(b, 0, b->step_user)) {
      st = mb__error(MB_ERR_STOPPED,
                     "the IDPP interpolation was stopped by the step callback after %d "
                     "iterations (the images are the path as it was then)",
                     step);
      goto cleanup;
    }
    if (mb__band_freed(b)) {
      st = MB_ERR_STOPPED;
      goto cleanup;
    }
    if (step == IDPP_STEPS || fmax < IDPP_FMAX) break;
    mb__opt_step(o, b->pos + n, neb + n, IDPP_MAX_MOVE);
  }
  mb__log(&b->log, MB_LOG_INFO, "IDPP path: %d iterations, largest force %.2g A^-3 (%s), %.2f s",
          step, fmax, fmax < IDPP_FMAX ? "converged" : "not converged", now() - t0);
cleanup:
  pairs_free(&p);
  free(energy);
  free(force);
  free(neb);
  mb__opt_free(o);
  return st;
}
