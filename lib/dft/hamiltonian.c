/* Kohn-Sham Hamiltonian applied to plane-wave vectors at one k-point, and the
 * density (and kinetic-energy density) of occupied bands. */
#include <stdlib.h>
#include <string.h>

#include "kohnsham.h"

mb_status mb__ham_create(const mb__fft *fft, const mb__basis *basis, const double *vloc,
                         mb__ham **out) {
  if (!fft || !basis || !vloc || !out)
    return mb__error(MB_ERR_INVALID_ARG, "mb__ham_create: NULL argument");
  *out = NULL;
  if (basis->npw < 1 || !basis->fft_index || !basis->kin)
    return mb__error(MB_ERR_INVALID_ARG, "mb__ham_create: empty basis (%d plane waves)",
                     basis->npw);
  for (int i = 0; i < basis->npw; i++)
    if (basis->fft_index[i] < 0 || (size_t)basis->fft_index[i] >= fft->ntot)
      return mb__error(MB_ERR_RANGE, "mb__ham_create: plane wave %d maps to %d, outside "
                       "the %zu-point FFT box", i, basis->fft_index[i], fft->ntot);
  mb__ham *h = mb__calloc(1, sizeof *h);
  if (!h) return MB_ERR_NOMEM;
  h->fft = fft;
  h->basis = basis;
  h->vloc = vloc;
  h->work = mb__fft_array(fft->ntot);
  if (!h->work) {
    free(h);
    return MB_ERR_NOMEM;
  }
  *out = h;
  return MB_OK;
}

void mb__ham_free(mb__ham *h) {
  if (!h) return;
  mb__fft_array_free(h->work);
  free(h);
}

/* V_loc psi by the box: backward transform, multiply, forward transform. The product
 * of a wavefunction (sphere of radius G_max) and a potential is aliased only beyond
 * what the box (ABINIT's boxcutmin = 2) resolves, so within the sphere it is exact
 * for the potential's components up to 2 G_max. */
mb_status mb__ham_apply(mb__ham *h, int nvec, const double complex *psi,
                        double complex *hpsi) {
  if (!h || !psi || !hpsi || nvec < 0)
    return mb__error(MB_ERR_INVALID_ARG, "mb__ham_apply: NULL argument or nvec %d", nvec);
  const mb__basis *b = h->basis;
  const mb__fft *f = h->fft;
  int npw = b->npw;
  for (int v = 0; v < nvec; v++) {
    const double complex *x = psi + (size_t)v * npw;
    double complex *y = hpsi + (size_t)v * npw;
    mb__fft_sphere_backward(f, b, -1, x, h->work);
    for (size_t r = 0; r < f->ntot; r++) h->work[r] *= h->vloc[r];
    mb__fft_sphere_forward(f, b, -1, 1.0, 0.0, h->work, y);
    for (int i = 0; i < npw; i++) y[i] += b->kin[i] * x[i];
    if (h->vtau) { /* meta-GGA: -1/2 div(vtau grad psi), each direction by the box */
      double complex *d = h->work;
      for (int a = 0; a < 3; a++) {
        mb__fft_sphere_backward(f, b, a, x, d);
        for (size_t r = 0; r < f->ntot; r++) d[r] *= h->vtau[r];
        mb__fft_sphere_forward(f, b, a, -0.5, 1.0, d, y);
      }
    }
  }
  if (h->nonlocal && nvec > 0) {
    mb_status st = h->nonlocal(h->nonlocal_data, b, nvec, psi, hpsi);
    if (st != MB_OK) return st;
  }
  if (h->hubbard && nvec > 0) { /* DFT+U */
    mb_status st = h->hubbard(h->hubbard_data, b, nvec, psi, hpsi);
    if (st != MB_OK) return st;
  }
  h->napply += nvec;
  return MB_OK;
}

mb_status mb__density_add(const mb__fft *fft, const mb__basis *basis, int nband,
                          const double complex *psi, const double *weight,
                          double complex *work, double *rho, double *tau) {
  if (!fft || !basis || !psi || !weight || !work || !rho || nband < 0)
    return mb__error(MB_ERR_INVALID_ARG, "mb__density_add: NULL argument or nband %d",
                     nband);
  if (tau && !basis->kg)
    return mb__error(MB_ERR_INVALID_ARG, "mb__density_add: tau needs the basis' k+G");
  int npw = basis->npw;
  double inv_omega = 1.0 / fft->omega;
  for (int n = 0; n < nband; n++) {
    if (weight[n] == 0) continue;
    const double complex *c = psi + (size_t)n * npw;
    double w = weight[n] * inv_omega;
    mb__fft_sphere_backward(fft, basis, -1, c, work);
    for (size_t r = 0; r < fft->ntot; r++)
      rho[r] += w * (creal(work[r]) * creal(work[r]) + cimag(work[r]) * cimag(work[r]));
    if (!tau) continue;
    /* d psi / dx_a has coefficients i (k+G)_a c_G */
    for (int a = 0; a < 3; a++) {
      mb__fft_sphere_backward(fft, basis, a, c, work);
      for (size_t r = 0; r < fft->ntot; r++)
        tau[r] += 0.5 * w * (creal(work[r]) * creal(work[r]) +
                             cimag(work[r]) * cimag(work[r]));
    }
  }
  return MB_OK;
}
