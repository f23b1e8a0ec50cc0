/* Lowest eigenpairs of the Kohn-Sham Hamiltonian at one k-point: LOBPCG with an
 * explicitly orthonormalised search space [X W P] and the Teter-Payne-Allan
 * preconditioner. Dense work (Gram matrices, Rayleigh-Ritz) by BLAS and LAPACKE. */
#include <complex.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>
#include <lapacke.h>

#include "kohnsham.h"

double mb__tpa_precond(double kin, double ekin) {
  if (ekin < 1e-10) ekin = 0.1; /* as ABINIT's cg_precon for a vanishing ekin */
  double x = kin / (1.5 * ekin);
  double p = 27 + x * (18 + x * (12 + x * 8));
  return p / (p + 16 * x * x * x * x);
}

void mb__eig_random_start(const mb__basis *basis, int nband, unsigned long long seed,
                          double complex *psi) {
  unsigned long long s = seed * 2862933555777941757ULL + 3037000493ULL;
  if (!s) s = 88172645463325252ULL;
  for (int n = 0; n < nband; n++)
    for (int i = 0; i < basis->npw; i++) {
      double u[2];
      for (int j = 0; j < 2; j++) { /* xorshift64* */
        s ^= s >> 12;
        s ^= s << 25;
        s ^= s >> 27;
        u[j] = (double)((s * 2685821657736338717ULL) >> 11) / 9007199254740992.0 - 0.5;
      }
      psi[(size_t)n * basis->npw + i] = (u[0] + I * u[1]) / (1 + 2 * basis->kin[i]);
    }
  if (basis->real == 1) /* c(G = 0) of a real wavefunction at Gamma is real */
    for (int n = 0; n < nband; n++) {
      double complex *c0 = psi + (size_t)n * basis->npw;
      *c0 = creal(*c0);
    }
}

/* The dense products run on the team t in slices of the plane waves (team.c): the same
 * numbers for any team size. On a real basis (mb__basis.real) the vectors are read as
 * 2 npw real rows and the small matrices (Gram, Rayleigh-Ritz, combinations) are real:
 * the products are dgemm, a quarter of the work of zgemm over the full sphere. The
 * small matrices are passed as void *: double complex, or double when real. */

typedef struct dense {
  mb__team *t;
  int npw, real;
} dense;

/* S = A^H B (ka x kb, leading dimension ka). */
static mb_status gram(const dense *d, int ka, int kb, const double complex *a,
                      const double complex *b, void *s) {
  if (d->real)
    return mb__team_dgemm_tn(d->t, ka, kb, 2 * d->npw, (const double *)a, 2 * d->npw,
                             (const double *)b, 2 * d->npw, 0, s, ka);
  return mb__team_zgemm_cn(d->t, ka, kb, d->npw, a, d->npw, b, d->npw, 0, s, ka);
}

/* C = alpha A T + beta C (npw x kb) with T ka x kb, leading dimension ldt; beta 0 or 1. */
static void combine_ab(const dense *d, int ka, int kb, double alpha, const double complex *a,
                       const void *tm, int ldt, double beta, double complex *c) {
  if (d->real)
    mb__team_dgemm_nn(d->t, 2 * d->npw, kb, ka, alpha, (const double *)a, 2 * d->npw, tm, ldt,
                      beta, (double *)c, 2 * d->npw);
  else
    mb__team_zgemm_nn(d->t, d->npw, kb, ka, alpha, a, d->npw, tm, ldt, beta, c, d->npw);
}

static void combine(const dense *d, int ka, int kb, const double complex *a, const void *tm,
                    int ldt, double complex *c) {
  combine_ab(d, ka, kb, 1, a, tm, ldt, 0, c);
}

/* Element (i, j) of a small matrix with leading dimension ld (its real part). */
static double elem(const dense *d, const void *m, int i, int j, int ld) {
  size_t at = (size_t)j * ld + i;
  return d->real ? ((const double *)m)[at] : creal(((const double complex *)m)[at]);
}

/* Rows r0 .. r0 + nr - 1 of column j of m (leading dimension ld) to column jd of o (ldo). */
static void copy_rows(const dense *d, const void *m, int ld, int j, int r0, int nr, void *o,
                      int ldo, int jd) {
  size_t es = d->real ? sizeof(double) : sizeof(double complex);
  memcpy((char *)o + es * ((size_t)jd * ldo), (const char *)m + es * ((size_t)j * ld + r0),
         es * nr);
}

/* V -= Q (Q^H V), and the same combination on HV (HV -= HQ (Q^H V)) when given. */
static mb_status project_out(const dense *d, int kq, const double complex *q,
                             const double complex *hq, int kv, double complex *v,
                             double complex *hv, void *s) {
  if (kq == 0 || kv == 0) return MB_OK;
  mb_status st = gram(d, kq, kv, q, v, s);
  if (st != MB_OK) return st;
  combine_ab(d, kq, kv, -1, q, s, kq, 1, v);
  if (hv) combine_ab(d, kq, kv, -1, hq, s, kq, 1, hv);
  return MB_OK;
}

/* Cholesky factor (upper) of the k x k matrix s in place; 0 on success. */
static int potrf(const dense *d, int k, void *s) {
  return d->real ? LAPACKE_dpotrf(LAPACK_COL_MAJOR, 'U', k, s, k)
                 : LAPACKE_zpotrf(LAPACK_COL_MAJOR, 'U', k, s, k);
}

/* Eigenvalues w (ascending) and vectors of the symmetric/Hermitian n x n s; 0 on success. */
static int heevd(const dense *d, char uplo, int n, void *s, double *w) {
  return d->real ? LAPACKE_dsyevd(LAPACK_COL_MAJOR, 'V', uplo, n, s, n, w)
                 : LAPACKE_zheevd(LAPACK_COL_MAJOR, 'V', uplo, n, s, n, w);
}

/* V = V R^-1 for the k columns of V (R: k x k upper triangular). */
static void trsm(const dense *d, int k, const void *r, double complex *v) {
  if (d->real)
    mb__team_dtrsm_ru(d->t, 2 * d->npw, k, r, k, (double *)v, 2 * d->npw);
  else
    mb__team_ztrsm_ru(d->t, d->npw, k, r, k, v, d->npw);
}

/* Column work on the team, one column per task: each column's numbers are the same on
 * any member. */
typedef struct col_job {
  int npw;
  double complex *v, *hv;    /* normalise: V's columns to unit norm, HV's alike */
  double complex *dst;       /* copy: src to dst */
  const double complex *src;
  /* residuals: R_j = HX_j - e_j X_j, r2[j] = |R_j|^2, ek[j] = <X_j|T|X_j>; preconditioned
   * into wb column slot[j] when slot[j] >= 0 */
  const double complex *x, *hx;
  const double *eig, *kin;
  double *r2, *ek;
  const int *slot;
  double complex *wb;
} col_job;

static void normalise_col(void *arg, int j, int member) {
  (void)member;
  const col_job *c = arg;
  double nrm = cblas_dznrm2(c->npw, c->v + (size_t)c->npw * j, 1);
  if (nrm == 0) return;
  double complex sc = 1 / nrm;
  cblas_zscal(c->npw, &sc, c->v + (size_t)c->npw * j, 1);
  if (c->hv) cblas_zscal(c->npw, &sc, c->hv + (size_t)c->npw * j, 1);
}

static void copy_col(void *arg, int j, int member) {
  (void)member;
  const col_job *c = arg;
  memcpy(c->dst + (size_t)c->npw * j, c->src + (size_t)c->npw * j, c->npw * sizeof *c->dst);
}

/* dst = src for k columns of npw (dst and src apart) */
static void copy_cols(mb__team *t, int npw, int k, double complex *dst,
                      const double complex *src) {
  col_job c = {.npw = npw, .dst = dst, .src = src};
  mb__team_run(t, k, copy_col, &c);
}

static void residual_norm(void *arg, int j, int member) {
  (void)member;
  const col_job *c = arg;
  const double complex *xj = c->x + (size_t)c->npw * j, *hxj = c->hx + (size_t)c->npw * j;
  double r2 = 0, ek = 0;
  for (int i = 0; i < c->npw; i++) {
    double complex r = hxj[i] - c->eig[j] * xj[i];
    r2 += creal(r) * creal(r) + cimag(r) * cimag(r);
    ek += c->kin[i] * (creal(xj[i]) * creal(xj[i]) + cimag(xj[i]) * cimag(xj[i]));
  }
  c->r2[j] = r2, c->ek[j] = ek;
}

static void residual_precond(void *arg, int j, int member) {
  (void)member;
  const col_job *c = arg;
  if (c->slot[j] < 0) return;
  const double complex *xj = c->x + (size_t)c->npw * j, *hxj = c->hx + (size_t)c->npw * j;
  double complex *rj = c->wb + (size_t)c->npw * c->slot[j];
  for (int i = 0; i < c->npw; i++)
    rj[i] = (hxj[i] - c->eig[j] * xj[i]) * mb__tpa_precond(c->kin[i], c->ek[j]);
}

/* Orthonormalise the k columns of V (and transform HV alike): Cholesky QR twice, or,
 * when the Gram matrix is (numerically) singular, its eigen-decomposition with the
 * directions of relative weight below 1e-12 dropped. Returns the columns kept
 * (0..k), or -1 when out of memory; tmp holds npw*k, s and s2 k*k, w k. */
static int orthonormalise(const dense *d, int k, double complex *v, double complex *hv,
                          double complex *tmp, void *s, void *s2, double *w) {
  if (k == 0) return 0;
  const int npw = d->npw;
  col_job unit = {.npw = npw, .v = v, .hv = hv}; /* unit columns first: norms may span many
                                                    decades */
  mb__team_run(d->t, k, normalise_col, &unit);
  for (int pass = 0; pass < 2; pass++) {
    if (gram(d, k, k, v, v, s) != MB_OK) return -1;
    double dmax = 0;
    for (int i = 0; i < k; i++) dmax = fmax(dmax, elem(d, s, i, i, k));
    if (dmax <= 0) return 0;
    int ok = potrf(d, k, s) == 0;
    for (int i = 0; ok && i < k; i++) /* R_ii^2: the weight left after projection */
      if (elem(d, s, i, i, k) * elem(d, s, i, i, k) < 1e-10 * dmax) ok = 0;
    if (ok) {
      trsm(d, k, s, v);
      if (hv) trsm(d, k, s, hv);
      continue;
    }
    /* S = U L U^H: V <- V U_kept L_kept^{-1/2} */
    if (gram(d, k, k, v, v, s) != MB_OK) return -1;
    if (heevd(d, 'U', k, s, w) != 0) return 0;
    int keep = 0;
    for (int i = 0; i < k; i++) /* ascending: keep the largest */
      if (w[i] > 1e-12 * w[k - 1]) {
        double sc = 1 / sqrt(w[i]);
        for (int j = 0; j < k; j++) {
          size_t to = (size_t)keep * k + j, from = (size_t)i * k + j;
          if (d->real)
            ((double *)s2)[to] = ((double *)s)[from] * sc;
          else
            ((double complex *)s2)[to] = ((double complex *)s)[from] * sc;
        }
        keep++;
      }
    combine(d, k, keep, v, s2, k, tmp);
    copy_cols(d->t, npw, keep, v, tmp);
    if (hv) {
      combine(d, k, keep, hv, s2, k, tmp);
      copy_cols(d->t, npw, keep, hv, tmp);
    }
    k = keep;
    if (k == 0) return 0;
  }
  return k;
}

/* The symmetric (Hermitian) part of the n x n s, in place. */
static void symmetrise(const dense *d, int n, void *s) {
  for (int i = 0; i < n; i++)
    for (int j = 0; j <= i; j++) {
      size_t ij = (size_t)j * n + i, ji = (size_t)i * n + j;
      if (d->real) {
        double *r = s, a = 0.5 * (r[ij] + r[ji]);
        r[ij] = r[ji] = a;
      } else {
        double complex *c = s, a = 0.5 * (c[ij] + conj(c[ji]));
        c[ij] = a, c[ji] = conj(a);
      }
    }
}

mb_status mb__eig_lobpcg(mb__ham *h, int nband, const mb__eig_options *opt,
                         double complex *psi, double *eig, mb__eig_result *res) {
  if (!h || !opt || !psi || !eig)
    return mb__error(MB_ERR_INVALID_ARG, "mb__eig_lobpcg: NULL argument");
  const int npw = h->basis->npw, m = nband, dim = mb__basis_dim(h->basis);
  if (m < 1 || 3 * m > dim)
    return mb__error(MB_ERR_INVALID_ARG, "mb__eig_lobpcg: %d bands need a basis of at least %d "
                     "plane waves (have %d%s)", m, 3 * m, dim,
                     h->basis->real ? ", real" : "");
  if (!(opt->tol > 0) || opt->maxiter < 1)
    return mb__error(MB_ERR_INVALID_ARG, "mb__eig_lobpcg: tol %g, maxiter %d", opt->tol,
                     opt->maxiter);
  const int nconv = opt->nconv > 0 && opt->nconv < m ? opt->nconv : m;
  const double *kin = h->basis->kin;
  long napply0 = h->napply;
  mb_status st = MB_OK;
  mb__team *own = NULL, *t = h->team; /* without one: a team of one, the same numbers */
  if (!t && (st = mb__team_create(1, &own)) != MB_OK) return st;
  if (!t) t = own;
  const dense dd = {t, npw, h->basis->real}, *d = &dd;
  size_t nz = (size_t)npw * 3 * m, ns = (size_t)9 * m * m;
  double complex *z = mb__malloc(nz, sizeof *z), *hz = mb__malloc(nz, sizeof *hz);
  double complex *tmp = mb__malloc(nz, sizeof *tmp), *htmp = mb__malloc(nz, sizeof *htmp);
  void *s = mb__malloc(ns, sizeof(double complex)), *s2 = mb__malloc(ns, sizeof(double complex));
  double *w = mb__malloc(3 * (size_t)m, sizeof *w), *rnorm = mb__malloc(m, sizeof *rnorm);
  double *ek = mb__malloc(m, sizeof *ek);
  int *active = mb__calloc(m, sizeof *active), *slot = mb__malloc(m, sizeof *slot);
  if (!z || !hz || !tmp || !htmp || !s || !s2 || !w || !rnorm || !ek || !active || !slot) {
    st = MB_ERR_NOMEM;
    goto cleanup;
  }
  double complex *x = z, *hx = hz;
  copy_cols(t, npw, m, x, psi);

  /* Start: orthonormal X (dependent start vectors are replaced by random ones). */
  for (int attempt = 0;; attempt++) {
    int k = orthonormalise(d, m, x, NULL, tmp, s, s2, w);
    if (k < 0) goto nomem;
    if (k == m) break;
    if (attempt == 3) {
      st = mb__error(MB_ERR_NOT_CONVERGED, "mb__eig_lobpcg: cannot build %d independent "
                     "start vectors from %d plane waves", m, npw);
      goto cleanup;
    }
    double complex *r = tmp + (size_t)npw * m;
    mb__eig_random_start(h->basis, m - k, 977 + (unsigned long long)attempt, r);
    memcpy(x + (size_t)npw * k, r, (size_t)npw * (m - k) * sizeof *x);
  }
  if ((st = mb__ham_apply(h, m, x, hx)) != MB_OK) goto cleanup;

  int nw = 0, np = 0, it = 0;
  double maxres = INFINITY;
  for (;; it++) {
    /* Rayleigh-Ritz in span [X W P] (orthonormal): lowest m of Z^H H Z. */
    int n = m + nw + np;
    if (gram(d, n, n, z, hz, s) != MB_OK) goto nomem;
    symmetrise(d, n, s);
    if (heevd(d, 'L', n, s, w) != 0) {
      st = mb__error(MB_ERR_INTERNAL, "mb__eig_lobpcg: %s failed on the %dx%d subspace",
                     d->real ? "dsyevd" : "zheevd", n, n);
      goto cleanup;
    }
    memcpy(eig, w, (size_t)m * sizeof *eig);
    /* new P = [W P] C_(W,P rows) for the active columns, before X is overwritten */
    int npn = 0;
    if (nw + np > 0) {
      for (int j = 0; j < m; j++)
        if (active[j]) {
          copy_rows(d, s, n, j, m, nw + np, s2, nw + np, npn);
          npn++;
        }
      combine(d, nw + np, npn, z + (size_t)npw * m, s2, nw + np, tmp + (size_t)npw * m);
      combine(d, nw + np, npn, hz + (size_t)npw * m, s2, nw + np, htmp + (size_t)npw * m);
    }
    combine(d, n, m, z, s, n, tmp);
    combine(d, n, m, hz, s, n, htmp);
    copy_cols(t, npw, m, x, tmp);
    copy_cols(t, npw, m, hx, htmp);

    /* Residuals R = HX - X diag(eig), their norms, convergence; the active bands' R,
     * preconditioned, become W's first columns */
    double complex *wb = z + (size_t)npw * m, *hwb = hz + (size_t)npw * m;
    col_job rj = {.npw = npw, .x = x, .hx = hx, .eig = eig, .kin = kin, .r2 = rnorm, .ek = ek,
                  .slot = slot, .wb = wb};
    mb__team_run(t, m, residual_norm, &rj);
    maxres = 0;
    nw = 0;
    for (int j = 0; j < m; j++) {
      rnorm[j] = sqrt(rnorm[j]);
      if (j < nconv) maxres = fmax(maxres, rnorm[j]);
      active[j] = rnorm[j] >= opt->tol;
      slot[j] = active[j] ? nw++ : -1;
    }
    mb__team_run(t, m, residual_precond, &rj);
    if (maxres < opt->tol || it >= opt->maxiter) break;
    /* W: preconditioned residuals of the active bands, orthonormal and orthogonal to X */
    for (int pass = 0; pass < 2; pass++)
      if (project_out(d, m, x, NULL, nw, wb, NULL, s) != MB_OK) goto nomem;
    nw = orthonormalise(d, nw, wb, NULL, tmp, s, s2, w);
    if (nw < 0) goto nomem;
    if (nw == 0) break; /* stagnation: nothing new to search */
    if ((st = mb__ham_apply(h, nw, wb, hwb)) != MB_OK) goto cleanup;
    /* P: the previous step's direction, orthogonal to X and W */
    double complex *pb = wb + (size_t)npw * nw, *hpb = hwb + (size_t)npw * nw;
    np = npn;
    if (np > 0) {
      copy_cols(t, npw, np, pb, tmp + (size_t)npw * m); /* (z and tmp are apart) */
      copy_cols(t, npw, np, hpb, htmp + (size_t)npw * m);
      for (int pass = 0; pass < 2; pass++)
        if (project_out(d, m, x, hx, np, pb, hpb, s) != MB_OK ||
            project_out(d, nw, wb, hwb, np, pb, hpb, s) != MB_OK)
          goto nomem;
      np = orthonormalise(d, np, pb, hpb, tmp, s, s2, w);
      if (np < 0) goto nomem;
    }
  }
  copy_cols(t, npw, m, psi, x);
  if (res) {
    res->iterations = it;
    res->napply = h->napply - napply0;
    res->maxres = maxres;
  }
  if (maxres >= opt->tol)
    st = mb__error(MB_ERR_NOT_CONVERGED, "mb__eig_lobpcg: largest residual %.3e > tol %.3e "
                   "after %d iterations (%d bands, %d plane waves)", maxres, opt->tol, it, m,
                   npw);
  goto cleanup;
nomem:
  st = MB_ERR_NOMEM;
cleanup:
  mb__team_free(own);
  free(z);
  free(hz);
  free(tmp);
  free(htmp);
  free(s);
  free(s2);
  free(w);
  free(rnorm);
  free(ek);
  free(active);
  free(slot);
  return st;
}
