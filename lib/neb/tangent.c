/* NEB force projection: the improved tangent and spring force of Henkelman &
 * Jonsson, J. Chem. Phys. 113, 9978 (2000), eqs. 8-12, and the climbing image of
 * Henkelman, Uberuaga & Jonsson, J. Chem. Phys. 113, 9901 (2000), eq. 5. Image
 * differences use the minimum-image convention atom by atom, so a band whose
 * images are wrapped differently into the cell gives the same forces. */
#include <math.h>
#include <string.h>

#include "neb.h"
#include "../structure/structure.h"

void mb__mic_diff(int natoms, const double lattice[9], const double inverse[9],
                  const double *a, const double *b, double *out) {
  for (int i = 0; i < natoms; i++) {
    for (int k = 0; k < 3; k++) out[3 * i + k] = b[3 * i + k] - a[3 * i + k];
    mb__minimum_image(lattice, inverse, out + 3 * i);
  }
}

int mb__highest_image(int nimages, const double *energy) {
  int imax = 1;
  for (int i = 2; i < nimages - 1; i++)
    if (energy[i] > energy[imax]) imax = i;
  return imax;
}

static double dot(const double *a, const double *b, size_t n) {
  double s = 0;
  for (size_t c = 0; c < n; c++) s += a[c] * b[c];
  return s;
}

/* Spring constant between images i and i+1. Energy-weighted springs (spring_min
 * >= 0): the constant rises linearly from spring_min at the lowest image energy
 * to spring at the highest, taking the higher energy of the two images, as in
 * Lindh et al. and VTST's weighted springs (stiffer springs near the saddle). */
static double spring_at(int nimages, const double *energy, int i, double spring,
                        double spring_min) {
  if (spring_min < 0) return spring;
  double lo = energy[0], hi = energy[0];
  for (int j = 1; j < nimages; j++) {
    if (energy[j] < lo) lo = energy[j];
    if (energy[j] > hi) hi = energy[j];
  }
  if (!(hi > lo)) return spring;
  double e = energy[i] > energy[i + 1] ? energy[i] : energy[i + 1];
  return spring_min + (spring - spring_min) * (e - lo) / (hi - lo);
}

void mb__neb_project(int nimages, int natoms, const double lattice[9],
                     const double inverse[9], const double *pos, const double *energy,
                     const double *force, const int *mobile, double spring,
                     double spring_min, int climb_index, double *neb, double *tangent,
                     double *ftan) {
  size_t n = 3 * (size_t)natoms;
  memset(neb, 0, (size_t)nimages * n * sizeof(double));
  /* d1 = R_i - R_{i-1} and d2 = R_{i+1} - R_i live in the end points' rows of
   * neb (zeroed at the end), so no scratch memory is needed. */
  double *d1 = neb, *d2 = neb + (size_t)(nimages - 1) * n;
  mb__mic_diff(natoms, lattice, inverse, pos, pos + n, d1);
  double len1 = sqrt(dot(d1, d1, n));
  double k1 = spring_at(nimages, energy, 0, spring, spring_min);
  for (int i = 1; i < nimages - 1; i++) {
    const double *ri = pos + (size_t)i * n, *fi = force + (size_t)i * n;
    mb__mic_diff(natoms, lattice, inverse, ri, ri + n, d2);
    double len2 = sqrt(dot(d2, d2, n));
    double k2 = spring_at(nimages, energy, i, spring, spring_min);
    double e0 = energy[i - 1], e1 = energy[i], e2 = energy[i + 1];
    double *out = neb + (size_t)i * n;
    /* the tangent, built in out (eqs. 8-11) */
    double w1, w2;
    if (e2 > e1 && e1 > e0) {
      w1 = 0, w2 = 1;
    } else if (e2 < e1 && e1 < e0) {
      w1 = 1, w2 = 0;
    } else {
      double a = fabs(e2 - e1), c = fabs(e0 - e1);
      double vmax = a > c ? a : c, vmin = a > c ? c : a;
      if (e2 > e0) w2 = vmax, w1 = vmin;
      else w2 = vmin, w1 = vmax;
    }
    for (size_t c = 0; c < n; c++) out[c] = w1 * d1[c] + w2 * d2[c];
    double norm = sqrt(dot(out, out, n));
    if (norm > 0)
      for (size_t c = 0; c < n; c++) out[c] /= norm;
    if (tangent) memcpy(tangent + (size_t)i * n, out, n * sizeof(double));
    /* true force along the tangent, fixed coordinates counting as zero */
    double ft = 0;
    for (size_t c = 0; c < n; c++) ft += (mobile[c] ? fi[c] : 0.0) * out[c];
    if (ftan) ftan[i] = ft;
    /* climbing image: F - 2 (F.t) t; otherwise F_perp + k(|d2| - |d1|) t (eq. 12) */
    double along = i == climb_index ? -2 * ft : k2 * len2 - k1 * len1 - ft;
    for (size_t c = 0; c < n; c++) out[c] = mobile[c] ? fi[c] + along * out[c] : 0.0;
    memcpy(d1, d2, n * sizeof(double));
    len1 = len2, k1 = k2;
  }
  memset(neb, 0, n * sizeof(double));
  memset(neb + (size_t)(nimages - 1) * n, 0, n * sizeof(double));
  /* end points: one-sided tangents towards the neighbouring image */
  for (int e = 0; e < 2; e++) {
    int i = e ? nimages - 1 : 0, j = e ? nimages - 2 : 1;
    double t[3], tn = 0, ft = 0;
    double *tout = tangent ? tangent + (size_t)i * n : NULL;
    const double *fi = force + (size_t)i * n;
    /* first pass: norm of the difference */
    for (int a = 0; a < natoms; a++) {
      for (int k = 0; k < 3; k++)
        t[k] = e ? pos[(size_t)i * n + 3 * a + k] - pos[(size_t)j * n + 3 * a + k]
                 : pos[(size_t)j * n + 3 * a + k] - pos[(size_t)i * n + 3 * a + k];
      mb__minimum_image(lattice, inverse, t);
      for (int k = 0; k < 3; k++) {
        tn += t[k] * t[k];
        ft += (mobile[3 * a + k] ? fi[3 * a + k] : 0.0) * t[k];
        if (tout) tout[3 * a + k] = t[k];
      }
    }
    tn = sqrt(tn);
    if (tn > 0) {
      ft /= tn;
      if (tout)
        for (size_t c = 0; c < n; c++) tout[c] /= tn;
    }
    if (ftan) ftan[i] = ft;
  }
}
