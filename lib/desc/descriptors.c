/* Hop descriptors of a migration band, exactly as train/migbar_train/descriptors.py
 * computes them (docs/descriptors.md): composition, ion, hop length, volume per atom,
 * nearest host distances at the midpoint ("issue"), along the path ("path"), and the
 * electrostatic and size features ("full").
 *
 * A forest compares float32 casts of these numbers with its thresholds, so a difference
 * in the last bit could, rarely, send a band down another branch. Every step therefore
 * repeats numpy's arithmetic: the same order of additions, np.round as rint (half to
 * even), and numpy's linear algebra as it runs on OpenBLAS with fused multiply-adds
 * (matmul and dot as fma chains in index order, det as sign * exp(sum log |u_ii|) of an
 * LU factorisation, inv by that LU's triangular solves). On such a machine the C values
 * equal numpy's bit for bit; elsewhere they differ by an ulp or so. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "desc.h"

/* ---- numpy's arithmetic ------------------------------------------------------------- */

/* v (row) @ m, a [3, 3] row-major matrix. */
static void vecmat(const double v[3], const double m[9], double out[3]) {
  double r[3];
  for (int k = 0; k < 3; k++) r[k] = fma(v[2], m[6 + k], fma(v[1], m[3 + k], v[0] * m[k]));
  memcpy(out, r, sizeof r);
}

/* np.linalg.norm of a 3-vector (a BLAS dot product). */
static double norm_dot(const double v[3]) {
  return sqrt(fma(v[2], v[2], fma(v[1], v[1], v[0] * v[0])));
}

/* LU factorisation with partial pivoting as LAPACK's dgetf2 in OpenBLAS does it: column
 * by column, each entry minus a dot product of what is above, the column below the pivot
 * scaled by its reciprocal. a (row-major) becomes L (unit, below) and U; row j was
 * swapped with piv[j]. Returns nonzero for a zero pivot. */
static int lu3(double a[9], int piv[3]) {
  for (int j = 0; j < 3; j++) {
    for (int i = 0; i < j; i++)
      if (piv[i] != i) {
        double t = a[3 * i + j];
        a[3 * i + j] = a[3 * piv[i] + j];
        a[3 * piv[i] + j] = t;
      }
    for (int i = 1; i < 3; i++) {
      int n = i < j ? i : j; /* entries above row i (U part) or left of column j */
      if (n == 0) continue;
      double d = a[3 * i] * a[j];
      for (int k = 1; k < n; k++) d = fma(a[3 * i + k], a[3 * k + j], d);
      a[3 * i + j] -= d;
    }
    int p = j;
    for (int i = j + 1; i < 3; i++)
      if (fabs(a[3 * i + j]) > fabs(a[3 * p + j])) p = i;
    piv[j] = p;
    if (a[3 * p + j] == 0) return 1;
    double r = 1.0 / a[3 * p + j];
    if (p != j)
      for (int k = 0; k <= j; k++) {
        double t = a[3 * j + k];
        a[3 * j + k] = a[3 * p + k];
        a[3 * p + k] = t;
      }
    for (int i = j + 1; i < 3; i++) a[3 * i + j] *= r;
  }
  return 0;
}

/* np.linalg.det: sign * exp(sum of log |u_ii|). */
static double det_np(const double lu[9], const int piv[3]) {
  double sign = 1, logdet = 0;
  for (int j = 0; j < 3; j++)
    if (piv[j] != j) sign = -sign;
  for (int i = 0; i < 3; i++) {
    double u = lu[4 * i];
    if (u < 0) sign = -sign, u = -u;
    logdet += log(u);
  }
  return sign * exp(logdet);
}

/* np.linalg.inv: solve L U x = P e_c per column c, as OpenBLAS's triangular kernels do
 * for 3 rows (a block of 2 rows solved with fused updates, the third row updated by a
 * matrix product). */
static void inv_np(const double a[9], const int piv[3], double inv[9]) {
  for (int c = 0; c < 3; c++) {
    double b[3] = {0, 0, 0};
    b[c] = 1;
    for (int i = 0; i < 3; i++) {
      double t = b[i];
      b[i] = b[piv[i]];
      b[piv[i]] = t;
    }
    double y0 = b[0], y1 = fma(-a[3], y0, b[1]);
    double y2 = b[2] - fma(a[7], y1, a[6] * y0);
    double x2 = y2 * (1.0 / a[8]);
    double t0 = y0 - a[2] * x2, t1 = y1 - a[5] * x2;
    double x1 = t1 * (1.0 / a[4]);
    double x0 = fma(-a[1], x1, t0) * (1.0 / a[0]);
    inv[c] = x0, inv[3 + c] = x1, inv[6 + c] = x2;
  }
}

/* descriptors.mic_distances for one point and one atom: the fractional difference wrapped
 * by np.round, then the nearest of its 27 neighbouring images. */
static double mic(const double lat[9], const double p[3], const double q[3]) {
  double d[3], best = INFINITY;
  for (int c = 0; c < 3; c++) {
    d[c] = q[c] - p[c];
    d[c] -= rint(d[c]);
  }
  for (int a = -1; a <= 1; a++)
    for (int b = -1; b <= 1; b++)
      for (int c = -1; c <= 1; c++) {
        double v[3] = {d[0] + a, d[1] + b, d[2] + c}, r[3];
        vecmat(v, lat, r);
        /* norm along an axis: np.add.reduce of the squares, in order */
        double n = sqrt(r[0] * r[0] + r[1] * r[1] + r[2] * r[2]);
        if (n < best) best = n;
      }
  return best;
}

/* np.linspace(0, 1, n)[i] */
static double linspace01(int i, int n) {
  return i == n - 1 ? 1.0 : i * (1.0 / (n - 1));
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* ---- the features ------------------------------------------------------------------- */

void mb__desc_name(const mb__desc *d, int i, char *buf, size_t size) {
  static const char *const full[] = {"mid_anions_3A", "mid_nearest_anion",
                                     "mid_nearest_cation", "mid_cations_4A", "ion_charge",
                                     "ion_radius", "bottleneck_minus_radius", "ion_fraction"};
  const char *sym = "?";
  if (i < d->nelements) {
    mb_element_symbol(d->elements[i], &sym);
    snprintf(buf, size, "frac_%s", sym);
    return;
  }
  i -= d->nelements;
  if (i < d->nions) {
    mb_element_symbol(d->ions[i], &sym);
    snprintf(buf, size, "ion_%s", sym);
    return;
  }
  i -= d->nions;
  if (i < 2) {
    snprintf(buf, size, "%s", i ? "volume_per_atom" : "hop_length");
    return;
  }
  i -= 2;
  if (i < d->n_nearest) {
    snprintf(buf, size, "mid_d%d", i + 1);
    return;
  }
  i -= d->n_nearest;
  if (i < d->band_images) {
    snprintf(buf, size, "image%d_nn", i);
    return;
  }
  i -= d->band_images;
  if (i < 2) {
    snprintf(buf, size, "%s", i ? "squeeze" : "bottleneck");
    return;
  }
  i -= 2;
  snprintf(buf, size, "%s", i < 8 ? full[i] : "?");
}

/* Smallest distance from point p to the host atoms. */
static double nearest(const mb__desc *d, const mb_structure *s, const double p[3]) {
  double best = INFINITY;
  for (int j = d->band_images; j < s->natoms; j++) {
    double r = mic(s->lattice, p, &s->frac[3 * j]);
    if (r < best) best = r;
  }
  return best;
}

mb_status mb__desc_compute(const mb__desc *d, const mb_structure *s, double *x) {
  int nimg = d->band_images, nhost = s->natoms - nimg, ion = s->numbers[0];
  if (nhost < d->n_nearest)
    return mb__error(MB_ERR_INVALID_ARG, "descriptors: %d host atoms, fewer than %d", nhost,
                     d->n_nearest);
  for (int k = 1; k < nimg; k++)
    if (s->numbers[k] != ion)
      return mb__error(MB_ERR_INVALID_ARG, "descriptors: the first %d atoms must be the images "
                       "of one ion (atom %d is Z = %d, atom 0 Z = %d)", nimg, k, s->numbers[k],
                       ion);
  double *dmid = mb__malloc((size_t)nhost, sizeof *dmid);
  if (!dmid) return MB_ERR_NOMEM;
  const double *frac = s->frac, *host = &s->frac[3 * nimg];
  const int *hz = &s->numbers[nimg];
  int at = 0;
  for (int e = 0; e < d->nelements; e++) {
    int count = 0;
    for (int j = 0; j < nhost; j++) count += hz[j] == d->elements[e];
    x[at++] = (double)count / nhost;
  }
  double charge = d->default_charge, radius = d->default_radius;
  for (int i = 0; i < d->nions; i++) {
    x[at++] = ion == d->ions[i] ? 1.0 : 0.0;
    if (ion == d->ions[i]) charge = d->ion_charge[i], radius = d->ion_radius[i];
  }
  /* hop: the minimum-image steps between consecutive images, summed, in Cartesian */
  double sum[3] = {0, 0, 0}, hop[3], lu[9], inv[9], dfrac[3];
  for (int k = 0; k + 1 < nimg; k++)
    for (int c = 0; c < 3; c++) {
      double step = frac[3 * (k + 1) + c] - frac[3 * k + c];
      sum[c] = k ? sum[c] + (step - rint(step)) : step - rint(step);
    }
  vecmat(sum, s->lattice, hop);
  x[at++] = norm_dot(hop);
  int piv[3];
  memcpy(lu, s->lattice, sizeof lu);
  if (lu3(lu, piv)) {
    free(dmid);
    return mb__error(MB_ERR_GEOMETRY, "descriptors: singular lattice");
  }
  x[at++] = fabs(det_np(lu, piv)) / (nhost + 1);
  /* the straight path in fractional coordinates, from image 0 */
  inv_np(lu, piv, inv);
  vecmat(hop, inv, dfrac);
  double mid[3];
  for (int c = 0; c < 3; c++) mid[c] = frac[c] + 0.5 * dfrac[c];
  for (int j = 0; j < nhost; j++) dmid[j] = mic(s->lattice, mid, &host[3 * j]);
  double *sorted = mb__malloc((size_t)nhost, sizeof *sorted); /* np.sort(dmid) */
  if (!sorted) {
    free(dmid);
    return MB_ERR_NOMEM;
  }
  memcpy(sorted, dmid, sizeof *sorted * (size_t)nhost);
  qsort(sorted, (size_t)nhost, sizeof *sorted, cmp_double);
  memcpy(&x[at], sorted, sizeof *sorted * (size_t)d->n_nearest);
  free(sorted);
  at += d->n_nearest;
  if (d->set >= MB__DESC_PATH) {
    double p[3], nn0 = 0, nnlast = 0, bottleneck = INFINITY;
    for (int k = 0; k < nimg; k++) {
      double t = linspace01(k, nimg);
      for (int c = 0; c < 3; c++) p[c] = frac[c] + t * dfrac[c];
      double nn = nearest(d, s, p);
      x[at++] = nn;
      if (k == 0) nn0 = nn;
      if (k == nimg - 1) nnlast = nn;
    }
    for (int k = 0; k < d->path_samples; k++) {
      double t = linspace01(k, d->path_samples);
      for (int c = 0; c < 3; c++) p[c] = frac[c] + t * dfrac[c];
      double nn = nearest(d, s, p);
      if (nn < bottleneck) bottleneck = nn;
    }
    x[at++] = bottleneck;
    x[at++] = 0.5 * (nn0 + nnlast) - bottleneck;
    if (d->set >= MB__DESC_FULL) {
      int na = 0, nc = 0, same = 0;
      double da = INFINITY, dc = INFINITY;
      for (int j = 0; j < nhost; j++) {
        int z = hz[j];
        if (z > 0 && z < 119 && d->anion[z]) {
          na += dmid[j] <= d->anion_cutoff;
          if (dmid[j] < da) da = dmid[j];
        } else {
          nc += dmid[j] <= d->cation_cutoff;
          if (dmid[j] < dc) dc = dmid[j];
        }
        same += z == ion;
      }
      x[at++] = na;
      x[at++] = isinf(da) ? d->missing_distance : da;
      x[at++] = isinf(dc) ? d->missing_distance : dc;
      x[at++] = nc;
      x[at++] = charge;
      x[at++] = radius;
      x[at++] = bottleneck - radius;
      x[at++] = (double)same / nhost;
    }
  }
  free(dmid);
  return MB_OK;
}

/* ---- the definition, from a forest file ----------------------------------------------- */

static mb_status bad(const char *file, const char *key, const char *what) {
  return mb__error(MB_ERR_MODEL, "%s: migbar.forest: '%s' %s", file, key, what);
}

static const cJSON *item(const cJSON *o, const char *key) {
  return cJSON_GetObjectItemCaseSensitive(o, key);
}

static mb_status number(const cJSON *o, const char *key, const char *file, double lo,
                        double hi, double *v) {
  const cJSON *x = item(o, key);
  if (!cJSON_IsNumber(x) || !(x->valuedouble >= lo && x->valuedouble <= hi)) {
    char what[96];
    snprintf(what, sizeof what, "must be a number in [%g, %g]", lo, hi);
    return bad(file, key, what);
  }
  *v = x->valuedouble;
  return MB_OK;
}

static mb_status integer(const cJSON *o, const char *key, const char *file, int lo, int hi,
                         int *v) {
  double d;
  mb_status st = number(o, key, file, lo, hi, &d);
  if (!st && floor(d) != d) st = bad(file, key, "must be an integer");
  if (!st) *v = (int)d;
  return st;
}

/* An array of element symbols as atomic numbers (a new array in *z). */
static mb_status symbols(const cJSON *o, const char *key, const char *file, int *n, int **z) {
  const cJSON *a = item(o, key), *x;
  if (!cJSON_IsArray(a)) return bad(file, key, "must be an array of element symbols");
  *n = cJSON_GetArraySize(a);
  if (!(*z = mb__calloc((size_t)*n + 1, sizeof **z))) return MB_ERR_NOMEM;
  int i = 0;
  cJSON_ArrayForEach(x, a) {
    if (!cJSON_IsString(x) || mb_element_number(x->valuestring, &(*z)[i]) != MB_OK)
      return mb__error(MB_ERR_MODEL, "%s: migbar.forest: '%s' entry %d is not an element "
                       "symbol", file, key, i);
    i++;
  }
  return MB_OK;
}

/* An array of n finite numbers (a new array in *v). */
static mb_status numbers(const cJSON *o, const char *key, const char *file, int n, double **v) {
  const cJSON *a = item(o, key), *x;
  if (!cJSON_IsArray(a) || cJSON_GetArraySize(a) != n) {
    char what[96];
    snprintf(what, sizeof what, "must be an array of %d numbers (one per ion)", n);
    return bad(file, key, what);
  }
  if (!(*v = mb__calloc((size_t)n + 1, sizeof **v))) return MB_ERR_NOMEM;
  int i = 0;
  cJSON_ArrayForEach(x, a) {
    if (!cJSON_IsNumber(x) || !isfinite(x->valuedouble))
      return mb__error(MB_ERR_MODEL, "%s: migbar.forest: '%s' entry %d is not a finite number",
                       file, key, i);
    (*v)[i++] = x->valuedouble;
  }
  return MB_OK;
}

static mb_status parse_constants(const cJSON *c, const char *file, mb__desc *d) {
  static const char *const known[] = {"band_images", "ions", "ion_charge", "ion_radius",
                                      "anions", "anion_cutoff", "cation_cutoff", "n_nearest",
                                      "path_samples", "missing_distance", "default_charge",
                                      "default_radius"};
  if (!cJSON_IsObject(c)) return bad(file, "constants", "must be an object");
  const cJSON *x;
  cJSON_ArrayForEach(x, c) {
    size_t k = 0;
    while (k < sizeof known / sizeof *known && strcmp(known[k], x->string)) k++;
    if (k == sizeof known / sizeof *known)
      return mb__error(MB_ERR_MODEL, "%s: migbar.forest: unknown key 'constants.%s'", file,
                       x->string);
  }
  int nanions = 0, *anions = NULL;
  mb_status st;
  if ((st = integer(c, "band_images", file, 2, 64, &d->band_images)) ||
      (st = integer(c, "n_nearest", file, 1, 64, &d->n_nearest)) ||
      (st = integer(c, "path_samples", file, 2, 10000, &d->path_samples)) ||
      (st = number(c, "anion_cutoff", file, 0, 1e3, &d->anion_cutoff)) ||
      (st = number(c, "cation_cutoff", file, 0, 1e3, &d->cation_cutoff)) ||
      (st = number(c, "missing_distance", file, 0, 1e3, &d->missing_distance)) ||
      (st = number(c, "default_charge", file, -10, 10, &d->default_charge)) ||
      (st = number(c, "default_radius", file, 0, 10, &d->default_radius)) ||
      (st = symbols(c, "ions", file, &d->nions, &d->ions)) ||
      (st = numbers(c, "ion_charge", file, d->nions, &d->ion_charge)) ||
      (st = numbers(c, "ion_radius", file, d->nions, &d->ion_radius)) ||
      (st = symbols(c, "anions", file, &nanions, &anions))) {
    free(anions);
    return st;
  }
  for (int i = 0; i < nanions; i++) d->anion[anions[i]] = 1;
  free(anions);
  return MB_OK;
}

mb_status mb__desc_parse(const cJSON *forest, const char *file, mb__desc *d) {
  static const char *const sets[] = {"issue", "path", "full"};
  memset(d, 0, sizeof *d);
  const cJSON *fs = item(forest, "feature_set"), *names = item(forest, "features"), *x;
  d->set = -1;
  for (int k = 0; k < 3; k++)
    if (cJSON_IsString(fs) && !strcmp(fs->valuestring, sets[k])) d->set = k;
  if (d->set < 0) return bad(file, "feature_set", "must be \"issue\", \"path\" or \"full\"");
  mb_status st = symbols(forest, "elements", file, &d->nelements, &d->elements);
  if (!st) st = parse_constants(item(forest, "constants"), file, d);
  if (st) return st;
  d->nfeatures = d->nelements + d->nions + 2 + d->n_nearest;
  if (d->set >= MB__DESC_PATH) d->nfeatures += d->band_images + 2;
  if (d->set >= MB__DESC_FULL) d->nfeatures += 8;
  if (!cJSON_IsArray(names) || cJSON_GetArraySize(names) != d->nfeatures)
    return mb__error(MB_ERR_MODEL, "%s: migbar.forest: 'features' must list the %d features "
                     "of feature set %s with %d elements and %d ions", file, d->nfeatures,
                     sets[d->set], d->nelements, d->nions);
  int i = 0;
  cJSON_ArrayForEach(x, names) {
    char want[64];
    mb__desc_name(d, i, want, sizeof want);
    if (!cJSON_IsString(x) || strcmp(x->valuestring, want))
      return mb__error(MB_ERR_MODEL, "%s: migbar.forest: 'features' entry %d is %s%.40s%s, "
                       "expected '%s'", file, i, cJSON_IsString(x) ? "'" : "",
                       cJSON_IsString(x) ? x->valuestring : "not a string",
                       cJSON_IsString(x) ? "'" : "", want);
    i++;
  }
  return MB_OK;
}

void mb__desc_free(mb__desc *d) {
  if (!d) return;
  free(d->elements);
  free(d->ions);
  free(d->ion_charge);
  free(d->ion_radius);
  memset(d, 0, sizeof *d);
}
