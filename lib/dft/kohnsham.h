/* Kohn-Sham building blocks of the plane-wave engine (lib/dft), independent of the
 * pseudopotentials: FFT box (fft.c), Hamiltonian application and density
 * (hamiltonian.c), iterative eigensolver (eigensolver.c), occupations and smearing
 * (occupations.c), exchange-correlation through libxc (xc.c), Hartree (hartree.c) and
 * density mixing (mixing.c). Private, not installed.
 *
 * Units: Hartree atomic units (Bohr, Hartree), lattices as in dft.h (rows are the
 * lattice vectors, Bohr).
 *
 * Conventions shared by all these files:
 *   - The FFT box has n[0] x n[1] x n[2] points r = (i0/n0, i1/n1, i2/n2) in reduced
 *     coordinates, stored with i0 fastest: index i0 + n0*(i1 + n1*i2), the order of
 *     mb__basis.fft_index. A G vector with reduced components m_j in (-n_j/2, n_j/2]
 *     sits at i_j = m_j mod n_j.
 *   - Transforms (fft.c):  backward  f(r) = sum_G c(G) e^{iG.r}       (no factor),
 *                          forward   c(G) = (1/N) sum_r f(r) e^{-iG.r} (N = n0 n1 n2),
 *     so forward(backward(c)) = c, and c(G) are Fourier coefficients of a periodic
 *     function: integral over the cell of f = omega * c(G=0).
 *   - A wavefunction is a vector of plane-wave coefficients c_G over an mb__basis,
 *     psi(r) = omega^{-1/2} sum_G c_G e^{i(k+G).r}, normalised as sum |c_G|^2 = 1. A
 *     block of nvec of them is stored vector after vector: psi[ivec*npw + ipw].
 *   - Real-space fields (densities, potentials) are double arrays of N values in box
 *     order; a spin-resolved field has nspin blocks of N: for nspin = 2 block 0 is
 *     spin up and block 1 spin down (not ABINIT's total/up storage). Densities are in
 *     electrons/Bohr^3; integrals are (omega/N) sum_r.
 *   - Meta-GGAs use the kinetic-energy density tau = 1/2 sum_n f_n |grad psi_n|^2,
 *     stored like the density (mb__density_add accumulates it; mb__xc_eval takes it and
 *     gives vtau = dE_xc/dtau, NULL for LDA/GGA), and H gets -1/2 div(vtau grad psi)
 *     (mb__ham.vtau). The SCF mixes the iso-orbital indicator alpha linearly and
 *     builds tau on the mixed density from it (mb__xc_alpha, mb__xc_tau_of_alpha; a
 *     cold start has alpha = 1); where the density is not positive
 *     mb__xc_eval gives no xc energy or potential (a meta-GGA diverges there).
 *
 * Threads: an mb__fft, an mb__xc and the smearing functions are read-only after
 * creation and may be shared; an mb__ham and an mb__mixer own work arrays and belong
 * to one thread at a time. That thread may share the work of one call with an
 * mb__team (team.c): mb__ham_apply, mb__eig_lobpcg and mb__density_add_team, with the
 * same results for any team size.
 */
#ifndef MB_KOHNSHAM_H
#define MB_KOHNSHAM_H

#include <complex.h>
#include <stddef.h>

#include "dft.h"

/* ---- FFT box (fft.c) ---------------------------------------------------------- */

typedef struct mb__fft {
  int n[3];
  size_t ntot;        /* n0 n1 n2 */
  double lattice[9];  /* Bohr, rows a_i */
  double recip[9];    /* rows b_i, a_i . b_j = 2 pi delta_ij */
  double omega;       /* cell volume, Bohr^3 */
  int flags;          /* mb__fft_flags the plans were made with */
  void *plan[8];      /* fftw_plan: direction x in-place x alignment (fft.c) */
} mb__fft;

typedef enum mb__fft_flags {
  MB__FFT_ESTIMATE = 0, /* FFTW_ESTIMATE: instant planning, deterministic (default) */
  MB__FFT_MEASURE = 1   /* FFTW_MEASURE: seconds of planning, faster transforms */
} mb__fft_flags;

/* Plans for a box n[3] in the cell lattice (Bohr). nthreads > 1 uses FFTW's threads
 * inside each transform (1: serial; parallelise over bands instead). Planning is
 * serialised by a process-wide mutex (FFTW's planner is not thread-safe);
 * transforms of one box may then run concurrently on different arrays. */
mb_status mb__fft_create(const double lattice[9], const int n[3], int flags, int nthreads,
                         mb__fft **out);
void mb__fft_free(mb__fft *f);
/* Arrays of ntot complex values aligned for FFTW's SIMD (any array works; these take
 * the faster aligned plans). Free with mb__fft_array_free. */
double complex *mb__fft_array(size_t ntot);
void mb__fft_array_free(double complex *a);
/* in and out may be the same array. */
void mb__fft_forward(const mb__fft *f, const double complex *in, double complex *out);
void mb__fft_backward(const mb__fft *f, const double complex *in, double complex *out);
/* Zero the box and put the plane-wave coefficients at their places. */
void mb__fft_scatter(const mb__fft *f, int npw, const int *fft_index,
                     const double complex *coef, double complex *box);
/* coef[i] = box[fft_index[i]] (scale 1). */
void mb__fft_gather(const mb__fft *f, int npw, const int *fft_index,
                    const double complex *box, double complex *coef);
/* Sphere-aware transforms of plane-wave vectors (Goedecker's zero-padded FFTs, as
 * ABINIT's fourwf): the 1D transforms of box lines that hold no plane wave of the
 * basis are skipped (fft.c explains which), with the result of scatter + backward and
 * forward + gather up to rounding. mb__sphere_create plans them once per basis, with
 * the box's planner flags and under the planner's lock; the plan is then read-only
 * and may be used by several threads at once on different arrays. It is meant to be
 * owned by the basis (mb__basis.sphere, freed by mb__basis_free). */
mb_status mb__sphere_create(const mb__fft *f, const mb__basis *b, mb__sphere **out);
void mb__sphere_free(mb__sphere *s);
/* Points of the 1D transforms a sphere transform does over those of the full one
 * (3 ntot): about 0.55 on a boxcutmin 2 box. */
double mb__sphere_fraction(const mb__sphere *s);
/* box = backward transform of the basis vector coef (scatter + backward), or for dir
 * 0..2 of its derivative d/dx_dir (coefficients i (k+G)_dir coef_G; needs b->kg). box:
 * ntot values; with mb__fft_array's alignment and b->sphere made for this box the
 * sphere transforms are used, otherwise the full ones. */
void mb__fft_sphere_backward(const mb__fft *f, const mb__basis *b, int dir,
                             const double complex *coef, double complex *box);
/* coef = alpha d F + beta coef (coef not read when beta is 0), where F_G is the forward
 * transform of box (1/N included) on the basis' plane waves and d_G is 1 (dir < 0) or
 * i (k+G)_dir (dir 0..2). box is overwritten. */
void mb__fft_sphere_forward(const mb__fft *f, const mb__basis *b, int dir, double alpha,
                            double beta, double complex *box, double complex *coef);
/* Real wavefunctions (mb__basis.real): two vectors per transform, as ABINIT's fourwf
 * with istwfk >= 2 does. backward_pair: box = e^{-ik.r} (psi_a(r) + i psi_b(r)) (or
 * their derivatives d/dx_dir), with psi_a, psi_b the real functions of the half-sphere
 * vectors ca and cb (cb NULL: psi_b = 0); at Gamma the factor is 1, elsewhere
 * mb__fft_kphase removes it. forward_pair: from box = e^{-ik.r} (f_a(r) + i f_b(r))
 * with f_a, f_b real (so a real potential times backward_pair's box),
 * ca = alpha d F_a + beta ca and cb alike (cb NULL: f_b dropped), F the half-sphere
 * coefficients of f in mb__basis.real's scaling. On a real basis mb__fft_sphere_backward
 * and mb__fft_sphere_forward are these with one vector. */
void mb__fft_sphere_backward_pair(const mb__fft *f, const mb__basis *b, int dir,
                                  const double complex *ca, const double complex *cb,
                                  double complex *box);
void mb__fft_sphere_forward_pair(const mb__fft *f, const mb__basis *b, int dir, double alpha,
                                 double beta, double complex *box, double complex *ca,
                                 double complex *cb);
/* box *= e^{ik.r} for a real basis at k != 0 (mb__basis.real 2); nothing otherwise. */
void mb__fft_kphase(const mb__fft *f, const mb__basis *b, double complex *box);
/* Cartesian G (Bohr^-1) of box index idx, components in (-n/2, n/2]; *nyquist is set
 * to 1 when some even n_j sits at its Nyquist plane m_j = n_j/2 (where odd
 * derivatives are zeroed so that they stay real). */
void mb__fft_gvector(const mb__fft *f, size_t idx, double g[3], int *nyquist);
/* Real field -> Fourier coefficients (ntot complex, forward convention). */
void mb__fft_r2g(const mb__fft *f, const double *in, double complex *out);
/* Fourier coefficients -> real part of the backward transform. work: ntot complex
 * (may be in itself; then in is overwritten). */
void mb__fft_g2r(const mb__fft *f, const double complex *in, double complex *work,
                 double *out);

/* ---- thread team (team.c) ------------------------------------------------------ */

/* The calling thread (member 0) and size - 1 threads of the team's own that share the
 * tasks of each mb__team_run. Callers cut their work into tasks by the problem's sizes
 * only (mb__team_slices), never by the team's size, and add partial results in task
 * order: the numbers are then the same for any size, and a team of one does the same
 * work on the calling thread. A team belongs to one calling thread at a time; a task
 * must not run the same team again. */
typedef struct mb__team mb__team;

#define MB__TEAM_SLICES 12 /* at most this many slices per call (12: even on 2, 3, 4, 6) */

/* A team of size members (size - 1 threads; fewer when threads cannot start). */
mb_status mb__team_create(int size, mb__team **out);
void mb__team_free(mb__team *t);
int mb__team_size(const mb__team *t); /* 1 for NULL */
/* fn(arg, task, member) for task = 0..ntask-1 (member: 0..size-1, e.g. to pick its
 * scratch), each task once, on whichever member takes it; returns when all are done.
 * t NULL: all on the calling thread. */
typedef void (*mb__team_fn)(void *arg, int task, int member);
void mb__team_run(mb__team *t, int ntask, mb__team_fn fn, void *arg);
/* Slices of a range of n: min(MB__TEAM_SLICES, n / min_size), at least 1; slice i
 * starts at n * i / nslice. */
int mb__team_slices(long n, long min_size);
long mb__team_slice_start(long n, int nslice, int i);
/* A buffer of at least bytes for the calling thread, kept until the next call (NULL
 * when out of memory). */
void *mb__team_scratch(mb__team *t, size_t bytes);
/* C = A^H B + beta C (beta 0 or 1; C m x n) with A k x m, B k x n (column-major): the k
 * rows in slices of max(256, m, n) or more, their partial products added in slice order.
 * Uses the team's scratch. */
mb_status mb__team_zgemm_cn(mb__team *t, int m, int n, int k, const double complex *a, int lda,
                            const double complex *b, int ldb, double complex beta,
                            double complex *c, int ldc);
/* C = alpha A B + beta C with A m x k, B k x n: the m rows of A and C in slices. */
void mb__team_zgemm_nn(mb__team *t, int m, int n, int k, double complex alpha,
                       const double complex *a, int lda, const double complex *b, int ldb,
                       double complex beta, double complex *c, int ldc);
/* B = B R^-1 (B m x n, R n x n upper triangular, non-unit): the rows of B in slices. */
void mb__team_ztrsm_ru(mb__team *t, int m, int n, const double complex *r, int ldr,
                       double complex *b, int ldb);

/* The same in real arithmetic, for real wavefunctions (mb__basis.real: a block of
 * half-sphere vectors read as 2 npw real rows): C = A^T B + beta C (beta 0 or 1),
 * C = alpha A B + beta C, B = B R^-1; sliced and summed as the complex ones. */
mb_status mb__team_dgemm_tn(mb__team *t, int m, int n, int k, const double *a, int lda,
                            const double *b, int ldb, double beta, double *c, int ldc);
void mb__team_dgemm_nn(mb__team *t, int m, int n, int k, double alpha, const double *a,
                       int lda, const double *b, int ldb, double beta, double *c, int ldc);
void mb__team_dtrsm_ru(mb__team *t, int m, int n, const double *r, int ldr, double *b,
                       int ldb);

/* ---- Hamiltonian (hamiltonian.c) ------------------------------------------------ */

/* Non-local part, added by another module: hpsi[v] += V_nl psi[v] for nvec vectors of
 * the basis the Hamiltonian was set up with. Returns MB_OK or an error (with its
 * message already recorded by mb__error). */
typedef mb_status (*mb__nonlocal_fn)(void *data, const mb__basis *basis, int nvec,
                                     const double complex *psi, double complex *hpsi);

/* H = |k+G|^2/2 + V_loc(r) + V_nl at one k-point and one spin channel. The pointers
 * are borrowed (they must outlive the mb__ham); vloc (ntot values, Hartree) is the
 * total local potential of this spin channel: ionic local part + Hartree + xc. */
typedef struct mb__ham {
  const mb__fft *fft;
  const mb__basis *basis;
  const double *vloc;
  const double *vtau;       /* meta-GGA: dE_xc/dtau on the box, or NULL */
  mb__nonlocal_fn nonlocal; /* NULL: none */
  void *nonlocal_data;
  mb__nonlocal_fn hubbard;  /* DFT+U's V_U (hubbard.c), added as nonlocal; NULL: none */
  void *hubbard_data;
  double complex *work;     /* ntot, owned */
  long napply;              /* vectors H was applied to since creation */
  mb__team *team;           /* mb__ham_set_team; NULL: the calling thread alone */
  double complex **lane;    /* the team's FFT work arrays (lane[0] = work), owned */
} mb__ham;

mb_status mb__ham_create(const mb__fft *fft, const mb__basis *basis, const double *vloc,
                         mb__ham **out);
void mb__ham_free(mb__ham *h);
/* Share each application (and mb__eig_lobpcg's algebra) with team (borrowed; NULL: none):
 * the vectors' local parts go to its members, one vector per task. The non-local hook
 * runs on the calling thread (mb__nonlocal_work can take the team for its products),
 * then the DFT+U hook. */
mb_status mb__ham_set_team(mb__ham *h, mb__team *team);
/* hpsi = H psi for nvec vectors (psi and hpsi must not overlap). */
mb_status mb__ham_apply(mb__ham *h, int nvec, const double complex *psi,
                        double complex *hpsi);

/* rho[r] += sum_n weight[n] |psi_n(r)|^2 for nband vectors of the basis (weight = occ
 * * k-point weight, so that rho integrates to sum weight), and when tau is not NULL
 * tau[r] += 1/2 sum_n weight[n] |grad psi_n(r)|^2. work: ntot complex. Bands with
 * weight 0 are skipped. */
mb_status mb__density_add(const mb__fft *fft, const mb__basis *basis, int nband,
                          const double complex *psi, const double *weight,
                          double complex *work, double *rho, double *tau);
/* The same on a team: the bands in at most 6 slices (by nband alone), each summed into a
 * field of its own, the slices then added to rho (tau) in slice order. */
mb_status mb__density_add_team(mb__team *team, const mb__fft *fft, const mb__basis *basis,
                               int nband, const double complex *psi, const double *weight,
                               double *rho, double *tau);

/* ---- eigensolver (eigensolver.c) ------------------------------------------------- */

typedef struct mb__eig_options {
  double tol;       /* converged when every ||H x - e x|| < tol (Hartree); e.g. 1e-6 */
  int maxiter;      /* LOBPCG iterations (each applies H to the unconverged vectors) */
  int nconv;        /* bands that must converge (the lowest); <= 0 means all. Extra
                       bands above help when nband cuts a degenerate shell */
} mb__eig_options;

typedef struct mb__eig_result {
  int iterations;
  long napply;      /* H applications (vectors) */
  double maxres;    /* largest residual norm among the bands that must converge */
} mb__eig_result;

/* Lowest nband eigenpairs of h by LOBPCG (Knyazev, SIAM J. Sci. Comput. 23, 517
 * (2001)) with an orthonormal basis [X W P] each iteration (Hetmaniuk & Lehoucq,
 * J. Comput. Phys. 218, 324 (2006)) and the Teter-Payne-Allan preconditioner.
 * psi (npw x nband) is the start on entry (warm start: the previous SCF step's
 * vectors; cold start: mb__eig_random_start) and the eigenvectors on exit,
 * orthonormal; eig[nband] ascending. MB_ERR_NOT_CONVERGED (with the vectors and the
 * best values so far written) when maxiter is reached; MB_ERR_INVALID_ARG when
 * 3 nband > npw. The search space is orthonormal, so the Rayleigh-Ritz step is a
 * standard problem (zheevd); no generalised solve is needed. */
/* The Gram matrices, combinations and triangular solves run on h->team (in slices,
 * the same numbers for any team size; a team of one for NULL). */
mb_status mb__eig_lobpcg(mb__ham *h, int nband, const mb__eig_options *opt,
                         double complex *psi, double *eig, mb__eig_result *res);
/* Deterministic random start vectors damped as 1/(1 + |k+G|^2) (seed any value). */
void mb__eig_random_start(const mb__basis *basis, int nband, unsigned long long seed,
                          double complex *psi);
/* Teter-Payne-Allan, PRB 40, 12255 (1989), in ABINIT's form (cg_precon, optekin 1):
 * with x = kin / (1.5 ekin) and ekin the band's kinetic energy (0.1 Ha if it vanishes),
 * K(x) = (27 + 18x + 12x^2 + 8x^3) / (27 + 18x + 12x^2 + 8x^3 + 16x^4). */
double mb__tpa_precond(double kin, double ekin);

/* ---- occupations (occupations.c) ------------------------------------------------- */

/* Smearing schemes, numbered as ABINIT's occopt. With x = (mu - e)/tsmear the
 * occupation is maxocc * f(x), f(x) = int_{-inf}^x delta(y) dy, and the entropy term
 * s(x) = - int_{-inf}^x y delta(y) dy (ABINIT m_occ.F90 init_occ_ent); the total
 * entropy is S = sum_k,n wtk maxocc s(x_kn), the free energy F = E - tsmear S.
 *   3 Fermi-Dirac:   delta = 1/(4 cosh^2(x/2)), s = -f ln f - (1-f) ln(1-f)
 *   4, 5 cold smearing (Marzari thesis 1996; a = -0.5634 "minimal bump", -0.8165
 *     "monotonic"): delta = e^{-x^2}/sqrt(pi) (3/2 - 3a x/2 - x^2 + a x^3),
 *     f = erfc(-x)/2 + e^{-x^2}/sqrt(pi) (a/4 + x/2 - a x^2/2),
 *     s = e^{-x^2}/(4 sqrt(pi)) (1 - 2x^2 + 2a x^3)
 *   7 Gaussian:      delta = e^{-x^2}/sqrt(pi), f = erfc(-x)/2, s = e^{-x^2}/(2 sqrt(pi))
 * ABINIT clips at |x| = 30 (Fermi-Dirac) or 6 (others); so do these functions. */
typedef enum mb__smearing {
  MB__SMEAR_FERMI_DIRAC = 3,
  MB__SMEAR_COLD = 4,
  MB__SMEAR_COLD_MONOTONIC = 5,
  MB__SMEAR_GAUSSIAN = 7
} mb__smearing;

double mb__smear_occ(mb__smearing kind, double x);
double mb__smear_entropy(mb__smearing kind, double x);
double mb__smear_delta(mb__smearing kind, double x);

/* Occupations of eig[(isppol*nkpt + ik)*nband + ib] (nsppol 1 or 2) for nelect
 * electrons, maxocc = 2/nsppol. Fermi level by bisection until the electron count
 * is exact to machine precision (or the bracket collapses). occ has the same layout;
 * *entropy is the dimensionless S above (the energy gets -tsmear * S). */
mb_status mb__occ_smeared(mb__smearing kind, double tsmear, int nsppol, int nkpt, int nband,
                          const double *eig, const double *wtk, double nelect, double *occ,
                          double *fermi, double *entropy);
/* Fixed occupations (ABINIT occopt 1), the same at every k-point: the lowest bands
 * filled with maxocc = 2/nsppol, the last one possibly partly. nsppol = 1: nelect
 * electrons; nsppol = 2: nelect_spin[s] in channel s (NULL: nelect/2 each). */
mb_status mb__occ_fixed(int nsppol, int nkpt, int nband, double nelect,
                        const double *nelect_spin, double *occ);

/* ---- exchange-correlation (xc.c) -------------------------------------------------- */

typedef struct mb__xc {
  int nfunc;
  int id[3];      /* libxc ids */
  int family;     /* 1 LDA, 2 GGA, 4 meta-GGA (as libxc's XC_FAMILY_*) */
  int nspin;      /* 1 or 2 */
  void *func[3];  /* xc_func_type */
  double denpos;  /* densities below this are raised to it (ABINIT xc_denpos 1e-14) */
} mb__xc;

/* libxc functionals by id (exchange, correlation, or one combined), nspin 1 or 2.
 * MB_ERR_UNSUPPORTED for hybrids, kinetic functionals and families not handled yet. */
mb_status mb__xc_create(int nfunc, const int *ids, int nspin, mb__xc **out);
/* From ABINIT's ixc: 1 -> LDA_XC_TETER93 (Teter's Pade fit, ABINIT's native ixc 1),
 * 7 -> LDA_X + LDA_C_PW_MOD (PW92 as ABINIT's native ixc 7, with PBE's digits),
 * 11 -> GGA_X_PBE + GGA_C_PBE, and negative ixc = -XXXCCC -> libxc ids XXX and CCC
 * (e.g. -001012 LDA_X + LDA_C_PW, -101130 PBE). Others MB_ERR_UNSUPPORTED. */
mb_status mb__xc_from_ixc(int ixc, int nspin, mb__xc **out);
void mb__xc_free(mb__xc *xc);

/* E_xc = int e_xc(rho + rho_core) and V_xc = d E_xc / d rho on the box.
 * rho: nspin blocks (up, down for nspin 2); rho_core: NULL or the model core density
 * (one block, split equally between spins), added for the non-linear core correction.
 * tau: NULL (needed only by meta-GGAs). vxc: nspin blocks out. *exc in Hartree;
 * *vxc_rho (may be NULL) = int sum_s vxc_s rho_s (valence only), the double-counting
 * term of the band energy. GGA gradients and the divergence term of the potential
 * are computed by FFT, so vxc is the exact derivative of the discrete energy. */
/* Meta-GGAs (family XC_FAMILY_MGGA): tau (nspin blocks, the kinetic-energy density of
 * mb__density_add) is required and vtau (nspin blocks out) receives dE_xc/dtau, the
 * potential of the -1/2 div(vtau grad psi) term of the Hamiltonian (mb__ham.vtau);
 * both may be NULL otherwise. */
/* A kinetic-energy density to start a meta-GGA SCF from a density alone (nspin blocks
 * in and out): the uniform gas's plus von Weizsaecker's, tau_unif + |grad rho|^2/(8 rho),
 * so that SCAN's iso-orbital indicator alpha = (tau - tau_W)/tau_unif is 1 everywhere
 * (Thomas-Fermi alone gives alpha << 0 in density tails, a vacuum, and a v_tau that
 * makes the kinetic operator negative there). */
mb_status mb__xc_tau_start(const mb__fft *fft, int nspin, const double *rho, double *tau);
/* The iso-orbital indicator alpha = (tau - tau_W)/tau_unif of (rho, tau) per spin
 * block (1 where rho has no density), and back: tau = tau_W[rho] + alpha tau_unif[rho]
 * (0 where rho has none). The SCF mixes alpha, not tau, and builds the next input tau
 * on the mixed density from it: a tau mixed on its own drifts away from its density
 * (tau ~ 1e-5 where a spin density is 1e-10 in a vacuum), where SCAN's v_xc reaches
 * 1e4 Ha. At self-consistency tau is the output tau. */
mb_status mb__xc_alpha(const mb__fft *fft, int nspin, const double *rho, const double *tau,
                       double *alpha);
mb_status mb__xc_tau_of_alpha(const mb__fft *fft, int nspin, const double *rho,
                              const double *alpha, double *tau);
mb_status mb__xc_eval(const mb__xc *xc, const mb__fft *fft, const double *rho,
                      const double *rho_core, const double *tau, double *exc, double *vxc,
                      double *vxc_rho, double *vtau);

/* ---- Hartree (hartree.c) ------------------------------------------------------------ */

/* E_H = omega/2 sum_{G != 0} 4 pi |rho(G)|^2 / G^2 and V_H(r) = sum_{G != 0} 4 pi
 * rho(G)/G^2 e^{iG.r} for the total density rho (one block); vh may be NULL. The G = 0
 * term is left out (neutralising background, cancelled by the ionic terms). */
mb_status mb__hartree(const mb__fft *fft, const double *rho, double *eh, double *vh);

/* ---- density mixing (mixing.c) -------------------------------------------------------- */

typedef struct mb__mixer mb__mixer;

typedef struct mb__mix_options {
  double alpha;    /* mixing weight of the preconditioned residual, e.g. 0.7 */
  double kerker_q0;/* Kerker q0 (Bohr^-1), e.g. 1.0 (ABINIT diemix-like); 0: off */
  int history;     /* Pulay/Anderson history length; 0: linear (simple) mixing */
} mb__mix_options;

/* Pulay mixing (Pulay, Chem. Phys. Lett. 73, 393 (1980)) of densities with nspin
 * blocks on the box, in the Anderson difference form, and Kerker preconditioning
 * P(G) = alpha G^2/(G^2 + q0^2) (Kerker, PRB 23, 3082 (1981)) on the total density
 * (G = 0 untouched, so the electron count is kept); the magnetisation is mixed with
 * alpha only. */
mb_status mb__mixer_create(const mb__fft *fft, int nspin, const mb__mix_options *opt,
                           mb__mixer **out);
void mb__mixer_free(mb__mixer *m);
/* One step: rho_in the input density of this SCF iteration, rho_out the density it
 * produced; rho_next the next input (may be rho_in). *resnorm (may be NULL) gets
 * sqrt(omega/N sum (rho_out - rho_in)^2) summed over spin blocks. */
mb_status mb__mixer_step(mb__mixer *m, const double *rho_in, const double *rho_out,
                         double *rho_next, double *resnorm);
/* Forget the history (e.g. after the ions moved). */
void mb__mixer_reset(mb__mixer *m);
/* For quantities mixed along with the density (DFT+U's occupation matrices, hubbard.c):
 * the differences stored after the last step (returned, 0 .. opt.history; they sit in a
 * ring of *size = opt.history slots, the next to be written at *next) and the
 * coefficients gamma[slot] of the last step, whose next input was
 * x_in + P R - sum_slot gamma[slot] (dx[slot] + P dR[slot]). Outputs may be NULL. */
int mb__mixer_history(const mb__mixer *m, int *size, int *next, const double **gamma);

#endif
