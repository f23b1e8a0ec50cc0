/* The options of a migration network (migbar.h sections 7 and 11): one table that
 * mb_hops_set_option checks against, mb_hops_create takes its defaults from and front
 * ends read. */
#include "../core/options.h"

#define N(a) ((int)(sizeof a / sizeof *a))

const mb__option mb__hops_options[] = {
  {MB_HOPS_MAX_LENGTH, "max_length", "MB_HOPS_MAX_LENGTH", "A", 0, 15, 5, MB_OPTION_MIN_EXCLUSIVE,
   "longest hop"},
  {MB_HOPS_SYMPREC, "symprec", "MB_HOPS_SYMPREC", "A", 0, 1, 1e-3,
   MB_OPTION_MIN_EXCLUSIVE | MB_OPTION_MAX_EXCLUSIVE, "spglib tolerance"},
  {MB_HOPS_BLOCK_FRACTION, "block_fraction", "MB_HOPS_BLOCK_FRACTION", "", 0, 1, 0.6, 0,
   "a hop is blocked when its bottleneck is below this fraction of its end sites' clearance"},
  {MB_HOPS_MIN_SEPARATION, "min_separation", "MB_HOPS_MIN_SEPARATION", "A", 0, 100, 8, 0,
   "end points: every height of the supercell is at least this"},
  {MB_HOPS_MAX_ATOMS, "max_atoms", "MB_HOPS_MAX_ATOMS", "", 1, 1000000, 2000, MB_OPTION_INTEGER,
   "end points: the largest supercell built (larger is MB_ERR_RANGE)"},
};
const int mb__hops_noptions = N(mb__hops_options);
