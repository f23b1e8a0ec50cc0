/* Self-consistent field loop of the plane-wave engine: density mixing (Pulay + Kerker,
 * mixing.c) around LOBPCG diagonalisations at every k-point (eigensolver.c), kept in a
 * persistent mb__scf so that a new geometry starts from the last solution.
 *
 * One step: V_in = V_loc,ion + V_H[rho_in] + V_xc[rho_in + rho_core]; a few LOBPCG
 * iterations per k-point (warm start, tolerance tied to the density residual; the
 * (spin, k-point) pairs shared among nthreads threads, those left over working inside
 * one, solve_bands); occupations; rho_out; the energy of the output state
 * in the direct form
 *   E = T + E_loc[rho_out] + E_nl + E_H[rho_out] + E_xc[rho_out] + E_ewald + E_pspcore,
 * the components ABINIT prints (at self-consistency this is its Etotal); then
 * rho_in <- mix(rho_in, rho_out). Converged when |dE| < toldfe on two successive steps
 * and the residual norm ||rho_out - rho_in|| < tolrho. Symmetry (use_symmetry): the
 * Monkhorst-Pack grid is reduced by the space group's rotations and time reversal, as
 * ABINIT's kptopt 1, and the output density of the irreducible k-points is averaged
 * over the operations (symmetrize.c); the FFT box is made invariant under the
 * rotations (ABINIT's getng does the same). Without it the grid is reduced by time
 * reversal only. The density is summed over k-points in a fixed order, and the work
 * inside a k-point is cut into slices by the problem's sizes alone (team.c), so the
 * results do not depend on the thread count.
 *
 * Warm start (mb__scf_set_positions): the ionic terms are rebuilt for the new
 * positions; the wavefunctions and the last output density are kept as the start and
 * the mixing history is dropped. */
#include <complex.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xc.h>

#include "hubbard.h"

#define SYMPREC 1e-5 /* Bohr, spglib's tolerance for the space group */
/* DFT+U: the occupation matrices ride on the density's Pulay steps, preconditioned by
 * the density's mixing fraction (hubbard.c) */
#define HUBBARD_BETA(s) ((s)->in.mixing > 0 ? (s)->in.mixing : 0.6)

/* Occupations (occ) and Fermi level(s) from the eigenvalues eig[(isp*nk + ik)*nband + ib].
 * Spin-polarised with a fixed moment M: nelect_up = (N + M)/2, nelect_down = (N - M)/2,
 * each channel with its own Fermi level (ABINIT spinmagntarget); free: one Fermi level. */
static mb_status occupy(const mb__scf_input *in, const mb__kpoints *kp, int nsp, double nelect,
                        const double *eig, double *occ, double fermi[2], double *entropy) {
  *entropy = 0;
  const size_t nkb = (size_t)kp->nk * in->nband;
  double nspin_el[2] = {0.5 * (nelect + in->moment), 0.5 * (nelect - in->moment)};
  const int fixed = nsp == 2 && in->fix_moment;
  if (in->occopt == 1) {
    mb_status st = mb__occ_fixed(nsp, kp->nk, in->nband, nelect, fixed ? nspin_el : NULL, occ);
    if (st != MB_OK) return st;
    for (int sp = 0; sp < nsp; sp++) {
      fermi[sp] = -INFINITY;
      for (size_t i = sp * nkb; i < (sp + 1) * nkb; i++)
        if (occ[i] > 0 && eig[i] > fermi[sp]) fermi[sp] = eig[i];
    }
    if (nsp == 1) fermi[1] = fermi[0];
    return MB_OK;
  }
  if (!fixed) {
    double s = 0;
    mb_status st = mb__occ_smeared((mb__smearing)in->occopt, in->tsmear, nsp, kp->nk,
                                   in->nband, eig, kp->weight, nelect, occ, fermi, &s);
    *entropy = -in->tsmear * s;
    fermi[1] = fermi[0];
    return st;
  }
  /* one channel at a time as an unpolarised problem of twice its electrons (maxocc 2),
   * then halved: the occupations in [0, 1] and the entropy of that channel */
  for (int sp = 0; sp < 2; sp++) {
    double s = 0;
    mb_status st = mb__occ_smeared((mb__smearing)in->occopt, in->tsmear, 1, kp->nk, in->nband,
                                   eig + sp * nkb, kp->weight, 2 * nspin_el[sp],
                                   occ + sp * nkb, fermi + sp, &s);
    if (st != MB_OK) return st;
    for (size_t i = sp * nkb; i < (sp + 1) * nkb; i++) occ[i] *= 0.5;
    *entropy += -in->tsmear * 0.5 * s;
  }
  return MB_OK;
}

static mb_status check_input(const char *fn, const mb__scf_input *in) {
  if (!in) return mb__error(MB_ERR_INVALID_ARG, "%s: NULL argument", fn);
  if (in->natoms < 1 || !in->frac || !in->types || in->ntypes < 1 || !in->psp)
    return mb__error(MB_ERR_INVALID_ARG, "%s: no atoms or no pseudopotentials", fn);
  for (int a = 0; a < in->natoms; a++)
    if (in->types[a] < 0 || in->types[a] >= in->ntypes || !in->psp[in->types[a]])
      return mb__error(MB_ERR_INVALID_ARG, "%s: atom %d has type %d (ntypes %d)", fn, a,
                       in->types[a], in->ntypes);
  if (!(in->ecut > 0) || in->nband < 1 || in->maxstep < 1 || !(in->toldfe > 0) ||
      !(in->tolrho > 0))
    return mb__error(MB_ERR_INVALID_ARG, "%s: ecut %g, nband %d, maxstep %d, toldfe %g, "
                     "tolrho %g", fn, in->ecut, in->nband, in->maxstep, in->toldfe, in->tolrho);
  for (int j = 0; j < 3; j++)
    if (in->ngkpt[j] < 1)
      return mb__error(MB_ERR_INVALID_ARG, "%s: ngkpt %d %d %d", fn, in->ngkpt[0],
                       in->ngkpt[1], in->ngkpt[2]);
  if (in->occopt != 1 && in->occopt != 3 && in->occopt != 4 && in->occopt != 5 &&
      in->occopt != 7)
    return mb__error(MB_ERR_UNSUPPORTED, "%s: occopt %d", fn, in->occopt);
  if (in->occopt != 1 && !(in->tsmear > 0))
    return mb__error(MB_ERR_INVALID_ARG, "%s: tsmear %g", fn, in->tsmear);
  double nelect = -in->charge;
  for (int a = 0; a < in->natoms; a++) nelect += in->psp[in->types[a]]->zion;
  if (!(nelect > 0) || !isfinite(in->charge))
    return mb__error(MB_ERR_INVALID_ARG, "%s: a net charge of %g leaves %g electrons", fn,
                     in->charge, nelect);
  if (2 * in->nband < nelect - 1e-9)
    return mb__error(MB_ERR_INVALID_ARG, "%s: %d bands hold fewer than %g electrons", fn,
                     in->nband, nelect);
  if (in->nspin < 0 || in->nspin > 2)
    return mb__error(MB_ERR_INVALID_ARG, "%s: nspin %d (1 or 2)", fn, in->nspin);
  if (in->nspin == 2) {
    if (in->spinat)
      for (int a = 0; a < in->natoms; a++)
        if (!isfinite(in->spinat[a]) || fabs(in->spinat[a]) > in->psp[in->types[a]]->zion)
          return mb__error(MB_ERR_INVALID_ARG, "%s: starting moment %g of atom %d is not "
                           "within +-%g (its valence)", fn, in->spinat[a], a,
                           in->psp[in->types[a]]->zion);
    if (in->fix_moment) {
      if (!isfinite(in->moment) || fabs(in->moment) > nelect)
        return mb__error(MB_ERR_INVALID_ARG, "%s: a total moment of %g for %g electrons", fn,
                         in->moment, nelect);
      if (in->nband < 0.5 * (nelect + fabs(in->moment)) - 1e-9)
        return mb__error(MB_ERR_INVALID_ARG, "%s: %d bands hold fewer than the %g electrons "
                         "of the majority spin", fn, in->nband, 0.5 * (nelect + fabs(in->moment)));
    } else if (in->occopt == 1) {
      return mb__error(MB_ERR_INVALID_ARG, "%s: spin polarisation with fixed occupations "
                       "needs a fixed total moment (or use smearing)", fn);
    }
  }
  return MB_OK;
}

/* Drop the k-points and everything per k-point. */
static void free_kpoints(mb__scf *s) {
  if (s->kd && s->kp)
    for (int ik = 0; ik < s->kp->nk; ik++) {
      mb__basis_free(s->kd[ik].basis);
      mb__nonlocal_free(s->kd[ik].nl);
      free(s->kd[ik].psi);
    }
  free(s->kd), free(s->eig), free(s->occ);
  s->kd = NULL, s->eig = s->occ = NULL;
  mb__kpoints_free(s->kp);
  s->kp = NULL;
}

void mb__scf_free(mb__scf *s) {
  if (!s) return;
  free_kpoints(s);
  free(s->psp);
  mb__symm_free(s->sym);
  mb__mixer_free(s->mixer);
  mb__xc_free(s->xc);
  mb__hubbard_free(s->hub);
  free(s->vion), free(s->core), free(s->rho), free(s->rho_out), free(s->vxc);
  free(s->tau), free(s->tau_out), free(s->vtau);
  free(s->frac), free(s->types), free(s->zion), free(s->spinat), free(s->symtypes);
  mb__fft_free(s->fft);
  free(s);
}

/* Everything that depends on the positions: Ewald, local potential, model core,
 * projectors (rebuilt at every k-point). */
static mb_status set_ions(mb__scf *s) {
  const mb__scf_input *in = &s->in;
  mb__team *team = NULL; /* the fields on the box on all the threads */
  mb_status st = mb__team_create(s->nthreads, &team);
  if (st == MB_OK)
    st = mb__ewald(in->lattice, in->natoms, s->frac, s->zion, &s->ewald, NULL, NULL);
  if (st == MB_OK)
    st = mb__ionic_vloc(s->fft, team, in->natoms, s->frac, s->types, in->psp, s->vion);
  if (st == MB_OK)
    st = mb__ionic_core(s->fft, team, in->natoms, s->frac, s->types, in->psp, s->core,
                        &s->has_core);
  mb__team_free(team);
  if (st != MB_OK) return st;
  for (int ik = 0; ik < s->kp->nk; ik++) {
    mb__nonlocal *nl = NULL;
    if ((st = mb__nonlocal_create(s->kd[ik].basis, s->fft->omega, in->natoms, s->frac,
                                  s->types, in->psp, &nl)) != MB_OK)
      return st;
    mb__nonlocal_free(s->kd[ik].nl);
    s->kd[ik].nl = nl;
  }
  if (s->hub && (st = mb__hubbard_set_ions(s->hub, s)) != MB_OK) return st; /* DFT+U */
  s->converged = 0;
  return MB_OK;
}

/* The per-k-point arrays (kp set): kd, eig, occ. */
static mb_status alloc_kpoints(mb__scf *s) {
  size_t nkb = (size_t)s->nsp * s->kp->nk * s->in.nband;
  s->eig = mb__calloc(nkb, sizeof(double)), s->occ = mb__calloc(nkb, sizeof(double));
  s->kd = mb__calloc(s->kp->nk, sizeof *s->kd);
  return s->eig && s->occ && s->kd ? MB_OK : MB_ERR_NOMEM;
}

int mb__scf_real_kpoint(const double k[3], int full_sphere, int plus_u) {
  return mb__kpoint_tr_invariant(k) && !full_sphere && !plus_u;
}

static int real_at(const mb__scf *s, int ik) {
  return mb__scf_real_kpoint(s->kp->k + 3 * ik, s->in.full_sphere, s->hub != NULL);
}

/* The plane waves of k-point ik with their sphere-aware FFT plans; real: half of the
 * sphere for real wavefunctions (real_at; a copy takes its source's). */
static mb_status make_basis(const mb__scf *s, int ik, int real, mb__basis **out) {
  const double *k = s->kp->k + 3 * ik;
  mb_status st = real ? mb__basis_create_real(s->in.lattice, k, s->in.ecut, s->fft->n, out)
                      : mb__basis_create(s->in.lattice, k, s->in.ecut, s->fft->n, out);
  if (st == MB_OK) st = mb__sphere_create(s->fft, *out, &(*out)->sphere);
  return st;
}

/* Reduced k-points of the grid (by the space group when s->sym is set), their bases
 * and wavefunction arrays (not yet initialised). */
static mb_status make_kpoints(mb__scf *s, const char *fn) {
  const mb__scf_input *in = &s->in;
  mb_status st;
  if ((st = mb__kpoints_mp(in->lattice, in->natoms, s->frac, s->symtypes, in->ngkpt,
                           in->shiftk, s->sym != NULL, 1, SYMPREC, &s->kp)) != MB_OK ||
      (st = alloc_kpoints(s)) != MB_OK)
    return st;
  for (int ik = 0; ik < s->kp->nk; ik++) {
    mb__scf_kpoint *k = s->kd + ik;
    if ((st = make_basis(s, ik, real_at(s, ik), &k->basis)) != MB_OK) return st;
    if (3 * in->nband > mb__basis_dim(k->basis))
      return mb__error(MB_ERR_INVALID_ARG, "%s: %d bands need more than the %d plane waves "
                       "of k-point %d (raise ecut)", fn, in->nband, mb__basis_dim(k->basis),
                       ik);
    k->psi = mb__malloc((size_t)k->basis->npw * in->nband * s->nsp, sizeof(double complex));
    if (!k->psi) return MB_ERR_NOMEM;
  }
  return MB_OK;
}

/* Whether the k-point grid is mapped onto itself by every rotation (k -> W^T k). A grid
 * that is not (e.g. the shifted 2x2x2 grid of an fcc cell, which breaks the S4 axes)
 * samples the zone differently from its symmetric average: symmetrising would change
 * the result, so such grids get time reversal only (ABINIT stops there, chksymbreak 1). */
static int grid_symmetric(const mb__symm *sym, const int n[3], const double sh[3]) {
  for (long idx = 0; idx < (long)n[0] * n[1] * n[2]; idx++) {
    long m[3] = {idx % n[0], (idx / n[0]) % n[1], idx / ((long)n[0] * n[1])};
    double k[3];
    for (int i = 0; i < 3; i++) k[i] = (m[i] + sh[i]) / n[i];
    for (int o = 0; o < sym->nop; o++) {
      const int *w = sym->rot + 9 * o;
      for (int i = 0; i < 3; i++) {
        double x = (w[i] * k[0] + w[3 + i] * k[1] + w[6 + i] * k[2]) * n[i] - sh[i];
        if (fabs(x - nearbyint(x)) > 1e-8) return 0;
      }
    }
  }
  return 1;
}

/* The space group to use at the current positions: NULL when the grid breaks it. */
static mb_status find_symmetry(mb__scf *s, mb__symm **out) {
  *out = NULL;
  mb__symm *sym = NULL;
  mb_status st =
      mb__symm_find(s->in.lattice, s->in.natoms, s->frac, s->symtypes, SYMPREC, &sym);
  if (st != MB_OK) return st;
  if (!grid_symmetric(sym, s->in.ngkpt, s->in.shiftk)) {
    mb__log(&s->log, MB_LOG_INFO, "symmetry: the k-point grid %dx%dx%d (shift %g %g %g) is "
            "not invariant under the %d operations of the structure: time reversal only",
            s->in.ngkpt[0], s->in.ngkpt[1], s->in.ngkpt[2], s->in.shiftk[0], s->in.shiftk[1],
            s->in.shiftk[2], sym->nop);
    mb__symm_free(sym);
    return MB_OK;
  }
  *out = sym;
  return MB_OK;
}

/* The allocations common to create and copy (fft and in already set). */
static mb_status alloc_fields(mb__scf *s) {
  size_t N = s->fft->ntot, NS = N * s->nsp;
  s->vion = mb__malloc(N, sizeof(double)), s->core = mb__malloc(N, sizeof(double));
  s->rho = mb__malloc(NS, sizeof(double)), s->rho_out = mb__calloc(NS, sizeof(double));
  s->vxc = mb__calloc(NS, sizeof(double));
  if (!s->vion || !s->core || !s->rho || !s->rho_out || !s->vxc) return MB_ERR_NOMEM;
  int ixc = s->in.ixc ? s->in.ixc : s->in.psp[s->in.types[0]]->pspxc;
  mb__mix_options mo = {.alpha = s->in.mixing > 0 ? s->in.mixing : 0.6, .kerker_q0 = 0.8,
                        .history = 8};
  mb_status st;
  if ((st = mb__xc_from_ixc(ixc, s->nsp, &s->xc)) != MB_OK ||
      (st = mb__mixer_create(s->fft, s->nsp, &mo, &s->mixer)) != MB_OK)
    return st;
  if (s->xc->family == XC_FAMILY_MGGA) {
    /* the kinetic-energy density of a model core is not defined: as ABINIT, refuse
     * core-corrected pseudopotentials with a meta-GGA */
    for (int t = 0; t < s->in.ntypes; t++)
      if (s->in.psp[t]->has_core)
        return mb__error(MB_ERR_UNSUPPORTED, "%s: a meta-GGA needs pseudopotentials without "
                         "non-linear core correction (as ABINIT); e.g. the PseudoDojo files "
                         "without it in ../shared/psp/pseudodojo-nc-sr-04-pbe-nocc",
                         s->in.psp[t]->path);
    s->tau = mb__calloc(NS, sizeof(double)), s->tau_out = mb__calloc(NS, sizeof(double));
    s->vtau = mb__calloc(NS, sizeof(double));
    if (!s->tau || !s->tau_out || !s->vtau) return MB_ERR_NOMEM;
  }
  return MB_OK;
}

/* A new mb__scf with in, frac, types and zion copied; no fields yet. */
static mb_status new_scf(const mb__scf_input *in, const double *frac, int nthreads,
                         mb__scf **out) {
  mb__scf *s = mb__calloc(1, sizeof *s);
  if (!s) return MB_ERR_NOMEM;
  int nat = in->natoms;
  s->in = *in;
  s->nthreads = nthreads;
  s->frac = mb__malloc(3 * (size_t)nat, sizeof(double));
  s->types = mb__malloc(nat, sizeof(int));
  s->zion = mb__malloc(nat, sizeof(double));
  s->psp = mb__malloc(in->ntypes, sizeof *s->psp);
  s->nsp = in->nspin == 2 ? 2 : 1;
  s->spinat = mb__calloc(nat, sizeof(double));
  s->symtypes = mb__malloc(nat, sizeof(int));
  if (!s->frac || !s->types || !s->zion || !s->psp || !s->spinat || !s->symtypes) {
    mb__scf_free(s);
    return MB_ERR_NOMEM;
  }
  memcpy(s->frac, frac, 3 * (size_t)nat * sizeof(double));
  memcpy(s->types, in->types, (size_t)nat * sizeof(int));
  for (int t = 0; t < in->ntypes; t++) s->psp[t] = in->psp[t];
  s->in.frac = s->frac, s->in.types = s->types, s->in.psp = s->psp;
  if (s->nsp == 2 && in->spinat) memcpy(s->spinat, in->spinat, (size_t)nat * sizeof(double));
  s->in.spinat = s->spinat;
  /* the types symmetry sees: atoms of one element with different starting moments are
   * not equivalent (the group of the magnetic order, as ABINIT's symatm with spinat) */
  for (int a = 0; a < nat; a++) {
    s->symtypes[a] = a;
    for (int b = 0; b < a; b++)
      if (in->types[b] == in->types[a] && fabs(s->spinat[b] - s->spinat[a]) < 1e-8) {
        s->symtypes[a] = s->symtypes[b];
        break;
      }
  }
  s->in.hubbard_u = NULL; /* borrowed; what it says is in s->hub */
  for (int a = 0; a < nat; a++) s->nelect += s->zion[a] = in->psp[in->types[a]]->zion;
  s->nelect -= in->charge; /* a charged cell: the background compensates */
  s->log.fn = NULL;
  *out = s;
  return MB_OK;
}

mb_status mb__scf_create(const mb__scf_input *in, int nthreads, mb__scf **out) {
  if (!out) return mb__error(MB_ERR_INVALID_ARG, "mb__scf_create: NULL output");
  *out = NULL;
  mb_status st = check_input("mb__scf_create", in);
  if (st != MB_OK) return st;
  if (nthreads < 1)
    return mb__error(MB_ERR_INVALID_ARG, "mb__scf_create: nthreads %d", nthreads);
  if (in->use_symmetry != 0 && in->use_symmetry != 1)
    return mb__error(MB_ERR_INVALID_ARG, "mb__scf_create: use_symmetry %d (0 or 1)",
                     in->use_symmetry);
  if (!(in->mixing >= 0 && in->mixing <= 1))
    return mb__error(MB_ERR_INVALID_ARG, "mb__scf_create: mixing %g not in (0, 1]",
                     in->mixing);
  mb__scf *s = NULL;
  if ((st = new_scf(in, in->frac, nthreads, &s)) != MB_OK) return st;
  int n[3];
  if (in->use_symmetry && (st = find_symmetry(s, &s->sym)) != MB_OK) goto cleanup;
  if ((st = mb__fft_size(in->lattice, in->ecut, in->boxcutmin, n)) != MB_OK) goto cleanup;
  if (s->sym) mb__symm_box(s->sym, n);
  if ((st = mb__fft_create(in->lattice, n, MB__FFT_MEASURE, 1, &s->fft)) != MB_OK ||
      (st = alloc_fields(s)) != MB_OK ||
      (st = mb__hubbard_create(in, s->nsp, &s->hub)) != MB_OK ||
      (st = make_kpoints(s, "mb__scf_create")) != MB_OK ||
      (st = set_ions(s)) != MB_OK)
    goto cleanup;
  *out = s;
  s = NULL;
cleanup:
  mb__scf_free(s);
  return st;
}

mb_status mb__scf_copy(const mb__scf *src, mb__scf **out) {
  if (!src || !out) return mb__error(MB_ERR_INVALID_ARG, "mb__scf_copy: NULL argument");
  *out = NULL;
  mb__scf *s = NULL;
  mb_status st = new_scf(&src->in, src->frac, src->nthreads, &s);
  if (st != MB_OK) return st;
  s->log = src->log;
  if (src->sym && (st = mb__symm_copy(src->sym, &s->sym)) != MB_OK) goto cleanup;
  const mb__kpoints *kp = src->kp;
  s->kp = mb__calloc(1, sizeof *s->kp);
  if (!s->kp) goto nomem;
  s->kp->nk = kp->nk;
  s->kp->k = mb__malloc(3 * (size_t)kp->nk, sizeof(double));
  s->kp->weight = mb__malloc(kp->nk, sizeof(double));
  if (!s->kp->k || !s->kp->weight) goto nomem;
  memcpy(s->kp->k, kp->k, 3 * (size_t)kp->nk * sizeof(double));
  memcpy(s->kp->weight, kp->weight, (size_t)kp->nk * sizeof(double));
  if ((st = mb__fft_create(src->in.lattice, src->fft->n, MB__FFT_MEASURE, 1, &s->fft)) !=
          MB_OK ||
      (st = alloc_fields(s)) != MB_OK || (st = alloc_kpoints(s)) != MB_OK)
    goto cleanup;
  size_t N = s->fft->ntot, NS = N * s->nsp, nkb = (size_t)s->nsp * kp->nk * s->in.nband;
  memcpy(s->vion, src->vion, N * sizeof(double));
  memcpy(s->core, src->core, N * sizeof(double));
  memcpy(s->rho, src->rho, NS * sizeof(double));
  memcpy(s->rho_out, src->rho_out, NS * sizeof(double));
  memcpy(s->vxc, src->vxc, NS * sizeof(double));
  if (s->tau) {
    memcpy(s->tau, src->tau, NS * sizeof(double));
    memcpy(s->tau_out, src->tau_out, NS * sizeof(double));
    memcpy(s->vtau, src->vtau, NS * sizeof(double));
  }
  memcpy(s->eig, src->eig, nkb * sizeof(double));
  memcpy(s->occ, src->occ, nkb * sizeof(double));
  s->ewald = src->ewald, s->pspcore = src->pspcore, s->has_core = src->has_core;
  s->solved = src->solved, s->converged = src->converged, s->last = src->last;
  for (int ik = 0; ik < kp->nk; ik++) {
    mb__scf_kpoint *k = s->kd + ik;
    if ((st = make_basis(s, ik, src->kd[ik].basis->real, &k->basis)) != MB_OK ||
        (st = mb__nonlocal_create(k->basis, s->fft->omega, s->in.natoms, s->frac, s->types,
                                  s->in.psp, &k->nl)) != MB_OK)
      goto cleanup;
    size_t len = (size_t)k->basis->npw * s->in.nband * s->nsp;
    k->psi = mb__malloc(len, sizeof(double complex));
    if (!k->psi) goto nomem;
    memcpy(k->psi, src->kd[ik].psi, len * sizeof(double complex));
  }
  if ((st = mb__hubbard_copy(src->hub, &s->hub)) != MB_OK ||
      (s->hub && (st = mb__hubbard_set_ions(s->hub, s)) != MB_OK)) /* DFT+U */
    goto cleanup;
  *out = s;
  return MB_OK;
nomem:
  st = MB_ERR_NOMEM;
cleanup:
  mb__scf_free(s);
  return st;
}

mb_status mb__scf_set_positions(mb__scf *s, const double *frac) {
  if (!s || !frac) return mb__error(MB_ERR_INVALID_ARG, "mb__scf_set_positions: NULL argument");
  for (int i = 0; i < 3 * s->in.natoms; i++)
    if (!isfinite(frac[i]))
      return mb__error(MB_ERR_INVALID_ARG, "mb__scf_set_positions: coordinate %d of atom %d "
                       "is not finite", i % 3, i / 3);
  memcpy(s->frac, frac, 3 * (size_t)s->in.natoms * sizeof(double));
  if (s->in.use_symmetry) {
    mb__symm *sym = NULL;
    mb_status st = find_symmetry(s, &sym);
    if (st != MB_OK) return st;
    int same = mb__symm_same_rotations(sym, s->sym);
    mb__symm_free(s->sym);
    s->sym = sym;
    if (sym && !mb__symm_box_ok(sym, s->fft->n))
      mb__log(&s->log, MB_LOG_WARNING, "mb__scf_set_positions: the FFT box %dx%dx%d is not "
              "invariant under the new symmetry operations (the density is symmetrised in "
              "G space, exact; the xc energy on the grid is not exactly symmetric)",
              s->fft->n[0], s->fft->n[1], s->fft->n[2]);
    if (!same) { /* another point group: another irreducible wedge? */
      mb__kpoints *kp = NULL;
      if ((st = mb__kpoints_mp(s->in.lattice, s->in.natoms, s->frac, s->symtypes,
                               s->in.ngkpt, s->in.shiftk, sym != NULL, 1, SYMPREC, &kp)) !=
          MB_OK)
        return st;
      same = kp->nk == s->kp->nk &&
             !memcmp(kp->k, s->kp->k, 3 * (size_t)kp->nk * sizeof(double)) &&
             !memcmp(kp->weight, s->kp->weight, (size_t)kp->nk * sizeof(double));
      mb__kpoints_free(kp);
    }
    if (!same) { /* other k-points: cold start */
      free_kpoints(s);
      s->solved = 0;
      mb__log(&s->log, MB_LOG_INFO, "symmetry changed (%d operations in use): k-points "
              "reduced anew, cold start", sym ? sym->nop : 1);
      if ((st = make_kpoints(s, "mb__scf_set_positions")) != MB_OK) return st;
    }
  }
  return set_ions(s);
}

void mb__scf_set_logger(mb__scf *s, const mb_logger *log) {
  if (!s) return;
  if (log)
    s->log = *log;
  else
    s->log.fn = NULL;
}

/* ---- the eigensolver over k-points, threaded --------------------------------------- */

/* The (spin, k-point) jobs are dealt out to min(nthreads, jobs) threads; the threads
 * left over join them as teams (team.c), nthreads / jobs or one more each, that share
 * the work inside a job (Hamiltonian applications, LOBPCG's algebra). A job's numbers do
 * not depend on its team's size. */
typedef struct eig_job {
  mb__scf *s;
  const double *vtot;
  mb__eig_options eo;
  int thread, nthreads, team_size;
  mb_status st;
  char msg[256];
} eig_job;

/* LOBPCG on one (spin, k-point) job with team. */
static mb_status solve_job(eig_job *j, mb__team *team, int isp, int ik) {
  mb__scf *s = j->s;
  const mb__basis *b = s->kd[ik].basis;
  const int job = isp * s->kp->nk + ik;
  mb__ham *ham = NULL;
  /* its own projector scratch: the other spin of this k-point may run on another thread */
  mb__nonlocal_work nlw = {NULL, NULL, NULL, NULL};
  mb_status st = mb__ham_create(s->fft, b, j->vtot + isp * s->fft->ntot, &ham);
  if (st == MB_OK) st = mb__ham_set_team(ham, team);
  if (st == MB_OK) st = mb__nonlocal_work_init(&nlw, s->kd[ik].nl);
  if (st == MB_OK) {
    nlw.team = team;
    ham->vtau = s->vtau ? s->vtau + isp * s->fft->ntot : NULL; /* NULL unless a meta-GGA */
    ham->nonlocal = mb__nonlocal_apply_work;
    ham->nonlocal_data = &nlw;
    if (s->hub) /* DFT+U */
      ham->hubbard = mb__hubbard_apply,
      ham->hubbard_data = mb__hubbard_kdata(s->hub, ik, isp);
    mb__eig_result er;
    st = mb__eig_lobpcg(ham, s->in.nband, &j->eo,
                        s->kd[ik].psi + (size_t)isp * b->npw * s->in.nband,
                        s->eig + (size_t)job * s->in.nband, &er);
    if (st == MB_ERR_NOT_CONVERGED) st = MB_OK; /* a few iterations per step */
  }
  mb__ham_free(ham);
  mb__nonlocal_work_free(&nlw);
  return st;
}

static void *eig_worker(void *arg) {
  eig_job *j = arg;
  mb__scf *s = j->s;
  const int nk = s->kp->nk;
  mb__team *team = NULL;
  j->st = mb__team_create(j->team_size, &team);
  for (int job = j->thread; j->st == MB_OK && job < s->nsp * nk; job += j->nthreads) {
    const int isp = job / nk, ik = job % nk; /* (spin, k-point) pairs */
    if ((j->st = solve_job(j, team, isp, ik)) == MB_OK) continue;
    if (s->nsp == 2)
      snprintf(j->msg, sizeof j->msg, "spin %s, k-point %d: %s", isp ? "down" : "up", ik,
               mb_last_error());
    else
      snprintf(j->msg, sizeof j->msg, "k-point %d: %s", ik, mb_last_error());
    break;
  }
  if (j->st != MB_OK && !j->msg[0]) snprintf(j->msg, sizeof j->msg, "%s", mb_last_error());
  mb__team_free(team);
  return NULL;
}

static mb_status solve_bands(mb__scf *s, const double *vtot, const mb__eig_options *eo) {
  int njob = s->nsp * s->kp->nk;
  int nt = s->nthreads < njob ? s->nthreads : njob;
  eig_job job[64];
  if (nt > 64) nt = 64;
  pthread_t tid[64];
  int started = 0;
  for (int t = 0; t < nt; t++) {
    job[t] = (eig_job){.s = s, .vtot = vtot, .eo = *eo, .thread = t, .nthreads = nt,
                       .team_size = s->nthreads / nt + (t < s->nthreads % nt)};
    job[t].msg[0] = 0;
  }
  for (int t = 1; t < nt; t++) {
    if (pthread_create(&tid[t], NULL, eig_worker, &job[t]) != 0) break;
    started = t;
  }
  if (started < nt - 1) { /* a thread failed to start: do its k-points here */
    for (int t = started + 1; t < nt; t++) eig_worker(&job[t]);
  }
  eig_worker(&job[0]);
  for (int t = 1; t <= started; t++) pthread_join(tid[t], NULL);
  for (int t = 0; t < nt; t++)
    if (job[t].st != MB_OK) return mb__error(job[t].st, "mb__scf_solve: %s", job[t].msg);
  return MB_OK;
}

/* ---- the SCF loop ---------------------------------------------------------------- */

/* The starting magnetisation of a cold start: sum_a spinat_a rho_a / zion_a with rho_a the
 * pseudo-atomic valence density of atom a (uniform when its psp has none), limited so
 * that neither spin density is negative. rho holds the total on entry, (up, down) on
 * exit. */
static mb_status split_spins(mb__scf *s, mb__team *team, double *rho, double *work) {
  const mb__fft *fft = s->fft;
  size_t N = fft->ntot;
  double *m = rho + N; /* the down block holds the magnetisation until the split */
  memset(m, 0, N * sizeof(double));
  for (int a = 0; a < s->in.natoms; a++) {
    if (s->spinat[a] == 0) continue;
    int has_val = 0;
    mb_status st = mb__ionic_valence(fft, team, 1, s->frac + 3 * a, s->types + a, s->in.psp,
                                     work, &has_val);
    if (st != MB_OK) return st;
    double sum = 0;
    if (has_val)
      for (size_t i = 0; i < N; i++) sum += work[i] = work[i] > 0 ? work[i] : 0;
    for (size_t i = 0; i < N; i++)
      m[i] += has_val && sum > 0 ? s->spinat[a] * work[i] / (sum * fft->omega / N)
                                 : s->spinat[a] / fft->omega;
  }
  for (size_t i = 0; i < N; i++) {
    double t = rho[i], mi = t > 0 ? fmax(-t, fmin(t, m[i])) : 0; /* ringing: no moment */
    rho[i] = 0.5 * (t + mi), m[i] = 0.5 * (t - mi);
  }
  return MB_OK;
}

mb_status mb__scf_solve(mb__scf *s, mb__scf_result *res) {
  if (!s || !res) return mb__error(MB_ERR_INVALID_ARG, "mb__scf_solve: NULL argument");
  const mb__scf_input *in = &s->in;
  const int nband = in->nband, nsp = s->nsp;
  const mb__fft *fft = s->fft;
  const mb__kpoints *kp = s->kp;
  const int nk = kp->nk;
  size_t N = fft->ntot, NS = N * nsp;
  mb__scf_result r;
  memset(&r, 0, sizeof r);
  double *vtot = mb__malloc(NS, sizeof(double)), *vh = mb__malloc(N, sizeof(double));
  double *rhot = nsp == 2 ? mb__malloc(N, sizeof(double)) : NULL; /* up + down */
  double *wt = mb__malloc(nband, sizeof(double));
  double *vtau_out = s->tau ? mb__malloc(NS, sizeof(double)) : NULL; /* at rho_out, unused */
  double *alpha_in = s->tau ? mb__malloc(NS, sizeof(double)) : NULL;
  double *alpha_out = s->tau ? mb__malloc(NS, sizeof(double)) : NULL;
  mb__team *team = NULL; /* the output density's, on all the threads */
  mb_status st = mb__team_create(s->nthreads, &team);
  if (st != MB_OK) goto cleanup;
  if (!vtot || !vh || !wt || (s->tau && (!vtau_out || !alpha_in || !alpha_out)) ||
      (nsp == 2 && !rhot)) {
    st = mb__error(MB_ERR_NOMEM, "mb__scf_solve: out of memory");
    goto cleanup;
  }
  int warm = s->solved;
  if (!warm) {
    /* cold start: random vectors and, as ABINIT, the superposition of the pseudo-atomic
     * valence densities (negative ringing clipped, rescaled to the electron count), or
     * the uniform density when no psp carries one; spin-polarised, split by the
     * starting moments (split_spins) */
    for (int ik = 0; ik < nk; ik++)
      for (int sp = 0; sp < nsp; sp++)
        mb__eig_random_start(s->kd[ik].basis, nband,
                             1234567ULL + (unsigned long long)ik + 7919ULL * sp,
                             s->kd[ik].psi + (size_t)sp * s->kd[ik].basis->npw * nband);
    int has_val = 0;
    if ((st = mb__ionic_valence(fft, team, in->natoms, s->frac, s->types, in->psp, s->rho,
                                &has_val)) != MB_OK)
      goto cleanup;
    double sum = 0;
    if (has_val)
      for (size_t i = 0; i < N; i++) sum += s->rho[i] = s->rho[i] > 0 ? s->rho[i] : 0.0;
    if (has_val && sum > 0) {
      double scale = s->nelect / (sum * fft->omega / (double)N);
      for (size_t i = 0; i < N; i++) s->rho[i] *= scale;
      if (s->sym && (st = mb__symm_density(s->sym, fft, s->rho)) != MB_OK) goto cleanup;
    } else {
      for (size_t i = 0; i < N; i++) s->rho[i] = s->nelect / fft->omega;
    }
    /* (the split is pointwise: it keeps the symmetry of the total and of the moments,
     * which the group of the magnetic order respects) */
    if (nsp == 2 && (st = split_spins(s, team, s->rho, vh)) != MB_OK) goto cleanup;
  } else {
    memcpy(s->rho, s->rho_out, NS * sizeof(double));
    /* the last density has the symmetry of the last positions: project it on the
     * current group */
    for (int sp = 0; sp < nsp && s->sym; sp++)
      if ((st = mb__symm_density(s->sym, fft, s->rho + sp * N)) != MB_OK) goto cleanup;
  }
  /* meta-GGA: from a cold start, tau_unif + tau_W of the start density
   * (mb__xc_tau_start); warm, the last input */
  if (s->tau && !warm && (st = mb__xc_tau_start(fft, nsp, s->rho, s->tau)) != MB_OK)
    goto cleanup;
  mb__mixer_reset(s->mixer);
  mb__hubbard_start(s->hub, warm); /* DFT+U: V_U of the start occupations */
  r.ewald = s->ewald;
  r.pspcore = s->pspcore = mb__ionic_pspcore(fft->omega, in->natoms, s->types, in->psp);
  s->converged = 0;

  double eprev = 0, resnorm = warm ? 1e-3 : 1;
  int nsmall = 0;
  for (int step = 1; step <= in->maxstep; step++) {
    /* potential of rho_in: V_s = V_ion + V_H[rho_up + rho_down] + V_xc,s */
    double eh, exc;
    const double *rin = s->rho;
    if (nsp == 2) {
      for (size_t i = 0; i < N; i++) rhot[i] = s->rho[i] + s->rho[N + i];
      rin = rhot;
    }
    if ((st = mb__hartree(fft, rin, &eh, vh)) != MB_OK ||
        (st = mb__xc_eval(s->xc, fft, s->rho, s->has_core ? s->core : NULL, s->tau, &exc,
                          s->vxc, NULL, s->vtau)) != MB_OK)
      goto cleanup;
    for (int sp = 0; sp < nsp; sp++)
      for (size_t i = 0; i < N; i++) vtot[sp * N + i] = s->vion[i] + vh[i] + s->vxc[sp * N + i];

    /* bands: many iterations from a random start, then a few per step */
    mb__eig_options eo = {.tol = fmin(1e-3, fmax(1e-9, 0.01 * resnorm)),
                          .maxiter = step == 1 && !warm ? 40 : 6, .nconv = 0};
    if ((st = solve_bands(s, vtot, &eo)) != MB_OK) goto cleanup;

    /* occupations, output density, energies of the output state */
    double fermi[2], entropy;
    if ((st = occupy(in, kp, nsp, s->nelect, s->eig, s->occ, fermi, &entropy)) != MB_OK)
      goto cleanup;
    double ekin = 0, enl = 0;
    memset(s->rho_out, 0, NS * sizeof(double));
    if (s->tau_out) memset(s->tau_out, 0, NS * sizeof(double));
    mb__hubbard_occ_begin(s->hub);
    for (int sp = 0; sp < nsp; sp++)
      for (int ik = 0; ik < nk; ik++) {
        const mb__basis *b = s->kd[ik].basis;
        const double complex *psi = s->kd[ik].psi + (size_t)sp * b->npw * nband;
        const double *occ = s->occ + ((size_t)sp * nk + ik) * nband;
        for (int ib = 0; ib < nband; ib++) {
          wt[ib] = occ[ib] * kp->weight[ik];
          const double complex *c = psi + (size_t)ib * b->npw;
          double t = 0;
          for (int g = 0; g < b->npw; g++) t += b->kin[g] * creal(c[g] * conj(c[g]));
          ekin += wt[ib] * t;
        }
        double e;
        if ((st = mb__nonlocal_energy(s->kd[ik].nl, team, nband, psi, wt, &e)) != MB_OK)
          goto cleanup;
        enl += e;
        if (s->hub && (st = mb__hubbard_occ_add(s->hub, ik, sp, nband, psi, wt)))
          goto cleanup; /* DFT+U */
        if ((st = mb__density_add_team(team, fft, b, nband, psi, wt, s->rho_out + sp * N,
                                       s->tau_out ? s->tau_out + sp * N : NULL)) != MB_OK)
          goto cleanup;
      }
    /* the irreducible k-points give a density of the right integral but not of the
     * crystal's symmetry: average it over the space group */
    for (int sp = 0; sp < nsp && s->sym; sp++) {
      if ((st = mb__symm_density(s->sym, fft, s->rho_out + sp * N)) != MB_OK) goto cleanup;
      if (s->tau_out && (st = mb__symm_density(s->sym, fft, s->tau_out + sp * N)) != MB_OK)
        goto cleanup;
    }
    if ((st = mb__hubbard_occ_end(s->hub, s->sym)) != MB_OK) goto cleanup; /* DFT+U */
    const double *rout = s->rho_out;
    if (nsp == 2) {
      double m = 0, am = 0;
      for (size_t i = 0; i < N; i++) {
        rhot[i] = s->rho_out[i] + s->rho_out[N + i];
        double d = s->rho_out[i] - s->rho_out[N + i];
        m += d, am += fabs(d);
      }
      rout = rhot;
      r.magnetization = m * fft->omega / (double)N;
      r.abs_magnetization = am * fft->omega / (double)N;
    }
    double eloc = 0;
    for (size_t i = 0; i < N; i++) eloc += s->vion[i] * rout[i];
    eloc *= fft->omega / (double)N;
    if ((st = mb__hartree(fft, rout, &eh, NULL)) != MB_OK ||
        (st = mb__xc_eval(s->xc, fft, s->rho_out, s->has_core ? s->core : NULL, s->tau_out,
                          &exc, s->vxc, NULL, vtau_out)) != MB_OK)
      goto cleanup;
    r.kinetic = ekin, r.nonlocal = enl, r.local = eloc, r.hartree = eh;
    r.xc = exc, r.entropy = entropy, r.fermi = fermi[0], r.fermi_down = fermi[1];
    r.hubbard = mb__hubbard_energy(s->hub);
    r.internal = ekin + enl + eloc + eh + exc + r.ewald + r.pspcore + r.hubbard;
    r.free = r.internal + entropy;
    r.steps = step;
    s->solved = 1;

    if (s->tau && ((st = mb__xc_alpha(fft, nsp, s->rho, s->tau, alpha_in)) != MB_OK ||
                   (st = mb__xc_alpha(fft, nsp, s->rho_out, s->tau_out, alpha_out)) != MB_OK))
      goto cleanup;
    if ((st = mb__mixer_step(s->mixer, s->rho, s->rho_out, s->rho, &resnorm)) != MB_OK)
      goto cleanup;

    /* tau of the next input: the iso-orbital indicator mixed linearly at the density's
     * rate, on the mixed density (kohnsham.h) */
    if (s->tau) {
      double a = in->mixing > 0 ? in->mixing : 0.6;
      for (size_t i = 0; i < NS; i++) alpha_in[i] += a * (alpha_out[i] - alpha_in[i]);
      if ((st = mb__xc_tau_of_alpha(fft, nsp, s->rho, alpha_in, s->tau)) != MB_OK) goto cleanup;
    }
    if ((st = mb__hubbard_mix(s->hub, s->mixer, HUBBARD_BETA(s))) != MB_OK) goto cleanup;
    r.resnorm = resnorm;
    double de = step > 1 ? r.free - eprev : INFINITY; /* no change to report at step 1 */
    eprev = r.free;
    char dbuf[32] = "-";
    if (step > 1) snprintf(dbuf, sizeof dbuf, "%.3e", de);
    if (nsp == 2)
      mb__log(&s->log, MB_LOG_INFO, "scf %d  E = %.10f Ha  dE = %s  res = %.3e  M = %.4f",
              step, r.free, dbuf, resnorm, r.magnetization);
    else
      mb__log(&s->log, MB_LOG_INFO, "scf %d  E = %.10f Ha  dE = %s  res = %.3e", step, r.free,
              dbuf, resnorm);
    nsmall = step > 1 && fabs(de) < in->toldfe ? nsmall + 1 : 0;
    if (nsmall >= 2 && resnorm < in->tolrho) {
      s->converged = 1;
      break;
    }
    if (step == in->maxstep)
      st = mb__error(MB_ERR_NOT_CONVERGED, "mb__scf_solve: not converged after %d steps: last "
                     "energy change %s Ha, density residual %.3e", step, dbuf, resnorm);
  }

cleanup:
  s->last = r;
  *res = r;
  free(vtot), free(vh), free(wt), free(vtau_out), free(rhot), free(alpha_in), free(alpha_out);
  mb__team_free(team);
  return st;
}

mb_status mb__scf_eigenvalues(const mb__scf *s, int *nspin, int *nk, int *nband,
                              const double **eig, const double **kpt, const double **wtk) {
  if (!s || !nspin || !nk || !nband || !eig || !kpt || !wtk)
    return mb__error(MB_ERR_INVALID_ARG, "mb__scf_eigenvalues: NULL argument");
  if (!s->solved)
    return mb__error(MB_ERR_INVALID_ARG, "mb__scf_eigenvalues: not solved yet");
  *nspin = s->nsp, *nk = s->kp->nk, *nband = s->in.nband;
  *eig = s->eig, *kpt = s->kp->k, *wtk = s->kp->weight;
  return MB_OK;
}

mb_status mb__scf_spheres(const mb__scf *s, double radius, double *charge, double *moment) {
  if (!s) return mb__error(MB_ERR_INVALID_ARG, "mb__scf_spheres: NULL argument");
  if (!s->solved)
    return mb__error(MB_ERR_INVALID_ARG, "mb__scf_spheres: not solved yet");
  if (!(radius > 0))
    return mb__error(MB_ERR_INVALID_ARG, "mb__scf_spheres: radius %g", radius);
  const mb__fft *f = s->fft;
  const int nat = s->in.natoms;
  const size_t N = f->ntot;
  const double dv = f->omega / (double)N, r2max = radius * radius;
  /* periodic images within reach: the number of cells a sphere can span along each
   * lattice vector (the distance between the planes of the other two is omega/|b x c|) */
  int reach[3];
  for (int j = 0; j < 3; j++) {
    const double *b = f->lattice + 3 * ((j + 1) % 3), *c = f->lattice + 3 * ((j + 2) % 3);
    double x[3] = {b[1] * c[2] - b[2] * c[1], b[2] * c[0] - b[0] * c[2], b[0] * c[1] - b[1] * c[0]};
    double h = f->omega / sqrt(x[0] * x[0] + x[1] * x[1] + x[2] * x[2]);
    reach[j] = 1 + (int)ceil(radius / h);
  }
  for (int a = 0; a < nat; a++) {
    double up = 0, dn = 0;
    for (size_t i = 0; i < N; i++) {
      double fr[3] = {(double)(i % f->n[0]) / f->n[0], (double)(i / f->n[0] % f->n[1]) / f->n[1],
                      (double)(i / f->n[0] / f->n[1]) / f->n[2]};
      for (int j = 0; j < 3; j++) {
        fr[j] -= s->frac[3 * a + j];
        fr[j] -= nearbyint(fr[j]);
      }
      int in = 0;
      for (int p = -reach[0]; p <= reach[0] && !in; p++)
        for (int q = -reach[1]; q <= reach[1] && !in; q++)
          for (int t = -reach[2]; t <= reach[2] && !in; t++) {
            double u[3] = {fr[0] + p, fr[1] + q, fr[2] + t}, d2 = 0;
            for (int c = 0; c < 3; c++) {
              double x = u[0] * f->lattice[c] + u[1] * f->lattice[3 + c] + u[2] * f->lattice[6 + c];
              d2 += x * x;
            }
            in = d2 <= r2max;
          }
      if (!in) continue;
      up += s->rho_out[i];
      if (s->nsp == 2) dn += s->rho_out[N + i];
    }
    if (charge) charge[a] = (up + dn) * dv;
    if (moment) moment[a] = s->nsp == 2 ? (up - dn) * dv : 0;
  }
  return MB_OK;
}

mb_status mb__scf_run(const mb__scf_input *in, mb__scf_result *res) {
  if (!in || !res) return mb__error(MB_ERR_INVALID_ARG, "mb__scf_run: NULL argument");
  memset(res, 0, sizeof *res);
  mb__scf *s = NULL;
  mb_status st = mb__scf_create(in, 1, &s);
  if (st == MB_OK) st = mb__scf_solve(s, res);
  mb__scf_free(s);
  return st;
}
