/* Adaptive-step ODE solver for the NEB "flow" dx/dt = F(x): the second-order
 * Runge-Kutta pair with residual-based step control of Makri, Ortner & Kermode,
 * J. Chem. Phys. 150, 094109 (2019) (the idea of ASE's ode12r). From the
 * accepted point x0 with force F0 an explicit Euler step x = x0 + h F0 is
 * tried. With the force F at x, the difference to Heun's step estimates the
 * error e = h/2 (F - F0); the trial is accepted when the residual r = max|F|
 * fell enough, r <= r0 (1 - C1 h), or did not grow much, r <= C2 r0, while the
 * error is within tolerance. The next h is the smallest of the error-based step
 * h sqrt(rtol / (4 err)) and a secant line-search estimate h F0.y / y.y
 * (y = F0 - F), bounded to [h/4, 4h] after an accepted trial and [h/10, h/4]
 * after a rejected one. Each trial costs one force call per image. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "neb.h"

#define RTOL 0.1
#define C1 1e-2
#define C2 2.0
#define HMIN 1e-10

/* The solver's state: the accepted point, its forces and residual, the step size. */
typedef struct ode_state {
  double *x0, *f0, *work;
  double h, r0; /* step size (A^2/eV) and residual of the accepted point */
  int started;
} ode_state;

static int ode_init(void *state, size_t n) {
  ode_state *o = state;
  o->x0 = mb__malloc(n, sizeof(double));
  o->f0 = mb__malloc(n, sizeof(double));
  o->work = mb__malloc(n, sizeof(double));
  return !o->x0 || !o->f0 || !o->work;
}

static void ode_release(void *state) {
  ode_state *o = state;
  free(o->x0), free(o->f0), free(o->work);
}

static void ode_reset(void *state, size_t n) {
  (void)n;
  ((ode_state *)state)->started = 0;
}

static double dot(const double *a, const double *b, size_t n) {
  double s = 0;
  for (size_t c = 0; c < n; c++) s += a[c] * b[c];
  return s;
}

static void ode_step(void *state, size_t n, double *x, const double *f, double max_move) {
  ode_state *o = state;
  double r = mb__max_abs(f, n);
  if (!o->started) {
    memcpy(o->x0, x, n * sizeof(double));
    memcpy(o->f0, f, n * sizeof(double));
    o->r0 = r;
    o->h = r > 0 ? 0.5 * sqrt(RTOL) / r : 1.0 / 70.0;
    o->started = 1;
  } else {
    double *y = o->work, err = 0;
    for (size_t c = 0; c < n; c++) {
      y[c] = o->f0[c] - f[c];
      double e = fabs(0.5 * o->h * y[c]);
      if (e > err) err = e;
    }
    int accept = r <= o->r0 * (1 - C1 * o->h) || (r <= o->r0 * C2 && err <= RTOL);
    double yy = dot(y, y, n);
    double h_ls = yy > 0 ? o->h * dot(o->f0, y, n) / yy : INFINITY;
    if (!(h_ls > HMIN)) h_ls = INFINITY;
    double h_err = err > 0 ? o->h * 0.5 * sqrt(RTOL / err) : INFINITY;
    double h = fmin(h_err, h_ls);
    if (accept) {
      memcpy(o->x0, x, n * sizeof(double));
      memcpy(o->f0, f, n * sizeof(double));
      o->r0 = r;
      o->h = fmax(0.25 * o->h, fmin(4 * o->h, h));
    } else {
      o->h = fmax(0.1 * o->h, fmin(0.25 * o->h, h));
    }
    if (o->h < HMIN) o->h = HMIN;
  }
  double *dx = o->work;
  for (size_t c = 0; c < n; c++) dx[c] = o->h * o->f0[c];
  o->h *= mb__cap_step(dx, n, max_move); /* a capped step is a shorter h */
  for (size_t c = 0; c < n; c++) x[c] = o->x0[c] + dx[c];
}

const mb__opt_type mb__opt_ode = {MB_OPTIMIZER_ODE, "ODE", sizeof(ode_state), ode_init,
                                  ode_reset, ode_step, ode_release};
