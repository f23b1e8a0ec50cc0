/* Hartree energy and potential of a periodic density by FFT (G = 0 left out). */
#include <math.h>

#include "kohnsham.h"

mb_status mb__hartree(const mb__fft *fft, const double *rho, double *eh, double *vh) {
  if (!fft || !rho || !eh)
    return mb__error(MB_ERR_INVALID_ARG, "mb__hartree: NULL argument");
  size_t n = fft->ntot;
  double complex *g = mb__fft_array(n);
  if (!g) return MB_ERR_NOMEM;
  mb__fft_r2g(fft, rho, g);
  double e = 0;
  for (size_t i = 0; i < n; i++) {
    double gv[3];
    mb__fft_gvector(fft, i, gv, NULL);
    double g2 = gv[0] * gv[0] + gv[1] * gv[1] + gv[2] * gv[2];
    if (i == 0 || g2 < 1e-14) {
      g[i] = 0;
      continue;
    }
    double k = 4 * M_PI / g2;
    e += k * (creal(g[i]) * creal(g[i]) + cimag(g[i]) * cimag(g[i]));
    g[i] *= k;
  }
  *eh = 0.5 * fft->omega * e;
  if (vh) mb__fft_g2r(fft, g, g, vh);
  mb__fft_array_free(g);
  return MB_OK;
}
