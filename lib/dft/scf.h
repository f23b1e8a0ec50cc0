/* Self-consistent Kohn-Sham ground state of the plane-wave engine (lib/dft): the ionic
 * local potential and model core (ionic.c), the Kleinman-Bylander non-local part
 * (nonlocal.c) and the SCF loop (scf.c). Private, not installed.
 *
 * Units: Hartree atomic units; lattices as in dft.h (rows, Bohr); positions reduced.
 * Energies follow ABINIT 9.6's decomposition ("Components of total energy"), so that
 * each can be compared with its output:
 *   E = kinetic + hartree + xc + ewald + pspcore + local + nonlocal (+ hubbard, DFT+U's
 *       E_U of hubbard.h),
 *   F = E + entropy (entropy = -tsmear S, 0 for fixed occupations).
 */
#ifndef MB_SCF_H
#define MB_SCF_H

#include "kohnsham.h"

/* ---- ionic.c -------------------------------------------------------------------- */

/* The box's points are cut into slices for team (may be NULL: the calling thread), the
 * forces' partial sums added in slice order: the same numbers for any team size. */

/* Local ionic potential on the box, real space (ntot values, Hartree):
 *   V(G) = sum_a e^{-iG.R_a} [ -4 pi zion / G^2 + vloc_short(|G|) ] / omega, V(0) = 0
 * (the G = 0 limit is the pspcore term below). psp[types[a]] is atom a's. */
mb_status mb__ionic_vloc(const mb__fft *fft, mb__team *team, int natoms, const double *frac,
                         const int *types, mb__psp *const *psp, double *vloc);
/* Model core density (ntot, electrons/Bohr^3) for the non-linear core correction;
 * *has_core = 0 (and rho_core zeroed) when no psp has one. */
mb_status mb__ionic_core(const mb__fft *fft, mb__team *team, int natoms, const double *frac,
                         const int *types, mb__psp *const *psp, double *rho_core,
                         int *has_core);
/* Superposition of the pseudo-atomic valence densities (mb__psp_valence), the SCF's
 * starting guess (ntot, electrons/Bohr^3; psps without a density add their zion as a
 * uniform share). *has_val = 0 and rho untouched when no psp has a density. May be
 * slightly negative where the atomic tails are cut (Gibbs ringing): clip before use. */
mb_status mb__ionic_valence(const mb__fft *fft, mb__team *team, int natoms,
                            const double *frac, const int *types, mb__psp *const *psp,
                            double *rho, int *has_val);
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
/* The same with scratch of its own, for a second thread on the same projectors (the SCF
 * solves the two spins of a k-point at once): mb__nonlocal_apply_work takes an
 * mb__nonlocal_work as data. With a team (set after init; borrowed) the products with
 * the projectors run on it in slices (mb__team_zgemm_cn, _nn): the same numbers for any
 * team size, though not bit for bit those without a team. */
typedef struct mb__nonlocal_work {
  const mb__nonlocal *nl;
  double complex *c, *w;
  mb__team *team; /* NULL: one zgemm per block on the calling thread */
} mb__nonlocal_work;
mb_status mb__nonlocal_work_init(mb__nonlocal_work *w, const mb__nonlocal *nl);
void mb__nonlocal_work_free(mb__nonlocal_work *w);
mb_status mb__nonlocal_apply_work(void *data, const mb__basis *basis, int nvec,
                                  const double complex *psi, double complex *hpsi);
/* *energy = sum_n weight[n] <psi_n|V_nl|psi_n> (weight = occupation * k weight), with the
 * object's own scratch (one thread at a time); the projections on team when not NULL. */
mb_status mb__nonlocal_energy(const mb__nonlocal *nl, mb__team *team, int nvec,
                              const double complex *psi, const double *weight, double *energy);
/* Real spherical harmonics, orthonormal on the sphere, of the unit vector u, l <= 3; y gets
 * 2l+1 values, in the order l = 1: y, z, x; l = 2: xy, yz, 3z^2-1, xz, x^2-y^2; l = 3:
 * (3x^2-y^2)y, xyz, y(5z^2-1), z(5z^2-3), x(5z^2-1), z(x^2-y^2), x(x^2-3y^2). */
void mb__real_ylm(int l, const double u[3], double *y);

/* ---- scf.c --------------------------------------------------------------------------- */

typedef struct mb__scf_input {
  double lattice[9];       /* Bohr, rows */
  int natoms;
  const double *frac;      /* 3*natoms reduced */
  const int *types;        /* natoms indices into psp */
  int ntypes;
  mb__psp *const *psp;     /* ntypes */
  double ecut;             /* Hartree */
  double boxcutmin;        /* FFT box holds the sphere of radius boxcutmin sqrt(2 ecut)
                              (ABINIT boxcutmin); 0: 2, the smallest without aliasing */
  int ngkpt[3];
  double shiftk[3];        /* 0 or 0.5 */
  int nband;
  int occopt;              /* 1 fixed, or an mb__smearing (3, 4, 5, 7) */
  double tsmear;           /* Hartree, for occopt != 1 */
  int ixc;                 /* 0: the first psp's pspxc */
  int maxstep;             /* SCF steps; e.g. 60 */
  double toldfe;           /* converged when |dE| < toldfe twice in a row ... */
  double tolrho;           /* ... and the density residual norm < tolrho */
  int use_symmetry;        /* 1: k-points reduced by the space group (spglib), density and
                            * forces symmetrised (symmetrize.c); 0: time reversal only */
  double mixing;           /* Pulay mixing parameter in (0, 1]; 0: the default 0.6 */
  double charge;           /* net charge of the cell (e): nelect = sum zion - charge; the
                              ions' terms (Ewald, E_pspcore) keep sum zion, as ABINIT */
  /* collinear spin (ABINIT nsppol 2): nspin 0 or 1 unpolarised, 2 polarised */
  int nspin;
  const double *spinat;    /* natoms starting moments (electrons up - down), or NULL: the
                              start density's magnetisation (ABINIT spinat, z only) */
  int fix_moment;          /* 1: the total moment (up - down electrons) is held at
                              moment, each spin with its own Fermi level (ABINIT
                              spinmagntarget); 0: free, one Fermi level */
  double moment;
  int full_sphere;         /* 1: complex wavefunctions on the full sphere at every k
                              (ABINIT istwfk 1); 0: real ones on half the sphere at the
                              time-reversal-invariant k (istwfk 2..9; mb__basis.real),
                              except with DFT+U */
  const double *hubbard_u; /* DFT+U (hubbard.h): U_eff (Ha) per type and l, ntypes *
                              (MB_PSP_LMAX + 1) values, 0 = none; NULL: no +U. Read by
                              mb__scf_create (not kept: NULL in the copy of in) */
} mb__scf_input;

/* Whether the SCF solves k-point k (reduced) with real wavefunctions on half of the
 * sphere (mb__basis.real, ABINIT istwfk 2..9): k time-reversal invariant, the input not
 * asking for the full sphere, no DFT+U (whose projections are complex; hubbard.c). */
int mb__scf_real_kpoint(const double k[3], int full_sphere, int plus_u);

/* Before a calculation (preflight.c): logs each element's pseudopotential and its
 * functional, warns where that is not the calculation's or where an odd electron count
 * has fixed occupations without spin, logs the size of the run (plane waves, FFT box,
 * memory, time per SCF step); MB_ERR_NOMEM, before anything is allocated, when the run
 * needs more memory than the machine has. log may be NULL (nothing said). */
mb_status mb__scf_preflight(const mb__scf_input *in, int nthreads, const mb_logger *log);

typedef struct mb__scf_result {
  double kinetic, hartree, xc, ewald, pspcore, local, nonlocal;
  double hubbard;          /* DFT+U: E_U of the output occupation matrices (hubbard.h) */
  double entropy;          /* -tsmear S */
  double internal;         /* E */
  double free;             /* F = E + entropy */
  double fermi;            /* Fermi level (smearing) or highest occupied eigenvalue; with
                              a fixed moment the spin-up one */
  double fermi_down;       /* fixed moment: the spin-down Fermi level; else = fermi */
  double magnetization;    /* nspin 2: integral of rho_up - rho_down (electrons), else 0 */
  double abs_magnetization;/* nspin 2: integral of |rho_up - rho_down| */
  double resnorm;          /* last density residual norm */
  int steps;
} mb__scf_result;

/* ---- symmetrize.c ---------------------------------------------------------------- */

/* The space group of a structure: operations x' = W x + t (reduced coordinates). */
typedef struct mb__symm {
  int nop, natoms;
  int *rot;                /* 9*nop, W row-major (integer) */
  double *trans;           /* 3*nop, t */
  double *rinv_c;          /* 9*nop, Cartesian W_c^-1 = A^T W^-1 A^-T */
  int *map;                /* nop*natoms: W x_a + t = x_map[o*natoms+a] modulo 1 */
} mb__symm;

/* All operations spglib finds (symprec in Bohr), with the atom permutations. */
mb_status mb__symm_find(const double lattice[9], int natoms, const double *frac,
                        const int *types, double symprec, mb__symm **out);
void mb__symm_free(mb__symm *s);
mb_status mb__symm_copy(const mb__symm *s, mb__symm **out);
/* 1 when a and b have the same set of rotations (the same k-point reduction). */
int mb__symm_same_rotations(const mb__symm *a, const mb__symm *b);
/* 1 when the box n is invariant under the rotations (no W_ij != 0 with n_i != n_j);
 * mb__symm_box enlarges n to make it so (the symmetry step of ABINIT's getng). */
int mb__symm_box_ok(const mb__symm *s, const int n[3]);
void mb__symm_box(const mb__symm *s, int n[3]);
/* rho (ntot, real space) <- its average over the operations (in G space). */
mb_status mb__symm_density(const mb__symm *s, const mb__fft *fft, double *rho);
/* forces (3*natoms, Cartesian) <- their symmetric part. */
mb_status mb__symm_forces(const mb__symm *s, double *forces);

/* ---- the persistent ground state (scf.c, forces.c) -----------------------------------
 * One calculation that survives geometry changes: FFT box, bases, wavefunctions and
 * density are kept, so a new set of positions (same lattice and atoms) starts warm.
 * This is what the public mb_dft handle (dft_api.c) drives. */
typedef struct mb__scf mb__scf;

/* A calculation of in (everything copied, including frac, types and the psp pointer
 * array; the psps themselves are borrowed and must outlive it). nthreads: threads over
 * (spin, k-point) pairs and within them (>= 1; scf.c). */
mb_status mb__scf_create(const mb__scf_input *in, int nthreads, mb__scf **out);
void mb__scf_free(mb__scf *s);
/* A deep copy (settings, positions, wavefunctions, density) for warm starts. */
mb_status mb__scf_copy(const mb__scf *s, mb__scf **out);
/* New reduced positions (3*natoms); the next solve starts from the last solution.
 * With use_symmetry the space group is found again; when that changes the irreducible
 * k-points, they are rebuilt and the next solve starts cold (else warm, the last
 * density projected on the new group). On error the state is unusable: free it. */
mb_status mb__scf_set_positions(mb__scf *s, const double *frac);
/* Progress: one MB_LOG_INFO line per SCF step through the logger (may be NULL). */
void mb__scf_set_logger(mb__scf *s, const mb_logger *log);
/* Solve for the current positions (warm if solved before). */
mb_status mb__scf_solve(mb__scf *s, mb__scf_result *res);
/* Forces after a converged solve: 3*natoms Cartesian, Hartree/Bohr (local,
 * non-local, core correction, Ewald). */
mb_status mb__scf_forces(mb__scf *s, double *forces);
/* Eigenvalues (Hartree) of the irreducible k-points after a solve: *eig is
 * nspin*nk*nband values (spin up's k-points, then spin down's; k-point after k-point),
 * *kpt 3*nk reduced, *wtk nk; borrowed, valid until the next solve or free. */
mb_status mb__scf_eigenvalues(const mb__scf *s, int *nspin, int *nk, int *nband,
                              const double **eig, const double **kpt, const double **wtk);

/* The state behind an mb__scf, shared by scf.c, forces.c and hubbard.c only (treat as
 * opaque elsewhere). */
typedef struct mb__scf_kpoint {
  mb__basis *basis;
  mb__nonlocal *nl;
  double complex *psi;     /* npw * nband * nsp, the last solution (spin after spin) */
} mb__scf_kpoint;

struct mb__scf {
  mb__scf_input in;        /* in.frac, in.types, in.psp point at the copies below */
  double *frac;            /* 3*natoms, owned */
  int *types;              /* natoms, owned */
  mb__psp **psp;           /* ntypes, owned array (in.psp points here) */
  mb__symm *sym;           /* space group (use_symmetry), else NULL */
  double *zion;            /* natoms */
  int nsp;                 /* spin channels: 1, or 2 (in.nspin 2) */
  double *spinat;          /* natoms, owned (zeros when in.spinat is NULL); nspin 2 only */
  int *symtypes;           /* natoms: types split by starting moment (symmetry search) */
  int nthreads;
  mb_logger log;
  mb__fft *fft;
  mb__kpoints *kp;
  mb__scf_kpoint *kd;      /* kp->nk */
  mb__xc *xc;
  mb__mixer *mixer;
  double nelect, ewald, pspcore;
  int has_core;
  double *vion, *core;     /* ionic local potential, model core density (ntot) */
  /* fields per spin: nsp blocks of ntot (up, down), kohnsham.h's convention */
  double *rho;             /* next input density */
  double *rho_out;         /* output density of the last step */
  double *vxc;             /* V_xc[rho_out + core] of the last step */
  double *tau, *tau_out;   /* meta-GGA: the kinetic-energy density of the next input and
                              of the last output, else NULL */
  double *vtau;            /* meta-GGA: dE_xc/dtau of the input, else NULL */
  double *eig, *occ;       /* nsp * nk * nband: [(isp * nk + ik) * nband + ib] */
  struct mb__hubbard *hub; /* DFT+U (hubbard.h), NULL without */
  int solved;              /* wavefunctions and densities hold a solution */
  int converged;           /* ... for the current positions */
  mb__scf_result last;
};

/* Forces from the non-local part at one k-point: forces[3a+c] += -dE_nl/dR_a,c for
 * sum_n weight[n] <psi_n|V_nl|psi_n>; recip: rows b_i (Bohr^-1). The object's own
 * scratch; the projections on team when not NULL. */
mb_status mb__nonlocal_forces(const mb__nonlocal *nl, mb__team *team, const mb__basis *basis,
                              const double recip[9], int nvec, const double complex *psi,
                              const double *weight, double *forces);
/* Forces -dE/dR of E = omega sum_G conj(f(G)) sum_a(of psp) e^{-iG.R_a} form_a(G)/omega
 * where f is a real field on the box (ntot) and form is the local potential (what 0,
 * f = rho) or the model core density (what 1, f = V_xc); added to forces. */
mb_status mb__ionic_forces(const mb__fft *fft, mb__team *team, int natoms, const double *frac,
                           const int *types, mb__psp *const *psp, int what,
                           const double *field, double *forces);

/* The output density integrated in a sphere of radius (Bohr) around each atom, as
 * ABINIT's "Integrated electronic and magnetization densities in atomic spheres"
 * (ratsph, ratsm 0): the FFT points within radius of the atom or a periodic image;
 * charge[a] = up + down, moment[a] = up - down (0 unpolarised). Either may be NULL. */
mb_status mb__scf_spheres(const mb__scf *s, double radius, double *charge, double *moment);

/* Ground state by density mixing (one-shot: create, solve, free); MB_ERR_NOT_CONVERGED (result filled with the last
 * step) when maxstep is reached. */
mb_status mb__scf_run(const mb__scf_input *in, mb__scf_result *res);

#endif
