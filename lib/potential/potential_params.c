/* The parameters of the built-in potentials and the potentials' names (migbar.h
 * sections 8 and 11): one table that mb_potential_set checks against and front ends
 * read. Which parameters a kind takes is potential.c's check_key. */
#include <math.h>

#include "../core/options.h"

#define N(a) ((int)(sizeof a / sizeof *a))

const mb__option mb__potential_params[] = {
  {MB_POTENTIAL_EPSILON, "epsilon", "MB_POTENTIAL_EPSILON", "eV", 0, INFINITY, 1,
   MB_OPTION_MIN_EXCLUSIVE, "well depth (LJ and Morse)"},
  {MB_POTENTIAL_SIGMA, "sigma", "MB_POTENTIAL_SIGMA", "A", 0, INFINITY, 1,
   MB_OPTION_MIN_EXCLUSIVE, "LJ length"},
  {MB_POTENTIAL_CUTOFF, "cutoff", "MB_POTENTIAL_CUTOFF", "A", 0, INFINITY, 3,
   MB_OPTION_MIN_EXCLUSIVE | MB_OPTION_DEFAULT_VARIES, "LJ cutoff rc (default 3 sigma)"},
  {MB_POTENTIAL_ONSET, "onset", "MB_POTENTIAL_ONSET", "A", 0, INFINITY, 1.98,
   MB_OPTION_MIN_EXCLUSIVE | MB_OPTION_DEFAULT_VARIES,
   "LJ smoothing onset ro (default 0.66 rc)"},
  {MB_POTENTIAL_SMOOTH, "smooth", "MB_POTENTIAL_SMOOTH", "", 0, 1, 0, MB_OPTION_INTEGER,
   "LJ: 1 = smooth cutoff between ro and rc, 0 = energy shifted to zero at rc"},
  {MB_POTENTIAL_R0, "r0", "MB_POTENTIAL_R0", "A", 0, INFINITY, 1, MB_OPTION_MIN_EXCLUSIVE,
   "Morse equilibrium distance"},
  {MB_POTENTIAL_RHO0, "rho0", "MB_POTENTIAL_RHO0", "", 0, INFINITY, 6, MB_OPTION_MIN_EXCLUSIVE,
   "Morse exponent rho0 = a r0"},
};
const int mb__potential_nparams = N(mb__potential_params);

const mb__name mb__potential_names[] = {
  {MB_POTENTIAL_LJ, "lj", "Lennard-Jones, as ASE's LennardJones"},
  {MB_POTENTIAL_MORSE, "morse", "Morse, as ASE's MorsePotential"},
  {MB_POTENTIAL_EMT, "emt", "effective-medium theory, as ASE's EMT (Al Cu Ag Au Ni Pd Pt H C N O)"},
};
const int mb__potential_nnames = N(mb__potential_names);
