/* Small 3x3 linear algebra for lattices (row vectors). */
#include <math.h>

#include "core.h"

double mb__det3(const double m[9]) {
  return m[0] * (m[4] * m[8] - m[5] * m[7]) - m[1] * (m[3] * m[8] - m[5] * m[6]) +
         m[2] * (m[3] * m[7] - m[4] * m[6]);
}

int mb__inv3(const double m[9], double inv[9]) {
  double scale = 0;
  for (int k = 0; k < 9; k++) scale = fmax(scale, fabs(m[k]));
  double det = mb__det3(m);
  if (!(scale > 0) || !isfinite(det) || fabs(det) < 1e-12 * scale * scale * scale)
    return 1;
  double id = 1.0 / det;
  inv[0] = (m[4] * m[8] - m[5] * m[7]) * id;
  inv[1] = (m[2] * m[7] - m[1] * m[8]) * id;
  inv[2] = (m[1] * m[5] - m[2] * m[4]) * id;
  inv[3] = (m[5] * m[6] - m[3] * m[8]) * id;
  inv[4] = (m[0] * m[8] - m[2] * m[6]) * id;
  inv[5] = (m[2] * m[3] - m[0] * m[5]) * id;
  inv[6] = (m[3] * m[7] - m[4] * m[6]) * id;
  inv[7] = (m[1] * m[6] - m[0] * m[7]) * id;
  inv[8] = (m[0] * m[4] - m[1] * m[3]) * id;
  return 0;
}

void mb__vecmat3(const double v[3], const double m[9], double out[3]) {
  double r[3];
  for (int k = 0; k < 3; k++) r[k] = v[0] * m[k] + v[1] * m[3 + k] + v[2] * m[6 + k];
  out[0] = r[0];
  out[1] = r[1];
  out[2] = r[2];
}

void mb__cross3(const double a[3], const double b[3], double out[3]) {
  double r[3] = {a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2],
                 a[0] * b[1] - a[1] * b[0]};
  out[0] = r[0];
  out[1] = r[1];
  out[2] = r[2];
}

double mb__dot3(const double a[3], const double b[3]) {
  return a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
}

double mb__norm3(const double a[3]) { return sqrt(mb__dot3(a, a)); }

/* Height along vector i = volume / |a_j x a_k|. */
void mb__cell_heights(const double lattice[9], double heights[3]) {
  double vol = fabs(mb__det3(lattice));
  for (int i = 0; i < 3; i++) {
    double c[3];
    mb__cross3(lattice + 3 * ((i + 1) % 3), lattice + 3 * ((i + 2) % 3), c);
    heights[i] = vol / mb__norm3(c);
  }
}
