/* Hartwigsen-Goedecker-Hutter pseudopotentials (pspcod 3), C. Hartwigsen, S. Goedecker
 * and J. Hutter, Phys. Rev. B 58, 3641 (1998), read as ABINIT 9.6's psp3in reads them:
 *   title / zatom zion pspdat / pspcod pspxc lmax lloc mmax r2well /
 *   rloc c1 c2 c3 c4 / rs h11s h22s h33s /
 *   for l = 1..lmax: r_l h11 h22 h33 (f: r_f h11f) and the spin-orbit k_ij line
 *   (read, not used); anything after (the wavelet radii of some files) is ignored.
 * Real space (their eqs. 1-3), x = r / rloc:
 *   V_loc(r) = -zion/r erf(x/sqrt 2) + exp(-x^2/2) (c1 + c2 x^2 + c3 x^4 + c4 x^6)
 *   p_i^l(r) = sqrt 2 r^(l+2(i-1)) exp(-r^2/(2 r_l^2)) / (r_l^(l+(4i-1)/2)
 *              sqrt Gamma(l+(4i-1)/2)),   V_nl = sum_lm sum_ij |p_i^l Y_lm> h^l_ij <p_j^l Y_lm|
 * with the off-diagonal h^l_ij (l <= 2) fixed by h^l_jj (the relations under their
 * eq. 3, as psp3nl); f channels have h11 only.
 * Form factors in the conventions of dft.h (t = q rloc, u = q r_l), from the Gaussian
 * integrals int_0^inf s^(2+l+2n) exp(-s^2/2) j_l(us) ds = sqrt(pi/2) u^l exp(-u^2/2) P_n:
 *   vloc_short(q) = 4 pi zion (1 - exp(-t^2/2)) / q^2 + (2 pi)^(3/2) rloc^3 exp(-t^2/2)
 *     [c1 + c2 (3 - t^2) + c3 (15 - 10 t^2 + t^4) + c4 (105 - 105 t^2 + 21 t^4 - t^6)]
 *   f_li(q) = 4 pi sqrt 2 r_l^(3/2) / sqrt Gamma(l+(4i-1)/2) sqrt(pi/2) u^l exp(-u^2/2) P_(i-1)
 *   P_0 = 1, P_1 = 2l+3 - u^2, P_2 = (2l+3)(2l+5) - 2(2l+5) u^2 + u^4.
 * The files carry no valence density; the starting guess of the SCF uses a model one,
 * a normalised Gaussian of zion electrons, rho(r) = zion exp(-r^2/a^2) / (pi^3/2 a^3),
 * val(q) = zion exp(-q^2 a^2 / 4), with a = 2 sqrt 2 rloc: twice the width of the
 * Gaussian ionic charge of V_loc (exp(-q^2 rloc^2 / 2)), e.g. an rms radius of 1.5 Bohr
 * for Si (rloc 0.44) where the PseudoDojo atom has 2.1 (a guess, not a fit). */
#include <math.h>
#include <stdlib.h>

#include "psp_impl.h"


typedef struct hgh_impl {
  double rloc, c[4];
  double rl[MB_PSP_LMAX + 1];
} hgh_impl;

/* The next line's leading numbers, at least need of them. */
static mb_status next(const char *data, size_t size, const char *name, size_t *pos,
                      long *lineno, double *v, int need, int max, const char *what) {
  const char *line;
  size_t len;
  if (!mb__psp_line(data, size, pos, lineno, &line, &len))
    return mb__parse_error(name, *lineno + 1, "truncated file: expected %s", what);
  if (mb__psp_numbers(line, len, v, max) < need)
    return mb__parse_error(name, *lineno, "expected %s (%d numbers)", what, need);
  return MB_OK;
}

mb_status mb__hgh_parse(const char *data, size_t size, mb__psp *p) {
  size_t pos = 0;
  long ln = 0;
  double v[6];
  const char *nm = p->path;
  mb_status st;
  if ((st = next(data, size, nm, &pos, &ln, v, 0, 0, "the title line")) != MB_OK ||
      (st = next(data, size, nm, &pos, &ln, v, 2, 3, "zatom, zion, pspdat")) != MB_OK ||
      (st = next(data, size, nm, &pos, &ln, v, 3, 6, "pspcod, pspxc, lmax, ...")) != MB_OK)
    return st;
  int pspxc = (int)v[1], lmax = (int)v[2];
  if (v[1] != pspxc || v[2] != lmax || lmax < 0 || lmax > MB_PSP_LMAX)
    return mb__parse_error(nm, ln, "bad pspxc %g or lmax %g", v[1], v[2]);
  hgh_impl *m = mb__calloc(1, sizeof *m);
  if (!m) return MB_ERR_NOMEM;
  if ((st = next(data, size, nm, &pos, &ln, v, 5, 5, "rloc, c1, c2, c3, c4")) != MB_OK)
    goto fail;
  m->rloc = v[0];
  for (int k = 0; k < 4; k++) m->c[k] = v[1 + k];
  if (!(m->rloc > 0)) {
    st = mb__parse_error(nm, ln, "rloc %g must be positive", m->rloc);
    goto fail;
  }
  double h[MB_PSP_LMAX + 1][3] = {{0}};
  for (int l = 0; l <= lmax; l++) {
    int need = l == 3 ? 2 : 4;
    if ((st = next(data, size, nm, &pos, &ln, v, need, need, "r_l and h11, h22, h33")) != MB_OK)
      goto fail;
    m->rl[l] = v[0];
    for (int i = 0; i < need - 1; i++) h[l][i] = v[1 + i];
    int n = 0; /* ABINIT's psp3in: the last nonzero h_ii */
    for (int i = 0; i < 3; i++)
      if (fabs(h[l][i]) > 1e-8) n = i + 1;
    if (n && !(m->rl[l] > 0)) {
      st = mb__parse_error(nm, ln, "r_l %g must be positive for l = %d", m->rl[l], l);
      goto fail;
    }
    p->nproj[l] = n;
    if (l > 0 && (st = next(data, size, nm, &pos, &ln, v, 1, 3, "the k_ij line")) != MB_OK)
      goto fail;
  }
  /* h^l_ij, i < j, from h^l_jj: HGH (1998), below eq. 3. */
  const double rel[3][3] = {
      {-0.5 * sqrt(3.0 / 5), 0.5 * sqrt(5.0 / 21), -0.5 * sqrt(100.0 / 63)},
      {-0.5 * sqrt(5.0 / 7), 1.0 / 6 * sqrt(35.0 / 11), -1.0 / 6 * 14 / sqrt(11.0)},
      {-0.5 * sqrt(7.0 / 9), 0.5 * sqrt(63.0 / 143), -0.5 * 18 / sqrt(143.0)}};
  for (int l = 0; l <= lmax; l++) {
    for (int i = 0; i < 3; i++) p->d[l][i][i] = h[l][i];
    if (l <= 2) {
      p->d[l][0][1] = p->d[l][1][0] = rel[l][0] * h[l][1];
      p->d[l][0][2] = p->d[l][2][0] = rel[l][1] * h[l][2];
      p->d[l][1][2] = p->d[l][2][1] = rel[l][2] * h[l][2];
    }
  }
  p->pspxc = pspxc;
  p->lmax = lmax;
  p->has_core = 0;
  p->impl = m;
  return MB_OK;

fail:
  free(m);
  return st;
}

double mb__hgh_eval(const mb__psp *p, int what, int l, int i, double q) {
  const hgh_impl *m = p->impl;
  if (what == 0) {
    double rl = m->rloc, t2 = q * q * rl * rl, x = 0.5 * t2, e = exp(-x);
    /* (1 - exp(-x)) / x without cancellation near q = 0 */
    double g = x < 1e-6 ? 1.0 - 0.5 * x + x * x / 6.0 : -expm1(-x) / x;
    double poly = m->c[0] + m->c[1] * (3 - t2) + m->c[2] * (15 - 10 * t2 + t2 * t2) +
                  m->c[3] * (105 - 105 * t2 + 21 * t2 * t2 - t2 * t2 * t2);
    return 2 * M_PI * p->zion * rl * rl * g + pow(2 * M_PI, 1.5) * rl * rl * rl * e * poly;
  }
  if (what == 3) {
    double a = 2 * sqrt(2.0) * m->rloc;
    return p->zion * exp(-0.25 * q * q * a * a);
  }
  if (what != 1) return 0.0;
  double r = m->rl[l], u = q * r, u2 = u * u, P;
  if (i == 0)
    P = 1.0;
  else if (i == 1)
    P = 2 * l + 3 - u2;
  else
    P = (2 * l + 3) * (2 * l + 5) - 2 * (2 * l + 5) * u2 + u2 * u2;
  double ul = 1.0;
  for (int k = 0; k < l; k++) ul *= u;
  double norm = 4 * M_PI * sqrt(2.0) * pow(r, 1.5) / sqrt(tgamma(l + (4 * (i + 1) - 1) / 2.0));
  return norm * sqrt(M_PI / 2) * ul * exp(-0.5 * u2) * P;
}
