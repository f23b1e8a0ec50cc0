/* Prediction for a hop between two structures (docs/model.md, section 4): find the
 * moving ion, build the migration band (band_images positions of the ion, linearly
 * interpolated along the minimum-image displacement, then the host atoms in their
 * original order) and predict it with nband = band_images. The forest members of
 * ensembles (lib/desc/forest.c) read the same band, from mb__gnn_hop_band. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gnn.h"

/* An atom that moves more than this (A) between initial and final is the ion. */
#define BAND_MOVE_TOL 0.1

void mb__gnn_hop_displacement(const mb_structure *a, const mb_structure *b, int i,
                              double d[3]) {
  double df[3];
  for (int c = 0; c < 3; c++) df[c] = b->frac[3 * i + c] - a->frac[3 * i + c];
  mb__vecmat3(df, a->lattice, d);
  mb__minimum_image(a->lattice, a->inverse, d);
}

static mb_status check_pair(const mb_structure *a, const mb_structure *b, const char *who) {
  return mb__same_system(a, "initial", b, "final", who, NULL);
}

mb_status mb__gnn_hop_ion(const mb_structure *a, const mb_structure *b, int *ion,
                          const char *who) {
  if (*ion < -1 || *ion >= a->natoms)
    return mb__error(MB_ERR_RANGE, "%s: ion %d outside -1..%d", who, *ion, a->natoms - 1);
  mb_status st = check_pair(a, b, who);
  if (st) return st;
  int moved = 0, first = -1, second = -1;
  for (int i = 0; i < a->natoms; i++) {
    double d[3];
    mb__gnn_hop_displacement(a, b, i, d);
    if (mb__norm3(d) > BAND_MOVE_TOL && *ion != i) {
      moved++;
      if (first < 0) first = i;
      else if (second < 0) second = i;
    }
  }
  if (*ion >= 0) {
    double d[3];
    mb__gnn_hop_displacement(a, b, *ion, d);
    if (moved)
      return mb__error(MB_ERR_GEOMETRY, "%s: atom %d moves by more than %g A besides ion %d",
                       who, first, BAND_MOVE_TOL, *ion);
    if (!(mb__norm3(d) > BAND_MOVE_TOL))
      return mb__error(MB_ERR_GEOMETRY, "%s: ion %d moves only %g A", who, *ion, mb__norm3(d));
    return MB_OK;
  }
  if (moved == 0)
    return mb__error(MB_ERR_GEOMETRY, "%s: no atom moves more than %g A", who, BAND_MOVE_TOL);
  if (moved > 1)
    return mb__error(MB_ERR_GEOMETRY,
                     "%s: %d atoms move more than %g A (atoms %d and %d), exactly one must",
                     who, moved, BAND_MOVE_TOL, first, second);
  *ion = first;
  return MB_OK;
}

mb_status mb__gnn_hop_band(const mb_structure *initial, const mb_structure *final, int ion,
                          int nimg, const char *who, mb_structure **out) {
  mb_status st = mb__gnn_hop_ion(initial, final, &ion, who);
  if (st) return st;
  int nhost = initial->natoms - 1, n = nimg + nhost;
  double *frac = mb__malloc(3 * (size_t)n, sizeof *frac);
  int *z = mb__malloc((size_t)n, sizeof *z);
  if (!frac || !z) {
    st = MB_ERR_NOMEM;
    goto done;
  }
  double d[3], df[3];
  mb__gnn_hop_displacement(initial, final, ion, d);
  mb__vecmat3(d, initial->inverse, df);
  for (int k = 0; k < nimg; k++) {
    /* image k at initial + k/(n-1) of the minimum-image hop */
    double f = (double)k / (nimg - 1);
    for (int c = 0; c < 3; c++) frac[3 * k + c] = initial->frac[3 * ion + c] + f * df[c];
    z[k] = initial->numbers[ion];
  }
  for (int i = 0, at = nimg; i < initial->natoms; i++) {
    if (i == ion) continue;
    memcpy(&frac[3 * at], &initial->frac[3 * i], 3 * sizeof *frac);
    z[at++] = initial->numbers[i];
  }
  st = mb_structure_create(initial->lattice, n, frac, MB_COORDS_FRACTIONAL, z, out);
done:
  free(frac);
  free(z);
  return st;
}

MB_API mb_status mb_model_predict_band(const mb_model *m, const mb_structure *initial,
                                       const mb_structure *final, int ion, double *outputs) {
  if (!m || !initial || !final || !outputs)
    return mb__error(MB_ERR_INVALID_ARG, "mb_model_predict_band: NULL argument");
  int is_band = 0;
  mb_model_is_band_model(m, &is_band);
  if (!is_band)
    return mb__error(MB_ERR_INVALID_ARG, "predict band: the model reads plain crystals, "
                     "not migration bands");
  mb_structure *band = NULL;
  mb_status st = mb__gnn_hop_band(initial, final, ion, m->cfg.band_images, "predict band", &band);
  if (!st) st = mb_model_predict_structure(m, band, m->cfg.band_images, outputs);
  mb_structure_free(band);
  return st;
}
