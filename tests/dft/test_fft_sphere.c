/* Sphere-aware FFTs of plane-wave vectors (fft.c: mb__sphere_create,
 * mb__fft_sphere_backward, mb__fft_sphere_forward).
 * Reference: the full 3D transforms of the same box (mb__fft_scatter + backward,
 * forward + gather), which these must reproduce to rounding (1e-12 relative), on
 * random vectors of mb__basis_create's spheres for several cells (cubic, fcc
 * primitive, hexagonal, triclinic), k-points at and off Gamma, boxes from
 * mb__fft_size (even and odd sizes, boxcutmin 2 and 3) and explicit tight boxes where
 * the sphere wraps around the box; the derivative vectors (dir 0..2) and the
 * accumulating form (alpha, beta); then mb__ham_apply (with a meta-GGA vtau) and
 * mb__density_add (with tau) with and without the basis' sphere plan, and several
 * threads sharing one plan. */
#include <complex.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "../testutil.h"
#include "dft/kohnsham.h"

#define TOL 1e-12

typedef struct cell {
  const char *name;
  double lat[9];
  double k[3];
  double ecut;      /* Ha */
  double boxcutmin; /* > 0: box from mb__fft_size; 0: the explicit n below */
  int n[3];
} cell;

static const cell CELLS[] = {
    {"cubic Gamma", {10.26, 0, 0, 0, 10.26, 0, 0, 0, 10.26}, {0, 0, 0}, 8, 2, {0}},
    {"cubic off Gamma", {10.26, 0, 0, 0, 10.26, 0, 0, 0, 10.26}, {0.25, -0.5, 0.125}, 8, 2,
     {0}},
    {"fcc primitive", {0, 5.13, 5.13, 5.13, 0, 5.13, 5.13, 5.13, 0}, {0.375, 0.125, 0}, 12, 2,
     {0}},
    {"hexagonal", {5.8, 0, 0, -2.9, 5.0229, 0, 0, 0, 9.5}, {1.0 / 3, 1.0 / 3, 0.25}, 10, 2,
     {0}},
    {"triclinic", {5.0, 0, 0, 1.5, 6.0, 0, -1.0, 2.0, 7.0}, {0.1, 0.2, 0.3}, 9, 2, {0}},
    {"fcc boxcutmin 3", {0, 5.13, 5.13, 5.13, 0, 5.13, 5.13, 5.13, 0}, {0.5, 0, 0}, 6, 3,
     {0}},
    {"odd box", {9.0, 0, 0, 0, 10.0, 0, 0, 0, 11.0}, {0.2, 0, -0.4}, 5, 0, {15, 21, 25}},
    {"tight odd box (wraps)", {9.0, 0, 0, 0, 10.0, 0, 0, 0, 11.0}, {0.2, 0, -0.4}, 5, 0,
     {13, 13, 17}},
    {"tight even box (wraps)", {6.0, 1.0, 0, 0, 7.0, 0, 0.5, 0, 8.0}, {0, 0.5, 0.5}, 6, 0,
     {12, 14, 14}},
    {"flat box", {4.0, 0, 0, 0, 4.5, 0, 0, 0, 0.7}, {0, 0, 0}, 5, 0, {9, 10, 1}},
};
#define NCELLS ((int)(sizeof CELLS / sizeof CELLS[0]))

static unsigned long long rng_state = 88172645463325252ULL;
static double urand(void) { /* xorshift64, (-1, 1) */
  rng_state ^= rng_state << 13, rng_state ^= rng_state >> 7, rng_state ^= rng_state << 17;
  return 2.0 * ((rng_state >> 11) * (1.0 / 9007199254740992.0)) - 1.0;
}
static void crand(double complex *x, size_t n) {
  for (size_t i = 0; i < n; i++) x[i] = urand() + I * urand();
}

static double maxabs(const double complex *x, size_t n) {
  double m = 0;
  for (size_t i = 0; i < n; i++) m = fmax(m, cabs(x[i]));
  return m;
}
static double reldiff(const double complex *a, const double complex *b, size_t n) {
  double d = 0;
  for (size_t i = 0; i < n; i++) d = fmax(d, cabs(a[i] - b[i]));
  return d / fmax(maxabs(b, n), 1e-300);
}

/* The cell's box, basis (with its sphere plan) and the box's plans. */
static void setup(const cell *c, int flags, mb__fft **f, mb__basis **b) {
  int n[3] = {c->n[0], c->n[1], c->n[2]};
  if (c->boxcutmin > 0) MB_OK_OR_FAIL(mb__fft_size(c->lat, c->ecut, c->boxcutmin, n));
  MB_OK_OR_FAIL(mb__fft_create(c->lat, n, flags, 1, f));
  MB_OK_OR_FAIL(mb__basis_create(c->lat, c->k, c->ecut, n, b));
  MB_OK_OR_FAIL(mb__sphere_create(*f, *b, &(*b)->sphere));
}

/* Reference backward: scatter (times i (k+G)_dir) and the full transform. */
static void ref_backward(const mb__fft *f, const mb__basis *b, int dir,
                         const double complex *c, double complex *box) {
  if (dir < 0) {
    mb__fft_scatter(f, b->npw, b->fft_index, c, box);
  } else {
    memset(box, 0, f->ntot * sizeof *box);
    for (int i = 0; i < b->npw; i++) box[b->fft_index[i]] = I * b->kg[3 * i + dir] * c[i];
  }
  mb__fft_backward(f, box, box);
}

/* Reference forward: full transform and gather, coef = alpha d F + beta coef. */
static void ref_forward(const mb__fft *f, const mb__basis *b, int dir, double alpha,
                        double beta, double complex *box, double complex *coef) {
  mb__fft_forward(f, box, box);
  for (int i = 0; i < b->npw; i++) {
    double complex d = dir < 0 ? 1 : I * b->kg[3 * i + dir];
    coef[i] = alpha * d * box[b->fft_index[i]] + (beta == 0 ? 0 : beta * coef[i]);
  }
}

static void check_cell(const cell *c, int flags) {
  mb__fft *f = NULL;
  mb__basis *b = NULL;
  setup(c, flags, &f, &b);
  size_t N = f->ntot;
  int npw = b->npw;
  /* lines are skipped: about 1.7/3 of the work on a boxcutmin 2 box */
  double frac = mb__sphere_fraction(b->sphere);
  ck_assert_msg(frac > 1.0 / 3 && frac <= 1 && (c->boxcutmin != 2 || frac < 0.7),
                "%s: the sphere transforms do %.3f of the full work", c->name, frac);
  double complex *coef = malloc(sizeof *coef * npw), *y = malloc(sizeof *y * npw),
                 *yref = malloc(sizeof *yref * npw);
  double complex *box = mb__fft_array(N), *ref = mb__fft_array(N), *r0 = mb__fft_array(N);
  for (int dir = -1; dir < 3; dir++) {
    crand(coef, npw);
    mb__fft_sphere_backward(f, b, dir, coef, box);
    ref_backward(f, b, dir, coef, ref);
    double e = reldiff(box, ref, N);
    ck_assert_msg(e < TOL, "%s, %dx%dx%d box, dir %d: backward differs by %.3g relative",
                  c->name, f->n[0], f->n[1], f->n[2], dir, e);
    /* forward of a field that is not band-limited: only the gathered values count */
    crand(r0, N);
    memcpy(box, r0, N * sizeof *box);
    memcpy(ref, r0, N * sizeof *ref);
    mb__fft_sphere_forward(f, b, dir, 1.0, 0.0, box, y);
    ref_forward(f, b, dir, 1.0, 0.0, ref, yref);
    e = reldiff(y, yref, npw);
    ck_assert_msg(e < TOL, "%s, dir %d: forward differs by %.3g relative", c->name, dir, e);
    /* the accumulating form: y = -0.5 d F + y */
    crand(y, npw);
    memcpy(yref, y, npw * sizeof *y);
    memcpy(box, r0, N * sizeof *box);
    memcpy(ref, r0, N * sizeof *ref);
    mb__fft_sphere_forward(f, b, dir, -0.5, 1.0, box, y);
    ref_forward(f, b, dir, -0.5, 1.0, ref, yref);
    e = reldiff(y, yref, npw);
    ck_assert_msg(e < TOL, "%s, dir %d: accumulating forward differs by %.3g", c->name, dir,
                  e);
  }
  /* round trip on the sphere: forward(backward(c)) = c */
  crand(coef, npw);
  mb__fft_sphere_backward(f, b, -1, coef, box);
  mb__fft_sphere_forward(f, b, -1, 1.0, 0.0, box, y);
  ck_assert_msg(reldiff(y, coef, npw) < TOL, "%s: round trip", c->name);
  /* without the sphere plan the same functions take the full transforms */
  mb__sphere *keep = b->sphere;
  b->sphere = NULL;
  mb__fft_sphere_backward(f, b, 1, coef, ref);
  b->sphere = keep;
  mb__fft_sphere_backward(f, b, 1, coef, box);
  ck_assert_msg(reldiff(box, ref, N) < TOL, "%s: without the plan", c->name);
  free(coef), free(y), free(yref);
  mb__fft_array_free(box), mb__fft_array_free(ref), mb__fft_array_free(r0);
  mb__basis_free(b);
  mb__fft_free(f);
}

START_TEST(test_sphere_cells) {
  check_cell(&CELLS[_i], MB__FFT_ESTIMATE);
}
END_TEST

START_TEST(test_sphere_measure) { /* the SCF's planner flag */
  check_cell(&CELLS[2], MB__FFT_MEASURE);
  check_cell(&CELLS[7], MB__FFT_MEASURE);
}
END_TEST

/* mb__ham_apply and mb__density_add with and without the basis' sphere plan. */
START_TEST(test_sphere_ham_density) {
  const cell *c = &CELLS[4];
  mb__fft *f = NULL;
  mb__basis *b = NULL;
  setup(c, MB__FFT_ESTIMATE, &f, &b);
  size_t N = f->ntot;
  int npw = b->npw, nv = 3;
  double *vloc = malloc(sizeof(double) * N), *vtau = malloc(sizeof(double) * N);
  for (size_t r = 0; r < N; r++) vloc[r] = urand(), vtau[r] = 0.3 + 0.1 * urand();
  double complex *psi = malloc(sizeof *psi * npw * nv), *h1 = malloc(sizeof *h1 * npw * nv),
                 *h0 = malloc(sizeof *h0 * npw * nv), *work = mb__fft_array(N);
  crand(psi, (size_t)npw * nv);
  double w[3] = {2.0, 0.5, 0.0}, *rho[2], *tau[2];
  mb__sphere *keep = b->sphere;
  for (int with = 0; with < 2; with++) {
    b->sphere = with ? keep : NULL;
    mb__ham *h = NULL;
    MB_OK_OR_FAIL(mb__ham_create(f, b, vloc, &h));
    h->vtau = vtau;
    MB_OK_OR_FAIL(mb__ham_apply(h, nv, psi, with ? h1 : h0));
    mb__ham_free(h);
    rho[with] = calloc(N, sizeof(double)), tau[with] = calloc(N, sizeof(double));
    MB_OK_OR_FAIL(mb__density_add(f, b, nv, psi, w, work, rho[with], tau[with]));
  }
  double e = reldiff(h1, h0, (size_t)npw * nv);
  ck_assert_msg(e < TOL, "H psi differs by %.3g relative", e);
  double dr = 0, dt = 0, mr = 0, mt = 0;
  for (size_t r = 0; r < N; r++) {
    dr = fmax(dr, fabs(rho[1][r] - rho[0][r])), mr = fmax(mr, fabs(rho[0][r]));
    dt = fmax(dt, fabs(tau[1][r] - tau[0][r])), mt = fmax(mt, fabs(tau[0][r]));
  }
  ck_assert_msg(dr < TOL * mr && dt < TOL * mt, "rho %.3g, tau %.3g relative", dr / mr,
                dt / mt);
  for (int i = 0; i < 2; i++) free(rho[i]), free(tau[i]);
  free(vloc), free(vtau), free(psi), free(h1), free(h0);
  mb__fft_array_free(work);
  mb__basis_free(b);
  mb__fft_free(f);
}
END_TEST

/* Threads share one plan, each on its own arrays: results as on one thread. */
typedef struct tjob {
  const mb__fft *f;
  const mb__basis *b;
  const double complex *coef;
  double complex *out; /* npw */
} tjob;

static void *tjob_run(void *arg) {
  tjob *j = arg;
  double complex *box = mb__fft_array(j->f->ntot);
  for (int rep = 0; rep < 20; rep++) {
    mb__fft_sphere_backward(j->f, j->b, rep % 4 - 1, j->coef, box);
    mb__fft_sphere_forward(j->f, j->b, -1, 1.0, 0.0, box, j->out);
  }
  mb__fft_array_free(box);
  return NULL;
}

START_TEST(test_sphere_threads) {
  mb__fft *f = NULL;
  mb__basis *b = NULL;
  setup(&CELLS[1], MB__FFT_ESTIMATE, &f, &b);
  enum { NT = 4 };
  int npw = b->npw;
  double complex *coef = malloc(sizeof *coef * npw * NT), *out = malloc(sizeof *out * npw * NT);
  crand(coef, (size_t)npw * NT);
  tjob job[NT];
  pthread_t th[NT];
  for (int t = 0; t < NT; t++) {
    job[t] = (tjob){f, b, coef + (size_t)t * npw, out + (size_t)t * npw};
    ck_assert_int_eq(pthread_create(&th[t], NULL, tjob_run, &job[t]), 0);
  }
  for (int t = 0; t < NT; t++) pthread_join(th[t], NULL);
  double complex *one = malloc(sizeof *one * npw);
  for (int t = 0; t < NT; t++) {
    tjob serial = {f, b, coef + (size_t)t * npw, one};
    tjob_run(&serial);
    ck_assert_msg(memcmp(one, out + (size_t)t * npw, sizeof *one * npw) == 0, "thread %d", t);
  }
  free(coef), free(out), free(one);
  mb__basis_free(b);
  mb__fft_free(f);
}
END_TEST

START_TEST(test_sphere_errors) {
  mb__fft *f = NULL;
  mb__basis *b = NULL;
  mb__sphere *s = (mb__sphere *)1;
  setup(&CELLS[0], MB__FFT_ESTIMATE, &f, &b);
  ck_assert_int_eq(mb__sphere_create(NULL, b, &s), MB_ERR_INVALID_ARG);
  ck_assert_int_eq(mb__sphere_create(f, b, NULL), MB_ERR_INVALID_ARG);
  int keep = b->fft_index[0];
  b->fft_index[0] = (int)f->ntot;
  ck_assert_int_eq(mb__sphere_create(f, b, &s), MB_ERR_RANGE);
  ck_assert_ptr_null(s);
  b->fft_index[0] = keep;
  mb__sphere_free(NULL);
  mb__basis_free(b);
  mb__fft_free(f);
}
END_TEST

int main(void) {
  Suite *s = suite_create("dft_fft_sphere");
  TCase *tc = tcase_create("core");
  tcase_set_timeout(tc, 120);
  tcase_add_loop_test(tc, test_sphere_cells, 0, NCELLS);
  tcase_add_test(tc, test_sphere_measure);
  tcase_add_test(tc, test_sphere_ham_density);
  tcase_add_test(tc, test_sphere_threads);
  tcase_add_test(tc, test_sphere_errors);
  suite_add_tcase(s, tc);
  return mb_run_suite(s);
}
