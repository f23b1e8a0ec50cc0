/* Private interfaces of the plane-wave DFT engine (lib/dft). Not installed.
 *
 * Units: Hartree atomic units everywhere in this module (Bohr, Hartree, electron
 * charge); the public mb_dft functions convert from and to Angstrom and eV at the
 * API. Lattices are 3x3 row-major, rows are the lattice vectors (Bohr);
 * reciprocal vectors b_i with a_i . b_j = 2 pi delta_ij. Reduced coordinates
 * ("frac") are in units of the lattice vectors, reduced k-points in units of b_i.
 *
 * Modules and their files:
 *   pseudopotentials  psp.c (form factors, dispatch), psp_psp8.c (ONCVPSP psp8,
 *                     pspcod 8), psp_hgh.c (HGH, pspcod 3), psp_find.c (by element)
 *   ions              ewald.c (Ewald energy, forces, stress)
 *   basis             kpoints.c (Monkhorst-Pack, symmetry, time reversal),
 *                     fftgrid.c (FFT box as ABINIT chooses it, G vectors),
 *                     basis.c (plane waves |k+G|^2/2 <= ecut per k-point)
 * ABINIT 9.6 (Debian) is the reference throughout: tests store its numbers with
 * the inputs that produced them.
 */
#ifndef MB_DFT_H
#define MB_DFT_H

#include <complex.h>
#include <stddef.h>

#include "../core/core.h"

/* CODATA 2018, as ABINIT 9.6 (defs_basis): Bohr radius in Angstrom, Hartree in eV. */
#define MB_BOHR_ANGSTROM 0.529177210903
#define MB_HARTREE_EV 27.211386245988

/* ---- pseudopotentials (psp.c, psp_psp8.c, psp_hgh.c) ------------------------ */

#define MB_PSP_LMAX 3      /* s, p, d, f */
#define MB_PSP_MAXPROJ 4   /* projectors per angular momentum (fully relativistic psp8: 4) */

typedef enum mb__psp_format { MB__PSP_PSP8 = 8, MB__PSP_HGH = 3 } mb__psp_format;

/* A norm-conserving pseudopotential in Kleinman-Bylander form:
 *   V = V_loc(r) + sum_l sum_ij |beta_li> D_l,ij <beta_lj|
 * (psp8 has D diagonal: the "ekb" energies; HGH has a full 3x3 h_l,ij), and an
 * optional model core charge for the non-linear core correction (psp8 only).
 * What the rest of the engine uses are the reciprocal-space form factors below,
 * for a cell of volume omega (Bohr^3), as functions of q = |G| (Bohr^-1). */
typedef struct mb__psp {
  mb__psp_format format;
  char path[512];
  double zatom, zion;
  int pspxc;                  /* ABINIT's ixc code of the file (e.g. 11 PBE, 1 LDA) */
  int lmax;
  int nproj[MB_PSP_LMAX + 1]; /* projectors per l (0 for unused l) */
  int from_upf;               /* read from a UPF file (through its psp8 translation) */
  double d[MB_PSP_LMAX + 1][MB_PSP_MAXPROJ][MB_PSP_MAXPROJ]; /* D_l,ij, Hartree */
  int has_core;               /* model core charge present */
  /* private to psp*.c: radial grids / analytic parameters and q tables */
  void *impl;
  int norb;                   /* pseudo-atomic orbitals (UPF PP_CHI; 0 for psp8 and HGH) */
  struct mb__psp_orbital *orb;/* norb of them (psp_orbital.c), NULL when none */
} mb__psp;

/* A pseudo-atomic orbital of a UPF file (PP_PSWFC/PP_CHI.i), chi(r) Y_lm(r^): the
 * projector of DFT+U (hubbard.c). UPF stores u(r) = r chi(r) on the file's mesh. */
typedef struct mb__psp_orbital {
  char label[8];              /* "3D" */
  int l;
  double occupation;          /* electrons in the file's atomic configuration */
  int n;                      /* mesh points of u */
  double h;                   /* the uniform mesh step (Bohr), r_j = j h */
  double *u;                  /* n values r chi(r) */
  double *table;              /* form factor on a q grid (psp_orbital.c) */
} mb__psp_orbital;

/* Read a psp8 or HGH file (format from its pspcod line); errors are
 * MB_ERR_PARSE "path:line: ..." or MB_ERR_UNSUPPORTED (e.g. a PAW file). */
mb_status mb__psp_read(const char *path, mb__psp **out);
/* The same from a buffer (name used in messages; fuzzing). */
mb_status mb__psp_read_buffer(const char *data, size_t size, const char *name,
                              mb__psp **out);
void mb__psp_free(mb__psp *p);

/* Local part without its Coulomb tail, as ABINIT splits it:
 *   V_loc(G) = [ -4 pi zion / q^2 + vloc_short(q) ] / omega   (q > 0),
 * vloc_short(q) = 4 pi int_0^inf (r V_loc(r) + zion) sin(qr)/q dr (for q > 0,
 * Hartree Bohr^3), and at q = 0 the finite limit
 *   vloc_short(0) = 4 pi int_0^inf (r V_loc(r) + zion) r dr
 * (ABINIT's "epsatm", which enters the energy as zion_total * sum epsatm / omega).
 */
double mb__psp_vloc_short(const mb__psp *p, double q);
/* Projector form factor of (l, i): f_li(q) = 4 pi int_0^inf r^2 beta_li(r) j_l(qr) dr,
 * so that <k+G|beta_lim> = f_li(|k+G|) Y_lm(k+G^) (-i)^l / sqrt(omega) with real
 * spherical harmonics. */
double mb__psp_projector(const mb__psp *p, int l, int i, double q);
/* Form factor of orbital i (0..norb-1): chi_i(q) = 4 pi int_0^R r^2 chi_i(r) j_l(qr) dr
 * = 4 pi int r u(r) j_l(qr) dr, so that <k+G|phi_lm> = chi_i(|k+G|) Y_lm(k+G^) (-i)^l /
 * sqrt(omega) as for the projectors; 0 for i out of range. Integrated by Simpson's rule
 * up to R = 10 Bohr as Quantum ESPRESSO does, tabulated in q (psp_orbital.c). */
double mb__psp_orbital_ff(const mb__psp *p, int i, double q);
/* int_0^inf |u_i(r)|^2 dr on the mesh (1 for a bound orbital whose tail the mesh holds). */
double mb__psp_orbital_norm(const mb__psp *p, int i);
/* The orbital of angular momentum l used for DFT+U: the last one of that l in the file
 * (the valence shell: 4S rather than the semicore 3S, as Quantum ESPRESSO's
 * offset_atom_wfc picks it), or -1 when the file has none. */
int mb__psp_orbital_of_l(const mb__psp *p, int l);
/* Model core charge: rho_core(G) = core(q) / omega, core(q) = 4 pi int r^2
 * rho_core(r) j_0(qr) dr (0 when there is no core charge). */
double mb__psp_core(const mb__psp *p, double q);
/* Pseudo-atomic valence density for the SCF's starting guess: rho_val(G) = val(q) /
 * omega, val(q) = 4 pi int r^2 rho_val(r) j_0(qr) dr, val(0) = zion. psp8: the file's
 * density (extension_switch 1, 3), rescaled to zion as ABINIT does; 0 at every q when
 * the file has none. HGH: a model Gaussian (psp_hgh.c). */
double mb__psp_valence(const mb__psp *p, double q);
/* Largest q (Bohr^-1) at which the tables above are accurate (>= what 4x the
 * cutoffs of interest need; the tables are built on first use up to this). */
double mb__psp_qmax(const mb__psp *p);

/* The file for element z in dir (NULL: the Debian abinit-data directory
 * /usr/share/abinit/psp): PseudoDojo PBE psp8 first, then HGH. *path is new
 * (free()). MB_ERR_IO naming dir and the element when none is found. */
mb_status mb__psp_find(int z, const char *dir, int prefer_lda, char **path);

/* ---- ions (ewald.c) ---------------------------------------------------------- */

/* Ewald energy of point charges zion[i] at reduced positions frac (3*natoms) in
 * the lattice (Bohr) with a uniform compensating background, Hartree; forces
 * (3*natoms, Hartree/Bohr, Cartesian) and stress (9, Hartree/Bohr^3, sigma_ab =
 * (1/omega) dE/d eps_ab) may be NULL. Converged to 1e-12 relative whatever the
 * cell shape. */
mb_status mb__ewald(const double lattice[9], int natoms, const double *frac,
                    const double *zion, double *energy, double *forces, double *stress);

/* ---- k-points (kpoints.c) ---------------------------------------------------- */

typedef struct mb__kpoints {
  int nk;
  double *k;      /* 3*nk reduced coordinates */
  double *weight; /* nk, sum 1 */
} mb__kpoints;

/* Monkhorst-Pack grid n[3] with shift s[3] (0 or 0.5 in units of the grid
 * step, as ABINIT's ngkpt/shiftk), reduced by the crystal's point group
 * (symmetry operations from spglib on the structure given by lattice, frac and
 * types; symprec in Bohr) and by time reversal, as ABINIT 9.6 does it (the same
 * irreducible set and weights, possibly in another order and another
 * representative of each star). use_symmetry = 0 keeps the full grid (time
 * reversal still applied unless time_reversal = 0). */
mb_status mb__kpoints_mp(const double lattice[9], int natoms, const double *frac,
                         const int *types, const int n[3], const double s[3],
                         int use_symmetry, int time_reversal, double symprec,
                         mb__kpoints **out);
void mb__kpoints_free(mb__kpoints *k);

/* ---- FFT box and plane waves (fftgrid.c, basis.c) ----------------------------- */

/* FFT box for a plane-wave cutoff ecut (Hartree) as ABINIT 9.6 chooses ngfft
 * (the sphere of radius boxcutmin sqrt(2 ecut) fits; boxcutmin 0 means 2, the
 * smallest box without aliasing; sizes with factors 2, 3 and 5 only, ABINIT's list
 * of allowed sizes). */
mb_status mb__fft_size(const double lattice[9], double ecut, double boxcutmin, int n[3]);

typedef struct mb__sphere mb__sphere;

typedef struct mb__basis {
  int npw;        /* plane waves |k+G|^2/2 <= ecut (real: half of the sphere, below) */
  int *g;         /* 3*npw integer G (reduced, in units of b_i) */
  int *fft_index; /* npw linear indices into the FFT box (i0 + n0*(i1 + n1*i2)) */
  double *kin;    /* npw |k+G|^2/2, Hartree */
  double *kg;     /* 3*npw Cartesian k+G, Bohr^-1 */
  mb__sphere *sphere; /* sphere-aware FFT plans (kohnsham.h), owned; NULL: none */
  /* Real wavefunctions at a time-reversal-invariant k (2k a reciprocal lattice vector
   * K0: Gamma, the zone-boundary points; ABINIT's istwfk 2..9): psi(r) can be chosen
   * real, so c(-G-K0) = conj c(G) and only half of the sphere is stored: one k+G of each
   * pair {k+G, -(k+G)} (the one whose first non-zero component of 2(k+G) is positive),
   * at Gamma with G = 0 first. A vector u of this basis stands for c(G) = u_G / sqrt 2,
   * c(-G-K0) = conj(u_G) / sqrt 2, except c(0) = u_0 at Gamma (real: imaginary part 0).
   * With that scaling <a|b> over the full sphere is sum_i Re(conj(a_i) b_i): the dot
   * product of the arrays read as 2 npw real numbers, so the dense algebra runs in real
   * arithmetic (dgemm on 2 npw rows). */
  int real;           /* 0 complex (full sphere), 1 real at Gamma, 2 real at another k */
  int *fft_index_neg; /* real: npw box indices of -G-K0, the partner's (NULL otherwise) */
  double k[3];        /* the k-point (reduced) */
  double complex *kphase; /* real 2: e^{2 pi i k_j i_j/n_j}, n0 + n1 + n2 values, the
                             factors of e^{ik.r} on the box (NULL otherwise) */
} mb__basis;

/* Plane waves of reduced k-point k within ecut, in a fixed order (by |k+G|,
 * then G), mapped to the FFT box n. sphere is left NULL (mb__sphere_create adds it). */
mb_status mb__basis_create(const double lattice[9], const double k[3], double ecut,
                           const int n[3], mb__basis **out);
/* The half sphere of real wavefunctions at a time-reversal-invariant k (see
 * mb__basis.real; MB_ERR_INVALID_ARG when 2k is not integer), in the same order as
 * mb__basis_create's sphere with the partner of each pair left out. */
mb_status mb__basis_create_real(const double lattice[9], const double k[3], double ecut,
                                const int n[3], mb__basis **out);
/* 1 when 2k is a reciprocal lattice vector (k reduced; to 1e-9). */
int mb__kpoint_tr_invariant(const double k[3]);
/* The number of independent directions of the basis' vectors: npw complex ones, or for
 * real wavefunctions 2 npw (2 npw - 1 at Gamma) real ones (the most bands an
 * eigensolver can find). */
int mb__basis_dim(const mb__basis *b);
void mb__basis_free(mb__basis *b);

#endif
