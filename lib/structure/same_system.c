/* The one rule for "the same system in another geometry", which NEB bands (end points
 * and images), hop predictions (initial and final) and DFT calculations (a new
 * geometry) share: the same number of atoms, the same element at every index, and the
 * same lattice within a relative tolerance. */
#include <math.h>

#include "structure.h"

static const char *symbol_of(int z) {
  const char *s = "?";
  return mb_element_symbol(z, &s) == MB_OK ? s : "?";
}

mb_status mb__same_system(const mb_structure *ref, const char *ref_label, const mb_structure *s,
                          const char *label, const char *what, const char *hint) {
  if (!s) return mb__error(MB_ERR_INVALID_ARG, "%s: %s is NULL", what, label);
  const char *sep = hint ? "; " : "", *tail = hint ? hint : "";
  if (s->natoms != ref->natoms)
    return mb__error(MB_ERR_INVALID_ARG, "%s: %s has %d atoms, %s has %d%s%s", what, label,
                     s->natoms, ref_label, ref->natoms, sep, tail);
  for (int i = 0; i < ref->natoms; i++)
    if (s->numbers[i] != ref->numbers[i])
      return mb__error(MB_ERR_INVALID_ARG,
                       "%s: atom %d is %s (Z = %d) in %s but %s (Z = %d) in %s (the same "
                       "atoms must be listed in the same order)%s%s",
                       what, i, symbol_of(s->numbers[i]), s->numbers[i], label,
                       symbol_of(ref->numbers[i]), ref->numbers[i], ref_label, sep, tail);
  double scale = 0;
  for (int c = 0; c < 9; c++) scale = fmax(scale, fabs(ref->lattice[c]));
  for (int c = 0; c < 9; c++)
    if (!(fabs(s->lattice[c] - ref->lattice[c]) <= MB__SAME_LATTICE_TOL * scale))
      return mb__error(MB_ERR_INVALID_ARG,
                       "%s: the lattices of %s and %s differ (component %d: %.8g vs %.8g A)%s%s",
                       what, label, ref_label, c, s->lattice[c], ref->lattice[c], sep, tail);
  return MB_OK;
}
