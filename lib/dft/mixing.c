/* Density mixing for the SCF loop: Pulay (DIIS) in Anderson's difference form with a
 * Kerker preconditioner; linear mixing when the history length is 0. */
#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kohnsham.h"

struct mb__mixer {
  const mb__fft *fft;
  int nspin;
  mb__mix_options opt;
  size_t n;            /* nspin * ntot */
  int nhist, next;     /* stored differences, ring position */
  double *drho, *dres; /* history x n: rho_in(i+1) - rho_in(i), R(i+1) - R(i) */
  double *rho_prev, *res_prev, *res, *tmp;
  int have_prev;
  double complex *work;
  double *a, *b, *ev; /* history^2, history, history */
  double gamma[64];   /* the last step's coefficients, by ring position (riders) */
};

mb_status mb__mixer_create(const mb__fft *fft, int nspin, const mb__mix_options *opt,
                           mb__mixer **out) {
  if (!fft || !opt || !out || (nspin != 1 && nspin != 2))
    return mb__error(MB_ERR_INVALID_ARG, "mb__mixer_create: NULL argument or nspin %d",
                     nspin);
  *out = NULL;
  if (!(opt->alpha > 0 && opt->alpha <= 1) || !(opt->kerker_q0 >= 0) || opt->history < 0 ||
      opt->history > 64)
    return mb__error(MB_ERR_INVALID_ARG, "mb__mixer_create: alpha %g (0, 1], kerker_q0 %g "
                     ">= 0, history %d in 0..64", opt->alpha, opt->kerker_q0, opt->history);
  mb__mixer *m = mb__calloc(1, sizeof *m);
  if (!m) return MB_ERR_NOMEM;
  m->fft = fft;
  m->nspin = nspin;
  m->opt = *opt;
  m->n = (size_t)nspin * fft->ntot;
  size_t h = opt->history > 0 ? (size_t)opt->history : 1;
  m->drho = mb__malloc(h * m->n, sizeof *m->drho);
  m->dres = mb__malloc(h * m->n, sizeof *m->dres);
  m->rho_prev = mb__malloc(m->n, sizeof *m->rho_prev);
  m->res_prev = mb__malloc(m->n, sizeof *m->res_prev);
  m->res = mb__malloc(m->n, sizeof *m->res);
  m->tmp = mb__malloc(m->n, sizeof *m->tmp);
  m->work = mb__fft_array(fft->ntot);
  m->a = mb__malloc(h * h, sizeof *m->a);
  m->b = mb__malloc(h, sizeof *m->b);
  m->ev = mb__malloc(h, sizeof *m->ev);
  if (!m->drho || !m->dres || !m->rho_prev || !m->res_prev || !m->res || !m->tmp ||
      !m->work || !m->a || !m->b || !m->ev) {
    mb__mixer_free(m);
    return MB_ERR_NOMEM;
  }
  *out = m;
  return MB_OK;
}

void mb__mixer_free(mb__mixer *m) {
  if (!m) return;
  free(m->drho);
  free(m->dres);
  free(m->rho_prev);
  free(m->res_prev);
  free(m->res);
  free(m->tmp);
  mb__fft_array_free(m->work);
  free(m->a);
  free(m->b);
  free(m->ev);
  free(m);
}

void mb__mixer_reset(mb__mixer *m) {
  if (!m) return;
  m->nhist = m->next = 0;
  m->have_prev = 0;
}

static double dot(size_t n, const double *x, const double *y) {
  double s = 0;
  for (size_t i = 0; i < n; i++) s += x[i] * y[i];
  return s;
}

/* r <- P r: Kerker alpha G^2/(G^2 + q0^2) on the total density, alpha on the
 * magnetisation (spin blocks up, down). */
static void precondition(mb__mixer *m, double *r) {
  const mb__fft *f = m->fft;
  size_t n = f->ntot;
  double alpha = m->opt.alpha, q02 = m->opt.kerker_q0 * m->opt.kerker_q0;
  double *up = r, *dn = m->nspin == 2 ? r + n : NULL;
  if (dn)
    for (size_t i = 0; i < n; i++) { /* (up, down) -> (total, magnetisation) */
      double t = up[i] + dn[i], s = up[i] - dn[i];
      up[i] = t;
      dn[i] = alpha * s;
    }
  if (q02 > 0) {
    mb__fft_r2g(f, up, m->work);
    for (size_t i = 0; i < n; i++) {
      double g[3];
      mb__fft_gvector(f, i, g, NULL);
      double g2 = g[0] * g[0] + g[1] * g[1] + g[2] * g[2];
      m->work[i] *= alpha * g2 / (g2 + q02);
    }
    mb__fft_g2r(f, m->work, m->work, up);
  } else {
    for (size_t i = 0; i < n; i++) up[i] *= alpha;
  }
  if (dn)
    for (size_t i = 0; i < n; i++) {
      double t = up[i], s = dn[i];
      up[i] = 0.5 * (t + s);
      dn[i] = 0.5 * (t - s);
    }
}

mb_status mb__mixer_step(mb__mixer *m, const double *rho_in, const double *rho_out,
                         double *rho_next, double *resnorm) {
  if (!m || !rho_in || !rho_out || !rho_next)
    return mb__error(MB_ERR_INVALID_ARG, "mb__mixer_step: NULL argument");
  size_t n = m->n;
  double *r = m->res, *x = m->tmp;
  for (size_t i = 0; i < n; i++) r[i] = rho_out[i] - rho_in[i];
  if (resnorm) *resnorm = sqrt(dot(n, r, r) * m->fft->omega / (double)m->fft->ntot);
  memcpy(x, rho_in, n * sizeof *x);
  int hmax = m->opt.history;
  if (hmax > 0 && m->have_prev) {
    double *dx = m->drho + (size_t)m->next * n, *dr = m->dres + (size_t)m->next * n;
    for (size_t i = 0; i < n; i++) {
      dx[i] = rho_in[i] - m->rho_prev[i];
      dr[i] = r[i] - m->res_prev[i];
    }
    m->next = (m->next + 1) % hmax;
    if (m->nhist < hmax) m->nhist++;
  }
  if (hmax > 0) {
    memcpy(m->rho_prev, rho_in, n * sizeof *x);
    memcpy(m->res_prev, r, n * sizeof *r);
    m->have_prev = 1;
  }
  int k = m->nhist;
  if (k > 0) {
    /* gamma = argmin |R - sum_j gamma_j dR_j|^2 by the normal equations, solved with
     * the pseudo-inverse (directions below 1e-12 of the largest dropped). */
    for (int i = 0; i < k; i++) {
      const double *di = m->dres + (size_t)i * n;
      for (int j = 0; j <= i; j++)
        m->a[(size_t)i * k + j] = m->a[(size_t)j * k + i] = dot(n, di, m->dres + (size_t)j * n);
      m->b[i] = dot(n, di, r);
    }
    if (LAPACKE_dsyev(LAPACK_COL_MAJOR, 'V', 'U', k, m->a, k, m->ev) != 0)
      return mb__error(MB_ERR_INTERNAL, "mb__mixer_step: dsyev failed on the %dx%d Pulay "
                       "matrix", k, k);
    double *gamma = m->gamma;
    memset(gamma, 0, sizeof m->gamma);
    for (int e = 0; e < k; e++) {
      if (m->ev[e] <= 1e-12 * m->ev[k - 1]) continue;
      const double *u = m->a + (size_t)e * k;
      double c = 0;
      for (int i = 0; i < k; i++) c += u[i] * m->b[i];
      c /= m->ev[e];
      for (int i = 0; i < k; i++) gamma[i] += c * u[i];
    }
    for (int j = 0; j < k; j++) {
      const double *dx = m->drho + (size_t)j * n, *dr = m->dres + (size_t)j * n;
      for (size_t i = 0; i < n; i++) {
        x[i] -= gamma[j] * dx[i];
        r[i] -= gamma[j] * dr[i];
      }
    }
  }
  precondition(m, r);
  for (size_t i = 0; i < n; i++) rho_next[i] = x[i] + r[i];
  return MB_OK;
}

int mb__mixer_history(const mb__mixer *m, int *size, int *next, const double **gamma) {
  if (!m) return 0;
  if (size) *size = m->opt.history;
  if (next) *next = m->next;
  if (gamma) *gamma = m->gamma;
  return m->nhist;
}
