/* FFT box: complex 3D transforms with FFTW3, scatter/gather of plane-wave vectors.
 * Conventions in kohnsham.h (backward unnormalised, forward with 1/N). */
#include <fftw3.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "kohnsham.h"

/* FFTW's planner has global state (wisdom, thread count) and is not thread-safe:
 * every plan is made, and destroyed, under this lock. It is the one piece of
 * process-wide mutable state here, and it is FFTW's, not ours. */
static pthread_mutex_t plan_lock = PTHREAD_MUTEX_INITIALIZER;
static int threads_ready; /* fftw_init_threads done; guarded by plan_lock */

/* plan[k]: k % 2 direction, k % 4 >= 2 in-place, k >= 4 FFTW_UNALIGNED */
enum { PLAN_FWD = 0, PLAN_BWD = 1 };

double complex *mb__fft_array(size_t ntot) {
  double complex *a = fftw_malloc(ntot * sizeof *a);
  if (!a) mb__error(MB_ERR_NOMEM, "FFT array of %zu points: out of memory", ntot);
  return a;
}

void mb__fft_array_free(double complex *a) {
  if (a) fftw_free(a);
}

mb_status mb__fft_create(const double lattice[9], const int n[3], int flags, int nthreads,
                         mb__fft **out) {
  mb_status st = MB_OK;
  mb__fft *f = NULL;
  fftw_complex *a = NULL, *b = NULL;
  if (!lattice || !n || !out)
    return mb__error(MB_ERR_INVALID_ARG, "mb__fft_create: NULL argument");
  *out = NULL;
  for (int i = 0; i < 3; i++)
    if (n[i] < 1 || n[i] > 4096)
      return mb__error(MB_ERR_INVALID_ARG, "mb__fft_create: box size n[%d] = %d", i, n[i]);
  if (flags != MB__FFT_ESTIMATE && flags != MB__FFT_MEASURE)
    return mb__error(MB_ERR_INVALID_ARG, "mb__fft_create: flags %d", flags);
  if (nthreads < 1) nthreads = 1;
  f = mb__calloc(1, sizeof *f);
  if (!f) return MB_ERR_NOMEM;
  memcpy(f->n, n, sizeof f->n);
  memcpy(f->lattice, lattice, sizeof f->lattice);
  f->ntot = (size_t)n[0] * n[1] * n[2];
  f->omega = mb__det3(lattice);
  double inv[9];
  if (fabs(f->omega) < 1e-10 || mb__inv3(lattice, inv)) {
    st = mb__error(MB_ERR_GEOMETRY, "mb__fft_create: singular lattice (volume %g Bohr^3)",
                   f->omega);
    goto cleanup;
  }
  f->omega = fabs(f->omega);
  /* b_j (row j) = 2 pi * column j of the inverse */
  for (int j = 0; j < 3; j++)
    for (int c = 0; c < 3; c++) f->recip[3 * j + c] = 2 * M_PI * inv[3 * c + j];

  a = fftw_malloc(f->ntot * sizeof *a);
  b = fftw_malloc(f->ntot * sizeof *b);
  if (!a || !b) {
    st = mb__error(MB_ERR_NOMEM, "mb__fft_create: %zu-point box: out of memory", f->ntot);
    goto cleanup;
  }
  /* FFTW is row-major with the last dimension fastest: our i0 is its last. */
  unsigned pf = flags == MB__FFT_MEASURE ? FFTW_MEASURE : FFTW_ESTIMATE;
  pthread_mutex_lock(&plan_lock);
  if (nthreads > 1 && !threads_ready) threads_ready = fftw_init_threads() != 0;
  if (threads_ready) fftw_plan_with_nthreads(nthreads > 1 ? nthreads : 1);
  for (int k = 0; k < 8; k++) {
    int sign = k % 2 == PLAN_FWD ? FFTW_FORWARD : FFTW_BACKWARD;
    fftw_complex *o = k % 4 >= 2 ? a : b; /* in-place plans: out = in */
    unsigned kf = pf | (k >= 4 ? FFTW_UNALIGNED : 0);
    f->plan[k] = fftw_plan_dft_3d(n[2], n[1], n[0], a, o, sign, kf);
  }
  if (threads_ready) fftw_plan_with_nthreads(1);
  pthread_mutex_unlock(&plan_lock);
  for (int i = 0; i < 8; i++)
    if (!f->plan[i]) {
      st = mb__error(MB_ERR_INTERNAL, "mb__fft_create: FFTW could not plan a %dx%dx%d box",
                     n[0], n[1], n[2]);
      goto cleanup;
    }
  *out = f;
  f = NULL;
cleanup:
  if (a) fftw_free(a);
  if (b) fftw_free(b);
  mb__fft_free(f);
  return st;
}

void mb__fft_free(mb__fft *f) {
  if (!f) return;
  pthread_mutex_lock(&plan_lock);
  for (int i = 0; i < 8; i++)
    if (f->plan[i]) fftw_destroy_plan(f->plan[i]);
  pthread_mutex_unlock(&plan_lock);
  free(f);
}

/* New-array execution (thread-safe). The aligned plans need arrays with the SIMD
 * alignment of fftw_malloc; others take the FFTW_UNALIGNED plans. */
static void execute(const mb__fft *f, int dir, const double complex *in,
                    double complex *out) {
  int k = dir + (in == out ? 2 : 0);
  if (fftw_alignment_of((double *)in) != 0 || fftw_alignment_of((double *)out) != 0) k += 4;
  fftw_execute_dft(f->plan[k], (fftw_complex *)in, (fftw_complex *)out);
}

void mb__fft_forward(const mb__fft *f, const double complex *in, double complex *out) {
  execute(f, PLAN_FWD, in, out);
  double s = 1.0 / (double)f->ntot;
  for (size_t i = 0; i < f->ntot; i++) out[i] *= s;
}

void mb__fft_backward(const mb__fft *f, const double complex *in, double complex *out) {
  execute(f, PLAN_BWD, in, out);
}

void mb__fft_scatter(const mb__fft *f, int npw, const int *fft_index,
                     const double complex *coef, double complex *box) {
  memset(box, 0, f->ntot * sizeof *box);
  for (int i = 0; i < npw; i++) box[fft_index[i]] = coef[i];
}

void mb__fft_gather(const mb__fft *f, int npw, const int *fft_index,
                    const double complex *box, double complex *coef) {
  (void)f;
  for (int i = 0; i < npw; i++) coef[i] = box[fft_index[i]];
}

void mb__fft_gvector(const mb__fft *f, size_t idx, double g[3], int *nyquist) {
  int m[3];
  size_t r = idx;
  int nyq = 0;
  for (int j = 0; j < 3; j++) {
    int i = (int)(r % (size_t)f->n[j]);
    r /= (size_t)f->n[j];
    m[j] = i > f->n[j] / 2 ? i - f->n[j] : i;
    if (f->n[j] % 2 == 0 && m[j] == f->n[j] / 2) nyq = 1;
  }
  for (int c = 0; c < 3; c++)
    g[c] = m[0] * f->recip[c] + m[1] * f->recip[3 + c] + m[2] * f->recip[6 + c];
  if (nyquist) *nyquist = nyq;
}

void mb__fft_r2g(const mb__fft *f, const double *in, double complex *out) {
  for (size_t i = 0; i < f->ntot; i++) out[i] = in[i];
  mb__fft_forward(f, out, out);
}

void mb__fft_g2r(const mb__fft *f, const double complex *in, double complex *work,
                 double *out) {
  mb__fft_backward(f, in, work);
  for (size_t i = 0; i < f->ntot; i++) out[i] = creal(work[i]);
}
