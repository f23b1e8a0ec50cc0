/* FIRE, the fast inertial relaxation engine of Bitzek, Koskinen, Gahler, Moseler
 * & Gumbsch, Phys. Rev. Lett. 97, 170201 (2006), over the whole band. Damped
 * dynamics (unit masses, semi-implicit Euler) whose velocity is mixed towards the
 * force while the power F.v stays positive and whose time step grows after
 * N_min such steps; an uphill move (F.v <= 0) stops the motion and halves dt.
 * Parameters are the paper's (and ASE's): dt 0.1, dt_max 1, N_min 5, f_inc 1.1,
 * f_dec 0.5, alpha 0.1, f_alpha 0.99. */
#include <math.h>
#include <string.h>

#include "neb.h"

#define DT0 0.1
#define DT_MAX 1.0
#define N_MIN 5
#define F_INC 1.1
#define F_DEC 0.5
#define ALPHA0 0.1
#define F_ALPHA 0.99

void mb__fire_reset(mb__opt *o) {
  o->started = 0;
  o->dt = DT0;
  o->alpha = ALPHA0;
  o->npositive = 0;
  memset(o->v, 0, o->n * sizeof(double));
}

void mb__fire_step(mb__opt *o, double *x, const double *f, double max_move) {
  size_t n = o->n;
  double *v = o->v, *dx = o->work;
  if (o->started) {
    double power = 0, vv = 0, ff = 0;
    for (size_t c = 0; c < n; c++) {
      power += f[c] * v[c];
      vv += v[c] * v[c];
      ff += f[c] * f[c];
    }
    if (power > 0) {
      double mix = ff > 0 ? o->alpha * sqrt(vv / ff) : 0;
      for (size_t c = 0; c < n; c++) v[c] = (1 - o->alpha) * v[c] + mix * f[c];
      if (o->npositive > N_MIN) {
        o->dt = fmin(o->dt * F_INC, DT_MAX);
        o->alpha *= F_ALPHA;
      }
      o->npositive++;
    } else {
      memset(v, 0, n * sizeof(double));
      o->alpha = ALPHA0;
      o->dt *= F_DEC;
      o->npositive = 0;
    }
  }
  o->started = 1;
  for (size_t c = 0; c < n; c++) {
    v[c] += o->dt * f[c];
    dx[c] = o->dt * v[c];
  }
  mb__cap_step(dx, n, max_move);
  for (size_t c = 0; c < n; c++) x[c] += dx[c];
}
