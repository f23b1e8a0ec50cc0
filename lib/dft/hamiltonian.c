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
  mb__ham_set_team(h, NULL);
  mb__fft_array_free(h->work);
  free(h);
}

mb_status mb__ham_set_team(mb__ham *h, mb__team *team) {
  if (!h) return mb__error(MB_ERR_INVALID_ARG, "mb__ham_set_team: NULL argument");
  if (h->lane)
    for (int m = 1; m < mb__team_size(h->team); m++) mb__fft_array_free(h->lane[m]);
  free(h->lane);
  h->lane = NULL;
  h->team = NULL;
  if (!team) return MB_OK;
  int size = mb__team_size(team);
  h->lane = mb__calloc(size, sizeof *h->lane);
  if (!h->lane) return MB_ERR_NOMEM;
  h->team = team;
  h->lane[0] = h->work;
  for (int m = 1; m < size; m++)
    if (!(h->lane[m] = mb__fft_array(h->fft->ntot))) {
      mb__ham_set_team(h, NULL);
      return MB_ERR_NOMEM;
    }
  return MB_OK;
}

/* y = (T + V_loc) x (+ the meta-GGA term) for one vector, with work (ntot) of the
 * thread that runs it. V_loc psi by the box: backward transform, multiply, forward
 * transform. The product of a wavefunction (sphere of radius G_max) and a potential
 * is aliased only beyond what the box (ABINIT's boxcutmin = 2) resolves, so within the
 * sphere it is exact for the potential's components up to 2 G_max. */
static void apply_local(const mb__ham *h, double complex *work, const double complex *x,
                        double complex *y) {
  const mb__basis *b = h->basis;
  const mb__fft *f = h->fft;
  int npw = b->npw;
  mb__fft_sphere_backward(f, b, -1, x, work);
  for (size_t r = 0; r < f->ntot; r++) work[r] *= h->vloc[r];
  mb__fft_sphere_forward(f, b, -1, 1.0, 0.0, work, y);
  for (int i = 0; i < npw; i++) y[i] += b->kin[i] * x[i];
  if (!h->vtau) return;
  /* meta-GGA: -1/2 div(vtau grad psi), each direction by the box */
  for (int a = 0; a < 3; a++) {
    mb__fft_sphere_backward(f, b, a, x, work);
    for (size_t r = 0; r < f->ntot; r++) work[r] *= h->vtau[r];
    mb__fft_sphere_forward(f, b, a, -0.5, 1.0, work, y);
  }
}

/* The same for two vectors of a real basis (mb__basis.real) in one pair of transforms:
 * psi_a + i psi_b is backward transformed, multiplied by the real potential and
 * transformed forward, which gives both products at the cost of one (ABINIT's fourwf
 * with istwfk 2). x1, y1 NULL: one vector. */
static void apply_local_pair(const mb__ham *h, double complex *work, const double complex *x0,
                             const double complex *x1, double complex *y0,
                             double complex *y1) {
  const mb__basis *b = h->basis;
  const mb__fft *f = h->fft;
  mb__fft_sphere_backward_pair(f, b, -1, x0, x1, work);
  for (size_t r = 0; r < f->ntot; r++) work[r] *= h->vloc[r];
  mb__fft_sphere_forward_pair(f, b, -1, 1.0, 0.0, work, y0, y1);
  for (int i = 0; i < b->npw; i++) y0[i] += b->kin[i] * x0[i];
  if (x1)
    for (int i = 0; i < b->npw; i++) y1[i] += b->kin[i] * x1[i];
  if (!h->vtau) return;
  for (int a = 0; a < 3; a++) {
    mb__fft_sphere_backward_pair(f, b, a, x0, x1, work);
    for (size_t r = 0; r < f->ntot; r++) work[r] *= h->vtau[r];
    mb__fft_sphere_forward_pair(f, b, a, -0.5, 1.0, work, y0, y1);
  }
}

typedef struct local_job {
  const mb__ham *h;
  const double complex *psi;
  double complex *hpsi;
  int nvec;
} local_job;

/* One vector per task, or on a real basis a pair of vectors 2v, 2v + 1 per task. */
static void local_task(void *arg, int v, int member) {
  const local_job *j = arg;
  size_t npw = (size_t)j->h->basis->npw;
  double complex *work = j->h->lane ? j->h->lane[member] : j->h->work;
  if (!j->h->basis->real) {
    apply_local(j->h, work, j->psi + v * npw, j->hpsi + v * npw);
    return;
  }
  size_t v0 = 2 * (size_t)v;
  int two = (int)v0 + 1 < j->nvec;
  apply_local_pair(j->h, work, j->psi + v0 * npw, two ? j->psi + (v0 + 1) * npw : NULL,
                   j->hpsi + v0 * npw, two ? j->hpsi + (v0 + 1) * npw : NULL);
}

mb_status mb__ham_apply(mb__ham *h, int nvec, const double complex *psi,
                        double complex *hpsi) {
  if (!h || !psi || !hpsi || nvec < 0)
    return mb__error(MB_ERR_INVALID_ARG, "mb__ham_apply: NULL argument or nvec %d", nvec);
  local_job j = {h, psi, hpsi, nvec};
  mb__team_run(h->team, h->basis->real ? (nvec + 1) / 2 : nvec, local_task, &j);
  if (h->nonlocal && nvec > 0) {
    mb_status st = h->nonlocal(h->nonlocal_data, h->basis, nvec, psi, hpsi);
    if (st != MB_OK) return st;
  }
  if (h->hubbard && nvec > 0) { /* DFT+U */
    mb_status st = h->hubbard(h->hubbard_data, h->basis, nvec, psi, hpsi);
    if (st != MB_OK) return st;
  }
  h->napply += nvec;
  return MB_OK;
}

/* rho += w/omega |psi|^2 (tau += w/(2 omega) |grad psi|^2 when not NULL) for one band
 * c, with work (ntot) of the thread that runs it. */
static void add_band(const mb__fft *fft, const mb__basis *basis, const double complex *c,
                     double weight, double complex *work, double *rho, double *tau) {
  double w = weight / fft->omega;
  mb__fft_sphere_backward(fft, basis, -1, c, work);
  for (size_t r = 0; r < fft->ntot; r++)
    rho[r] += w * (creal(work[r]) * creal(work[r]) + cimag(work[r]) * cimag(work[r]));
  if (!tau) return;
  /* d psi / dx_a has coefficients i (k+G)_a c_G */
  for (int a = 0; a < 3; a++) {
    mb__fft_sphere_backward(fft, basis, a, c, work);
    for (size_t r = 0; r < fft->ntot; r++)
      tau[r] += 0.5 * w * (creal(work[r]) * creal(work[r]) + cimag(work[r]) * cimag(work[r]));
  }
}

/* Two bands of a real basis in one transform: psi_a + i psi_b, whose real and imaginary
 * parts give |psi_a|^2 and |psi_b|^2 (c1 NULL or weight1 0: one band). */
static void add_band_pair(const mb__fft *fft, const mb__basis *basis, const double complex *c0,
                          const double complex *c1, double weight0, double weight1,
                          double complex *work, double *rho, double *tau) {
  double w0 = weight0 / fft->omega, w1 = c1 ? weight1 / fft->omega : 0;
  if (w1 == 0) c1 = NULL;
  mb__fft_sphere_backward_pair(fft, basis, -1, c0, c1, work);
  mb__fft_kphase(fft, basis, work);
  for (size_t r = 0; r < fft->ntot; r++)
    rho[r] += w0 * creal(work[r]) * creal(work[r]) + w1 * cimag(work[r]) * cimag(work[r]);
  if (!tau) return;
  for (int a = 0; a < 3; a++) {
    mb__fft_sphere_backward_pair(fft, basis, a, c0, c1, work);
    mb__fft_kphase(fft, basis, work);
    for (size_t r = 0; r < fft->ntot; r++)
      tau[r] += 0.5 * (w0 * creal(work[r]) * creal(work[r]) +
                       w1 * cimag(work[r]) * cimag(work[r]));
  }
}

/* Bands n0 .. n1-1 with weight != 0 added to rho (tau): one by one, or on a real basis
 * two by two in the order they come. */
static void add_bands(const mb__fft *fft, const mb__basis *basis, long n0, long n1,
                      const double complex *psi, const double *weight, double complex *work,
                      double *rho, double *tau) {
  size_t npw = (size_t)basis->npw;
  long pend = -1; /* a real band waiting for its partner */
  for (long n = n0; n < n1; n++) {
    if (weight[n] == 0) continue;
    if (!basis->real) {
      add_band(fft, basis, psi + n * npw, weight[n], work, rho, tau);
    } else if (pend < 0) {
      pend = n;
    } else {
      add_band_pair(fft, basis, psi + pend * npw, psi + n * npw, weight[pend], weight[n],
                    work, rho, tau);
      pend = -1;
    }
  }
  if (pend >= 0)
    add_band_pair(fft, basis, psi + pend * npw, NULL, weight[pend], 0, work, rho, tau);
}

static mb_status check_density_args(const mb__fft *fft, const mb__basis *basis, int nband,
                                    const double complex *psi, const double *weight,
                                    const double *rho, const double *tau) {
  if (!fft || !basis || !psi || !weight || !rho || nband < 0)
    return mb__error(MB_ERR_INVALID_ARG, "mb__density_add: NULL argument or nband %d",
                     nband);
  if (tau && !basis->kg)
    return mb__error(MB_ERR_INVALID_ARG, "mb__density_add: tau needs the basis' k+G");
  return MB_OK;
}

mb_status mb__density_add(const mb__fft *fft, const mb__basis *basis, int nband,
                          const double complex *psi, const double *weight,
                          double complex *work, double *rho, double *tau) {
  mb_status st = check_density_args(fft, basis, nband, psi, weight, rho, tau);
  if (st != MB_OK) return st;
  if (!work) return mb__error(MB_ERR_INVALID_ARG, "mb__density_add: NULL work");
  add_bands(fft, basis, 0, nband, psi, weight, work, rho, tau);
  return MB_OK;
}

/* The bands are cut into this many slices (fewer when fewer bands), each summed into a
 * field of its own: memory of DENSITY_SLICES boxes (twice with tau) for parallelism up to
 * that many threads, the density being a small part of a step. */
#define DENSITY_SLICES 6

/* The team's density: slice s of the bands sums into part + s * nf (rho, then tau);
 * lane[member] is the member's FFT work. */
typedef struct density_job {
  const mb__fft *fft;
  const mb__basis *basis;
  int nband, nslice;
  const double complex *psi;
  const double *weight;
  double complex **lane;
  double *part;
  size_t nf; /* ntot, 2 ntot with tau */
  int with_tau;
} density_job;

static void density_slice(void *arg, int s, int member) {
  const density_job *j = arg;
  size_t N = j->fft->ntot;
  double *rho = j->part + s * j->nf, *tau = j->with_tau ? rho + N : NULL;
  memset(rho, 0, j->nf * sizeof *rho);
  add_bands(j->fft, j->basis, mb__team_slice_start(j->nband, j->nslice, s),
            mb__team_slice_start(j->nband, j->nslice, s + 1), j->psi, j->weight,
            j->lane[member], rho, tau);
}

typedef struct reduce_job {
  const double *part;
  size_t nf;
  int nslice, nchunk;
  double *out[2]; /* rho, tau (NULL: none) */
} reduce_job;

/* out += part_0 + part_1 + ..., point by point in slice order, on a chunk of points */
static void density_reduce(void *arg, int c, int member) {
  (void)member;
  const reduce_job *j = arg;
  size_t N = j->out[1] ? j->nf / 2 : j->nf;
  size_t r0 = (size_t)mb__team_slice_start((long)N, j->nchunk, c);
  size_t r1 = (size_t)mb__team_slice_start((long)N, j->nchunk, c + 1);
  for (int f = 0; f < 2 && j->out[f]; f++)
    for (size_t r = r0; r < r1; r++) {
      double v = j->out[f][r];
      for (int s = 0; s < j->nslice; s++) v += j->part[s * j->nf + f * N + r];
      j->out[f][r] = v;
    }
}

mb_status mb__density_add_team(mb__team *team, const mb__fft *fft, const mb__basis *basis,
                               int nband, const double complex *psi, const double *weight,
                               double *rho, double *tau) {
  mb_status st = check_density_args(fft, basis, nband, psi, weight, rho, tau);
  if (st != MB_OK || nband == 0) return st;
  const int size = mb__team_size(team), ns = nband < DENSITY_SLICES ? nband : DENSITY_SLICES;
  const size_t N = fft->ntot, nf = tau ? 2 * N : N;
  double complex **lane = mb__calloc(size, sizeof *lane);
  double *part = mb__malloc(nf * ns, sizeof *part);
  int ok = lane && part;
  for (int m = 0; ok && m < size; m++) ok = (lane[m] = mb__fft_array(N)) != NULL;
  if (ok) {
    density_job dj = {fft, basis, nband, ns, psi, weight, lane, part, nf, tau != NULL};
    mb__team_run(team, ns, density_slice, &dj);
    reduce_job rj = {part, nf, ns, mb__team_slices((long)N, 4096), {rho, tau}};
    mb__team_run(team, rj.nchunk, density_reduce, &rj);
  } else {
    st = mb__error(MB_ERR_NOMEM, "mb__density_add_team: out of memory");
  }
  for (int m = 0; lane && m < size; m++) mb__fft_array_free(lane[m]);
  free(lane), free(part);
  return st;
}
