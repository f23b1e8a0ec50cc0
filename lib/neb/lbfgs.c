/* Global L-BFGS over all moving images at once, as recommended for NEB by
 * Sheppard, Terrell & Henkelman, J. Chem. Phys. 128, 134106 (2008): the NEB
 * force is treated as minus a gradient, the inverse Hessian is built from the
 * last MEM steps s and force changes y by the two-loop recursion (Nocedal &
 * Wright, Numerical Optimization, algorithm 7.4) and no line search is made
 * (each step costs one force call per image).
 *
 * Frugality and safeguards:
 *  - the initial inverse Hessian is gamma I with gamma = 1/70 A^2/eV (ASE's BFGS
 *    alpha, a typical stiffness of bonds between metal atoms) until the first
 *    pair is known, then the curvature estimate s.y / y.y of the latest pair;
 *  - a pair with s.y <= 0 (negative curvature along the step, which the NEB
 *    force field can show because it is not a gradient) is not stored: it
 *    would make the inverse Hessian indefinite;
 *  - a direction that is not downhill (d.F <= 0) discards the memory and falls
 *    back to the scaled force;
 *  - uphill steps are rejected: the NEB force has no energy, so a step after
 *    which |F| more than doubled counts as uphill. The band goes back to the
 *    previous point, the pair learnt from the failed step is kept (it measures
 *    the stiffness along the step) and a new step is taken with half the trust
 *    radius. The trust radius (largest atom move) grows again, doubling on
 *    each accepted step up to MB_BAND_MAX_MOVE. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "neb.h"

#define GAMMA0 (1.0 / 70.0)
#define REJECT_RATIO 2.0

#define MEMORY 20 /* pairs (s, y) kept */

/* L-BFGS's state: the previous point and forces, the memory of pairs, the scaling of
 * the initial inverse Hessian and the trust radius. */
typedef struct lbfgs_state {
  size_t n;
  int mem, count, head, started;
  double *x0, *f0, *s, *y, *rho, *work, *coef;
  double gamma; /* scaling of the initial inverse Hessian, A^2/eV */
  double trust; /* largest atom move allowed now, A (<= max_move) */
} lbfgs_state;

static int lbfgs_init(void *state, size_t n) {
  lbfgs_state *o = state;
  o->n = n;
  o->mem = MEMORY;
  o->x0 = mb__malloc(n, sizeof(double));
  o->f0 = mb__malloc(n, sizeof(double));
  o->work = mb__malloc(n, sizeof(double));
  o->s = mb__malloc((size_t)o->mem * n, sizeof(double));
  o->y = mb__malloc((size_t)o->mem * n, sizeof(double));
  o->rho = mb__malloc((size_t)o->mem, sizeof(double));
  o->coef = mb__malloc((size_t)o->mem, sizeof(double));
  return !o->x0 || !o->f0 || !o->work || !o->s || !o->y || !o->rho || !o->coef;
}

static void lbfgs_release(void *state) {
  lbfgs_state *o = state;
  free(o->x0), free(o->f0), free(o->work), free(o->s), free(o->y), free(o->rho);
  free(o->coef);
}

static void lbfgs_reset(void *state, size_t n) {
  lbfgs_state *o = state;
  (void)n;
  o->started = 0;
  o->count = 0;
  o->head = 0;
  o->gamma = GAMMA0;
  o->trust = INFINITY;
}

static double dot(const double *a, const double *b, size_t n) {
  double s = 0;
  for (size_t c = 0; c < n; c++) s += a[c] * b[c];
  return s;
}

static void forget(lbfgs_state *o) {
  o->count = 0;
  o->head = 0;
  o->gamma = GAMMA0;
}

/* Store s = x - x0 and y = f0 - f (the change of the gradient -f). */
static void remember(lbfgs_state *o, const double *x, const double *f) {
  size_t n = o->n;
  double *s = o->s + (size_t)o->head * n, *y = o->y + (size_t)o->head * n;
  for (size_t c = 0; c < n; c++) {
    s[c] = x[c] - o->x0[c];
    y[c] = o->f0[c] - f[c];
  }
  double sy = dot(s, y, n), yy = dot(y, y, n);
  if (sy > 1e-12 * sqrt(dot(s, s, n) * yy) && yy > 0) {
    o->rho[o->head] = 1 / sy;
    o->gamma = sy / yy;
    o->head = (o->head + 1) % o->mem;
    if (o->count < o->mem) o->count++;
  } else {
    forget(o);
  }
}

/* d = H f by the two-loop recursion. */
static void direction(lbfgs_state *o, const double *f, double *d) {
  size_t n = o->n;
  for (size_t c = 0; c < n; c++) d[c] = f[c];
  for (int k = 0; k < o->count; k++) {
    int j = (o->head - 1 - k + o->mem) % o->mem;
    double a = o->rho[j] * dot(o->s + (size_t)j * n, d, n);
    o->coef[j] = a;
    const double *y = o->y + (size_t)j * n;
    for (size_t c = 0; c < n; c++) d[c] -= a * y[c];
  }
  for (size_t c = 0; c < n; c++) d[c] *= o->gamma;
  for (int k = o->count - 1; k >= 0; k--) {
    int j = (o->head - 1 - k + o->mem) % o->mem;
    double beta = o->rho[j] * dot(o->y + (size_t)j * n, d, n);
    const double *s = o->s + (size_t)j * n;
    for (size_t c = 0; c < n; c++) d[c] += (o->coef[j] - beta) * s[c];
  }
  if (!(dot(d, f, n) > 0)) { /* not downhill: forget the curvature information */
    forget(o);
    for (size_t c = 0; c < n; c++) d[c] = o->gamma * f[c];
  }
}

/* Largest atom displacement of a step. */
static double largest_move(const double *d, size_t n) {
  double worst = 0;
  for (size_t a = 0; a + 2 < n; a += 3)
    worst = fmax(worst, d[a] * d[a] + d[a + 1] * d[a + 1] + d[a + 2] * d[a + 2]);
  return sqrt(worst);
}

static void lbfgs_step(void *state, size_t n, double *x, const double *f, double max_move) {
  lbfgs_state *o = state;
  double *d = o->work;
  if (o->trust > max_move) o->trust = max_move;
  if (o->started) {
    int uphill = dot(f, f, n) > REJECT_RATIO * REJECT_RATIO * dot(o->f0, o->f0, n);
    for (size_t c = 0; c < n; c++) d[c] = x[c] - o->x0[c];
    double moved = largest_move(d, n);
    remember(o, x, f);
    if (uphill) { /* back to x0 with a shorter step */
      o->trust = 0.5 * moved;
      direction(o, o->f0, d);
      mb__cap_step(d, n, o->trust);
      for (size_t c = 0; c < n; c++) x[c] = o->x0[c] + d[c];
      return;
    }
    o->trust = fmin(max_move, 2 * o->trust);
  }
  direction(o, f, d);
  mb__cap_step(d, n, o->trust);
  memcpy(o->x0, x, n * sizeof(double));
  memcpy(o->f0, f, n * sizeof(double));
  o->started = 1;
  for (size_t c = 0; c < n; c++) x[c] += d[c];
}

const mb__opt_type mb__opt_lbfgs = {MB_OPTIMIZER_LBFGS, "L-BFGS", sizeof(lbfgs_state),
                                    lbfgs_init, lbfgs_reset, lbfgs_step, lbfgs_release};
