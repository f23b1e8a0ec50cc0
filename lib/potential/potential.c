/* The mb_potential handle: create/free, parameters with range checks, the
 * dispatch of mb_potential_compute, and the flat pair arrays the kinds share. */
#include <math.h>
#include <stdlib.h>

#include "potential.h"
#include "../core/options.h"

static const char *kind_name(mb_potential_kind kind) {
  switch (kind) {
  case MB_POTENTIAL_LJ: return "Lennard-Jones";
  case MB_POTENTIAL_MORSE: return "Morse";
  case MB_POTENTIAL_EMT: return "EMT";
  }
  return "?";
}

/* "MB_POTENTIAL_SIGMA" (the parameter table's, potential_params.c), NULL if unknown */
static const char *param_name(mb_potential_param key) {
  const mb__option *o = mb__option_of(MB_OPTIONS_POTENTIAL, (int)key);
  return o ? o->macro : NULL;
}

MB_API mb_status mb_potential_create(mb_potential_kind kind, mb_potential **out) {
  if (!out) return mb__error(MB_ERR_INVALID_ARG, "mb_potential_create: out is NULL");
  if (kind != MB_POTENTIAL_LJ && kind != MB_POTENTIAL_MORSE && kind != MB_POTENTIAL_EMT)
    return mb__error(MB_ERR_INVALID_ARG,
                     "mb_potential_create: unknown potential kind %d (known: "
                     "MB_POTENTIAL_LJ, MB_POTENTIAL_MORSE, MB_POTENTIAL_EMT)", (int)kind);
  mb_potential *p = mb__calloc(1, sizeof *p);
  if (!p) return MB_ERR_NOMEM;
  /* The defaults of ASE 3.22's LennardJones and MorsePotential. */
  p->kind = kind;
  p->epsilon = 1.0;
  p->sigma = 1.0;
  p->cutoff = 0.0; /* 3 sigma */
  p->onset = 0.0;  /* 0.66 cutoff */
  p->smooth = 0;
  p->r0 = 1.0;
  p->rho0 = 6.0;
  *out = p;
  return MB_OK;
}

MB_API void mb_potential_free(mb_potential *p) { free(p); }

double mb__lj_cutoff(const mb_potential *p) {
  return p->cutoff > 0 ? p->cutoff : 3.0 * p->sigma;
}

double mb__lj_onset(const mb_potential *p) {
  return p->onset > 0 ? p->onset : 0.66 * mb__lj_cutoff(p);
}

/* Is key a parameter of this kind? On failure the message names both. */
static mb_status check_key(const mb_potential *p, mb_potential_param key, const char *fn) {
  const char *name = param_name(key);
  if (!name)
    return mb__error(MB_ERR_INVALID_ARG, "%s: unknown potential parameter %d", fn, (int)key);
  int ok = 0;
  switch (p->kind) {
  case MB_POTENTIAL_LJ:
    ok = key == MB_POTENTIAL_EPSILON || key == MB_POTENTIAL_SIGMA ||
         key == MB_POTENTIAL_CUTOFF || key == MB_POTENTIAL_ONSET || key == MB_POTENTIAL_SMOOTH;
    break;
  case MB_POTENTIAL_MORSE:
    ok = key == MB_POTENTIAL_EPSILON || key == MB_POTENTIAL_R0 || key == MB_POTENTIAL_RHO0;
    break;
  case MB_POTENTIAL_EMT:
    return mb__error(MB_ERR_INVALID_ARG,
                     "%s: %s has no parameters (its parameters are fixed), not %s", fn,
                     kind_name(p->kind), name);
  }
  if (!ok)
    return mb__error(MB_ERR_INVALID_ARG, "%s: %s is not a parameter of the %s potential",
                     fn, name, kind_name(p->kind));
  return MB_OK;
}

MB_API mb_status mb_potential_set(mb_potential *p, mb_potential_param key, double value) {
  static const char fn[] = "mb_potential_set";
  if (!p) return mb__error(MB_ERR_INVALID_ARG, "%s: potential is NULL", fn);
  mb_status st = check_key(p, key, fn);
  if (st != MB_OK) return st;
  /* bounds from the parameter table (potential_params.c) */
  if ((st = mb__option_check(MB_OPTIONS_POTENTIAL, (int)key, value, fn))) return st;
  switch (key) {
  case MB_POTENTIAL_EPSILON: p->epsilon = value; break;
  case MB_POTENTIAL_SIGMA: p->sigma = value; break;
  case MB_POTENTIAL_CUTOFF: p->cutoff = value; break;
  case MB_POTENTIAL_ONSET: p->onset = value; break;
  case MB_POTENTIAL_R0: p->r0 = value; break;
  case MB_POTENTIAL_RHO0: p->rho0 = value; break;
  case MB_POTENTIAL_SMOOTH: p->smooth = (int)value; break;
  }
  return MB_OK;
}

MB_API mb_status mb_potential_get(const mb_potential *p, mb_potential_param key,
                                  double *value) {
  static const char fn[] = "mb_potential_get";
  if (!p) return mb__error(MB_ERR_INVALID_ARG, "%s: potential is NULL", fn);
  if (!value) return mb__error(MB_ERR_INVALID_ARG, "%s: value is NULL", fn);
  mb_status st = check_key(p, key, fn);
  if (st != MB_OK) return st;
  switch (key) {
  case MB_POTENTIAL_EPSILON: *value = p->epsilon; break;
  case MB_POTENTIAL_SIGMA: *value = p->sigma; break;
  case MB_POTENTIAL_CUTOFF: *value = mb__lj_cutoff(p); break;
  case MB_POTENTIAL_ONSET: *value = mb__lj_onset(p); break;
  case MB_POTENTIAL_SMOOTH: *value = p->smooth; break;
  case MB_POTENTIAL_R0: *value = p->r0; break;
  case MB_POTENTIAL_RHO0: *value = p->rho0; break;
  }
  return MB_OK;
}

MB_API mb_status mb_potential_compute(const mb_potential *p, const mb_structure *s,
                                      double *energy, double *forces) {
  static const char fn[] = "mb_potential_compute";
  if (!p) return mb__error(MB_ERR_INVALID_ARG, "%s: potential is NULL", fn);
  if (!s) return mb__error(MB_ERR_INVALID_ARG, "%s: structure is NULL", fn);
  if (!energy) return mb__error(MB_ERR_INVALID_ARG, "%s: energy is NULL", fn);
  mb_status st = MB_ERR_INTERNAL;
  switch (p->kind) {
  case MB_POTENTIAL_LJ:
    if (p->smooth && !(mb__lj_onset(p) < mb__lj_cutoff(p)))
      return mb__error(MB_ERR_INVALID_ARG,
                       "%s: Lennard-Jones smoothing onset %g A is not below the cutoff %g A",
                       fn, mb__lj_onset(p), mb__lj_cutoff(p));
    st = mb__lj_compute(p, s, energy, forces);
    break;
  case MB_POTENTIAL_MORSE: st = mb__morse_compute(p, s, energy, forces); break;
  case MB_POTENTIAL_EMT: st = mb__emt_compute(s, energy, forces); break;
  }
  if (st != MB_OK) mb__error_prefix("%s (%s)", fn, kind_name(p->kind));
  return st;
}

/* ---- pairs ---------------------------------------------------------------- */

void mb__pairs_free(mb_pairs *p) {
  free(p->first);
  free(p->j);
  free(p->distance);
  free(p->vector);
  p->first = NULL;
  p->j = NULL;
  p->distance = p->vector = NULL;
}

mb_status mb__pairs_build(const mb_structure *s, double cutoff, mb_pairs *out) {
  mb_pairs pr = {0};
  mb_neighbors *nl = NULL;
  mb_status st = mb_structure_natoms(s, &pr.natoms);
  if (st == MB_OK) st = mb_neighbors_cutoff(s, cutoff, &nl);
  if (st == MB_OK) st = mb_neighbors_count(nl, &pr.npairs);
  if (st != MB_OK) goto cleanup;
  size_t n = pr.npairs ? pr.npairs : 1;
  pr.first = mb__malloc((size_t)pr.natoms + 1, sizeof *pr.first);
  pr.j = mb__malloc(n, sizeof *pr.j);
  pr.distance = mb__malloc(n, sizeof *pr.distance);
  pr.vector = mb__malloc(3 * n, sizeof *pr.vector);
  if (!pr.first || !pr.j || !pr.distance || !pr.vector) {
    st = MB_ERR_NOMEM;
    goto cleanup;
  }
  st = mb_neighbors_first(nl, pr.first);
  if (st == MB_OK) st = mb_neighbors_pairs(nl, NULL, pr.j, NULL, pr.distance, pr.vector);
cleanup:
  mb_neighbors_free(nl);
  if (st != MB_OK) mb__pairs_free(&pr);
  *out = pr;
  return st;
}
