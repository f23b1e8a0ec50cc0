/* The band handle: creation from end points or explicit images, options, fixed
 * coordinates, force providers and the plain getters. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "neb.h"
#include "../core/options.h"
#include "../structure/structure.h"

#define CHECK_BAND(b, what)                                              \
  do {                                                                   \
    if (!(b)) return mb__error(MB_ERR_INVALID_ARG, "%s: NULL band", what); \
  } while (0)


/* Whether two structures can be images of one band: the same system (same atoms, same
 * order, same cell; lib/structure/same_system.c). a is the initial structure (image 0);
 * s is described by label ("the final structure", "image 3") in the messages. */
static mb_status check_compatible(const mb_structure *a, const mb_structure *s,
                                  const char *label, const char *what) {
  return mb__same_system(a, "the initial structure", s, label, what, NULL);
}

/* A band with nimages images, everything but the positions set up. */
static mb_status band_new(const mb_structure *first, int nimages, mb_band **out) {
  size_t n = 3 * (size_t)first->natoms, all = (size_t)nimages * n;
  mb_band *b = mb__calloc(1, sizeof *b);
  if (!b) return MB_ERR_NOMEM;
  b->nimages = nimages;
  b->natoms = first->natoms;
  memcpy(b->lattice, first->lattice, sizeof b->lattice);
  memcpy(b->inverse, first->inverse, sizeof b->inverse);
  b->numbers = mb__malloc((size_t)first->natoms, sizeof(int));
  b->free = mb__malloc(n, sizeof(int));
  b->pos = mb__malloc(all, sizeof(double));
  b->energy = mb__malloc((size_t)nimages, sizeof(double));
  b->force = mb__calloc(all, sizeof(double));
  b->neb = mb__calloc(all, sizeof(double));
  b->tangent = mb__calloc(all, sizeof(double));
  b->ftan = mb__malloc((size_t)nimages, sizeof(double));
  b->work = mb__calloc((size_t)nimages, sizeof(mb_structure *));
  if (!b->numbers || !b->free || !b->pos || !b->energy || !b->force || !b->neb ||
      !b->tangent || !b->ftan || !b->work) {
    mb_band_free(b);
    return MB_ERR_NOMEM;
  }
  memcpy(b->numbers, first->numbers, (size_t)first->natoms * sizeof(int));
  for (size_t c = 0; c < n; c++) b->free[c] = first->selective ? first->selective[c] != 0 : 1;
  for (size_t c = 0; c < n; c++) b->has_fixed |= !b->free[c];
  for (int i = 0; i < nimages; i++) b->energy[i] = b->ftan[i] = NAN;
  /* the defaults of the option table (band_options.c), in its order */
  for (int k = 0; k < mb__band_noptions; k++)
    if (mb_band_set_option(b, (mb_band_option)mb__band_options[k].key, mb__band_options[k].def)) {
      mb_band_free(b);
      return MB_ERR_INVALID_ARG; /* a table that contradicts itself: caught by the tests */
    }
  b->max_force = NAN;
  b->log.level = MB_LOG_INFO;
  *out = b;
  return MB_OK;
}

static void put_cart(mb_band *b, int i, const mb_structure *s) {
  for (int a = 0; a < s->natoms; a++)
    mb__structure_cart(s, a, b->pos + (size_t)i * 3 * b->natoms + 3 * a);
}

MB_API mb_status mb_band_create(const mb_structure *initial, const mb_structure *final,
                                int nintermediate, mb_interpolation interpolation,
                                mb_band **out) {
  const char *what = "mb_band_create";
  if (!initial || !final || !out)
    return mb__error(MB_ERR_INVALID_ARG, "%s: NULL argument", what);
  if (nintermediate < 1 || nintermediate > 10000)
    return mb__error(MB_ERR_INVALID_ARG, "%s: nintermediate must be 1..10000 (got %d)", what,
                     nintermediate);
  if (interpolation != MB_INTERPOLATION_LINEAR && interpolation != MB_INTERPOLATION_IDPP)
    return mb__error(MB_ERR_INVALID_ARG, "%s: unknown interpolation %d", what,
                     (int)interpolation);
  mb_status st = check_compatible(initial, final, "the final structure", what);
  if (st) return st;
  int nimages = nintermediate + 2;
  mb_band *b;
  if ((st = band_new(initial, nimages, &b))) return st;
  put_cart(b, 0, initial);
  put_cart(b, nimages - 1, final);
  mb__interpolate_linear(nimages, b->natoms, b->lattice, b->inverse, b->pos);
  if (interpolation == MB_INTERPOLATION_IDPP && (st = mb__band_idpp(b))) {
    mb_band_free(b);
    return st;
  }
  *out = b;
  return MB_OK;
}

MB_API mb_status mb_band_interpolate(mb_band *b, mb_interpolation interpolation) {
  static const char what[] = "mb_band_interpolate";
  mb_status st = mb__band_enter(b, what);
  if (st) return st;
  if (interpolation != MB_INTERPOLATION_LINEAR && interpolation != MB_INTERPOLATION_IDPP) {
    st = mb__error(MB_ERR_INVALID_ARG, "%s: unknown interpolation %d", what, (int)interpolation);
    return mb__band_leave(b, st, what);
  }
  mb__interpolate_linear(b->nimages, b->natoms, b->lattice, b->inverse, b->pos);
  if (interpolation == MB_INTERPOLATION_IDPP) st = mb__band_idpp(b);
  /* the images moved: results, optimiser memory and step count start afresh */
  for (int i = 1; i < b->nimages - 1; i++) b->energy[i] = NAN;
  b->evaluated = 0;
  b->converged = 0;
  b->climbing = 0;
  b->steps = 0;
  b->max_force = NAN;
  if (b->opt) mb__opt_reset(b->opt);
  return mb__band_leave(b, st, what);
}

MB_API mb_status mb_band_create_from_images(int nimages,
                                            const mb_structure *const *images,
                                            mb_band **out) {
  const char *what = "mb_band_create_from_images";
  if (!images || !out) return mb__error(MB_ERR_INVALID_ARG, "%s: NULL argument", what);
  if (nimages < 3 || nimages > 10002)
    return mb__error(MB_ERR_INVALID_ARG,
                     "%s: a band needs 3..10002 images, end points included (got %d)", what,
                     nimages);
  if (!images[0]) return mb__error(MB_ERR_INVALID_ARG, "%s: image 0 is NULL", what);
  mb_status st;
  for (int j = 1; j < nimages; j++) {
    char label[64];
    snprintf(label, sizeof label, j == nimages - 1 ? "image %d (the final end point)" : "image %d",
             j);
    if ((st = check_compatible(images[0], images[j], label, what))) return st;
  }
  mb_band *b;
  if ((st = band_new(images[0], nimages, &b))) return st;
  for (int j = 0; j < nimages; j++) put_cart(b, j, images[j]);
  *out = b;
  return MB_OK;
}

static void band_release(mb_band *b) {
  if (b->provider && b->provider->release) b->provider->release(b);
  if (b->work)
    for (int i = 0; i < b->nimages; i++) mb_structure_free(b->work[i]);
  mb__opt_free(b->opt);
  free(b->work);
  free(b->numbers);
  free(b->free);
  free(b->pos);
  free(b->energy);
  free(b->force);
  free(b->neb);
  free(b->tangent);
  free(b->ftan);
  free(b);
}

/* Called from one of the band's own callbacks during a run, mb_band_free only
 * marks the band: the run still uses its memory. The run stops at its next safe
 * point and mb__band_leave releases it. */
MB_API void mb_band_free(mb_band *b) {
  if (!b) return;
  if (b->busy) {
    __atomic_store_n(&b->freed, 1, __ATOMIC_SEQ_CST);
    return;
  }
  band_release(b);
}

mb_status mb__band_enter(mb_band *b, const char *what) {
  if (!b) return mb__error(MB_ERR_INVALID_ARG, "%s: NULL band", what);
  if (b->busy)
    return mb__error(MB_ERR_INVALID_ARG,
                     "%s: the band is running (this call came from one of its own callbacks "
                     "during mb_band_run, mb_band_evaluate or mb_band_relax_endpoints)",
                     what);
  b->busy = 1;
  return MB_OK;
}

int mb__band_freed(const mb_band *b) {
  return __atomic_load_n(&b->freed, __ATOMIC_SEQ_CST);
}

mb_status mb__band_leave(mb_band *b, mb_status st, const char *what) {
  b->busy = 0;
  if (!mb__band_freed(b)) return st;
  band_release(b);
  return mb__error(MB_ERR_STOPPED,
                   "the band was freed during %s (by one of its callbacks); it is released "
                   "when the run returns, as now: do not use it again",
                   what);
}

mb_status mb__band_check_idle(const mb_band *b, const char *what) {
  if (!b) return mb__error(MB_ERR_INVALID_ARG, "%s: NULL band", what);
  if (b->busy)
    return mb__error(MB_ERR_INVALID_ARG,
                     "%s: not while the band is running (called from one of its own "
                     "callbacks); change it after mb_band_run returns",
                     what);
  return MB_OK;
}

MB_API mb_status mb_band_is_running(const mb_band *b, int *running) {
  CHECK_BAND(b, "mb_band_is_running");
  if (!running) return mb__error(MB_ERR_INVALID_ARG, "mb_band_is_running: NULL output");
  *running = b->busy;
  return MB_OK;
}

/* ---- options ------------------------------------------------------------- */

MB_API mb_status mb_band_set_option(mb_band *b, mb_band_option key, double value) {
  mb_status st = mb__band_check_idle(b, "mb_band_set_option");
  if (st) return st;
  /* bounds from the option table (band_options.c); the rules between options here */
  if ((st = mb__option_check(MB_OPTIONS_BAND, (int)key, value, "mb_band_set_option"))) return st;
  switch (key) {
  case MB_BAND_SPRING:
    if (b->spring_min >= 0 && b->spring_min > value)
      return mb__error(MB_ERR_INVALID_ARG,
                       "MB_BAND_SPRING %g is below MB_BAND_SPRING_MIN %g: lower that first",
                       value, b->spring_min);
    b->spring = value;
    break;
  case MB_BAND_SPRING_MIN:
    if (value > b->spring)
      return mb__error(MB_ERR_INVALID_ARG,
                       "MB_BAND_SPRING_MIN %g is above MB_BAND_SPRING %g (negative = off)",
                       value, b->spring);
    b->spring_min = value < 0 ? -1 : value;
    break;
  case MB_BAND_CLIMB:
    b->climb = (int)value;
    if (b->climb != 2) b->climbing = 0;
    break;
  case MB_BAND_CLIMB_FMAX: b->climb_fmax = value; break;
  case MB_BAND_FMAX: b->fmax = value; break;
  case MB_BAND_MAX_STEPS: b->max_steps = (int)value; break;
  case MB_BAND_OPTIMIZER:
    if ((int)value != b->optimizer) {
      mb__opt_free(b->opt); /* a new method starts afresh */
      b->opt = NULL;
    }
    b->optimizer = (int)value;
    break;
  case MB_BAND_MAX_MOVE: b->max_move = value; break;
  case MB_BAND_THREADS: b->threads = (int)value; break;
  case MB_BAND_RELAX_ENDPOINTS: b->relax_endpoints = (int)value; break;
  case MB_BAND_ALLOW_EXCHANGE: b->allow_exchange = (int)value; break;
  }
  return MB_OK;
}

MB_API mb_status mb_band_get_option(const mb_band *b, mb_band_option key, double *value) {
  CHECK_BAND(b, "mb_band_get_option");
  if (!value) return mb__error(MB_ERR_INVALID_ARG, "mb_band_get_option: NULL output");
  double v;
  switch (key) {
  case MB_BAND_SPRING: v = b->spring; break;
  case MB_BAND_SPRING_MIN: v = b->spring_min; break;
  case MB_BAND_CLIMB: v = b->climb; break;
  case MB_BAND_CLIMB_FMAX: v = b->climb_fmax; break;
  case MB_BAND_FMAX: v = b->fmax; break;
  case MB_BAND_MAX_STEPS: v = b->max_steps; break;
  case MB_BAND_OPTIMIZER: v = b->optimizer; break;
  case MB_BAND_MAX_MOVE: v = b->max_move; break;
  case MB_BAND_THREADS: v = b->threads; break;
  case MB_BAND_RELAX_ENDPOINTS: v = b->relax_endpoints; break;
  case MB_BAND_ALLOW_EXCHANGE: v = b->allow_exchange; break;
  default:
    return mb__error(MB_ERR_INVALID_ARG, "mb_band_get_option: unknown option %d", (int)key);
  }
  *value = v;
  return MB_OK;
}

MB_API mb_status mb_band_set_fixed(mb_band *b, const int *flags) {
  mb_status busy = mb__band_check_idle(b, "mb_band_set_fixed");
  if (busy) return busy;
  size_t n = 3 * (size_t)b->natoms;
  b->has_fixed = 0;
  for (size_t c = 0; c < n; c++) {
    b->free[c] = flags ? flags[c] != 0 : 1;
    b->has_fixed |= !b->free[c];
  }
  mb__opt_free(b->opt); /* the optimiser's memory refers to the old constraints */
  b->opt = NULL;
  if (b->evaluated) mb__band_update_neb(b);
  return MB_OK;
}

/* ---- providers and progress ---------------------------------------------- */

static void forget_results(mb_band *b) {
  for (int i = 0; i < b->nimages; i++) b->energy[i] = NAN;
  b->evaluated = 0;
  b->converged = 0;
  b->max_force = NAN;
}

void mb__band_use_provider(mb_band *b, const mb__provider_type *type) {
  if (b->provider && b->provider->release) b->provider->release(b);
  b->provider = type;
  b->potential = NULL;
  b->fn = NULL, b->batch_fn = NULL, b->user = NULL;
  b->thread_safe = 0;
  forget_results(b);
}

MB_API mb_status mb_band_set_log(mb_band *b, mb_log_fn fn, void *user) {
  CHECK_BAND(b, "mb_band_set_log");
  b->log.fn = fn;
  b->log.user = user;
  b->log.level = MB_LOG_INFO;
  return MB_OK;
}

MB_API mb_status mb_band_set_step_callback(mb_band *b, mb_band_step_fn fn, void *user) {
  CHECK_BAND(b, "mb_band_set_step_callback");
  b->step_fn = fn;
  b->step_user = user;
  return MB_OK;
}

/* ---- getters --------------------------------------------------------------- */

MB_API mb_status mb_band_nimages(const mb_band *b, int *nimages) {
  CHECK_BAND(b, "mb_band_nimages");
  if (!nimages) return mb__error(MB_ERR_INVALID_ARG, "mb_band_nimages: NULL output");
  *nimages = b->nimages;
  return MB_OK;
}

MB_API mb_status mb_band_natoms(const mb_band *b, int *natoms) {
  CHECK_BAND(b, "mb_band_natoms");
  if (!natoms) return mb__error(MB_ERR_INVALID_ARG, "mb_band_natoms: NULL output");
  *natoms = b->natoms;
  return MB_OK;
}

/* The copy keeps the band's Cartesian positions as they are (not wrapped) and
 * carries the fixed coordinates as selective-dynamics flags. */
MB_API mb_status mb_band_image(const mb_band *b, int i, mb_structure **out) {
  CHECK_BAND(b, "mb_band_image");
  if (!out) return mb__error(MB_ERR_INVALID_ARG, "mb_band_image: NULL output");
  if (i < 0 || i >= b->nimages)
    return mb__error(MB_ERR_RANGE, "mb_band_image: image %d outside 0..%d", i, b->nimages - 1);
  mb_structure *s;
  mb_status st = mb__structure_new(b->lattice, b->natoms, b->pos + (size_t)i * 3 * b->natoms,
                                   MB_COORDS_CARTESIAN, b->numbers, &s);
  if (st) return st;
  if (b->has_fixed && (st = mb_structure_set_selective(s, b->free))) {
    mb_structure_free(s);
    return st;
  }
  *out = s;
  return MB_OK;
}

MB_API mb_status mb_band_energies(const mb_band *b, double *energies) {
  CHECK_BAND(b, "mb_band_energies");
  if (!energies) return mb__error(MB_ERR_INVALID_ARG, "mb_band_energies: NULL output");
  memcpy(energies, b->energy, (size_t)b->nimages * sizeof(double));
  return MB_OK;
}

/* neb = 0: the provider's forces as it returned them (fixed coordinates
 * included). neb = 1: the NEB force (zero on fixed coordinates and on the end
 * points, which do not move during the band optimisation). */
MB_API mb_status mb_band_forces(const mb_band *b, int i, int neb, double *forces) {
  CHECK_BAND(b, "mb_band_forces");
  if (!forces) return mb__error(MB_ERR_INVALID_ARG, "mb_band_forces: NULL output");
  if (i < 0 || i >= b->nimages)
    return mb__error(MB_ERR_RANGE, "mb_band_forces: image %d outside 0..%d", i,
                     b->nimages - 1);
  if (isnan(b->energy[i]) || (neb && !b->evaluated))
    return mb__error(MB_ERR_INVALID_ARG,
                     "mb_band_forces: image %d has no forces yet (call mb_band_evaluate or "
                     "mb_band_run first)",
                     i);
  size_t n = 3 * (size_t)b->natoms;
  memcpy(forces, (neb ? b->neb : b->force) + (size_t)i * n, n * sizeof(double));
  return MB_OK;
}

MB_API mb_status mb_band_stats(const mb_band *b, int *steps, long *moving_calls,
                               long *endpoint_calls, double *max_force, int *converged) {
  CHECK_BAND(b, "mb_band_stats");
  if (steps) *steps = b->steps;
  if (moving_calls) *moving_calls = b->moving_calls;
  if (endpoint_calls) *endpoint_calls = b->endpoint_calls;
  if (max_force) *max_force = b->max_force;
  if (converged) *converged = b->converged;
  return MB_OK;
}
