/* A host code's functions as the force provider of a band (migbar.h section 8): a
 * callback per image (threads only when the caller declares it thread-safe), or one
 * callback for all the images of a round (the caller parallelises as it likes: MPI
 * ranks, a GPU batch, a Python pool). A callback's failure is MB_ERR_CALLBACK. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "neb.h"

static mb_status image(mb_band *b, int i, double *e, double *f, char *msg) {
  char lb[64];
  int rc = b->fn(b->lattice, b->natoms, b->numbers, b->pos + (size_t)i * 3 * b->natoms, e, f,
                 b->user);
  if (!rc) return MB_OK;
  snprintf(msg, MB__NEB_MSG, "the force callback failed on %s (it returned %d)",
           mb__image_label(b, i, lb), rc);
  return MB_ERR_CALLBACK;
}

static mb_status batch(mb_band *b, const int *idx, int count, double *energy, double *force) {
  size_t n = 3 * (size_t)b->natoms;
  double *x = mb__malloc((size_t)count * n, sizeof(double));
  if (!x) return MB_ERR_NOMEM;
  for (int j = 0; j < count; j++)
    memcpy(x + (size_t)j * n, b->pos + (size_t)idx[j] * n, n * sizeof(double));
  int rc = b->batch_fn(count, b->lattice, b->natoms, b->numbers, x, energy, force, b->user);
  free(x);
  if (!rc) return MB_OK;
  return mb__error(MB_ERR_CALLBACK,
                   "the batch force callback failed (it returned %d) on images %d..%d", rc,
                   idx[0], idx[count - 1]);
}

const mb__provider_type mb__provider_callback = {"force provider (callback)", MB_ERR_CALLBACK,
                                                 NULL, image, NULL, NULL};
const mb__provider_type mb__provider_batch = {"force provider (batch callback)",
                                              MB_ERR_CALLBACK, NULL, NULL, batch, NULL};

MB_API mb_status mb_band_set_callback(mb_band *b, mb_force_fn fn, void *user,
                                      int thread_safe) {
  mb_status busy = mb__band_check_idle(b, "mb_band_set_callback");
  if (busy) return busy;
  if (!fn) return mb__error(MB_ERR_INVALID_ARG, "mb_band_set_callback: NULL function");
  mb__band_use_provider(b, &mb__provider_callback);
  b->fn = fn, b->user = user;
  b->thread_safe = thread_safe != 0;
  return MB_OK;
}

MB_API mb_status mb_band_set_batch_callback(mb_band *b, mb_force_batch_fn fn, void *user) {
  mb_status busy = mb__band_check_idle(b, "mb_band_set_batch_callback");
  if (busy) return busy;
  if (!fn) return mb__error(MB_ERR_INVALID_ARG, "mb_band_set_batch_callback: NULL function");
  mb__band_use_provider(b, &mb__provider_batch);
  b->batch_fn = fn, b->user = user;
  return MB_OK;
}
