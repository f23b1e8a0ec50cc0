/* Ionic local potential, model core density and the G = 0 "psp core" energy on the
 * FFT box, from the psp form factors of dft.h (ABINIT's mklocl_recipspace split):
 *   V(G) = sum_a e^{-iG.R_a} [ -4 pi zion_a / G^2 + vloc_short_a(|G|) ] / omega,
 * the G = 0 term left out of V; its finite part (the epsatm) times the electron count
 * (= total ionic charge) gives E_pspcore = (sum zion)(sum epsatm) / omega. */
#include <complex.h>
#include <math.h>
#include <stdlib.h>

#include "scf.h"

/* Structure factor sum_a e^{-iG.R_a} restricted to atoms of psp p, for box index idx. */
static double complex strfact(const mb__fft *f, size_t idx, int natoms, const double *frac,
                              const int *types, mb__psp *const *psp, const mb__psp *p) {
  int m[3];
  size_t r = idx;
  for (int j = 0; j < 3; j++) {
    int i = (int)(r % (size_t)f->n[j]);
    r /= (size_t)f->n[j];
    m[j] = i > f->n[j] / 2 ? i - f->n[j] : i;
  }
  double complex s = 0;
  for (int a = 0; a < natoms; a++) {
    if (psp[types[a]] != p) continue;
    double ph = 2 * M_PI * (m[0] * frac[3 * a] + m[1] * frac[3 * a + 1] + m[2] * frac[3 * a + 2]);
    s += cexp(-I * ph);
  }
  return s;
}

/* field(G) = sum over distinct psps of S_p(G) form(p, |G|) / omega, then to real space.
 * what 0: local potential, 1: core density. */
static mb_status ionic_field(const mb__fft *f, int natoms, const double *frac, const int *types,
                             mb__psp *const *psp, int what, double *out) {
  double complex *box = mb__fft_array(f->ntot);
  if (!box) return mb__error(MB_ERR_NOMEM, "ionic field: out of memory");
  for (size_t idx = 0; idx < f->ntot; idx++) {
    double g[3];
    int nyq;
    mb__fft_gvector(f, idx, g, &nyq);
    double q = sqrt(mb__dot3(g, g));
    double complex v = 0;
    for (int a = 0; a < natoms; a++) {
      const mb__psp *p = psp[types[a]];
      int first = 1; /* each distinct psp once */
      for (int b = 0; b < a; b++)
        if (psp[types[b]] == p) first = 0;
      if (!first) continue;
      double form;
      if (what == 0)
        form = idx == 0 ? 0.0 : -4 * M_PI * p->zion / (q * q) + mb__psp_vloc_short(p, q);
      else
        form = mb__psp_core(p, q);
      if (form != 0.0) v += strfact(f, idx, natoms, frac, types, psp, p) * form;
    }
    box[idx] = v / f->omega;
  }
  mb__fft_g2r(f, box, box, out);
  mb__fft_array_free(box);
  return MB_OK;
}

mb_status mb__ionic_vloc(const mb__fft *fft, int natoms, const double *frac, const int *types,
                         mb__psp *const *psp, double *vloc) {
  if (!fft || natoms < 1 || !frac || !types || !psp || !vloc)
    return mb__error(MB_ERR_INVALID_ARG, "mb__ionic_vloc: NULL argument or no atoms");
  return ionic_field(fft, natoms, frac, types, psp, 0, vloc);
}

mb_status mb__ionic_core(const mb__fft *fft, int natoms, const double *frac, const int *types,
                         mb__psp *const *psp, double *rho_core, int *has_core) {
  if (!fft || natoms < 1 || !frac || !types || !psp || !rho_core || !has_core)
    return mb__error(MB_ERR_INVALID_ARG, "mb__ionic_core: NULL argument or no atoms");
  *has_core = 0;
  for (int a = 0; a < natoms; a++)
    if (psp[types[a]]->has_core) *has_core = 1;
  if (!*has_core) {
    for (size_t i = 0; i < fft->ntot; i++) rho_core[i] = 0;
    return MB_OK;
  }
  return ionic_field(fft, natoms, frac, types, psp, 1, rho_core);
}

double mb__ionic_pspcore(double omega, int natoms, const int *types, mb__psp *const *psp) {
  double z = 0, eps = 0;
  for (int a = 0; a < natoms; a++) {
    z += psp[types[a]]->zion;
    eps += mb__psp_vloc_short(psp[types[a]], 0.0);
  }
  return z * eps / omega;
}
