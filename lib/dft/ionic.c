/* Ionic local potential, model core density and the G = 0 "psp core" energy on the
 * FFT box, from the psp form factors of dft.h (ABINIT's mklocl_recipspace split):
 *   V(G) = sum_a e^{-iG.R_a} [ -4 pi zion_a / G^2 + vloc_short_a(|G|) ] / omega,
 * the G = 0 term left out of V; its finite part (the epsatm) times the electron count
 * (= total ionic charge) gives E_pspcore = (sum zion)(sum epsatm) / omega.
 * The SCF's starting density is the same kind of sum over the pseudo-atomic valence
 * densities (ABINIT's initro with the psp8 densities). */
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

#define MIN_POINTS 4096 /* box points per slice */

/* The points of the box and what a slice of them needs. */
typedef struct ionic_job {
  const mb__fft *f;
  int natoms, what, nslice;
  const double *frac;
  const int *types;
  mb__psp *const *psp;
  double complex *box;     /* field: out; forces: the field's coefficients */
  double *part;            /* forces: 3 natoms per slice */
} ionic_job;

/* field(G) at box index idx: sum over distinct psps of S_p(G) form(p, |G|) / omega */
static double complex field_at(const ionic_job *j, size_t idx) {
  double g[3];
  int nyq;
  mb__fft_gvector(j->f, idx, g, &nyq);
  double q = sqrt(mb__dot3(g, g));
  double complex v = 0;
  for (int a = 0; a < j->natoms; a++) {
    const mb__psp *p = j->psp[j->types[a]];
    int first = 1; /* each distinct psp once */
    for (int b = 0; b < a; b++)
      if (j->psp[j->types[b]] == p) first = 0;
    if (!first) continue;
    double form;
    if (j->what == 0)
      form = idx == 0 ? 0.0 : -4 * M_PI * p->zion / (q * q) + mb__psp_vloc_short(p, q);
    else if (j->what == 1)
      form = mb__psp_core(p, q);
    else
      form = idx == 0 ? p->zion : mb__psp_valence(p, q);
    if (form != 0.0) v += strfact(j->f, idx, j->natoms, j->frac, j->types, j->psp, p) * form;
  }
  return v / j->f->omega;
}

static void field_slice(void *arg, int s, int member) {
  (void)member;
  const ionic_job *j = arg;
  long n = (long)j->f->ntot;
  for (long idx = mb__team_slice_start(n, j->nslice, s);
       idx < mb__team_slice_start(n, j->nslice, s + 1); idx++)
    j->box[idx] = field_at(j, (size_t)idx);
}

/* field(G) (field_at) on the box in slices, then to real space. what 0: local
 * potential, 1: core density, 2: valence density (zion at G = 0 for every psp, so that
 * those without a density contribute a uniform share). */
static mb_status ionic_field(const mb__fft *f, mb__team *team, int natoms, const double *frac,
                             const int *types, mb__psp *const *psp, int what, double *out) {
  double complex *box = mb__fft_array(f->ntot);
  if (!box) return mb__error(MB_ERR_NOMEM, "ionic field: out of memory");
  ionic_job j = {f, natoms, what, mb__team_slices((long)f->ntot, MIN_POINTS), frac, types,
                 psp, box, NULL};
  mb__team_run(team, j.nslice, field_slice, &j);
  mb__fft_g2r(f, box, box, out);
  mb__fft_array_free(box);
  return MB_OK;
}

mb_status mb__ionic_vloc(const mb__fft *fft, mb__team *team, int natoms, const double *frac,
                         const int *types, mb__psp *const *psp, double *vloc) {
  if (!fft || natoms < 1 || !frac || !types || !psp || !vloc)
    return mb__error(MB_ERR_INVALID_ARG, "mb__ionic_vloc: NULL argument or no atoms");
  return ionic_field(fft, team, natoms, frac, types, psp, 0, vloc);
}

mb_status mb__ionic_core(const mb__fft *fft, mb__team *team, int natoms, const double *frac,
                         const int *types, mb__psp *const *psp, double *rho_core,
                         int *has_core) {
  if (!fft || natoms < 1 || !frac || !types || !psp || !rho_core || !has_core)
    return mb__error(MB_ERR_INVALID_ARG, "mb__ionic_core: NULL argument or no atoms");
  *has_core = 0;
  for (int a = 0; a < natoms; a++)
    if (psp[types[a]]->has_core) *has_core = 1;
  if (!*has_core) {
    for (size_t i = 0; i < fft->ntot; i++) rho_core[i] = 0;
    return MB_OK;
  }
  return ionic_field(fft, team, natoms, frac, types, psp, 1, rho_core);
}

mb_status mb__ionic_valence(const mb__fft *fft, mb__team *team, int natoms,
                            const double *frac, const int *types, mb__psp *const *psp,
                            double *rho, int *has_val) {
  if (!fft || natoms < 1 || !frac || !types || !psp || !rho || !has_val)
    return mb__error(MB_ERR_INVALID_ARG, "mb__ionic_valence: NULL argument or no atoms");
  *has_val = 0;
  for (int a = 0; a < natoms; a++)
    if (mb__psp_valence(psp[types[a]], 0.0) > 0) *has_val = 1;
  if (!*has_val) return MB_OK;
  return ionic_field(fft, team, natoms, frac, types, psp, 2, rho);
}

double mb__ionic_pspcore(double omega, int natoms, const int *types, mb__psp *const *psp) {
  double z = 0, eps = 0;
  for (int a = 0; a < natoms; a++) {
    z += psp[types[a]]->zion;
    eps += mb__psp_vloc_short(psp[types[a]], 0.0);
  }
  return z * eps / omega;
}

/* E = sum_G conj(f(G)) sum_a e^{-iG.R_a} form_a(|G|) with f(G) the Fourier coefficients
 * of the real field (the discrete energy omega/N sum_r V(r) f(r) of the fields above);
 * -dE/dR_a = Re sum_G i G e^{-iG.R_a} form_a(|G|) conj(f(G)), with G as the phases of
 * ionic_field use them (components in (-n/2, n/2]). */
/* The forces of the G vectors of slice s (G = 0 left out) into part + 3 natoms s. */
static void force_slice(void *arg, int s, int member) {
  (void)member;
  const ionic_job *j = arg;
  const mb__fft *fft = j->f;
  const double *b = fft->recip;
  double *forces = j->part + (size_t)3 * j->natoms * s;
  for (int i = 0; i < 3 * j->natoms; i++) forces[i] = 0;
  long n = (long)fft->ntot;
  long i0 = mb__team_slice_start(n, j->nslice, s), i1 = mb__team_slice_start(n, j->nslice, s + 1);
  for (size_t idx = i0 > 1 ? (size_t)i0 : 1; idx < (size_t)i1; idx++) {
    int m[3];
    size_t r = idx;
    for (int k = 0; k < 3; k++) {
      int i = (int)(r % (size_t)fft->n[k]);
      r /= (size_t)fft->n[k];
      m[k] = i > fft->n[k] / 2 ? i - fft->n[k] : i;
    }
    double g[3];
    for (int c = 0; c < 3; c++) g[c] = m[0] * b[c] + m[1] * b[3 + c] + m[2] * b[6 + c];
    double q = sqrt(mb__dot3(g, g));
    double complex cf = conj(j->box[idx]);
    if (cf == 0) continue;
    const mb__psp *last = NULL;
    double form = 0;
    for (int a = 0; a < j->natoms; a++) {
      const mb__psp *p = j->psp[j->types[a]];
      if (p != last) {
        form = j->what == 0 ? -4 * M_PI * p->zion / (q * q) + mb__psp_vloc_short(p, q)
                            : mb__psp_core(p, q);
        last = p;
      }
      if (form == 0.0) continue;
      const double *fr = j->frac + 3 * a;
      double ph = 2 * M_PI * (m[0] * fr[0] + m[1] * fr[1] + m[2] * fr[2]);
      /* Re[i e^{-i ph} form cf] */
      double t = creal(I * cexp(-I * ph) * cf) * form;
      for (int c = 0; c < 3; c++) forces[3 * a + c] += g[c] * t;
    }
  }
}

mb_status mb__ionic_forces(const mb__fft *fft, mb__team *team, int natoms, const double *frac,
                           const int *types, mb__psp *const *psp, int what,
                           const double *field, double *forces) {
  if (!fft || natoms < 1 || !frac || !types || !psp || !field || !forces)
    return mb__error(MB_ERR_INVALID_ARG, "mb__ionic_forces: NULL argument or no atoms");
  int ns = mb__team_slices((long)fft->ntot, MIN_POINTS);
  double complex *fg = mb__fft_array(fft->ntot);
  double *part = mb__malloc((size_t)3 * natoms * ns, sizeof *part);
  if (!fg || !part) {
    mb__fft_array_free(fg), free(part);
    return mb__error(MB_ERR_NOMEM, "mb__ionic_forces: out of memory");
  }
  mb__fft_r2g(fft, field, fg);
  ionic_job j = {fft, natoms, what, ns, frac, types, psp, fg, part};
  mb__team_run(team, ns, force_slice, &j);
  for (int i = 0; i < 3 * natoms; i++) { /* in slice order */
    double f = forces[i];
    for (int s = 0; s < ns; s++) f += part[(size_t)3 * natoms * s + i];
    forces[i] = f;
  }
  mb__fft_array_free(fg), free(part);
  return MB_OK;
}
