/* The FFT box as ABINIT 9.6 chooses it (getng in m_fftcore.F90, k = 0; boxcutmin 2 by
 * default, larger for a denser density grid as QE's ecutrho = boxcutmin^2 ecut).
 *
 * Starting from 2x2x2, ABINIT looks for the box point closest to the origin on the
 * six faces i_d = +-(n_d / 2) (integer division), in the metric of the reciprocal
 * lattice without the 2 pi; while that point lies inside the sphere of radius
 * boxcutmin sqrt(2 ecut) / (2 pi), the direction whose face holds it (the first
 * one on ties, faces scanned d = 1, 2, 3) grows to the next allowed size: a
 * product 2^a 3^b 5^c (a <= 16, b, c <= 6). ABINIT then enlarges the box when the
 * crystal's symmetry operations couple directions with different n; that step
 * needs the operations and is not done here (for the cells whose symmetry couples
 * directions, the metric already gives those directions the same n). */
#include <math.h>
#include <stdlib.h>

#include "dft.h"

#define FFT_NMAX 8192 /* largest size accepted (ABINIT's list goes beyond) */

/* Next allowed size strictly above n (n >= 1). */
static int next_size(int n) {
  for (int m = n + 1;; m++) {
    int r = m, a = 0, b = 0, c = 0;
    while (r % 2 == 0) r /= 2, a++;
    while (r % 3 == 0) r /= 3, b++;
    while (r % 5 == 0) r /= 5, c++;
    if (r == 1 && a <= 16 && b <= 6 && c <= 6) return m;
  }
}

static double dsq(const double gmet[9], int i0, int i1, int i2) {
  double v[3] = {i0, i1, i2};
  return gmet[0] * v[0] * v[0] + gmet[4] * v[1] * v[1] + gmet[8] * v[2] * v[2] +
         2.0 * (gmet[1] * v[0] * v[1] + gmet[5] * v[1] * v[2] + gmet[2] * v[2] * v[0]);
}

/* Smallest |G|^2/(2 pi)^2 on the faces of box n and the direction of its face (the
 * first face on ties, as ABINIT scans them). Along each row of a face (idx[hi] = b
 * varying) |G|^2 is a convex quadratic in b, so only the integers around its
 * continuous minimum are evaluated: a row costs 4 evaluations instead of 2h + 1, which
 * keeps very large boxes (1e5 eV in a 30 A cell: 3125^3) from taking seconds. */
static double face_min(const double gmet[9], const int n[3], int *plane) {
  int h[3] = {n[0] / 2, n[1] / 2, n[2] / 2};
  double best = INFINITY;
  *plane = 0;
  for (int d = 0; d < 3; d++) {
    int e = (d + 1) % 3, f = (d + 2) % 3, lo = e < f ? e : f, hi = e < f ? f : e;
    for (int a = -h[lo]; a <= h[lo]; a++)
      for (int sgn = 1; sgn >= -1; sgn -= 2) {
        int idx[3];
        idx[d] = sgn * h[d];
        idx[lo] = a;
        /* d|G|^2/db = 0: b* = -(g[hi][d] idx[d] + g[hi][lo] a) / g[hi][hi] */
        double bstar = -(gmet[3 * hi + d] * idx[d] + gmet[3 * hi + lo] * a) / gmet[4 * hi];
        int b0 = (int)floor(bstar) - 1;
        for (int b = b0; b <= b0 + 3; b++) {
          if (b < -h[hi] || b > h[hi]) continue;
          idx[hi] = b;
          double v = dsq(gmet, idx[0], idx[1], idx[2]);
          if (v < best) {
            best = v;
            *plane = d;
          }
        }
        if (b0 + 3 < -h[hi] || b0 > h[hi]) { /* the minimum is beyond an edge: the edge */
          idx[hi] = b0 > h[hi] ? h[hi] : -h[hi];
          double v = dsq(gmet, idx[0], idx[1], idx[2]);
          if (v < best) {
            best = v;
            *plane = d;
          }
        }
      }
  }
  return best;
}

mb_status mb__fft_size(const double lattice[9], double ecut, double boxcutmin, int n[3]) {
  if (!lattice || !n) return mb__error(MB_ERR_INVALID_ARG, "mb__fft_size: NULL argument");
  if (!(ecut > 0) || !isfinite(ecut))
    return mb__error(MB_ERR_INVALID_ARG, "mb__fft_size: ecut must be > 0 Ha (got %g)", ecut);
  if (boxcutmin == 0) boxcutmin = 2.0;
  if (!(boxcutmin >= 2.0) || !isfinite(boxcutmin))
    return mb__error(MB_ERR_INVALID_ARG, "mb__fft_size: boxcutmin %g below 2 would alias the "
                     "density", boxcutmin);
  double inv[9];
  if (mb__inv3(lattice, inv))
    return mb__error(MB_ERR_GEOMETRY, "mb__fft_size: singular lattice");
  /* gmet_ij = b_i . b_j / (2 pi)^2, b_i / 2 pi = column i of A^-1 */
  double gmet[9];
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 3; j++)
      gmet[3 * i + j] = inv[i] * inv[j] + inv[3 + i] * inv[3 + j] + inv[6 + i] * inv[6 + j];
  double need = 0.5 * boxcutmin * boxcutmin * ecut / (M_PI * M_PI);
  int m[3] = {2, 2, 2}, plane;
  while (face_min(gmet, m, &plane) < need) {
    m[plane] = next_size(m[plane]);
    if (m[plane] > FFT_NMAX)
      return mb__error(MB_ERR_RANGE,
                       "mb__fft_size: ecut %g Ha needs more than %d FFT points along "
                       "lattice vector %d", ecut, FFT_NMAX, plane + 1);
  }
  for (int d = 0; d < 3; d++) n[d] = m[d];
  return MB_OK;
}
