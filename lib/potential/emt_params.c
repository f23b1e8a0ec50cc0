/* EMT parameters: the table of ASE 3.22 (ase/calculators/emt.py, `parameters`),
 * which takes Al, Cu, Ag, Au, Ni, Pd, Pt from K. W. Jacobsen, P. Stoltze,
 * J. K. Norskov, Surf. Sci. 366, 394 (1996), Table 1, and adds H, C, N, O with
 * parameters that ASE marks as "just for fun" (not for serious use). Units as
 * in the paper: eV and bohr. */
#include <stddef.h>

#include "potential.h"

static const mb_emt_element emt_table[] = {
    /* Z   E0      s0    V0     eta2   kappa  lambda n0 */
    {13, -3.28, 3.00, 1.493, 1.240, 2.000, 1.169, 0.00700}, /* Al */
    {29, -3.51, 2.67, 2.476, 1.652, 2.740, 1.906, 0.00910}, /* Cu */
    {47, -2.96, 3.01, 2.132, 1.652, 2.790, 1.892, 0.00547}, /* Ag */
    {79, -3.80, 3.00, 2.321, 1.674, 2.873, 2.182, 0.00703}, /* Au */
    {28, -4.44, 2.60, 3.673, 1.669, 2.757, 1.948, 0.01030}, /* Ni */
    {46, -3.90, 2.87, 2.773, 1.818, 3.107, 2.155, 0.00688}, /* Pd */
    {78, -5.85, 2.90, 4.067, 1.812, 3.145, 2.192, 0.00802}, /* Pt */
    {1, -3.21, 1.31, 0.132, 2.652, 2.790, 3.892, 0.00547},  /* H */
    {6, -3.50, 1.81, 0.332, 1.652, 2.790, 1.892, 0.01322},  /* C */
    {7, -5.10, 1.88, 0.132, 1.652, 2.790, 1.892, 0.01222},  /* N */
    {8, -4.60, 1.95, 0.332, 1.652, 2.790, 1.892, 0.00850},  /* O */
};

#define EMT_NELEMENTS (sizeof emt_table / sizeof emt_table[0])

const mb_emt_element *mb__emt_element(int z) {
  for (size_t k = 0; k < EMT_NELEMENTS; k++)
    if (emt_table[k].z == z) return &emt_table[k];
  return NULL;
}

double mb__emt_max_s0(void) {
  double m = 0.0;
  for (size_t k = 0; k < EMT_NELEMENTS; k++)
    if (emt_table[k].s0 > m) m = emt_table[k].s0;
  return m;
}
