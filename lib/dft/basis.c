/* Plane-wave basis of one k-point: all G with |k+G|^2/2 <= ecut (ABINIT's kpgsph
 * with istwfk 1, i.e. the full sphere), or at Gamma for real wavefunctions half of it
 * (istwfk 2), sorted by |k+G| and then by G so that the order does not depend on how
 * the sphere was scanned, and mapped into the FFT box. */
#include <complex.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kohnsham.h"

typedef struct pw {
  long long key; /* kinetic energy in units of 1e-10 Ha: ties up to rounding become exact */
  int g[3];
  double kin;
} pw;

static int pw_cmp(const void *pa, const void *pb) {
  const pw *a = pa, *b = pb;
  if (a->key != b->key) return a->key < b->key ? -1 : 1;
  for (int d = 0; d < 3; d++)
    if (a->g[d] != b->g[d]) return a->g[d] < b->g[d] ? -1 : 1;
  return 0;
}

/* The half of the sphere a real basis keeps: the k+G whose first non-zero component of
 * the integer vector 2(k+G) = K0 + 2G is positive (and G = 0 at Gamma). */
static int upper_half(const int k0[3], int g0, int g1, int g2) {
  int q0 = k0[0] + 2 * g0, q1 = k0[1] + 2 * g1, q2 = k0[2] + 2 * g2;
  return q0 > 0 || (q0 == 0 && (q1 > 0 || (q1 == 0 && q2 >= 0)));
}

static mb_status basis_create(const double lattice[9], const double k[3], double ecut,
                              const int n[3], int real, mb__basis **out) {
  if (!lattice || !k || !n || !out)
    return mb__error(MB_ERR_INVALID_ARG, "mb__basis_create: NULL argument");
  *out = NULL;
  if (!(ecut > 0) || !isfinite(ecut))
    return mb__error(MB_ERR_INVALID_ARG, "mb__basis_create: ecut must be > 0 Ha (got %g)",
                     ecut);
  for (int d = 0; d < 3; d++) {
    if (n[d] < 1)
      return mb__error(MB_ERR_INVALID_ARG, "mb__basis_create: FFT box n[%d] must be >= 1 "
                       "(got %d)", d, n[d]);
    if (!isfinite(k[d]))
      return mb__error(MB_ERR_INVALID_ARG, "mb__basis_create: k[%d] is not finite", d);
  }
  if ((double)n[0] * n[1] * n[2] > INT_MAX)
    return mb__error(MB_ERR_RANGE, "mb__basis_create: FFT box %dx%dx%d is too large", n[0],
                     n[1], n[2]);
  double inv[9], rec[9];
  if (mb__inv3(lattice, inv))
    return mb__error(MB_ERR_GEOMETRY, "mb__basis_create: singular lattice");
  for (int i = 0; i < 3; i++) /* b_i = 2 pi (column i of A^-1) */
    for (int c = 0; c < 3; c++) rec[3 * i + c] = 2 * M_PI * inv[3 * c + i];
  /* |(k+G)_d| <= gmax |a_d| / 2 pi in reduced units */
  double gmax = sqrt(2.0 * ecut);
  int lo[3], hi[3];
  long cap = 1;
  for (int d = 0; d < 3; d++) {
    double r = gmax * mb__norm3(lattice + 3 * d) / (2 * M_PI);
    lo[d] = (int)ceil(-k[d] - r);
    hi[d] = (int)floor(-k[d] + r);
    cap *= hi[d] - lo[d] + 1;
    if (cap > 100000000L)
      return mb__error(MB_ERR_RANGE, "mb__basis_create: ecut %g Ha gives too many plane waves",
                       ecut);
  }
  int k0[3] = {0, 0, 0}; /* real: K0 = 2k */
  for (int d = 0; real && d < 3; d++) k0[d] = (int)lround(2 * k[d]);
  mb_status st = MB_OK;
  mb__basis *b = NULL;
  pw *list = mb__malloc((size_t)cap, sizeof *list);
  if (!list) return MB_ERR_NOMEM;
  int npw = 0, gmin[3] = {0}, gmaxi[3] = {0};
  for (int g0 = lo[0]; g0 <= hi[0]; g0++)
    for (int g1 = lo[1]; g1 <= hi[1]; g1++)
      for (int g2 = lo[2]; g2 <= hi[2]; g2++) {
        double q[3] = {k[0] + g0, k[1] + g1, k[2] + g2}, kg[3];
        mb__vecmat3(q, rec, kg);
        double kin = 0.5 * (kg[0] * kg[0] + kg[1] * kg[1] + kg[2] * kg[2]);
        if (kin > ecut || (real && !upper_half(k0, g0, g1, g2))) continue;
        pw *p = &list[npw++];
        p->key = llround(kin * 1e10);
        p->g[0] = g0, p->g[1] = g1, p->g[2] = g2;
        p->kin = kin;
        for (int d = 0; d < 3; d++) {
          if (npw == 1 || p->g[d] < gmin[d]) gmin[d] = p->g[d];
          if (npw == 1 || p->g[d] > gmaxi[d]) gmaxi[d] = p->g[d];
        }
      }
  if (npw == 0) {
    st = mb__error(MB_ERR_INVALID_ARG, "mb__basis_create: no plane wave within ecut %g Ha "
                   "at k = (%g, %g, %g)", ecut, k[0], k[1], k[2]);
    goto done;
  }
  for (int d = 0; real && d < 3; d++) { /* the partners -G-K0 live in the box too */
    int low = gmin[d] < -gmaxi[d] - k0[d] ? gmin[d] : -gmaxi[d] - k0[d];
    gmaxi[d] = gmaxi[d] > -gmin[d] - k0[d] ? gmaxi[d] : -gmin[d] - k0[d];
    gmin[d] = low;
  }
  for (int d = 0; d < 3; d++)
    if (gmaxi[d] - gmin[d] >= n[d]) { /* two G would share a box point */
      st = mb__error(MB_ERR_INVALID_ARG, "mb__basis_create: FFT box %dx%dx%d too small for "
                     "ecut %g Ha (G_%d spans %d..%d)", n[0], n[1], n[2], ecut, d + 1,
                     gmin[d], gmaxi[d]);
      goto done;
    }
  qsort(list, (size_t)npw, sizeof *list, pw_cmp);
  b = mb__calloc(1, sizeof *b);
  if (!b) {
    st = MB_ERR_NOMEM;
    goto done;
  }
  b->npw = npw;
  b->g = mb__malloc((size_t)npw, 3 * sizeof(int));
  b->fft_index = mb__malloc((size_t)npw, sizeof(int));
  b->kin = mb__malloc((size_t)npw, sizeof(double));
  b->kg = mb__malloc((size_t)npw, 3 * sizeof(double));
  b->real = !real ? 0 : (k0[0] || k0[1] || k0[2]) ? 2 : 1;
  memcpy(b->k, k, sizeof b->k);
  if (real) b->fft_index_neg = mb__malloc((size_t)npw, sizeof(int));
  if (b->real == 2) b->kphase = mb__malloc((size_t)n[0] + n[1] + n[2], sizeof(double complex));
  if (!b->g || !b->fft_index || !b->kin || !b->kg || (real && !b->fft_index_neg) ||
      (b->real == 2 && !b->kphase)) {
    st = MB_ERR_NOMEM;
    goto done;
  }
  for (int i = 0; i < npw; i++) {
    const pw *p = &list[i];
    int idx[3];
    double q[3];
    for (int d = 0; d < 3; d++) {
      b->g[3 * i + d] = p->g[d];
      idx[d] = ((p->g[d] % n[d]) + n[d]) % n[d];
      q[d] = k[d] + p->g[d];
    }
    b->fft_index[i] = idx[0] + n[0] * (idx[1] + n[1] * idx[2]);
    if (real) {
      int neg[3];
      for (int d = 0; d < 3; d++) neg[d] = (((-p->g[d] - k0[d]) % n[d]) + n[d]) % n[d];
      b->fft_index_neg[i] = neg[0] + n[0] * (neg[1] + n[1] * neg[2]);
    }
    b->kin[i] = p->kin;
    mb__vecmat3(q, rec, b->kg + 3 * i);
  }
  for (int d = 0, at = 0; b->real == 2 && d < 3; at += n[d], d++)
    for (int i = 0; i < n[d]; i++) b->kphase[at + i] = cexp(2 * M_PI * I * k[d] * i / n[d]);
  *out = b;
  b = NULL;
done:
  free(list);
  mb__basis_free(b);
  return st;
}

mb_status mb__basis_create(const double lattice[9], const double k[3], double ecut,
                           const int n[3], mb__basis **out) {
  return basis_create(lattice, k, ecut, n, 0, out);
}

int mb__kpoint_tr_invariant(const double k[3]) {
  for (int d = 0; d < 3; d++)
    if (fabs(2 * k[d] - round(2 * k[d])) > 1e-9) return 0;
  return 1;
}

mb_status mb__basis_create_real(const double lattice[9], const double k[3], double ecut,
                                const int n[3], mb__basis **out) {
  if (!k || !mb__kpoint_tr_invariant(k)) {
    if (out) *out = NULL;
    return mb__error(MB_ERR_INVALID_ARG, "mb__basis_create_real: k = (%g, %g, %g) is not "
                     "time-reversal invariant (2k must be integer)", k ? k[0] : 0,
                     k ? k[1] : 0, k ? k[2] : 0);
  }
  double kr[3]; /* exactly half-integer */
  for (int d = 0; d < 3; d++) kr[d] = 0.5 * round(2 * k[d]);
  mb_status st = basis_create(lattice, kr, ecut, n, 1, out);
  /* at Gamma G = 0 (kinetic energy 0) sorts first: the one real coefficient */
  if (st == MB_OK && (*out)->real == 1 && ((*out)->g[0] || (*out)->g[1] || (*out)->g[2])) {
    mb__basis_free(*out);
    *out = NULL;
    return mb__error(MB_ERR_INTERNAL, "mb__basis_create_real: G = 0 is not first");
  }
  return st;
}

int mb__basis_dim(const mb__basis *b) {
  return b->real == 1 ? 2 * b->npw - 1 : b->real ? 2 * b->npw : b->npw;
}

void mb__basis_free(mb__basis *b) {
  if (!b) return;
  free(b->fft_index_neg);
  free(b->kphase);
  free(b->g);
  free(b->fft_index);
  free(b->kin);
  free(b->kg);
  mb__sphere_free(b->sphere);
  free(b);
}
