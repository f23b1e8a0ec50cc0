/* Private layout of mb_structure and helpers shared by the structure module. */
#ifndef MB_STRUCTURE_H
#define MB_STRUCTURE_H

#include <spglib.h>
#include "../core/core.h"

struct mb_structure {
  int natoms;
  double lattice[9];     /* Angstrom, row vectors */
  double inverse[9];     /* inverse of lattice: frac = cart * inverse */
  double *frac;          /* 3*natoms fractional coordinates (primary, so that
                            wrapping is exact) */
  int *numbers;          /* natoms atomic numbers */
  int *selective;        /* 3*natoms flags (1 free, 0 fixed) or NULL */
};

/* Check arguments and build a structure (the workhorse of every reader). */
mb_status mb__structure_new(const double lattice[9], int natoms, const double *positions,
                            mb_coords coords, const int *numbers, mb_structure **out);
/* Whether s is the same system as ref in another geometry (same_system.c): the same
 * number of atoms, the same element at every index, the lattice within
 * MB__SAME_LATTICE_TOL of ref's largest component. MB_ERR_INVALID_ARG otherwise, the
 * message "what: ..." naming both by their labels ("the final structure", "the initial
 * structure") and ending with hint when given. */
#define MB__SAME_LATTICE_TOL 1e-6
mb_status mb__same_system(const mb_structure *ref, const char *ref_label, const mb_structure *s,
                          const char *label, const char *what, const char *hint);
/* Cartesian coordinates of atom i (Angstrom). */
void mb__structure_cart(const mb_structure *s, int i, double cart[3]);
/* Minimum-image reduction of a Cartesian vector, exact for any cell. */
void mb__minimum_image(const double lattice[9], const double inverse[9], double v[3]);

/* Serialise calls into spglib, which keeps global state (symmetry.c); every
 * module that calls spglib takes this one lock. */
void mb__spglib_lock(void);
void mb__spglib_unlock(void);

/* spglib's dataset of s (under the lock; spg_free_dataset() it), or MB_ERR_SYMMETRY
 * when spglib finds no space group at this tolerance. */
mb_status mb__structure_dataset(const mb_structure *s, double symprec, SpglibDataset **out);

#endif
