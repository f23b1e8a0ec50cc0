/* FIRE, the fast inertial relaxation engine of Bitzek, Koskinen, Gahler, Moseler
 * & Gumbsch, Phys. Rev. Lett. 97, 170201 (2006), over the whole band. Damped
 * dynamics (unit masses, semi-implicit Euler) whose velocity is mixed towards the
 * force while the power F.v stays positive and whose time step grows after
 * N_min such steps; an uphill move (F.v <= 0) stops the motion and halves dt.
 * Parameters are the paper's (and ASE's): dt 0.1, dt_max 1, N_min 5, f_inc 1.1,
 * f_dec 0.5, alpha 0.1, f_alpha 0.99. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "neb.h"

#define DT0 0.1
#define DT_MAX 1.0
#define N_MIN 5
#define F_INC 1.1
#define F_DEC 0.5
#define ALPHA0 0.1
#define F_ALPHA 0.99

/* FIRE's state: velocities, the time step and mixing, the count of downhill steps. */
typedef struct fire_state {
  double *v, *dx;
  double dt, alpha;
  int npositive, started;
} fire_state;

static int fire_init(void *state, size_t n) {
  fire_state *o = state;
  o->v = mb__calloc(n, sizeof(double));
  o->dx = mb__malloc(n, sizeof(double));
  return !o->v || !o->dx;
}

static void fire_release(void *state) {
  fire_state *o = state;
  free(o->v);
  free(o->dx);
}

static void fire_reset(void *state, size_t n) {
  fire_state *o = state;
  o->started = 0;
  o->dt = DT0;
  o->alpha = ALPHA0;
  o->npositive = 0;
  memset(o->v, 0, n * sizeof(double));
}

static void fire_step(void *state, size_t n, double *x, const double *f, double max_move) {
  fire_state *o = state;
  double *v = o->v, *dx = o->dx;
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

const mb__opt_type mb__opt_fire = {MB_OPTIMIZER_FIRE, "FIRE", sizeof(fire_state), fire_init,
                                   fire_reset, fire_step, fire_release};
