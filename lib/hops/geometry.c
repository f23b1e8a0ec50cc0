/* Geometry of the distinct hops: the clearance of each end site (distance to the
 * nearest framework atom, i.e. atom of another element), the bottleneck of the
 * straight path (its closest approach to a framework atom, over every periodic
 * image), whether the path is blocked, the window (the same for the widest of a
 * family of bent paths) and the geometric proxy barrier
 * (docs/hops.md). Equivalent hops share all of these, so only representatives are
 * measured. */
#include <math.h>
#include <stdlib.h>

#include "hops.h"

/* The geometric proxy (docs/hops.md): E = K_SQUEEZE (c - w)_+^2 + K_LENGTH L, eV, with
 * c the clearance, w the window (the widest bent path) and L the length (A). */
#define HOPS_PROXY_SQUEEZE 2.0 /* eV/A^2 */
#define HOPS_PROXY_LENGTH 0.05 /* eV/A */
/* The bent paths of the window: midpoint displacements up to HOPS_BEND_MAX (A) in
 * HOPS_BEND_STEPS rings of HOPS_BEND_DIRECTIONS directions; samples per path. */
#define HOPS_BEND_MAX 1.5
#define HOPS_BEND_STEPS 6
#define HOPS_BEND_DIRECTIONS 12
#define HOPS_PATH_SAMPLES 21
#define HOPS_TWO_PI 6.283185307179586

/* Distance from the nearest framework atom to the point p (Cartesian). */
static double clearance(const mb_hops *h, const double p[3]) {
  const mb_structure *s = h->s;
  double best = INFINITY;
  for (int a = 0; a < s->natoms; a++) {
    if (s->numbers[a] == h->z) continue;
    double r[3], d[3];
    mb__structure_cart(s, a, r);
    for (int c = 0; c < 3; c++) d[c] = r[c] - p[c];
    mb__minimum_image(s->lattice, s->inverse, d);
    double dist = mb__norm3(d);
    if (dist < best) best = dist;
  }
  return best;
}

/* The framework atoms (all periodic images) within radius of the point mid, as
 * Cartesian positions; the image range per axis follows from the cell heights.
 * Returns the count, or -1 when out of memory. */
static int gather(const mb_hops *h, const double mid[3], double radius, double **out) {
  const mb_structure *s = h->s;
  double heights[3], fmid[3];
  mb__cell_heights(s->lattice, heights);
  mb__vecmat3(mid, s->inverse, fmid);
  int n = 0, cap = 64;
  double *list = mb__malloc(3 * (size_t)cap, sizeof *list);
  if (!list) return -1;
  for (int a = 0; a < s->natoms; a++) {
    if (s->numbers[a] == h->z) continue;
    double df[3];
    int lo[3], hi[3];
    for (int c = 0; c < 3; c++) {
      df[c] = s->frac[3 * a + c] - fmid[c];
      df[c] -= round(df[c]);
      /* images n with |df + n| h <= radius along every axis */
      lo[c] = (int)ceil(-radius / heights[c] - df[c]);
      hi[c] = (int)floor(radius / heights[c] - df[c]);
    }
    for (int n0 = lo[0]; n0 <= hi[0]; n0++)
      for (int n1 = lo[1]; n1 <= hi[1]; n1++)
        for (int n2 = lo[2]; n2 <= hi[2]; n2++) {
          double f[3] = {df[0] + n0, df[1] + n1, df[2] + n2}, r[3];
          mb__vecmat3(f, s->lattice, r);
          if (mb__norm3(r) > radius) continue;
          if (n == cap) {
            double *grown = mb__realloc(list, 3 * (size_t)cap * 2, sizeof *list);
            if (!grown) {
              free(list);
              return -1;
            }
            list = grown, cap *= 2;
          }
          for (int c = 0; c < 3; c++) list[3 * n + c] = mid[c] + r[c];
          n++;
        }
  }
  *out = list;
  return n;
}

/* Closest approach of the segment p0 -> p0 + v to the n points of list. */
static double segment_approach(const double p0[3], const double v[3], const double *list, int n) {
  double vv = mb__dot3(v, v), best = INFINITY;
  for (int k = 0; k < n; k++) {
    double w[3];
    for (int c = 0; c < 3; c++) w[c] = list[3 * k + c] - p0[c];
    double t = vv > 0 ? mb__dot3(w, v) / vv : 0;
    t = t < 0 ? 0 : t > 1 ? 1 : t;
    for (int c = 0; c < 3; c++) w[c] -= t * v[c];
    double d = mb__norm3(w);
    if (d < best) best = d;
  }
  return best;
}

/* The window of a hop: the largest closest approach over a family of bent paths
 * p(t) = p0 + t v + 4 t (1 - t) w, w perpendicular to v (|w| <= HOPS_BEND_MAX, on a
 * polar grid), each sampled at HOPS_PATH_SAMPLES points. Real paths curve around
 * the narrowest windows (olivine's b channel is the classic case); the straight
 * bottleneck alone would rank such hops too high. */
static double window(const double p0[3], const double v[3], const double *list, int n) {
  double e1[3], e2[3], axis[3] = {1, 0, 0}, len = mb__norm3(v), best = -INFINITY;
  if (fabs(v[0]) > 0.9 * len) axis[0] = 0, axis[1] = 1;
  mb__cross3(v, axis, e1);
  double n1 = mb__norm3(e1);
  for (int c = 0; c < 3; c++) e1[c] /= n1;
  mb__cross3(v, e1, e2);
  for (int c = 0; c < 3; c++) e2[c] /= len;
  for (int r = 0; r <= HOPS_BEND_STEPS; r++) {
    double m = HOPS_BEND_MAX * r / HOPS_BEND_STEPS;
    for (int q = 0; q < (r ? HOPS_BEND_DIRECTIONS : 1); q++) {
      double phi = HOPS_TWO_PI * q / HOPS_BEND_DIRECTIONS, w[3], worst = INFINITY;
      for (int c = 0; c < 3; c++) w[c] = m * (cos(phi) * e1[c] + sin(phi) * e2[c]);
      for (int k = 0; k < HOPS_PATH_SAMPLES && worst > best; k++) {
        double t = (double)k / (HOPS_PATH_SAMPLES - 1), p[3];
        for (int c = 0; c < 3; c++) p[c] = p0[c] + t * v[c] + 4 * t * (1 - t) * w[c];
        for (int a = 0; a < n; a++) {
          double d[3];
          for (int c = 0; c < 3; c++) d[c] = list[3 * a + c] - p[c];
          double dd = mb__norm3(d);
          if (dd < worst) worst = dd;
        }
      }
      if (worst > best) best = worst;
    }
  }
  return best;
}

mb_status mb__hops_geometry(mb_hops *h) {
  for (int g = 0; g < h->ngroups; g++) {
    mb__hop_group *grp = &h->groups[g];
    double fi[3], p0[3], p1[3], v[3];
    for (int c = 0; c < 3; c++) fi[c] = h->site_frac[3 * grp->rep.i + c];
    mb__vecmat3(fi, h->s->lattice, p0);
    mb__hops_vector(h, &grp->rep, v);
    for (int c = 0; c < 3; c++) p1[c] = p0[c] + v[c];
    double c0 = clearance(h, p0), c1 = clearance(h, p1);
    grp->clearance = fmin(c0, c1);
    if (isinf(grp->clearance)) { /* no framework atom at all */
      grp->bottleneck = grp->window = INFINITY;
      grp->blocked = 0;
      grp->proxy = HOPS_PROXY_LENGTH * grp->length;
      continue;
    }
    /* every framework atom that can come within c0 of any path (the start is c0 from
     * the nearest) */
    double mid[3], *list = NULL;
    for (int c = 0; c < 3; c++) mid[c] = p0[c] + 0.5 * v[c];
    int n = gather(h, mid, c0 + 0.5 * grp->length + HOPS_BEND_MAX + 1e-9, &list);
    if (n < 0) return MB_ERR_NOMEM;
    grp->bottleneck = segment_approach(p0, v, list, n);
    grp->window = fmax(grp->bottleneck, window(p0, v, list, n));
    free(list);
    grp->blocked = grp->bottleneck < h->block_fraction * grp->clearance;
    double squeeze = fmax(0.0, grp->clearance - grp->window);
    grp->proxy = HOPS_PROXY_SQUEEZE * squeeze * squeeze + HOPS_PROXY_LENGTH * grp->length;
  }
  return MB_OK;
}
