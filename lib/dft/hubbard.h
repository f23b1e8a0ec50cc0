/* DFT+U of the plane-wave engine (hubbard.c): Dudarev's simplified rotationally invariant
 * form (Dudarev et al., PRB 57, 1505 (1998), eq. 5 with U_eff = U - J):
 *   E_U = U_eff/2 sum_sigma sum_I Tr[n^{I sigma} (1 - n^{I sigma})],
 *   n^{I sigma}_mm' = sum_kn w_k f_kn,sigma <psi_kn|phi^I_m'><phi^I_m|psi_kn>,
 * with phi^I_m = chi_l(r) Y_lm the pseudo-atomic orbital of the site's atom (UPF PP_CHI,
 * psp_orbital.c), not orthogonalised (Quantum ESPRESSO's U_projection_type 'atomic'), and
 * real spherical harmonics in nonlocal.c's order (l = 2: xy, yz, 3z^2-1, xz, x^2-y^2).
 * Hamiltonian: V_U = sum_I sum_mm' U_eff (delta_mm'/2 - n^{I sigma}_mm') |phi^I_m><phi^I_m'|
 * for spin sigma; no double counting beyond the formula. Private, not installed.
 *
 * Spin: the occupation matrices are kept per spin channel, nspin blocks (2 with the
 * engine's collinear spin: up, down, each with its own V_U). With nspin = 1
 * (spin-unpolarised) each of the two spins holds half, n^sigma = n/2 (weights w_k f with
 * f <= 2 and a factor 1/2), and the energy counts the one stored channel twice, so
 * E_U = U_eff Tr[n^s (1 - n^s)], as Quantum ESPRESSO's nspin = 1 (v_hubbard: eth doubled).
 *
 * Units: Hartree atomic units; U_eff in Hartree.
 *
 * Threads: during mb__scf_solve each (k-point, spin) is used by one thread at a time
 * (mb__hubbard_apply on mb__hubbard_kdata(h, ik, spin), which has its own scratch: the
 * two spins of a k-point may run at once); the occupations are added up serially. */
#ifndef MB_DFT_HUBBARD_H
#define MB_DFT_HUBBARD_H

#include "scf.h"

typedef struct mb__hubbard mb__hubbard;

/* The sites (atom, l) of in->hubbard_u (U_eff per type and l, ntypes*(MB_PSP_LMAX+1)
 * values, Hartree); *out = NULL when there is no positive U (plain DFT, unchanged).
 * MB_ERR_UNSUPPORTED, naming the file, when a site's pseudopotential has no orbital of
 * that l (psp8 and HGH files have none: UPF only); MB_ERR_INVALID_ARG for a negative or
 * non-finite U. */
mb_status mb__hubbard_create(const mb__scf_input *in, int nspin, mb__hubbard **out);
/* The number of sites (atom, l) with U_eff > 0 (0 without in->hubbard_u): DFT+U is on
 * when it is positive (mb__hubbard_create then makes the object). */
int mb__hubbard_input_sites(const mb__scf_input *in);
/* Sites, settings and occupation matrices; the projectors are rebuilt by set_ions. */
mb_status mb__hubbard_copy(const mb__hubbard *h, mb__hubbard **out);
void mb__hubbard_free(mb__hubbard *h);
/* The projectors <k+G|phi^I_m> at every k-point of s (after a change of positions or of
 * k-points). */
mb_status mb__hubbard_set_ions(mb__hubbard *h, const mb__scf *s);

/* The input occupation matrices and V_U at the start of a solve: warm (last output) or
 * cold (the orbitals' atomic occupations spread over m, as QE's init_lda_plus_u). */
void mb__hubbard_start(mb__hubbard *h, int warm);
/* The output occupation matrices of a step: begin, add each (k-point, spin) with its
 * bands' weights (occupation * k weight), end (real part: k-points reduced by time
 * reversal; averaged over the space group sym when not NULL, as the density; E_U). */
void mb__hubbard_occ_begin(mb__hubbard *h);
mb_status mb__hubbard_occ_add(mb__hubbard *h, int ik, int spin, int nband,
                              const double complex *psi, const double *weight);
mb_status mb__hubbard_occ_end(mb__hubbard *h, const mb__symm *sym);
/* E_U of the last output occupations (Hartree). */
double mb__hubbard_energy(const mb__hubbard *h);
/* The next input occupations, mixed along with the density by the coefficients of the
 * density's last Pulay step (mixer, after its mb__mixer_step) and beta as their
 * preconditioner, and V_U from them. */
mb_status mb__hubbard_mix(mb__hubbard *h, const mb__mixer *mixer, double beta);

/* The Hamiltonian hook (mb__nonlocal_fn): hpsi += V_U psi at the k-point and spin of
 * data = mb__hubbard_kdata(h, ik, spin). */
void *mb__hubbard_kdata(mb__hubbard *h, int ik, int spin);
mb_status mb__hubbard_apply(void *data, const mb__basis *basis, int nvec,
                            const double complex *psi, double complex *hpsi);
/* forces[3a+c] += -dE_U/dR_a,c from the bands of (ik, spin) with their weights, through
 * the phases of the projectors (as the non-local forces), with V_U of the last output
 * occupations (the derivative of the E_U reported). recip: rows b_i. */
mb_status mb__hubbard_forces(const mb__hubbard *h, int ik, int spin, const mb__basis *basis,
                             const double recip[9], int nband, const double complex *psi,
                             const double *weight, double *forces);

/* The sites (atom, l) with U_eff > 0: site i (0..nsite-1) has atom, l, U_eff (Hartree);
 * any output may be NULL. */
int mb__hubbard_nsite(const mb__hubbard *h);
void mb__hubbard_site(const mb__hubbard *h, int i, int *atom, int *l, double *u);
/* The spin channels of the occupation matrices and the output matrix of site i and spin
 * channel spin ((2l+1)^2 values, row-major, m in mb__real_ylm's order; per spin: with
 * nspin = 1 each spin's, half the total). NULL out of range. */
int mb__hubbard_nspin(const mb__hubbard *h);
const double *mb__hubbard_occupation(const mb__hubbard *h, int i, int spin);

/* D_m'm(R) of the real spherical harmonics of nonlocal.c: Y_m(R^-1 v) = sum_m' D_m'm Y_m'(v)
 * for the Cartesian rotation given by rinv = R^-1 (row-major); d: (2l+1)^2, row m'. */
void mb__hubbard_ylm_rotation(int l, const double rinv[9], double *d);

#endif
