/* The plane-wave DFT engine (mb_dft, migbar.h section 10) as the force provider of a
 * band. Every image has its own copy of the template handle, so each one warm-starts
 * from its own last wavefunctions and density, and distinct images may run on
 * distinct threads (distinct handles share nothing mutable).
 *
 * The band's energy is the free energy E - TS: the forces are its derivatives (Mermin
 * functional), so the NEB projections and the climbing image stay consistent with
 * smearing; without smearing it equals the total energy. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "neb.h"
#include "../structure/structure.h"

static void dft_release(mb_band *b) {
  if (b->dft_images)
    for (int i = 0; i < b->nimages; i++) mb_dft_free(b->dft_images[i]);
  free(b->dft_images);
  b->dft_images = NULL;
  mb_dft_free(b->dft);
  b->dft = NULL;
}

MB_API mb_status mb_band_set_dft(mb_band *b, const mb_dft *d) {
  mb_status busy = mb__band_check_idle(b, "mb_band_set_dft");
  if (busy) return busy;
  if (!d) return mb__error(MB_ERR_INVALID_ARG, "mb_band_set_dft: NULL dft handle");
  mb_dft *copy = NULL;
  mb_dft **images = mb__calloc((size_t)b->nimages, sizeof *images);
  mb_status st = images ? mb_dft_copy(d, &copy) : MB_ERR_NOMEM;
  if (st) {
    free(images);
    return st;
  }
  /* the calculation must be of the band's atoms in the band's cell */
  mb_structure *s = NULL;
  st = mb__structure_new(b->lattice, b->natoms, b->pos, MB_COORDS_CARTESIAN, b->numbers, &s);
  if (!st) st = mb_dft_set_structure(copy, s);
  mb_structure_free(s);
  if (st) {
    mb__error_prefix("mb_band_set_dft: the dft handle does not match the band");
    mb_dft_free(copy);
    free(images);
    return st;
  }
  mb__band_use_provider(b, &mb__provider_dft);
  b->thread_safe = 1;
  b->dft = copy;
  b->dft_images = images;
  return MB_OK;
}

/* Work structures and the per-image copies that do not exist yet (before images are
 * shared out over threads). */
static mb_status dft_prepare(mb_band *b, const int *idx, int count) {
  mb_status st = mb__band_work_structures(b, idx, count);
  for (int j = 0; j < count && !st; j++)
    if (!b->dft_images[idx[j]]) st = mb_dft_copy(b->dft, &b->dft_images[idx[j]]);
  return st;
}

/* The free energy (whose derivatives the forces are) and forces of one image by its own
 * mb_dft. */
static mb_status dft_image(mb_band *b, int image, double *e, double *f, char *msg) {
  mb_structure *s = b->work[image];
  mb_dft *d = b->dft_images[image];
  double energy = NAN;
  mb_status st = mb_structure_set_positions(s, b->pos + (size_t)image * 3 * b->natoms,
                                            MB_COORDS_CARTESIAN);
  if (!st) st = mb_dft_set_structure(d, s);
  if (!st) st = mb_dft_compute(d, &energy, e, f);
  char lb[64];
  if (st) snprintf(msg, MB__NEB_MSG, "%s: %s", mb__image_label(b, image, lb), mb_last_error());
  return st;
}

const mb__provider_type mb__provider_dft = {"force provider (DFT)", MB_ERR_GEOMETRY, dft_prepare,
                                            dft_image, NULL, dft_release};
