/* FFT box, Hamiltonian and LOBPCG eigensolver of lib/dft (kohnsham.h).
 * References, all independent of the code under test:
 *   - FFT: the round trip, and the analytic Fourier coefficients of a periodic
 *     Gaussian, c(G) = (pi/a)^{3/2} e^{-G^2/4a} e^{-iG.r0} / omega;
 *   - H: the explicit plane-wave matrix H_GG' = |k+G|^2/2 delta + V(G - G') with V(G)
 *     from the analytic transform of the potential (cosine + periodic Gaussian well,
 *     evaluated on the box by direct lattice sums), diagonalised by LAPACKE zheev;
 *   - empty lattice: eigenvalues |k+G|^2/2 exactly (degenerate shells);
 *   - density: a plane wave has rho = 1/omega and tau = |k+G|^2/(2 omega).
 * The basis is built here (tbasis) so that these tests do not depend on basis.c. */
#include <complex.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <lapacke.h>

#include "../testutil.h"
#include "dft/kohnsham.h"

/* ---- a plane-wave basis for the tests ------------------------------------------------ */

static mb__basis *tbasis(const mb__fft *f, const double k[3], double ecut) {
  mb__basis *b = calloc(1, sizeof *b);
  int cap = (int)f->ntot;
  b->g = malloc(3 * sizeof(int) * cap);
  b->fft_index = malloc(sizeof(int) * cap);
  b->kin = malloc(sizeof(double) * cap);
  b->kg = malloc(3 * sizeof(double) * cap);
  int h[3] = {f->n[0] / 2, f->n[1] / 2, f->n[2] / 2};
  for (int m2 = -h[2]; m2 <= h[2]; m2++)
    for (int m1 = -h[1]; m1 <= h[1]; m1++)
      for (int m0 = -h[0]; m0 <= h[0]; m0++) {
        int m[3] = {m0, m1, m2};
        double kg[3];
        for (int c = 0; c < 3; c++)
          kg[c] = (k[0] + m0) * f->recip[c] + (k[1] + m1) * f->recip[3 + c] +
                  (k[2] + m2) * f->recip[6 + c];
        double kin = 0.5 * (kg[0] * kg[0] + kg[1] * kg[1] + kg[2] * kg[2]);
        if (kin > ecut) continue;
        for (int j = 0; j < 3; j++) /* the sphere must sit strictly inside the box */
          ck_assert_msg(2 * abs(m[j]) < f->n[j], "box too small for ecut");
        int i = b->npw++;
        int idx[3];
        for (int j = 0; j < 3; j++) idx[j] = (m[j] + f->n[j]) % f->n[j];
        b->fft_index[i] = idx[0] + f->n[0] * (idx[1] + f->n[1] * idx[2]);
        memcpy(b->g + 3 * i, m, sizeof m);
        memcpy(b->kg + 3 * i, kg, sizeof kg);
        b->kin[i] = kin;
      }
  return b;
}

static void tbasis_free(mb__basis *b) {
  if (!b) return;
  free(b->g);
  free(b->fft_index);
  free(b->kin);
  free(b->kg);
  free(b);
}

static const double fcc[9] = {0, 4.2, 4.2, 4.2, 0, 4.2, 4.2, 4.2, 0}; /* a = 8.4 Bohr */

/* ---- a model potential: V0 (cos b1.r + cos b2.r) - A sum_R e^{-a |r - r0 - R|^2} ------ */

static const double V0 = 0.3, AW = 2.0, AEXP = 0.6, R0F[3] = {0.1, 0.25, 0.4};

static double complex model_vg(const mb__fft *f, const int dm[3]) {
  double g[3], r0[3];
  for (int c = 0; c < 3; c++) {
    g[c] = dm[0] * f->recip[c] + dm[1] * f->recip[3 + c] + dm[2] * f->recip[6 + c];
    r0[c] = R0F[0] * f->lattice[c] + R0F[1] * f->lattice[3 + c] + R0F[2] * f->lattice[6 + c];
  }
  double g2 = g[0] * g[0] + g[1] * g[1] + g[2] * g[2];
  double complex v = -AW * pow(M_PI / AEXP, 1.5) / f->omega * exp(-g2 / (4 * AEXP)) *
                     cexp(-I * (g[0] * r0[0] + g[1] * r0[1] + g[2] * r0[2]));
  int a1 = abs(dm[0]) == 1 && dm[1] == 0 && dm[2] == 0;
  int a2 = dm[0] == 0 && abs(dm[1]) == 1 && dm[2] == 0;
  if (a1 || a2) v += 0.5 * V0;
  return v;
}

/* The same potential on the box points by direct summation (no FFT). */
static double *model_vr(const mb__fft *f) {
  double *v = malloc(sizeof(double) * f->ntot);
  for (size_t idx = 0; idx < f->ntot; idx++) {
    int i0 = (int)(idx % f->n[0]), i1 = (int)(idx / f->n[0] % f->n[1]);
    int i2 = (int)(idx / f->n[0] / f->n[1]);
    double fr[3] = {(double)i0 / f->n[0], (double)i1 / f->n[1], (double)i2 / f->n[2]};
    double val = V0 * (cos(2 * M_PI * fr[0]) + cos(2 * M_PI * fr[1]));
    for (int t0 = -3; t0 <= 3; t0++)
      for (int t1 = -3; t1 <= 3; t1++)
        for (int t2 = -3; t2 <= 3; t2++) {
          double d[3] = {fr[0] - R0F[0] + t0, fr[1] - R0F[1] + t1, fr[2] - R0F[2] + t2}, x[3];
          for (int c = 0; c < 3; c++)
            x[c] = d[0] * f->lattice[c] + d[1] * f->lattice[3 + c] + d[2] * f->lattice[6 + c];
          val -= AW * exp(-AEXP * (x[0] * x[0] + x[1] * x[1] + x[2] * x[2]));
        }
    v[idx] = val;
  }
  return v;
}

/* Dense H (column-major npw x npw) of the model potential times scale. */
static double complex *dense_h(const mb__fft *f, const mb__basis *b, double scale) {
  int n = b->npw;
  double complex *h = malloc(sizeof(double complex) * n * n);
  for (int j = 0; j < n; j++)
    for (int i = 0; i < n; i++) {
      int dm[3] = {b->g[3 * i] - b->g[3 * j], b->g[3 * i + 1] - b->g[3 * j + 1],
                   b->g[3 * i + 2] - b->g[3 * j + 2]};
      h[(size_t)j * n + i] = scale * model_vg(f, dm) + (i == j ? b->kin[i] : 0);
    }
  return h;
}

static double *dense_eig(double complex *h, int n) {
  double *w = malloc(sizeof(double) * n);
  ck_assert_int_eq(LAPACKE_zheev(LAPACK_COL_MAJOR, 'N', 'U', n, h, n, w), 0);
  return w;
}

/* ---- FFT ------------------------------------------------------------------------------ */

START_TEST(test_fft_roundtrip) {
  int n[3] = {12, 10, 15};
  mb__fft *f = NULL;
  MB_OK_OR_FAIL(mb__fft_create(fcc, n, MB__FFT_ESTIMATE, 1, &f));
  ck_assert(fabs(f->omega - 2 * 4.2 * 4.2 * 4.2) < 1e-12);
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 3; j++) {
      double d = mb__dot3(f->lattice + 3 * i, f->recip + 3 * j);
      ck_assert(fabs(d - (i == j ? 2 * M_PI : 0)) < 1e-12);
    }
  size_t nt = f->ntot;
  /* a plain malloc'd array offset by one element exercises the unaligned plans */
  double complex *raw = malloc(sizeof(double complex) * (nt + 1)), *a = raw + 1;
  double complex *b = mb__fft_array(nt), *c = mb__fft_array(nt);
  unsigned long long s = 7;
  for (size_t i = 0; i < nt; i++) a[i] = mb_test_rand(&s) - 0.5 + I * (mb_test_rand(&s) - 0.5);
  mb__fft_backward(f, a, b);
  mb__fft_forward(f, b, c);
  double err = 0;
  for (size_t i = 0; i < nt; i++) err = fmax(err, cabs(c[i] - a[i]));
  ck_assert_msg(err < 1e-14, "out-of-place round trip error %g", err);
  memcpy(c, a, sizeof(double complex) * nt);
  mb__fft_backward(f, c, c);
  mb__fft_forward(f, c, c);
  for (size_t i = 0; i < nt; i++) err = fmax(err, cabs(c[i] - a[i]));
  ck_assert_msg(err < 1e-14, "in-place round trip error %g", err);
  /* backward of a single coefficient at m = (1, -2, 3) is e^{iG.r} */
  memset(b, 0, sizeof(double complex) * nt);
  int idx = 1 + n[0] * ((n[1] - 2) + n[1] * 3);
  b[idx] = 1;
  mb__fft_backward(f, b, a);
  double gv[3];
  mb__fft_gvector(f, (size_t)idx, gv, NULL);
  for (size_t r = 0; r < nt; r++) {
    int i0 = (int)(r % n[0]), i1 = (int)(r / n[0] % n[1]), i2 = (int)(r / n[0] / n[1]);
    double phase = 2 * M_PI * (1.0 * i0 / n[0] - 2.0 * i1 / n[1] + 3.0 * i2 / n[2]);
    ck_assert(cabs(a[r] - cexp(I * phase)) < 1e-13);
  }
  double gref[3];
  for (int c2 = 0; c2 < 3; c2++) {
    gref[c2] = f->recip[c2] - 2 * f->recip[3 + c2] + 3 * f->recip[6 + c2];
    ck_assert(fabs(gv[c2] - gref[c2]) < 1e-12);
  }
  free(raw);
  mb__fft_array_free(b);
  mb__fft_array_free(c);
  mb__fft_free(f);
}
END_TEST

START_TEST(test_fft_gaussian) {
  /* periodic Gaussian in the fcc cell, a = 1.2 Bohr^-2: coefficients to 1e-13 */
  int n[3] = {30, 30, 30};
  mb__fft *f = NULL;
  MB_OK_OR_FAIL(mb__fft_create(fcc, n, MB__FFT_MEASURE, 2, &f));
  const double a = 1.2, r0f[3] = {0.3, 0.1, 0.7};
  double r0[3];
  mb__vecmat3(r0f, fcc, r0);
  double *fr = malloc(sizeof(double) * f->ntot);
  for (size_t idx = 0; idx < f->ntot; idx++) {
    double fx[3] = {(double)(idx % n[0]) / n[0], (double)(idx / n[0] % n[1]) / n[1],
                    (double)(idx / n[0] / n[1]) / n[2]};
    double val = 0;
    for (int t0 = -2; t0 <= 2; t0++)
      for (int t1 = -2; t1 <= 2; t1++)
        for (int t2 = -2; t2 <= 2; t2++) {
          double d[3] = {fx[0] + t0, fx[1] + t1, fx[2] + t2}, x[3];
          mb__vecmat3(d, fcc, x);
          for (int c = 0; c < 3; c++) x[c] -= r0[c];
          val += exp(-a * mb__dot3(x, x));
        }
    fr[idx] = val;
  }
  double complex *g = mb__fft_array(f->ntot);
  mb__fft_r2g(f, fr, g);
  double err = 0, gmax = 0;
  for (size_t idx = 0; idx < f->ntot; idx++) {
    double gv[3];
    mb__fft_gvector(f, idx, gv, NULL);
    double g2 = mb__dot3(gv, gv);
    double complex ref = pow(M_PI / a, 1.5) / f->omega * exp(-g2 / (4 * a)) *
                         cexp(-I * mb__dot3(gv, r0));
    err = fmax(err, cabs(g[idx] - ref));
    gmax = fmax(gmax, cabs(ref));
  }
  ck_assert_msg(err < 1e-13 * gmax, "Gaussian transform error %g (largest %g)", err, gmax);
  /* and back: the real part reproduces the samples */
  double *back = malloc(sizeof(double) * f->ntot);
  mb__fft_g2r(f, g, g, back);
  for (size_t i = 0; i < f->ntot; i++) ck_assert(fabs(back[i] - fr[i]) < 1e-13);
  free(back);
  free(fr);
  mb__fft_array_free(g);
  mb__fft_free(f);
}
END_TEST

/* ---- Hamiltonian ------------------------------------------------------------------------ */

typedef struct setup {
  mb__fft *f;
  mb__basis *b;
  double *v;
  mb__ham *h;
} setup;

static void setup_make(setup *s, const double k[3], double ecut, int nbox, double vscale) {
  int n[3] = {nbox, nbox, nbox};
  MB_OK_OR_FAIL(mb__fft_create(fcc, n, MB__FFT_ESTIMATE, 1, &s->f));
  s->b = tbasis(s->f, k, ecut);
  s->v = model_vr(s->f);
  for (size_t i = 0; i < s->f->ntot; i++) s->v[i] *= vscale;
  MB_OK_OR_FAIL(mb__ham_create(s->f, s->b, s->v, &s->h));
}

static void setup_free(setup *s) {
  mb__ham_free(s->h);
  free(s->v);
  tbasis_free(s->b);
  mb__fft_free(s->f);
}

/* Kleinman-Bylander-like rank-one term D |beta><beta| through the non-local hook. */
typedef struct proj {
  double complex *beta;
  double d;
} proj;

static mb_status proj_apply(void *data, const mb__basis *b, int nvec,
                            const double complex *psi, double complex *hpsi) {
  const proj *p = data;
  for (int v = 0; v < nvec; v++) {
    double complex c = 0;
    for (int i = 0; i < b->npw; i++) c += conj(p->beta[i]) * psi[(size_t)v * b->npw + i];
    for (int i = 0; i < b->npw; i++) hpsi[(size_t)v * b->npw + i] += p->d * c * p->beta[i];
  }
  return MB_OK;
}

START_TEST(test_ham_apply_dense) {
  setup s;
  const double k[3] = {0.1, 0.2, -0.3};
  setup_make(&s, k, 8.0, 24, 1.0);
  int n = s.b->npw;
  ck_assert_int_gt(n, 100);
  double complex *h = dense_h(s.f, s.b, 1.0);
  proj p = {malloc(sizeof(double complex) * n), 0.7};
  unsigned long long r = 11;
  for (int i = 0; i < n; i++)
    p.beta[i] = (mb_test_rand(&r) - 0.5 + I * (mb_test_rand(&r) - 0.5)) / (1 + s.b->kin[i]);
  for (int j = 0; j < n; j++)
    for (int i = 0; i < n; i++) h[(size_t)j * n + i] += p.d * p.beta[i] * conj(p.beta[j]);
  s.h->nonlocal = proj_apply;
  s.h->nonlocal_data = &p;
  double complex *x = malloc(sizeof(double complex) * n * 2), *y = malloc(sizeof *y * n * 2);
  for (int i = 0; i < 2 * n; i++) x[i] = mb_test_rand(&r) - 0.5 + I * (mb_test_rand(&r) - 0.5);
  MB_OK_OR_FAIL(mb__ham_apply(s.h, 2, x, y));
  ck_assert_int_eq(s.h->napply, 2);
  double err = 0, scale = 0;
  for (int v = 0; v < 2; v++)
    for (int i = 0; i < n; i++) {
      double complex ref = 0;
      for (int j = 0; j < n; j++) ref += h[(size_t)j * n + i] * x[v * n + j];
      err = fmax(err, cabs(ref - y[v * n + i]));
      scale = fmax(scale, cabs(ref));
    }
  ck_assert_msg(err < 1e-11 * scale, "H psi differs from the dense matrix by %g", err);
  free(x);
  free(y);
  free(p.beta);
  free(h);
  setup_free(&s);
}
END_TEST

/* ---- eigensolver ---------------------------------------------------------------------- */

START_TEST(test_eig_dense) {
  setup s;
  const double k[3] = {0.25, 0.0, 0.125};
  setup_make(&s, k, 8.0, 24, 1.0);
  int n = s.b->npw, nb = 12;
  double complex *hd = dense_h(s.f, s.b, 1.0);
  double *ref = dense_eig(hd, n);
  free(hd);
  double complex *psi = malloc(sizeof(double complex) * n * nb);
  double eig[12];
  mb__eig_random_start(s.b, nb, 1, psi);
  mb__eig_options o = {1e-8, 200, 0};
  mb__eig_result res;
  MB_OK_OR_FAIL(mb__eig_lobpcg(s.h, nb, &o, psi, eig, &res));
  double err = 0;
  for (int i = 0; i < nb; i++) err = fmax(err, fabs(eig[i] - ref[i]));
  ck_assert_msg(err < 1e-10, "LOBPCG vs zheev: %g Ha (%d iterations)", err, res.iterations);
  /* orthonormal vectors and H x = e x checked independently of the solver */
  double complex *hx = malloc(sizeof(double complex) * n * nb);
  MB_OK_OR_FAIL(mb__ham_apply(s.h, nb, psi, hx));
  for (int a = 0; a < nb; a++) {
    double r2 = 0;
    for (int i = 0; i < n; i++) r2 += pow(cabs(hx[a * n + i] - eig[a] * psi[a * n + i]), 2);
    ck_assert(sqrt(r2) < 1e-8);
    for (int b = 0; b < nb; b++) {
      double complex o2 = 0;
      for (int i = 0; i < n; i++) o2 += conj(psi[a * n + i]) * psi[b * n + i];
      ck_assert(cabs(o2 - (a == b)) < 1e-12);
    }
  }
  fprintf(stderr, "eig dense: npw %d, %d bands, %d iterations, %ld H applications, max "
          "|e - e_zheev| %.2e Ha\n", n, nb, res.iterations, res.napply, err);
  free(hx);
  free(psi);
  free(ref);
  setup_free(&s);
}
END_TEST

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

START_TEST(test_eig_empty_lattice) {
  /* V = 0 at Gamma of fcc: shells of 1, 8, 6, 12 plane waves; 15 bands close the
   * third shell, 11 bands cut the 6-fold one (the lowest 9 must converge). */
  setup s;
  const double k[3] = {0, 0, 0};
  setup_make(&s, k, 4.0, 24, 0.0);
  int n = s.b->npw;
  double *kin = malloc(sizeof(double) * n);
  memcpy(kin, s.b->kin, sizeof(double) * n);
  qsort(kin, n, sizeof *kin, cmp_double);
  ck_assert(fabs(kin[1] - kin[8]) < 1e-12 && kin[9] > kin[8] + 1e-3);
  const int nbs[2] = {15, 11}, nconv[2] = {0, 9};
  for (int t = 0; t < 2; t++) {
    int nb = nbs[t];
    double complex *psi = malloc(sizeof(double complex) * n * nb);
    double eig[15];
    mb__eig_random_start(s.b, nb, 3 + t, psi);
    mb__eig_options o = {1e-9, 100, nconv[t]};
    mb__eig_result res;
    MB_OK_OR_FAIL(mb__eig_lobpcg(s.h, nb, &o, psi, eig, &res));
    int ncheck = nconv[t] ? nconv[t] : nb;
    for (int i = 0; i < ncheck; i++)
      ck_assert_msg(fabs(eig[i] - kin[i]) < 1e-12, "band %d: %.15g vs |k+G|^2/2 = %.15g", i,
                    eig[i], kin[i]);
    free(psi);
  }
  free(kin);
  setup_free(&s);
}
END_TEST

START_TEST(test_eig_warm_start) {
  /* converge at V, then solve at 1.02 V from those vectors and from random ones */
  setup s, s2;
  const double k[3] = {0.1, 0.3, 0.0};
  setup_make(&s, k, 8.0, 24, 1.0);
  setup_make(&s2, k, 8.0, 24, 1.02);
  int n = s.b->npw, nb = 10;
  double complex *psi = malloc(sizeof(double complex) * n * nb);
  double complex *cold = malloc(sizeof(double complex) * n * nb);
  double eig[10], eig2[10];
  mb__eig_options o = {1e-7, 200, 0};
  mb__eig_result r0, rwarm, rcold;
  mb__eig_random_start(s.b, nb, 5, psi);
  MB_OK_OR_FAIL(mb__eig_lobpcg(s.h, nb, &o, psi, eig, &r0));
  MB_OK_OR_FAIL(mb__eig_lobpcg(s2.h, nb, &o, psi, eig, &rwarm));
  mb__eig_random_start(s.b, nb, 6, cold);
  MB_OK_OR_FAIL(mb__eig_lobpcg(s2.h, nb, &o, cold, eig2, &rcold));
  for (int i = 0; i < nb; i++) ck_assert(fabs(eig[i] - eig2[i]) < 1e-10);
  fprintf(stderr, "warm start: %ld H applications (%d iterations), cold: %ld (%d)\n",
          rwarm.napply, rwarm.iterations, rcold.napply, rcold.iterations);
  ck_assert_msg(rwarm.napply < 0.7 * rcold.napply, "warm %ld vs cold %ld", rwarm.napply,
                rcold.napply);
  /* maxiter reached: MB_ERR_NOT_CONVERGED with the best vectors so far */
  mb__eig_options o1 = {1e-12, 1, 0};
  mb__eig_random_start(s.b, nb, 7, cold);
  ck_assert_int_eq(mb__eig_lobpcg(s2.h, nb, &o1, cold, eig2, NULL), MB_ERR_NOT_CONVERGED);
  ck_assert_int_eq(mb__eig_lobpcg(s2.h, n, &o, cold, eig2, NULL), MB_ERR_INVALID_ARG);
  free(psi);
  free(cold);
  setup_free(&s);
  setup_free(&s2);
}
END_TEST

/* ---- density -------------------------------------------------------------------------- */

START_TEST(test_density_planewaves) {
  setup s;
  const double k[3] = {0.2, -0.1, 0.3};
  setup_make(&s, k, 2.0, 16, 0.0);
  int n = s.b->npw, nb = 3;
  double complex *psi = calloc((size_t)n * nb, sizeof(double complex));
  double w[3] = {2.0, 1.5, 0.0};
  double tref = 0;
  for (int b = 0; b < nb; b++) {
    psi[(size_t)b * n + 2 * b + 1] = cexp(I * b); /* one plane wave each, any phase */
    tref += 0.5 * w[b] * 2 * s.b->kin[2 * b + 1] / s.f->omega;
  }
  double *rho = calloc(s.f->ntot, sizeof(double)), *tau = calloc(s.f->ntot, sizeof(double));
  double complex *work = mb__fft_array(s.f->ntot);
  MB_OK_OR_FAIL(mb__density_add(s.f, s.b, nb, psi, w, work, rho, tau));
  for (size_t r = 0; r < s.f->ntot; r++) {
    ck_assert(fabs(rho[r] - 3.5 / s.f->omega) < 1e-14);
    ck_assert(fabs(tau[r] - tref) < 1e-14);
  }
  /* a general vector: the density integrates to the weight */
  unsigned long long st = 9;
  double norm = 0;
  for (int i = 0; i < n; i++) {
    psi[i] = mb_test_rand(&st) - 0.5 + I * (mb_test_rand(&st) - 0.5);
    norm += pow(cabs(psi[i]), 2);
  }
  for (int i = 0; i < n; i++) psi[i] /= sqrt(norm);
  memset(rho, 0, sizeof(double) * s.f->ntot);
  double w1 = 0.8;
  MB_OK_OR_FAIL(mb__density_add(s.f, s.b, 1, psi, &w1, work, rho, NULL));
  double q = 0;
  for (size_t r = 0; r < s.f->ntot; r++) q += rho[r];
  ck_assert(fabs(q * s.f->omega / s.f->ntot - 0.8) < 1e-13);
  free(psi);
  free(rho);
  free(tau);
  mb__fft_array_free(work);
  setup_free(&s);
}
END_TEST

START_TEST(test_errors) {
  mb__fft *f = NULL;
  int bad[3] = {0, 4, 4}, n[3] = {4, 4, 4};
  const double flat[9] = {1, 0, 0, 0, 1, 0, 1, 1, 0};
  ck_assert_int_eq(mb__fft_create(fcc, bad, 0, 1, &f), MB_ERR_INVALID_ARG);
  ck_assert_int_eq(mb__fft_create(flat, n, 0, 1, &f), MB_ERR_GEOMETRY);
  ck_assert_ptr_null(f);
  mb__fft_free(NULL);
  mb__ham_free(NULL);
}
END_TEST

int main(void) {
  Suite *s = suite_create("dft_eigensolver");
  TCase *tc = tcase_create("core");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_fft_roundtrip);
  tcase_add_test(tc, test_fft_gaussian);
  tcase_add_test(tc, test_ham_apply_dense);
  tcase_add_test(tc, test_eig_dense);
  tcase_add_test(tc, test_eig_empty_lattice);
  tcase_add_test(tc, test_eig_warm_start);
  tcase_add_test(tc, test_density_planewaves);
  tcase_add_test(tc, test_errors);
  suite_add_tcase(s, tc);
  return mb_run_suite(s);
}
