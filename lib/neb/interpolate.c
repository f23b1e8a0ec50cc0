/* Linear interpolation of a band: every atom moves on a straight line from the
 * initial to the final position along its minimum-image displacement, so a hop
 * across the cell boundary takes the short way and not a trip through the cell. */
#include "neb.h"

void mb__interpolate_linear(int nimages, int natoms, const double lattice[9],
                            const double inverse[9], double *pos) {
  size_t n = 3 * (size_t)natoms;
  const double *first = pos, *last = pos + (size_t)(nimages - 1) * n;
  /* the displacement goes into image 1's row, which is then overwritten last */
  double *d = pos + n;
  mb__mic_diff(natoms, lattice, inverse, first, last, d);
  for (int i = nimages - 2; i >= 1; i--) {
    double t = (double)i / (nimages - 1);
    double *ri = pos + (size_t)i * n;
    for (size_t c = 0; c < n; c++) ri[c] = first[c] + t * d[c];
  }
}
