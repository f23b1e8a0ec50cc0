/* Occupation numbers: fixed (insulators) and smeared (metals), with the smearing
 * functions and entropies of ABINIT 9.6 (m_occ.F90, init_occ_ent), written here in
 * closed form (ABINIT integrates and splines them to ~1e-12). Formulas in kohnsham.h. */
#include <math.h>

#include "kohnsham.h"

/* ABINIT assigns a = -.5634 and -.8165 to a double from single-precision Fortran
 * literals; the float values are what it uses. */
static double cold_a(mb__smearing kind) {
  return kind == MB__SMEAR_COLD ? (double)-0.5634f : (double)-0.8165f;
}

/* ABINIT's tables end at |x| = limit and extrapolate with the end values. */
static double clip(mb__smearing kind, double x) {
  double limit = kind == MB__SMEAR_FERMI_DIRAC ? 30.0 : 6.0;
  return x > limit ? limit : x < -limit ? -limit : x;
}

static const double inv_sqrt_pi = 0.56418958354775628695;

double mb__smear_delta(mb__smearing kind, double x) {
  x = clip(kind, x);
  switch (kind) {
  case MB__SMEAR_FERMI_DIRAC: {
    double c = cosh(0.5 * x);
    return 0.25 / (c * c);
  }
  case MB__SMEAR_COLD:
  case MB__SMEAR_COLD_MONOTONIC: {
    double a = cold_a(kind);
    return inv_sqrt_pi * exp(-x * x) * (1.5 + x * (-1.5 * a + x * (-1 + a * x)));
  }
  case MB__SMEAR_GAUSSIAN:
    return inv_sqrt_pi * exp(-x * x);
  }
  return 0;
}

double mb__smear_occ(mb__smearing kind, double x) {
  x = clip(kind, x);
  switch (kind) {
  case MB__SMEAR_FERMI_DIRAC:
    return 1 / (1 + exp(-x));
  case MB__SMEAR_COLD:
  case MB__SMEAR_COLD_MONOTONIC: {
    double a = cold_a(kind);
    return 0.5 * erfc(-x) + inv_sqrt_pi * exp(-x * x) * (0.25 * a + 0.5 * x - 0.5 * a * x * x);
  }
  case MB__SMEAR_GAUSSIAN:
    return 0.5 * erfc(-x);
  }
  return 0;
}

double mb__smear_entropy(mb__smearing kind, double x) {
  x = clip(kind, x);
  switch (kind) {
  case MB__SMEAR_FERMI_DIRAC: {
    /* -f ln f - (1-f) ln(1-f) = ln(1 + e^{-|x|}) + |x| e^{-|x|}/(1 + e^{-|x|}) */
    double e = exp(-fabs(x));
    return log1p(e) + fabs(x) * e / (1 + e);
  }
  case MB__SMEAR_COLD:
  case MB__SMEAR_COLD_MONOTONIC: {
    double a = cold_a(kind);
    return 0.25 * inv_sqrt_pi * exp(-x * x) * (1 - 2 * x * x + 2 * a * x * x * x);
  }
  case MB__SMEAR_GAUSSIAN:
    return 0.5 * inv_sqrt_pi * exp(-x * x);
  }
  return 0;
}

/* Electron count and entropy at Fermi level mu (occ written when not NULL). */
static double count(mb__smearing kind, double tsmear, int nsppol, int nkpt, int nband,
                    const double *eig, const double *wtk, double mu, double *occ,
                    double *entropy) {
  double maxocc = 2.0 / nsppol, n = 0, s = 0;
  for (int sp = 0; sp < nsppol; sp++)
    for (int k = 0; k < nkpt; k++)
      for (int b = 0; b < nband; b++) {
        size_t i = ((size_t)sp * nkpt + k) * nband + b;
        double x = (mu - eig[i]) / tsmear;
        double f = maxocc * mb__smear_occ(kind, x);
        if (occ) occ[i] = f;
        n += wtk[k] * f;
        if (entropy) s += wtk[k] * maxocc * mb__smear_entropy(kind, x);
      }
  if (entropy) *entropy = s;
  return n;
}

mb_status mb__occ_smeared(mb__smearing kind, double tsmear, int nsppol, int nkpt, int nband,
                          const double *eig, const double *wtk, double nelect, double *occ,
                          double *fermi, double *entropy) {
  if (!eig || !wtk || !occ || !fermi || !entropy)
    return mb__error(MB_ERR_INVALID_ARG, "mb__occ_smeared: NULL argument");
  if (kind != MB__SMEAR_FERMI_DIRAC && kind != MB__SMEAR_COLD &&
      kind != MB__SMEAR_COLD_MONOTONIC && kind != MB__SMEAR_GAUSSIAN)
    return mb__error(MB_ERR_UNSUPPORTED, "mb__occ_smeared: smearing (occopt) %d", (int)kind);
  if (!(tsmear > 0) || (nsppol != 1 && nsppol != 2) || nkpt < 1 || nband < 1)
    return mb__error(MB_ERR_INVALID_ARG, "mb__occ_smeared: tsmear %g, nsppol %d, nkpt %d, "
                     "nband %d", tsmear, nsppol, nkpt, nband);
  double wsum = 0;
  for (int k = 0; k < nkpt; k++) wsum += wtk[k];
  double nmax = 2.0 * nband * wsum;
  if (!(nelect > 0) || nelect >= nmax * (1 - 1e-12))
    return mb__error(MB_ERR_INVALID_ARG, "mb__occ_smeared: %g electrons do not fit below the "
                     "top of %d bands (room for %g)", nelect, nband, nmax);
  size_t ntot = (size_t)nsppol * nkpt * nband;
  double lo = eig[0], hi = eig[0];
  for (size_t i = 1; i < ntot; i++) {
    lo = fmin(lo, eig[i]);
    hi = fmax(hi, eig[i]);
  }
  /* Beyond the clipping limits every state is empty (full): a bracket. */
  double margin = 31 * tsmear;
  lo -= margin;
  hi += margin;
  for (int iter = 0; iter < 2000; iter++) {
    double mid = 0.5 * (lo + hi);
    if (mid <= lo || mid >= hi) break; /* adjacent doubles */
    double n = count(kind, tsmear, nsppol, nkpt, nband, eig, wtk, mid, NULL, NULL);
    if (n == nelect) {
      lo = hi = mid;
      break;
    }
    if (n < nelect)
      lo = mid;
    else
      hi = mid;
  }
  /* of the two ends, the one whose count is closer */
  double nlo = count(kind, tsmear, nsppol, nkpt, nband, eig, wtk, lo, NULL, NULL);
  double nhi = count(kind, tsmear, nsppol, nkpt, nband, eig, wtk, hi, NULL, NULL);
  *fermi = fabs(nlo - nelect) <= fabs(nhi - nelect) ? lo : hi;
  double n = count(kind, tsmear, nsppol, nkpt, nband, eig, wtk, *fermi, occ, entropy);
  if (fabs(n - nelect) > 1e-9 * nelect)
    return mb__error(MB_ERR_NOT_CONVERGED, "mb__occ_smeared: no Fermi level gives %.12g "
                     "electrons (best %.12g at %g Ha)", nelect, n, *fermi);
  return MB_OK;
}

mb_status mb__occ_fixed(int nsppol, int nkpt, int nband, double nelect,
                        const double *nelect_spin, double *occ) {
  if (!occ || (nsppol != 1 && nsppol != 2) || nkpt < 1 || nband < 1)
    return mb__error(MB_ERR_INVALID_ARG, "mb__occ_fixed: NULL occ, or nsppol %d, nkpt %d, "
                     "nband %d", nsppol, nkpt, nband);
  double maxocc = 2.0 / nsppol;
  for (int sp = 0; sp < nsppol; sp++) {
    double ne = nsppol == 1 ? nelect : nelect_spin ? nelect_spin[sp] : 0.5 * nelect;
    if (!(ne >= 0) || ne > maxocc * nband + 1e-12)
      return mb__error(MB_ERR_INVALID_ARG, "mb__occ_fixed: %g electrons in spin channel %d "
                       "do not fit in %d bands", ne, sp, nband);
    for (int k = 0; k < nkpt; k++)
      for (int b = 0; b < nband; b++) {
        double f = ne - maxocc * b;
        occ[((size_t)sp * nkpt + k) * nband + b] = f >= maxocc ? maxocc : f > 0 ? f : 0;
      }
  }
  return MB_OK;
}
