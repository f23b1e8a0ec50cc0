/* The options of a DFT calculation and the names of functionals and smearings
 * (migbar.h sections 10 and 11): one table that mb_dft_set_option checks against,
 * mb_dft_create takes its defaults from and front ends read. */
#include "../core/options.h"

#define N(a) ((int)(sizeof a / sizeof *a))

const mb__option mb__dft_options[] = {
  {MB_DFT_ECUT, "ecut", "MB_DFT_ECUT", "eV", 0, 1e5, 400, MB_OPTION_MIN_EXCLUSIVE,
   "plane-wave kinetic-energy cutoff"},
  {MB_DFT_SCF_TOL, "scf_tol", "MB_DFT_SCF_TOL", "eV", 0, 1, 1e-6,
   MB_OPTION_MIN_EXCLUSIVE | MB_OPTION_MAX_EXCLUSIVE,
   "converged when the total energy changes less than this between SCF steps"},
  {MB_DFT_MAX_SCF, "max_scf", "MB_DFT_MAX_SCF", "", 1, 100000, 100, MB_OPTION_INTEGER,
   "SCF steps before MB_ERR_NOT_CONVERGED"},
  {MB_DFT_THREADS, "threads", "MB_DFT_THREADS", "", 0, 4096, 1, MB_OPTION_INTEGER,
   "threads over (spin, k-point) pairs, those left over sharing the work inside one; "
   "0 = one per core"},
  {MB_DFT_EXTRA_BANDS, "extra_bands", "MB_DFT_EXTRA_BANDS", "", 0, 100000, -1,
   MB_OPTION_INTEGER | MB_OPTION_DEFAULT_VARIES,
   "bands beyond the occupied ones (default: 0 without smearing, else 20 % more, at least 4)"},
  {MB_DFT_MIXING, "mixing", "MB_DFT_MIXING", "", 0, 1, 0.6, MB_OPTION_MIN_EXCLUSIVE,
   "density mixing fraction"},
  {MB_DFT_SYMMETRY, "symmetry", "MB_DFT_SYMMETRY", "", 0, 1, 1, MB_OPTION_INTEGER,
   "1 = reduce k-points by the crystal's symmetry"},
  {MB_DFT_CHARGE, "charge", "MB_DFT_CHARGE", "e", -100, 100, 0, 0,
   "net charge of the cell (+1 = one electron fewer), compensated by a uniform background"},
  {MB_DFT_SPIN, "spin", "MB_DFT_SPIN", "", 0, 1, 0, MB_OPTION_INTEGER,
   "1 = collinear spin polarisation (starting moments: mb_dft_set_magnetic_moments)"},
  {MB_DFT_FIX_MOMENT, "fix_moment", "MB_DFT_FIX_MOMENT", "", 0, 1, 0, MB_OPTION_INTEGER,
   "1 = hold the total moment at MB_DFT_MOMENT (a Fermi level per spin)"},
  {MB_DFT_MOMENT, "moment", "MB_DFT_MOMENT", "mu_B", -1000, 1000, 0, 0,
   "the total moment held with MB_DFT_FIX_MOMENT (electrons up - down)"},
  {MB_DFT_ECUT_RHO, "ecut_rho", "MB_DFT_ECUT_RHO", "eV", 0, 4e6, 0, 0,
   "cutoff of the density grid (QE ecutrho); 0 = 4 x ecut, else at least that"},
};
const int mb__dft_noptions = N(mb__dft_options);

const mb__name mb__xc_names[] = {
  {MB_XC_AUTO, "auto", "the pseudopotentials' own functional (psp8 PBE, HGH LDA)"},
  {MB_XC_LDA, "lda", "Perdew-Wang 92 LDA (libxc LDA_X + LDA_C_PW)"},
  {MB_XC_PBE, "pbe", "PBE GGA (libxc GGA_X_PBE + GGA_C_PBE)"},
};
const int mb__xc_nnames = N(mb__xc_names);

const mb__name mb__smearing_names[] = {
  {MB_SMEARING_NONE, "none", "fixed occupations: insulators"},
  {MB_SMEARING_FERMI_DIRAC, "fermi-dirac", "Fermi-Dirac (ABINIT occopt 3)"},
  {MB_SMEARING_GAUSSIAN, "gaussian", "Gaussian (ABINIT occopt 7)"},
  {MB_SMEARING_COLD, "mv", "Marzari-Vanderbilt cold smearing (ABINIT occopt 4)"},
};
const int mb__smearing_nnames = N(mb__smearing_names);
