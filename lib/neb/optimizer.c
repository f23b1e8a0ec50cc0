/* The optimisers of a band (mb_optimizer) as types, and the generic calls: a type
 * knows the size of its state and how to set it up, reset, step and release it (the
 * pattern of GSL's multimin minimisers); each method lives in its own file. */
#include <stdlib.h>

#include "neb.h"

static const mb__opt_type *const types[] = {&mb__opt_fire, &mb__opt_lbfgs, &mb__opt_ode};

mb__opt *mb__opt_new(mb_optimizer kind, size_t n) {
  const mb__opt_type *t = NULL;
  for (size_t k = 0; k < sizeof types / sizeof *types; k++)
    if (types[k]->kind == kind) t = types[k];
  if (!t) {
    mb__error(MB_ERR_INVALID_ARG, "unknown optimizer %d", (int)kind);
    return NULL;
  }
  mb__opt *o = mb__calloc(1, sizeof *o);
  if (!o) return NULL;
  o->type = t;
  o->n = n;
  if (!(o->state = mb__calloc(1, t->size)) || t->init(o->state, n)) {
    mb__opt_free(o);
    mb__error(MB_ERR_NOMEM, "out of memory for the %s optimizer over %zu coordinates", t->name,
              n);
    return NULL;
  }
  t->reset(o->state, n);
  return o;
}

void mb__opt_free(mb__opt *o) {
  if (!o) return;
  if (o->state) o->type->release(o->state);
  free(o->state);
  free(o);
}

void mb__opt_reset(mb__opt *o) { o->type->reset(o->state, o->n); }

void mb__opt_step(mb__opt *o, double *x, const double *f, double max_move) {
  o->type->step(o->state, o->n, x, f, max_move);
}
