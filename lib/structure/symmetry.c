/* Space group of a structure through spglib (Togo et al., Sci. Technol. Adv.
 * Mater. Meth. 4, 2384822 (2024)). */
#include <math.h>
#include <pthread.h>
#include <spglib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "structure.h"

/* spglib 2.0 keeps its last error code in a global variable, written by every
 * call: calls are serialised so that threads asking at once do not race on it. */
static pthread_mutex_t spglib_lock = PTHREAD_MUTEX_INITIALIZER;

void mb__spglib_lock(void) { pthread_mutex_lock(&spglib_lock); }
void mb__spglib_unlock(void) { pthread_mutex_unlock(&spglib_lock); }

mb_status mb__structure_dataset(const mb_structure *s, double symprec, SpglibDataset **out) {
  double lattice[3][3];
  for (int r = 0; r < 3; r++) /* spglib wants lattice vectors as columns */
    for (int k = 0; k < 3; k++) lattice[k][r] = s->lattice[3 * r + k];
  double(*pos)[3] = mb__malloc((size_t)s->natoms, sizeof *pos);
  if (!pos) return MB_ERR_NOMEM;
  memcpy(pos, s->frac, (size_t)s->natoms * sizeof *pos);
  mb__spglib_lock();
  SpglibDataset *ds = spg_get_dataset(lattice, pos, s->numbers, s->natoms, symprec);
  mb__spglib_unlock();
  free(pos);
  if (!ds || ds->spacegroup_number < 1 || ds->n_operations < 1) {
    if (ds) spg_free_dataset(ds);
    return mb__error(MB_ERR_SYMMETRY,
                     "spglib found no space group (tolerance %g A); overlapping atoms?", symprec);
  }
  *out = ds;
  return MB_OK;
}

MB_API mb_status mb_structure_spacegroup(const mb_structure *s, double symprec,
                                         int *number, char *symbol, size_t size) {
  if (!s || !number)
    return mb__error(MB_ERR_INVALID_ARG, "mb_structure_spacegroup: NULL argument");
  if (!(symprec > 0) || !isfinite(symprec))
    return mb__error(MB_ERR_INVALID_ARG, "symmetry tolerance must be > 0 (got %g)", symprec);
  SpglibDataset *ds = NULL;
  mb_status st = mb__structure_dataset(s, symprec, &ds);
  if (st) return st;
  char hm[16];
  snprintf(hm, sizeof hm, "%s", ds->international_symbol);
  int num = ds->spacegroup_number;
  spg_free_dataset(ds);
  if (symbol) {
    if (strlen(hm) + 1 > size)
      return mb__error(MB_ERR_BUFFER_TOO_SMALL, "space-group symbol needs %zu bytes", strlen(hm) + 1);
    memcpy(symbol, hm, strlen(hm) + 1);
  }
  *number = num;
  return MB_OK;
}
