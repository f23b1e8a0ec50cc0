/* Self-consistent Kohn-Sham ground state of the plane-wave engine (lib/dft): the ionic
 * local potential and model core (ionic.c), the Kleinman-Bylander non-local part
 * (nonlocal.c) and the SCF loop (scf.c). Private, not installed.
 *
 * Units: Hartree atomic units; lattices as in dft.h (rows, Bohr); positions reduced.
 * Energies follow ABINIT 9.6's decomposition ("Components of total energy"), so that
 * each can be compared with its output:
 *   E = kinetic + hartree + xc + ewald + pspcore + local + nonlocal,
 *   F = E + entropy (entropy = -tsmear S, 0 for fixed occupations).
 */
#ifndef MB_SCF_H
#define MB_SCF_H

#include "kohnsham.h"

/* ---- ionic.c -------------------------------------------------------------------- */

/* Local ionic potential on the box, real space (ntot values, Hartree):
 *   V(G) = sum_a e^{-iG.R_a} [ -4 pi zion / G^2 + vloc_short(|G|) ] / omega, V(0) = 0
 * (the G = 0 limit is the pspcore term below). psp[types[a]] is atom a's. */
mb_status mb__ionic_vloc(const mb__fft *fft, int natoms, const double *frac, const int *types,
                         mb__psp *const *psp, double *vloc);
/* Model core density (ntot, electrons/Bohr^3) for the non-linear core correction;
 * *has_core = 0 (and rho_core zeroed) when no psp has one. */
mb_status mb__ionic_core(const mb__fft *fft, int natoms, const double *frac, const int *types,
                         mb__psp *const *psp, double *rho_core, int *has_core);
/* ABINIT's "PspCore energy": (sum_a zion_a) (sum_a epsatm_a) / omega. */
double mb__ionic_pspcore(double omega, int natoms, const int *types, mb__psp *const *psp);

/* ---- nonlocal.c ------------------------------------------------------------------- */

/* Projectors <k+G|beta_a,lmi> of all atoms at one k-point; usable as mb__ham's
 * nonlocal hook (mb__nonlocal_apply with this as data). */
typedef struct mb__nonlocal mb__nonlocal;

mb_status mb__nonlocal_create(const mb__basis *basis, double omega, int natoms,
                              const double *frac, const int *types, mb__psp *const *psp,
                              mb__nonlocal **out);
void mb__nonlocal_free(mb__nonlocal *nl);
/* hpsi += V_nl psi (signature of mb__nonlocal_fn). */
mb_status mb__nonlocal_apply(void *data, const mb__basis *basis, int nvec,
                             const double complex *psi, double complex *hpsi);
/* sum_n weight[n] <psi_n|V_nl|psi_n> (weight = occupation * k weight). */
double mb__nonlocal_energy(const mb__nonlocal *nl, int nvec, const double complex *psi,
                           const double *weight);

/* ---- scf.c --------------------------------------------------------------------------- */

typedef struct mb__scf_input {
  double lattice[9];       /* Bohr, rows */
  int natoms;
  const double *frac;      /* 3*natoms reduced */
  const int *types;        /* natoms indices into psp */
  int ntypes;
  mb__psp *const *psp;     /* ntypes */
  double ecut;             /* Hartree */
  int ngkpt[3];
  double shiftk[3];        /* 0 or 0.5 */
  int nband;
  int occopt;              /* 1 fixed, or an mb__smearing (3, 4, 5, 7) */
  double tsmear;           /* Hartree, for occopt != 1 */
  int ixc;                 /* 0: the first psp's pspxc */
  int maxstep;             /* SCF steps; e.g. 60 */
  double toldfe;           /* converged when |dE| < toldfe twice in a row ... */
  double tolrho;           /* ... and the density residual norm < tolrho */
} mb__scf_input;

typedef struct mb__scf_result {
  double kinetic, hartree, xc, ewald, pspcore, local, nonlocal;
  double entropy;          /* -tsmear S */
  double internal;         /* E */
  double free;             /* F = E + entropy */
  double fermi;            /* Fermi level (smearing) or highest occupied eigenvalue */
  double resnorm;          /* last density residual norm */
  int steps;
} mb__scf_result;

/* Ground state by density mixing; MB_ERR_NOT_CONVERGED (result filled with the last
 * step) when maxstep is reached. No symmetry: k-points reduced by time reversal only. */
mb_status mb__scf_run(const mb__scf_input *in, mb__scf_result *res);

#endif
