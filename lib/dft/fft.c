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
  f->flags = flags;
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

/* ---- sphere-aware transforms of plane-wave vectors -------------------------------
 * A wavefunction has coefficients only in the sphere |k+G| <= G_max, and the box
 * holds twice that radius (ABINIT's boxcutmin 2), so about half of the box indices
 * along each axis see nothing of it. The backward transform (G -> r) goes one axis at
 * a time and skips the 1D transforms of lines that are all zero, as ABINIT's fourwf
 * does (Goedecker's zero-padded FFTs, sg_fftpad and fftw3_fftpad with the sphere's
 * boundary gbound; Goedecker, Boulet, Deutsch, Comput. Phys. Commun. 154, 105 (2003)):
 *   1. along i2 only the columns (i0, i1) that hold sphere points (~pi/16 of them),
 *   2. along i1 only the slabs i0 that hold sphere points (~1/2 of them),
 *   3. along i0 (contiguous) everything.
 * The forward transform (r -> G) runs the same in reverse and computes only what the
 * gather reads: 3. in full, 2. on the sphere's slabs, 1. on its columns. That is
 * about 1.7/3 of the work of the full 3D transform, with the same result up to
 * rounding. Columns go in runs of consecutive i0 at one i1 and slabs in runs of
 * consecutive i0 (one batched FFTW call each, vectorised along i0); a plan serves
 * every run of its length and alignment. */

typedef enum { SPH_COLS, SPH_SLABS, SPH_FULL } sph_kind;

typedef struct sph_shape { /* one batched 1D transform; plan[PLAN_FWD], plan[PLAN_BWD] */
  sph_kind kind;
  int len, align;
  fftw_plan plan[2];
} sph_shape;

typedef struct sph_step { /* a shape executed at box + off */
  size_t off;
  int shape;
} sph_step;

struct mb__sphere {
  int n[3];
  int npw;         /* of the basis it was made for (a consistency check) */
  int nstep[3];    /* per pass (sph_kind): column runs, slab runs, 1 */
  sph_step *step[3];
  int nshape;
  sph_shape *shape;
};

/* The shape's batch of 1D transforms at box + off, for a run of len values of i0. */
static fftw_plan sph_plan(const int n[3], sph_kind kind, int len, fftw_complex *at,
                          int sign, unsigned flags) {
  int n01 = n[0] * n[1];
  fftw_iodim d, h[2];
  int nh = 1;
  if (kind == SPH_COLS) /* along i2 at (i0 .. i0+len-1, i1) */
    d = (fftw_iodim){n[2], n01, n01}, h[0] = (fftw_iodim){len, 1, 1};
  else if (kind == SPH_SLABS) /* along i1 at i0 .. i0+len-1, every i2 */
    d = (fftw_iodim){n[1], n[0], n[0]}, h[0] = (fftw_iodim){len, 1, 1},
    h[1] = (fftw_iodim){n[2], n01, n01}, nh = 2;
  else /* along i0, every (i1, i2) */
    d = (fftw_iodim){n[0], 1, 1}, h[0] = (fftw_iodim){n[1] * n[2], n[0], n[0]};
  return fftw_plan_guru_dft(1, &d, nh, h, at, at, sign, flags);
}

/* Index of the shape (kind, len) at scratch + off, planned when new; -1 if FFTW
 * cannot plan it. Called under plan_lock. */
static int sph_shape_for(mb__sphere *s, sph_kind kind, int len, fftw_complex *scratch,
                         size_t off, unsigned flags) {
  int align = fftw_alignment_of((double *)(scratch + off));
  for (int i = 0; i < s->nshape; i++)
    if (s->shape[i].kind == kind && s->shape[i].len == len && s->shape[i].align == align)
      return i;
  sph_shape *sh = &s->shape[s->nshape];
  *sh = (sph_shape){kind, len, align, {NULL, NULL}};
  sh->plan[PLAN_FWD] = sph_plan(s->n, kind, len, scratch + off, FFTW_FORWARD, flags);
  sh->plan[PLAN_BWD] = sph_plan(s->n, kind, len, scratch + off, FFTW_BACKWARD, flags);
  s->nshape++; /* freed with the sphere even when one plan failed */
  return sh->plan[0] && sh->plan[1] ? s->nshape - 1 : -1;
}

/* Runs of consecutive set flags in occ[0 .. len-1], as steps at base + (run start)
 * (shape holds the run's length until planned); returns their number (out NULL:
 * only counts). */
static int sph_runs(const unsigned char *occ, int len, size_t base, sph_step *out) {
  int nr = 0;
  for (int i = 0; i < len; i++) {
    if (!occ[i]) continue;
    int l = 1;
    while (i + l < len && occ[i + l]) l++;
    if (out) out[nr] = (sph_step){base + (size_t)i, l};
    nr++, i += l - 1;
  }
  return nr;
}

/* The steps of the three passes from the columns (i0, i1) and slabs i0 that hold
 * sphere points. */
static mb_status sph_steps(mb__sphere *s, const unsigned char *col, const unsigned char *slab) {
  const int *n = s->n;
  int nc = 0;
  for (int i1 = 0; i1 < n[1]; i1++) nc += sph_runs(col + (size_t)n[0] * i1, n[0], 0, NULL);
  s->nstep[SPH_COLS] = nc;
  s->nstep[SPH_SLABS] = sph_runs(slab, n[0], 0, NULL);
  s->nstep[SPH_FULL] = 1;
  for (int p = 0; p < 3; p++)
    if (!(s->step[p] = mb__calloc((size_t)s->nstep[p], sizeof(sph_step)))) return MB_ERR_NOMEM;
  /* at most one shape per step */
  if (!(s->shape = mb__calloc((size_t)nc + s->nstep[SPH_SLABS] + 1, sizeof(sph_shape))))
    return MB_ERR_NOMEM;
  nc = 0;
  for (int i1 = 0; i1 < n[1]; i1++)
    nc += sph_runs(col + (size_t)n[0] * i1, n[0], (size_t)n[0] * i1, s->step[SPH_COLS] + nc);
  sph_runs(slab, n[0], 0, s->step[SPH_SLABS]);
  s->step[SPH_FULL][0] = (sph_step){0, 0};
  return MB_OK;
}

/* Plans for every step, on a scratch box. */
static mb_status sph_plan_all(mb__sphere *s, unsigned flags) {
  size_t ntot = (size_t)s->n[0] * s->n[1] * s->n[2];
  fftw_complex *scratch = fftw_malloc(ntot * sizeof *scratch);
  if (!scratch)
    return mb__error(MB_ERR_NOMEM, "mb__sphere_create: %zu-point box: out of memory", ntot);
  int bad = 0;
  pthread_mutex_lock(&plan_lock);
  if (threads_ready) fftw_plan_with_nthreads(1);
  for (int p = 0; p < 3 && !bad; p++)
    for (int i = 0; i < s->nstep[p] && !bad; i++) {
      sph_step *st = &s->step[p][i];
      st->shape = sph_shape_for(s, (sph_kind)p, st->shape, scratch, st->off, flags);
      bad = st->shape < 0;
    }
  pthread_mutex_unlock(&plan_lock);
  fftw_free(scratch);
  if (bad)
    return mb__error(MB_ERR_INTERNAL, "mb__sphere_create: FFTW could not plan the sphere "
                     "transforms of a %dx%dx%d box", s->n[0], s->n[1], s->n[2]);
  return MB_OK;
}

mb_status mb__sphere_create(const mb__fft *f, const mb__basis *b, mb__sphere **out) {
  if (!f || !b || !out || !b->fft_index || b->npw < 1)
    return mb__error(MB_ERR_INVALID_ARG, "mb__sphere_create: NULL argument or empty basis");
  *out = NULL;
  const int *n = f->n;
  size_t n01 = (size_t)n[0] * n[1];
  for (int i = 0; i < b->npw; i++)
    if (b->fft_index[i] < 0 || (size_t)b->fft_index[i] >= f->ntot)
      return mb__error(MB_ERR_RANGE, "mb__sphere_create: plane wave %d maps to %d, outside "
                       "the %zu-point FFT box", i, b->fft_index[i], f->ntot);
  unsigned char *col = mb__calloc(n01 + n[0], 1), *slab = col + n01; /* occupied */
  mb__sphere *s = mb__calloc(1, sizeof *s);
  mb_status st = MB_ERR_NOMEM;
  if (!col || !s) goto done;
  memcpy(s->n, n, sizeof s->n);
  s->npw = b->npw;
  for (int i = 0; i < b->npw; i++)
    for (int neg = 0; neg <= (b->real && b->fft_index_neg); neg++) { /* real: -G too */
      size_t c = (size_t)(neg ? b->fft_index_neg : b->fft_index)[i] % n01;
      col[c] = 1, slab[c % n[0]] = 1;
    }
  if ((st = sph_steps(s, col, slab)) != MB_OK ||
      (st = sph_plan_all(s, f->flags == MB__FFT_MEASURE ? FFTW_MEASURE : FFTW_ESTIMATE)) !=
          MB_OK)
    goto done;
  *out = s;
  s = NULL;
done:
  free(col);
  mb__sphere_free(s);
  return st;
}

void mb__sphere_free(mb__sphere *s) {
  if (!s) return;
  pthread_mutex_lock(&plan_lock);
  for (int i = 0; i < s->nshape; i++)
    for (int d = 0; d < 2; d++)
      if (s->shape[i].plan[d]) fftw_destroy_plan(s->shape[i].plan[d]);
  pthread_mutex_unlock(&plan_lock);
  for (int p = 0; p < 3; p++) free(s->step[p]);
  free(s->shape);
  free(s);
}

double mb__sphere_fraction(const mb__sphere *s) {
  double n01 = (double)s->n[0] * s->n[1], ntot = n01 * s->n[2], pts = ntot;
  for (int i = 0; i < s->nstep[SPH_COLS]; i++)
    pts += (double)s->n[2] * s->shape[s->step[SPH_COLS][i].shape].len;
  for (int i = 0; i < s->nstep[SPH_SLABS]; i++)
    pts += (double)s->n[1] * s->n[2] * s->shape[s->step[SPH_SLABS][i].shape].len;
  return pts / (3 * ntot);
}

/* The basis' sphere plan when it fits this box and array (fftw_malloc's alignment,
 * which the plans were made with); NULL: take the full transforms. */
static const mb__sphere *sph_usable(const mb__fft *f, const mb__basis *b,
                                    const double complex *box) {
  const mb__sphere *s = b->sphere;
  if (!s || s->npw != b->npw || memcmp(s->n, f->n, sizeof s->n) != 0) return NULL;
  return fftw_alignment_of((double *)box) == 0 ? s : NULL;
}

static void sph_pass(const mb__sphere *s, int p, int dir, double complex *box) {
  for (int i = 0; i < s->nstep[p]; i++) {
    fftw_complex *at = (fftw_complex *)box + s->step[p][i].off;
    fftw_execute_dft(s->shape[s->step[p][i].shape].plan[dir], at, at);
  }
}

/* Scatter of real wavefunctions (mb__basis.real): box = u_a + i u_b as full-sphere
 * coefficients, c(G) = (a_G + i b_G)/sqrt 2 and at the partner -G-K0 (conj a_G + i conj
 * b_G)/sqrt 2 (at Gamma G = 0: the real parts), times i (k+G)_dir for a derivative
 * (dir >= 0; the partner's factor is its conjugate, -i (k+G)_dir). */
static void scatter_real(const mb__basis *b, int dir, const double complex *ca,
                         const double complex *cb, double complex *box) {
  const double r2 = M_SQRT1_2;
  int i0 = 0;
  if (b->real == 1) { /* G = 0 */
    box[b->fft_index[0]] = dir >= 0 ? 0 : creal(ca[0]) + I * (cb ? creal(cb[0]) : 0);
    i0 = 1;
  }
  for (int i = i0; i < b->npw; i++) {
    double complex a = ca[i], c = cb ? cb[i] : 0;
    if (dir >= 0) {
      double complex d = I * b->kg[3 * i + dir];
      a *= d, c *= d;
    }
    box[b->fft_index[i]] = r2 * (a + I * c);
    box[b->fft_index_neg[i]] = r2 * (conj(a) + I * conj(c));
  }
}

/* The 1D passes of a backward transform (sphere-aware when the plan fits). */
static void backward_passes(const mb__fft *f, const mb__basis *b, double complex *box) {
  const mb__sphere *s = sph_usable(f, b, box);
  if (!s) {
    execute(f, PLAN_BWD, box, box);
    return;
  }
  for (int p = SPH_COLS; p <= SPH_FULL; p++) sph_pass(s, p, PLAN_BWD, box);
}

static void forward_passes(const mb__fft *f, const mb__basis *b, double complex *box) {
  const mb__sphere *s = sph_usable(f, b, box);
  if (!s)
    execute(f, PLAN_FWD, box, box);
  else
    for (int p = SPH_FULL; p >= SPH_COLS; p--) sph_pass(s, p, PLAN_FWD, box);
}

void mb__fft_kphase(const mb__fft *f, const mb__basis *b, double complex *box) {
  if (b->real != 2) return;
  const int *n = f->n;
  const double complex *p0 = b->kphase, *p1 = p0 + n[0], *p2 = p1 + n[1];
  size_t r = 0;
  for (int i2 = 0; i2 < n[2]; i2++)
    for (int i1 = 0; i1 < n[1]; i1++) {
      double complex row = p1[i1] * p2[i2];
      for (int i0 = 0; i0 < n[0]; i0++, r++) box[r] *= row * p0[i0];
    }
}

void mb__fft_sphere_backward(const mb__fft *f, const mb__basis *b, int dir,
                             const double complex *coef, double complex *box) {
  if (b->real) {
    mb__fft_sphere_backward_pair(f, b, dir, coef, NULL, box);
    return;
  }
  memset(box, 0, f->ntot * sizeof *box);
  if (dir < 0)
    for (int i = 0; i < b->npw; i++) box[b->fft_index[i]] = coef[i];
  else /* d/dx_dir: coefficients i (k+G)_dir c_G */
    for (int i = 0; i < b->npw; i++) box[b->fft_index[i]] = I * b->kg[3 * i + dir] * coef[i];
  backward_passes(f, b, box);
}

void mb__fft_sphere_backward_pair(const mb__fft *f, const mb__basis *b, int dir,
                                  const double complex *ca, const double complex *cb,
                                  double complex *box) {
  memset(box, 0, f->ntot * sizeof *box);
  scatter_real(b, dir, ca, cb, box);
  backward_passes(f, b, box);
}

void mb__fft_sphere_forward(const mb__fft *f, const mb__basis *b, int dir, double alpha,
                            double beta, double complex *box, double complex *coef) {
  if (b->real) {
    mb__fft_sphere_forward_pair(f, b, dir, alpha, beta, box, coef, NULL);
    return;
  }
  forward_passes(f, b, box);
  double sc = alpha / (double)f->ntot;
  for (int i = 0; i < b->npw; i++) {
    double complex v = sc * box[b->fft_index[i]];
    if (dir >= 0) v *= I * b->kg[3 * i + dir];
    coef[i] = beta == 0 ? v : beta * coef[i] + v;
  }
}

/* y = beta y + v (y not read when beta is 0) */
static inline void accumulate(double complex *y, double beta, double complex v) {
  *y = beta == 0 ? v : beta * *y + v;
}

void mb__fft_sphere_forward_pair(const mb__fft *f, const mb__basis *b, int dir, double alpha,
                                 double beta, double complex *box, double complex *ca,
                                 double complex *cb) {
  forward_passes(f, b, box);
  /* box = F_a + i F_b with F_a, F_b the coefficients of real functions (F at the
   * partner -G-K0 is conj F(G)): F_a(G) = (box(G) + conj box(-G-K0))/2, F_b(G) =
   * (box(G) - conj box(-G-K0))/(2i); scaled by sqrt 2 but at Gamma's G = 0
   * (mb__basis.real) */
  double sc = alpha / (double)f->ntot, sr = sc * M_SQRT1_2;
  int i0 = 0;
  if (b->real == 1) { /* G = 0 */
    double complex f0 = sc * box[b->fft_index[0]];
    accumulate(ca, beta, dir >= 0 ? 0 : creal(f0));
    if (cb) accumulate(cb, beta, dir >= 0 ? 0 : cimag(f0));
    i0 = 1;
  }
  for (int i = i0; i < b->npw; i++) {
    double complex p = box[b->fft_index[i]], m = conj(box[b->fft_index_neg[i]]);
    double complex va = sr * (p + m), vb = -I * sr * (p - m);
    if (dir >= 0) {
      double complex d = I * b->kg[3 * i + dir];
      va *= d, vb *= d;
    }
    accumulate(ca + i, beta, va);
    if (cb) accumulate(cb + i, beta, vb);
  }
}
