/* Private layout of mb_potential and the per-kind energy/force routines.
 *
 * Every routine works from a full neighbour list (mb_neighbors_cutoff: each pair
 * as i->j and j->i, periodic images included) and gathers the force on atom i
 * from i's own row only, so an atom that neighbours its own images (a cell
 * smaller than the cutoff) needs no special case. Nothing here keeps state between
 * calls: a const potential may be computed by any number of threads at once. */
#ifndef MB_POTENTIAL_H
#define MB_POTENTIAL_H

#include "../core/core.h"

struct mb_potential {
  mb_potential_kind kind;
  double epsilon, sigma; /* LJ and Morse (epsilon) */
  double cutoff, onset;  /* LJ; <= 0 means "default" (3 sigma, 0.66 cutoff) */
  int smooth;            /* LJ */
  double r0, rho0;       /* Morse */
};

/* The pairs of a structure within a cutoff, as flat arrays (a copy of the public
 * neighbour list; freed by mb__pairs_free). */
typedef struct mb_pairs {
  int natoms;
  size_t npairs;
  size_t *first;    /* natoms + 1 */
  int *j;           /* npairs */
  double *distance; /* npairs */
  double *vector;   /* 3*npairs: r_j + shift - r_i */
} mb_pairs;

mb_status mb__pairs_build(const mb_structure *s, double cutoff, mb_pairs *out);
void mb__pairs_free(mb_pairs *p);

/* Effective LJ cutoff and onset (defaults resolved). */
double mb__lj_cutoff(const mb_potential *p);
double mb__lj_onset(const mb_potential *p);

/* Energy (eV) and, when forces != NULL, forces (3*natoms, eV/A). Arguments are
 * checked by mb_potential_compute; these only fail for memory or, for EMT, an
 * element without parameters. */
mb_status mb__lj_compute(const mb_potential *p, const mb_structure *s, double *energy,
                         double *forces);
mb_status mb__morse_compute(const mb_potential *p, const mb_structure *s, double *energy,
                            double *forces);
mb_status mb__emt_compute(const mb_structure *s, double *energy, double *forces);

/* ---- EMT parameters (emt_params.c) ---- */

/* One element's EMT parameters in the units of the table (eV and bohr). */
typedef struct mb_emt_element {
  int z;
  double e0;     /* cohesive energy E0, eV */
  double s0;     /* neutral-sphere (Wigner-Seitz) radius, bohr */
  double v0;     /* pair-potential strength V0, eV */
  double eta2;   /* density decay, 1/bohr */
  double kappa;  /* pair-potential decay, 1/bohr */
  double lambda; /* cohesive-function decay, 1/bohr */
  double n0;     /* reference electron density, 1/bohr^3 */
} mb_emt_element;

/* The element's entry, or NULL when EMT has no parameters for it. */
const mb_emt_element *mb__emt_element(int z);
/* Largest s0 of the whole table (bohr): sets the global cutoff. */
double mb__emt_max_s0(void);
/* Bohr radius in A, as ASE 3.22 uses it (ase.units, CODATA 2014). */
#define MB_EMT_BOHR 0.5291772105638411

#endif
