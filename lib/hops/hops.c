/* The mb_hops handle (migbar.h section 7): creation, options, the find step that
 * chains enumerate -> group -> geometry, getters, barriers and percolation. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "hops.h"
#include "../core/options.h"

static void store_option(mb_hops *h, mb_hops_option key, double value);

/* Bounds of the options (a hop list beyond 15 A is not a migration network). */

/* From the lower site; between a site and its own image, along the image whose first
 * non-zero component is positive. */
mb__hop mb__hops_canonical(mb__hop h) {
  int flip = h.i > h.j;
  if (h.i == h.j)
    for (int c = 0; c < 3; c++)
      if (h.image[c]) {
        flip = h.image[c] < 0;
        break;
      }
  mb__hop r = {h.j, h.i, {-h.image[0], -h.image[1], -h.image[2]}};
  return flip ? r : h;
}

int mb__hops_compare(const void *pa, const void *pb) {
  const mb__hop *a = pa, *b = pb;
  if (a->i != b->i) return a->i < b->i ? -1 : 1;
  if (a->j != b->j) return a->j < b->j ? -1 : 1;
  for (int c = 0; c < 3; c++)
    if (a->image[c] != b->image[c]) return a->image[c] < b->image[c] ? -1 : 1;
  return 0;
}

int mb__hops_lookup(const mb__hop *hops, int nhops, const mb__hop *h) {
  const mb__hop *p = bsearch(h, hops, (size_t)nhops, sizeof *hops, mb__hops_compare);
  return p ? (int)(p - hops) : -1;
}

void mb__hops_vector(const mb_hops *h, const mb__hop *hop, double v[3]) {
  double df[3];
  for (int c = 0; c < 3; c++)
    df[c] = h->site_frac[3 * hop->j + c] + hop->image[c] - h->site_frac[3 * hop->i + c];
  mb__vecmat3(df, h->s->lattice, v);
}

static void forget(mb_hops *h) {
  free(h->site_atom), free(h->site_frac), free(h->hops), free(h->hop_group);
  free(h->groups), free(h->barrier), free(h->spread);
  h->site_atom = NULL, h->site_frac = NULL, h->hops = NULL, h->hop_group = NULL;
  h->groups = NULL, h->barrier = NULL, h->spread = NULL;
  h->nsites = h->nhops = h->ngroups = 0;
  h->found = 0;
}

MB_API mb_status mb_hops_create(const mb_structure *s, const char *ion, mb_hops **out) {
  if (!s || !ion || !out) return mb__error(MB_ERR_INVALID_ARG, "mb_hops_create: NULL argument");
  int z;
  if (mb_element_number(ion, &z)) {
    mb__error_prefix("hops: ion");
    return MB_ERR_INVALID_ARG;
  }
  int n = 0;
  for (int i = 0; i < s->natoms; i++) n += s->numbers[i] == z;
  if (!n) return mb__error(MB_ERR_INVALID_ARG, "hops: the structure has no %s atom", ion);
  mb_hops *h = mb__calloc(1, sizeof *h);
  if (!h) return MB_ERR_NOMEM;
  mb_status st = mb_structure_copy(s, &h->s);
  if (st) {
    free(h);
    return st;
  }
  h->z = z;
  for (int k = 0; k < mb__hops_noptions; k++) /* the option table's defaults */
    store_option(h, (mb_hops_option)mb__hops_options[k].key, mb__hops_options[k].def);
  *out = h;
  return MB_OK;
}

MB_API void mb_hops_free(mb_hops *h) {
  if (!h) return;
  forget(h);
  mb_structure_free(h->s);
  free(h);
}

/* An option's value (checked by the caller) into the handle. */
static void store_option(mb_hops *h, mb_hops_option key, double value) {
  switch (key) {
  case MB_HOPS_MAX_LENGTH: h->max_length = value; break;
  case MB_HOPS_SYMPREC: h->symprec = value; break;
  case MB_HOPS_BLOCK_FRACTION: h->block_fraction = value; break;
  case MB_HOPS_MIN_SEPARATION: h->min_separation = value; break;
  case MB_HOPS_MAX_ATOMS: h->max_atoms = (int)value; break;
  }
}

MB_API mb_status mb_hops_set_option(mb_hops *h, mb_hops_option key, double value) {
  if (!h) return mb__error(MB_ERR_INVALID_ARG, "mb_hops_set_option: NULL handle");
  /* bounds from the option table (hops_options.c) */
  mb_status st = mb__option_check(MB_OPTIONS_HOPS, (int)key, value, "mb_hops_set_option");
  if (st) return st;
  store_option(h, key, value);
  forget(h);
  return MB_OK;
}

MB_API mb_status mb_hops_get_option(const mb_hops *h, mb_hops_option key, double *value) {
  if (!h || !value) return mb__error(MB_ERR_INVALID_ARG, "mb_hops_get_option: NULL argument");
  switch (key) {
  case MB_HOPS_MAX_LENGTH: *value = h->max_length; break;
  case MB_HOPS_SYMPREC: *value = h->symprec; break;
  case MB_HOPS_BLOCK_FRACTION: *value = h->block_fraction; break;
  case MB_HOPS_MIN_SEPARATION: *value = h->min_separation; break;
  case MB_HOPS_MAX_ATOMS: *value = h->max_atoms; break;
  default: return mb__error(MB_ERR_INVALID_ARG, "hops: unknown option %d", (int)key);
  }
  return MB_OK;
}

MB_API mb_status mb_hops_find(mb_hops *h) {
  if (!h) return mb__error(MB_ERR_INVALID_ARG, "mb_hops_find: NULL handle");
  forget(h);
  mb_status st;
  if ((st = mb__hops_enumerate(h)) || (st = mb__hops_group(h)) || (st = mb__hops_geometry(h)))
    goto fail;
  h->barrier = mb__malloc((size_t)h->ngroups, sizeof *h->barrier);
  h->spread = mb__calloc((size_t)h->ngroups, sizeof *h->spread);
  if (!h->barrier || !h->spread) {
    st = MB_ERR_NOMEM;
    goto fail;
  }
  for (int g = 0; g < h->ngroups; g++) h->barrier[g] = h->groups[g].proxy;
  h->source = MB_HOPS_SOURCE_PROXY;
  h->found = 1;
  return MB_OK;
fail:
  forget(h);
  return st;
}

static mb_status need_found(const mb_hops *h, const char *fn) {
  if (!h) return mb__error(MB_ERR_INVALID_ARG, "%s: NULL handle", fn);
  if (!h->found) return mb__error(MB_ERR_INVALID_ARG, "%s: call mb_hops_find first", fn);
  return MB_OK;
}

MB_API mb_status mb_hops_sites(const mb_hops *h, int *nsites, int *atoms) {
  mb_status st = need_found(h, "mb_hops_sites");
  if (st) return st;
  if (!nsites) return mb__error(MB_ERR_INVALID_ARG, "mb_hops_sites: NULL argument");
  *nsites = h->nsites;
  if (atoms) memcpy(atoms, h->site_atom, (size_t)h->nsites * sizeof *atoms);
  return MB_OK;
}

MB_API mb_status mb_hops_count(const mb_hops *h, int *ndistinct, int *nhops) {
  mb_status st = need_found(h, "mb_hops_count");
  if (st) return st;
  if (ndistinct) *ndistinct = h->ngroups;
  if (nhops) *nhops = h->nhops;
  return MB_OK;
}

static void put_hop(const mb_hops *h, const mb__hop *hop, int k, int *from, int *to, int *image) {
  if (from) from[k] = h->site_atom[hop->i];
  if (to) to[k] = h->site_atom[hop->j];
  if (image) memcpy(image + 3 * k, hop->image, sizeof hop->image);
}

MB_API mb_status mb_hops_distinct(const mb_hops *h, int *from, int *to, int *image,
                                  double *length, int *multiplicity) {
  mb_status st = need_found(h, "mb_hops_distinct");
  if (st) return st;
  for (int g = 0; g < h->ngroups; g++) {
    put_hop(h, &h->groups[g].rep, g, from, to, image);
    if (length) length[g] = h->groups[g].length;
    if (multiplicity) multiplicity[g] = h->groups[g].multiplicity;
  }
  return MB_OK;
}

MB_API mb_status mb_hops_geometry(const mb_hops *h, double *bottleneck, double *window,
                                  double *clearance, int *blocked) {
  mb_status st = need_found(h, "mb_hops_geometry");
  if (st) return st;
  for (int g = 0; g < h->ngroups; g++) {
    if (bottleneck) bottleneck[g] = h->groups[g].bottleneck;
    if (window) window[g] = h->groups[g].window;
    if (clearance) clearance[g] = h->groups[g].clearance;
    if (blocked) blocked[g] = h->groups[g].blocked;
  }
  return MB_OK;
}

MB_API mb_status mb_hops_all(const mb_hops *h, int *from, int *to, int *image, int *distinct) {
  mb_status st = need_found(h, "mb_hops_all");
  if (st) return st;
  for (int k = 0; k < h->nhops; k++) {
    put_hop(h, &h->hops[k], k, from, to, image);
    if (distinct) distinct[k] = h->hop_group[k];
  }
  return MB_OK;
}

MB_API mb_status mb_hops_end_points(const mb_hops *h, int k, mb_structure **initial,
                                    mb_structure **final, int *ion, int reps[3]) {
  mb_status st = need_found(h, "mb_hops_end_points");
  if (st) return st;
  if (!initial || !final || !ion)
    return mb__error(MB_ERR_INVALID_ARG, "mb_hops_end_points: NULL argument");
  if (k < 0 || k >= h->ngroups)
    return mb__error(MB_ERR_RANGE, "hops: distinct hop %d outside 0..%d", k, h->ngroups - 1);
  int r[3];
  if ((st = mb__hops_supercell(h, k, r))) return st;
  if ((st = mb__hops_end_points(h, k, initial, final, ion))) return st;
  if (reps) memcpy(reps, r, sizeof r);
  return MB_OK;
}

MB_API mb_status mb_hops_set_barriers(mb_hops *h, const double *barrier, const double *spread) {
  mb_status st = need_found(h, "mb_hops_set_barriers");
  if (st) return st;
  if (!barrier) return mb__error(MB_ERR_INVALID_ARG, "mb_hops_set_barriers: NULL barriers");
  for (int g = 0; g < h->ngroups; g++) {
    if (!isfinite(barrier[g]))
      return mb__error(MB_ERR_INVALID_ARG, "hops: barrier of distinct hop %d is %g", g, barrier[g]);
    if (spread && !(spread[g] >= 0 && isfinite(spread[g])))
      return mb__error(MB_ERR_INVALID_ARG, "hops: spread of distinct hop %d is %g", g, spread[g]);
  }
  for (int g = 0; g < h->ngroups; g++) {
    h->barrier[g] = barrier[g];
    h->spread[g] = spread ? spread[g] : 0.0;
  }
  h->source = MB_HOPS_SOURCE_USER;
  return MB_OK;
}

MB_API mb_status mb_hops_barriers(const mb_hops *h, double *barrier, double *spread,
                                  mb_hops_source *source) {
  mb_status st = need_found(h, "mb_hops_barriers");
  if (st) return st;
  if (barrier) memcpy(barrier, h->barrier, (size_t)h->ngroups * sizeof *barrier);
  if (spread) memcpy(spread, h->spread, (size_t)h->ngroups * sizeof *spread);
  if (source) *source = (mb_hops_source)h->source;
  return MB_OK;
}

MB_API mb_status mb_hops_percolation(const mb_hops *h, double barrier[3], int limiting[3]) {
  mb_status st = need_found(h, "mb_hops_percolation");
  if (st) return st;
  double b[3];
  int l[3];
  st = mb__hops_percolate(h->nsites, h->nhops, h->hops, h->hop_group, h->ngroups, h->barrier,
                          b, l);
  if (st) return st;
  if (barrier) memcpy(barrier, b, sizeof b);
  if (limiting) memcpy(limiting, l, sizeof l);
  return MB_OK;
}

MB_API mb_status mb_hops_dimensionality(const mb_hops *h, double threshold, int *dim) {
  mb_status st = need_found(h, "mb_hops_dimensionality");
  if (st) return st;
  if (!dim || isnan(threshold))
    return mb__error(MB_ERR_INVALID_ARG, "mb_hops_dimensionality: bad argument");
  return mb__hops_dimensionality(h->nsites, h->nhops, h->hops, h->hop_group, h->barrier,
                                 threshold, dim);
}
