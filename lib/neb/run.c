/* The optimisation loop of a band: end point relaxation, the delayed switch to
 * the climbing image, convergence on the largest per-atom NEB force norm of the
 * moving images (as ASE's optimisers and VTST), progress lines and the step
 * callback; the step helpers the optimisers share. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "neb.h"

/* ---- step helpers shared by the optimisers --------------------------------- */

double mb__cap_step(double *dx, size_t n, double max_move) {
  double worst = 0;
  for (size_t a = 0; a + 2 < n; a += 3) {
    double d2 = dx[a] * dx[a] + dx[a + 1] * dx[a + 1] + dx[a + 2] * dx[a + 2];
    if (d2 > worst) worst = d2;
  }
  worst = sqrt(worst);
  if (!(worst > max_move)) return 1.0;
  double scale = max_move / worst;
  for (size_t c = 0; c < n; c++) dx[c] *= scale;
  return scale;
}

double mb__max_abs(const double *v, size_t n) {
  double m = 0;
  for (size_t c = 0; c < n; c++)
    if (fabs(v[c]) > m || isnan(v[c])) m = fabs(v[c]);
  return m;
}

double mb__max_atom_norm(const double *v, size_t n) {
  double m2 = 0;
  for (size_t a = 0; a + 2 < n; a += 3) {
    double d2 = v[a] * v[a] + v[a + 1] * v[a + 1] + v[a + 2] * v[a + 2];
    if (d2 > m2 || isnan(d2)) m2 = d2;
  }
  return sqrt(m2);
}

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

/* ---- end points ------------------------------------------------------------ */

/* The provider's forces with the fixed coordinates zeroed. */
static void free_forces(const mb_band *b, int image, double *f) {
  size_t n = 3 * (size_t)b->natoms;
  for (size_t c = 0; c < n; c++) f[c] = b->free[c] ? b->force[(size_t)image * n + c] : 0.0;
}

mb_status mb__band_relax_point(mb_band *b, int image) {
  size_t n = 3 * (size_t)b->natoms;
  double *x = b->pos + (size_t)image * n;
  mb_status st = MB_OK;
  double *f = mb__malloc(n, sizeof(double));
  mb__opt *o = mb__opt_new((mb_optimizer)b->optimizer, n);
  if (!f || !o) {
    st = MB_ERR_NOMEM;
    goto cleanup;
  }
  if (isnan(b->energy[image]) && (st = mb__band_compute(b, &image, 1, &b->endpoint_calls)))
    goto cleanup;
  const char *which = image ? "final" : "initial";
  const double e0 = b->energy[image], t0 = now();
  for (int step = 0;; step++) {
    free_forces(b, image, f);
    double fmax = mb__max_atom_norm(f, n);
    /* progress, one line per optimiser step (a DFT end point takes minutes a step) */
    mb__log(&b->log, MB_LOG_INFO, "relaxing the %s end point: step %d  fmax %.5f eV/A  "
            "energy %.6f eV  %.2f s", which, step, fmax, b->energy[image], now() - t0);
    if (mb__band_freed(b)) {
      st = MB_ERR_STOPPED;
      goto cleanup;
    }
    if (fmax < b->fmax) {
      mb__log(&b->log, MB_LOG_INFO, "the %s end point relaxed in %d steps: energy %.6f eV "
              "(%+.6f eV)", which, step, b->energy[image], b->energy[image] - e0);
      break;
    }
    if (step >= b->max_steps) {
      st = mb__error(MB_ERR_NOT_CONVERGED,
                     "the %s end point (image %d) was not relaxed in %d steps: largest atom "
                     "force %.4g eV/A (fmax %g)",
                     which, image, b->max_steps, fmax, b->fmax);
      goto cleanup;
    }
    mb__opt_step(o, x, f, b->max_move);
    if ((st = mb__band_compute(b, &image, 1, &b->endpoint_calls))) {
      if (st != MB_ERR_STOPPED)
        mb__error_prefix("relaxing the %s end point (image %d)", which, image);
      goto cleanup;
    }
  }
cleanup:
  free(f);
  mb__opt_free(o);
  return st;
}

/* Relax both end points and carry the intermediate images along: image i moves
 * by (1 - t) d_0 + t d_last with t = i / (nimages - 1), which keeps a straight
 * band straight. */
static mb_status relax_endpoints(mb_band *b) {
  size_t n = 3 * (size_t)b->natoms;
  int last = b->nimages - 1;
  mb_status st = MB_OK;
  double *before = mb__malloc(2 * n, sizeof(double));
  if (!before) return MB_ERR_NOMEM;
  memcpy(before, b->pos, n * sizeof(double));
  memcpy(before + n, b->pos + (size_t)last * n, n * sizeof(double));
  if ((st = mb__band_relax_point(b, 0)) || (st = mb__band_relax_point(b, last))) goto cleanup;
  for (int i = 1; i < last; i++) {
    double t = (double)i / last;
    for (size_t c = 0; c < n; c++)
      b->pos[(size_t)i * n + c] += (1 - t) * (b->pos[c] - before[c]) +
                                   t * (b->pos[(size_t)last * n + c] - before[n + c]);
  }
  b->endpoints_relaxed = 1;
  b->evaluated = 0;
  b->converged = 0;
  if (b->opt) mb__opt_reset(b->opt);
cleanup:
  free(before);
  return st;
}

MB_API mb_status mb_band_relax_endpoints(mb_band *b) {
  static const char what[] = "mb_band_relax_endpoints";
  mb_status st = mb__band_enter(b, what);
  if (st) return st;
  if (!b->provider)
    st = mb__error(MB_ERR_INVALID_ARG, "mb_band_relax_endpoints: the band has no force provider");
  else
    st = relax_endpoints(b);
  return mb__band_leave(b, st, what);
}

/* ---- the band -------------------------------------------------------------- */

static double barrier_now(const mb_band *b) {
  double emax = b->energy[0];
  for (int i = 1; i < b->nimages; i++)
    if (b->energy[i] > emax) emax = b->energy[i];
  return emax - b->energy[0];
}

static mb_status band_run(mb_band *b) {
  if (!b->provider)
    return mb__error(MB_ERR_INVALID_ARG,
                     "mb_band_run: the band has no force provider: call "
                     "mb_band_set_potential, mb_band_set_callback or "
                     "mb_band_set_batch_callback first");
  mb_status st;
  if ((st = mb__band_check_endpoints(b))) {
    mb__error_prefix("mb_band_run");
    return st;
  }
  double t0 = now();
  if (b->relax_endpoints && !b->endpoints_relaxed && (st = relax_endpoints(b))) return st;
  size_t n = 3 * (size_t)b->natoms, nmove = (size_t)(b->nimages - 2) * n;
  if (!b->opt && !(b->opt = mb__opt_new((mb_optimizer)b->optimizer, nmove)))
    return MB_ERR_NOMEM;
  if ((st = mb__band_refresh(b))) return st;
  double *x = b->pos + n, *f = b->neb + n;
  for (int step = 0;; step++) {
    /* the delayed climbing image: switch on once the band is roughly relaxed,
     * and start the optimiser afresh since the force field has changed */
    if (b->climb == 2 && !b->climbing && b->max_force < b->climb_fmax) {
      b->climbing = 1;
      mb__band_update_neb(b);
      mb__opt_reset(b->opt);
      mb__log(&b->log, MB_LOG_INFO, "climbing image %d switched on",
              mb__highest_image(b->nimages, b->energy));
      if (mb__band_freed(b)) return MB_ERR_STOPPED; /* from the log callback */
    }
    b->converged = b->max_force < b->fmax && (b->climb != 2 || b->climbing);
    if (b->converged) return MB_OK;
    if (step >= b->max_steps)
      return mb__error(MB_ERR_NOT_CONVERGED,
                       "NEB not converged in %d steps: largest NEB force on an atom %.4g eV/A "
                       "(fmax %g)",
                       b->max_steps, b->max_force, b->fmax);
    int top = mb__highest_image(b->nimages, b->energy);
    mb__opt_step(b->opt, x, f, b->max_move);
    b->evaluated = 0;
    if ((st = mb__band_refresh(b))) return st;
    /* another image became the climbing one: the force field jumped, so the
     * optimiser's memory of it is void */
    if (mb__band_climb_active(b) && mb__highest_image(b->nimages, b->energy) != top)
      mb__opt_reset(b->opt);
    b->steps++;
    mb__log(&b->log, MB_LOG_INFO, "step %d  fmax %.5f eV/A  barrier %.5f eV  %.2f s", b->steps,
            b->max_force, barrier_now(b), now() - t0);
    int stop = !mb__band_freed(b) && b->step_fn && b->step_fn(b, b->steps, b->step_user);
    if (mb__band_freed(b)) return MB_ERR_STOPPED; /* mb__band_leave says why */
    if (stop) {
      b->converged = b->max_force < b->fmax && (b->climb != 2 || b->climbing);
      return mb__error(MB_ERR_STOPPED, "NEB stopped by the step callback after step %d",
                       b->steps);
    }
  }
}

MB_API mb_status mb_band_run(mb_band *b) {
  static const char what[] = "mb_band_run";
  mb_status st = mb__band_enter(b, what);
  if (st) return st;
  return mb__band_leave(b, band_run(b), what);
}
