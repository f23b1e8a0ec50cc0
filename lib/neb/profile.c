/* Results along the band: barriers, the reaction coordinate, the forces along
 * the tangent and the interpolated energy profile. */
#include <math.h>
#include <stdlib.h>

#include "neb.h"

static mb_status need_energies(const mb_band *b, const char *what) {
  for (int i = 0; i < b->nimages; i++)
    if (isnan(b->energy[i]))
      return mb__error(MB_ERR_INVALID_ARG,
                       "%s: image %d has no energy yet (call mb_band_evaluate or mb_band_run "
                       "first)",
                       what, i);
  if (!b->evaluated)
    return mb__error(MB_ERR_INVALID_ARG,
                     "%s: the band moved since its last evaluation (call mb_band_evaluate)",
                     what);
  return MB_OK;
}

/* The saddle is the highest image of the whole band (end points included, so a
 * downhill band has a zero forward barrier); ties go to the lower index. */
MB_API mb_status mb_band_barrier(const mb_band *b, double *forward, double *backward,
                                 int *saddle) {
  if (!b) return mb__error(MB_ERR_INVALID_ARG, "mb_band_barrier: NULL band");
  mb_status st = need_energies(b, "mb_band_barrier");
  if (st) return st;
  int imax = 0;
  for (int i = 1; i < b->nimages; i++)
    if (b->energy[i] > b->energy[imax]) imax = i;
  if (forward) *forward = b->energy[imax] - b->energy[0];
  if (backward) *backward = b->energy[imax] - b->energy[b->nimages - 1];
  if (saddle) *saddle = imax;
  return MB_OK;
}

/* coordinate[i] = sum of minimum-image distances |R_j+1 - R_j| for j < i. The
 * tangential force of image i is the true force (fixed coordinates as zero)
 * along the NEB tangent: the improved tangent for intermediate images, the
 * direction to the neighbouring image for the end points. */
MB_API mb_status mb_band_path(const mb_band *b, double *coordinate,
                              double *tangential_force) {
  if (!b) return mb__error(MB_ERR_INVALID_ARG, "mb_band_path: NULL band");
  size_t n = 3 * (size_t)b->natoms;
  if (tangential_force) {
    mb_status st = need_energies(b, "mb_band_path");
    if (st) return st;
    for (int i = 0; i < b->nimages; i++) tangential_force[i] = b->ftan[i];
  }
  if (coordinate) {
    double *d = mb__malloc(n, sizeof(double));
    if (!d) return MB_ERR_NOMEM;
    coordinate[0] = 0;
    for (int i = 1; i < b->nimages; i++) {
      mb__mic_diff(b->natoms, b->lattice, b->inverse, b->pos + (size_t)(i - 1) * n,
                   b->pos + (size_t)i * n, d);
      double s = 0;
      for (size_t c = 0; c < n; c++) s += d[c] * d[c];
      coordinate[i] = coordinate[i - 1] + sqrt(s);
    }
    free(d);
  }
  return MB_OK;
}

/* Cubic Hermite interpolation on each interval [s_i, s_i+1] through the image
 * energies with slopes dE/ds = -F_tangential (as ASE's NEBTools fit). */
MB_API mb_status mb_band_profile(const mb_band *b, int npoints, double *coordinate,
                                 double *energy) {
  if (!b) return mb__error(MB_ERR_INVALID_ARG, "mb_band_profile: NULL band");
  if (!coordinate || !energy)
    return mb__error(MB_ERR_INVALID_ARG, "mb_band_profile: NULL output");
  if (npoints < 2)
    return mb__error(MB_ERR_INVALID_ARG, "mb_band_profile: npoints must be >= 2 (got %d)",
                     npoints);
  mb_status st = need_energies(b, "mb_band_profile");
  if (st) return st;
  int m = b->nimages;
  double *s = mb__malloc((size_t)m, sizeof(double));
  if (!s) return MB_ERR_NOMEM;
  if ((st = mb_band_path(b, s, NULL))) goto cleanup;
  int seg = 0;
  for (int p = 0; p < npoints; p++) {
    double x = s[m - 1] * p / (npoints - 1);
    if (p == npoints - 1) x = s[m - 1];
    while (seg < m - 2 && x > s[seg + 1]) seg++;
    double h = s[seg + 1] - s[seg];
    double e0 = b->energy[seg], e1 = b->energy[seg + 1];
    double g0 = -b->ftan[seg], g1 = -b->ftan[seg + 1];
    double e;
    if (h > 0) {
      double t = (x - s[seg]) / h, t2 = t * t, t3 = t2 * t;
      e = (2 * t3 - 3 * t2 + 1) * e0 + (t3 - 2 * t2 + t) * h * g0 + (-2 * t3 + 3 * t2) * e1 +
          (t3 - t2) * h * g1;
    } else {
      e = e0;
    }
    coordinate[p] = x;
    energy[p] = e;
  }
cleanup:
  free(s);
  return st;
}
