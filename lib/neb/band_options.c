/* The options of an NEB band and the names of optimisers and interpolations
 * (migbar.h sections 9 and 11): one table that mb_band_set_option checks against,
 * mb_band_create takes its defaults from and front ends read. */
#include <math.h>

#include "../core/options.h"

#define N(a) ((int)(sizeof a / sizeof *a))

const mb__option mb__band_options[] = {
  {MB_BAND_SPRING, "spring", "MB_BAND_SPRING", "eV/A^2", 0, 1e6, 0.1, MB_OPTION_MIN_EXCLUSIVE,
   "spring constant between neighbouring images"},
  {MB_BAND_SPRING_MIN, "spring_min", "MB_BAND_SPRING_MIN", "eV/A^2", -INFINITY, 1e6, -1, 0,
   "energy-weighted springs: the constant at the lowest energy, rising to spring at the "
   "highest; at most spring; < 0 = off"},
  {MB_BAND_CLIMB, "climb", "MB_BAND_CLIMB", "", 0, 2, 0, MB_OPTION_INTEGER,
   "climbing image: 0 = none, 1 = from the start, 2 = once the band is below climb_fmax"},
  {MB_BAND_CLIMB_FMAX, "climb_fmax", "MB_BAND_CLIMB_FMAX", "eV/A", 0, INFINITY, 0.5,
   MB_OPTION_MIN_EXCLUSIVE, "the force below which climb = 2 starts climbing"},
  {MB_BAND_FMAX, "fmax", "MB_BAND_FMAX", "eV/A", 0, INFINITY, 0.05, MB_OPTION_MIN_EXCLUSIVE,
   "converged when the largest per-atom norm of the NEB force on the moving images is below "
   "this (as ASE and VTST)"},
  {MB_BAND_MAX_STEPS, "max_steps", "MB_BAND_MAX_STEPS", "", 0, 1e9, 1000, MB_OPTION_INTEGER,
   "optimiser steps before the run stops, not converged"},
  {MB_BAND_OPTIMIZER, "optimizer", "MB_BAND_OPTIMIZER", "", 0, 2, MB_OPTIMIZER_LBFGS,
   MB_OPTION_INTEGER, "an mb_optimizer: 0 = FIRE, 1 = L-BFGS, 2 = ODE (names: MB_NAMES_OPTIMIZER)"},
  {MB_BAND_MAX_MOVE, "max_move", "MB_BAND_MAX_MOVE", "A", 0, 10, 0.2, MB_OPTION_MIN_EXCLUSIVE,
   "largest displacement of an atom per step"},
  {MB_BAND_THREADS, "threads", "MB_BAND_THREADS", "", 0, 4096, 1, MB_OPTION_INTEGER,
   "images computed at once for thread-safe providers; 0 = one per core"},
  {MB_BAND_RELAX_ENDPOINTS, "relax_endpoints", "MB_BAND_RELAX_ENDPOINTS", "", 0, 1, 0,
   MB_OPTION_INTEGER, "1 = relax both end points with the same optimiser before the band"},
  {MB_BAND_ALLOW_EXCHANGE, "allow_exchange", "MB_BAND_ALLOW_EXCHANGE", "", 0, 1, 0,
   MB_OPTION_INTEGER, "1 = run a band whose atoms swap places, with a warning (default: refused)"},
};
const int mb__band_noptions = N(mb__band_options);

const mb__name mb__optimizer_names[] = {
  {MB_OPTIMIZER_FIRE, "fire", "FIRE (Bitzek et al., Phys. Rev. Lett. 97, 170201 (2006))"},
  {MB_OPTIMIZER_LBFGS, "lbfgs", "global L-BFGS over the band (Sheppard, Terrell, Henkelman, "
                                "J. Chem. Phys. 128, 134106 (2008))"},
  {MB_OPTIMIZER_ODE, "ode", "adaptive-step ODE solver (Makri, Ortner, Kermode, J. Chem. Phys. "
                            "150, 094109 (2019))"},
};
const int mb__optimizer_nnames = N(mb__optimizer_names);

const mb__name mb__interpolation_names[] = {
  {MB_INTERPOLATION_LINEAR, "linear", "straight line, minimum-image displacements"},
  {MB_INTERPOLATION_IDPP, "idpp", "image-dependent pair potential (Smidstrup et al., J. Chem. "
                                  "Phys. 140, 214106 (2014))"},
};
const int mb__interpolation_nnames = N(mb__interpolation_names);
