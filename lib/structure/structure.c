/* The structure handle: creation, getters and setters, copies. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "structure.h"

#define CHECK_HANDLE(s, fn) \
  if (!(s)) return mb__error(MB_ERR_INVALID_ARG, fn ": structure is NULL")

static mb_status check_lattice(const double lattice[9], double inverse[9]) {
  for (int k = 0; k < 9; k++)
    if (!isfinite(lattice[k]))
      return mb__error(MB_ERR_GEOMETRY, "lattice component %d is not finite", k);
  if (mb__inv3(lattice, inverse))
    return mb__error(MB_ERR_GEOMETRY,
                     "the lattice vectors are linearly dependent (zero cell volume)");
  return MB_OK;
}

mb_status mb__structure_new(const double lattice[9], int natoms, const double *positions,
                            mb_coords coords, const int *numbers, mb_structure **out) {
  if (!lattice || !positions || !numbers || !out)
    return mb__error(MB_ERR_INVALID_ARG, "mb_structure_create: NULL argument");
  if (natoms < 1)
    return mb__error(MB_ERR_INVALID_ARG, "a structure needs at least one atom (got %d)", natoms);
  if (coords != MB_COORDS_FRACTIONAL && coords != MB_COORDS_CARTESIAN)
    return mb__error(MB_ERR_INVALID_ARG, "unknown coordinate kind %d", (int)coords);
  double inverse[9];
  mb_status st = check_lattice(lattice, inverse);
  if (st) return st;
  for (int i = 0; i < natoms; i++) {
    if (numbers[i] < 1 || numbers[i] > 118)
      return mb__error(MB_ERR_RANGE, "atom %d: atomic number %d outside 1..118", i, numbers[i]);
    for (int k = 0; k < 3; k++)
      if (!isfinite(positions[3 * i + k]))
        return mb__error(MB_ERR_INVALID_ARG, "atom %d: position is not finite", i);
  }
  mb_structure *s = mb__calloc(1, sizeof *s);
  if (!s) return MB_ERR_NOMEM;
  s->frac = mb__malloc((size_t)natoms * 3, sizeof(double));
  s->numbers = mb__malloc((size_t)natoms, sizeof(int));
  if (!s->frac || !s->numbers) {
    mb_structure_free(s);
    return MB_ERR_NOMEM;
  }
  s->natoms = natoms;
  memcpy(s->lattice, lattice, sizeof s->lattice);
  memcpy(s->inverse, inverse, sizeof s->inverse);
  memcpy(s->numbers, numbers, (size_t)natoms * sizeof(int));
  for (int i = 0; i < natoms; i++) {
    if (coords == MB_COORDS_CARTESIAN)
      mb__vecmat3(positions + 3 * i, inverse, s->frac + 3 * i);
    else
      memcpy(s->frac + 3 * i, positions + 3 * i, 3 * sizeof(double));
  }
  *out = s;
  return MB_OK;
}

MB_API mb_status mb_structure_create(const double lattice[9], int natoms,
                                     const double *positions, mb_coords coords,
                                     const int *numbers, mb_structure **out) {
  return mb__structure_new(lattice, natoms, positions, coords, numbers, out);
}

MB_API mb_status mb_structure_create_symbols(const double lattice[9], int natoms,
                                             const double *positions, mb_coords coords,
                                             const char *const *symbols,
                                             mb_structure **out) {
  if (!symbols) return mb__error(MB_ERR_INVALID_ARG, "mb_structure_create_symbols: symbols is NULL");
  if (natoms < 1)
    return mb__error(MB_ERR_INVALID_ARG, "a structure needs at least one atom (got %d)", natoms);
  int *numbers = mb__malloc((size_t)natoms, sizeof(int));
  if (!numbers) return MB_ERR_NOMEM;
  mb_status st = MB_OK;
  for (int i = 0; i < natoms && !st; i++) {
    st = mb_element_number(symbols[i], &numbers[i]);
    if (st) mb__error_prefix("atom %d", i);
  }
  if (!st) st = mb__structure_new(lattice, natoms, positions, coords, numbers, out);
  free(numbers);
  return st;
}

MB_API void mb_structure_free(mb_structure *s) {
  if (!s) return;
  free(s->frac);
  free(s->numbers);
  free(s->selective);
  free(s);
}

MB_API mb_status mb_structure_copy(const mb_structure *s, mb_structure **out) {
  CHECK_HANDLE(s, "mb_structure_copy");
  mb_structure *c;
  mb_status st = mb__structure_new(s->lattice, s->natoms, s->frac, MB_COORDS_FRACTIONAL,
                                   s->numbers, &c);
  if (st) return st;
  if (s->selective && (st = mb_structure_set_selective(c, s->selective))) {
    mb_structure_free(c);
    return st;
  }
  *out = c;
  return MB_OK;
}

MB_API mb_status mb_structure_natoms(const mb_structure *s, int *natoms) {
  CHECK_HANDLE(s, "mb_structure_natoms");
  if (!natoms) return mb__error(MB_ERR_INVALID_ARG, "mb_structure_natoms: NULL output");
  *natoms = s->natoms;
  return MB_OK;
}

MB_API mb_status mb_structure_lattice(const mb_structure *s, double lattice[9]) {
  CHECK_HANDLE(s, "mb_structure_lattice");
  if (!lattice) return mb__error(MB_ERR_INVALID_ARG, "mb_structure_lattice: NULL output");
  memcpy(lattice, s->lattice, sizeof s->lattice);
  return MB_OK;
}

void mb__structure_cart(const mb_structure *s, int i, double cart[3]) {
  mb__vecmat3(s->frac + 3 * i, s->lattice, cart);
}

MB_API mb_status mb_structure_positions(const mb_structure *s, mb_coords coords,
                                        double *positions) {
  CHECK_HANDLE(s, "mb_structure_positions");
  if (!positions) return mb__error(MB_ERR_INVALID_ARG, "mb_structure_positions: NULL output");
  if (coords == MB_COORDS_FRACTIONAL)
    memcpy(positions, s->frac, (size_t)s->natoms * 3 * sizeof(double));
  else if (coords == MB_COORDS_CARTESIAN)
    for (int i = 0; i < s->natoms; i++) mb__structure_cart(s, i, positions + 3 * i);
  else
    return mb__error(MB_ERR_INVALID_ARG, "unknown coordinate kind %d", (int)coords);
  return MB_OK;
}

MB_API mb_status mb_structure_numbers(const mb_structure *s, int *numbers) {
  CHECK_HANDLE(s, "mb_structure_numbers");
  if (!numbers) return mb__error(MB_ERR_INVALID_ARG, "mb_structure_numbers: NULL output");
  memcpy(numbers, s->numbers, (size_t)s->natoms * sizeof(int));
  return MB_OK;
}

MB_API mb_status mb_structure_symbol(const mb_structure *s, int i, const char **symbol) {
  CHECK_HANDLE(s, "mb_structure_symbol");
  if (i < 0 || i >= s->natoms)
    return mb__error(MB_ERR_RANGE, "atom index %d outside 0..%d", i, s->natoms - 1);
  return mb_element_symbol(s->numbers[i], symbol);
}

MB_API mb_status mb_structure_set_positions(mb_structure *s, const double *positions,
                                            mb_coords coords) {
  CHECK_HANDLE(s, "mb_structure_set_positions");
  if (!positions) return mb__error(MB_ERR_INVALID_ARG, "mb_structure_set_positions: NULL positions");
  if (coords != MB_COORDS_FRACTIONAL && coords != MB_COORDS_CARTESIAN)
    return mb__error(MB_ERR_INVALID_ARG, "unknown coordinate kind %d", (int)coords);
  for (int k = 0; k < 3 * s->natoms; k++)
    if (!isfinite(positions[k]))
      return mb__error(MB_ERR_INVALID_ARG, "atom %d: position is not finite", k / 3);
  for (int i = 0; i < s->natoms; i++) {
    if (coords == MB_COORDS_CARTESIAN)
      mb__vecmat3(positions + 3 * i, s->inverse, s->frac + 3 * i);
    else
      memcpy(s->frac + 3 * i, positions + 3 * i, 3 * sizeof(double));
  }
  return MB_OK;
}

MB_API mb_status mb_structure_set_lattice(mb_structure *s, const double lattice[9],
                                          int scale_atoms) {
  CHECK_HANDLE(s, "mb_structure_set_lattice");
  if (!lattice) return mb__error(MB_ERR_INVALID_ARG, "mb_structure_set_lattice: NULL lattice");
  double inverse[9];
  mb_status st = check_lattice(lattice, inverse);
  if (st) return st;
  if (!scale_atoms) /* keep Cartesian positions: re-express them in the new cell */
    for (int i = 0; i < s->natoms; i++) {
      double r[3];
      mb__structure_cart(s, i, r);
      mb__vecmat3(r, inverse, s->frac + 3 * i);
    }
  memcpy(s->lattice, lattice, sizeof s->lattice);
  memcpy(s->inverse, inverse, sizeof s->inverse);
  return MB_OK;
}

MB_API mb_status mb_structure_set_selective(mb_structure *s, const int *flags) {
  CHECK_HANDLE(s, "mb_structure_set_selective");
  if (!flags) {
    free(s->selective);
    s->selective = NULL;
    return MB_OK;
  }
  int *copy = mb__malloc((size_t)s->natoms * 3, sizeof(int));
  if (!copy) return MB_ERR_NOMEM;
  for (int k = 0; k < 3 * s->natoms; k++) copy[k] = flags[k] ? 1 : 0;
  free(s->selective);
  s->selective = copy;
  return MB_OK;
}

MB_API mb_status mb_structure_selective(const mb_structure *s, int *flags, int *has) {
  CHECK_HANDLE(s, "mb_structure_selective");
  if (has) *has = s->selective != NULL;
  if (flags)
    for (int k = 0; k < 3 * s->natoms; k++) flags[k] = s->selective ? s->selective[k] : 1;
  return MB_OK;
}
