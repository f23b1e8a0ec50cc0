/* A built-in potential (mb_potential: LJ, Morse, EMT) as the force provider of a band.
 * The potential is read-only while it computes, so images run on any thread; each image
 * has its own work structure to hand over. The band borrows the potential: it must
 * outlive the runs. */
#include <stdio.h>

#include "neb.h"

static mb_status prepare(mb_band *b, const int *idx, int count) {
  return mb__band_work_structures(b, idx, count);
}

static mb_status image(mb_band *b, int i, double *e, double *f, char *msg) {
  mb_structure *s = b->work[i];
  char lb[64];
  mb_status st = mb_structure_set_positions(s, b->pos + (size_t)i * 3 * b->natoms,
                                            MB_COORDS_CARTESIAN);
  if (!st) st = mb_potential_compute(b->potential, s, e, f);
  if (st) snprintf(msg, MB__NEB_MSG, "%s: %s", mb__image_label(b, i, lb), mb_last_error());
  return st;
}

const mb__provider_type mb__provider_potential = {"force provider (built-in potential)",
                                                  MB_ERR_GEOMETRY, prepare, image, NULL,
                                                  NULL};

MB_API mb_status mb_band_set_potential(mb_band *b, const mb_potential *p) {
  mb_status busy = mb__band_check_idle(b, "mb_band_set_potential");
  if (busy) return busy;
  if (!p) return mb__error(MB_ERR_INVALID_ARG, "mb_band_set_potential: NULL potential");
  mb__band_use_provider(b, &mb__provider_potential);
  b->potential = p;
  b->thread_safe = 1;
  return MB_OK;
}
