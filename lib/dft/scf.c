/* Self-consistent field loop of the plane-wave engine: density mixing (Pulay + Kerker,
 * mixing.c) around LOBPCG diagonalisations at every k-point (eigensolver.c).
 *
 * One step: V_in = V_loc,ion + V_H[rho_in] + V_xc[rho_in + rho_core]; a few LOBPCG
 * iterations per k-point (warm start, tolerance tied to the density residual);
 * occupations; rho_out; the energy of the output state in the direct form
 *   E = T + E_loc[rho_out] + E_nl + E_H[rho_out] + E_xc[rho_out] + E_ewald + E_pspcore,
 * the components ABINIT prints (at self-consistency this is its Etotal); then
 * rho_in <- mix(rho_in, rho_out). Converged when |dE| < toldfe on two successive steps
 * and the residual norm ||rho_out - rho_in|| < tolrho. No symmetry: the k-points are
 * the Monkhorst-Pack grid reduced by time reversal only, so no density symmetrisation
 * is needed. */
#include <complex.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "scf.h"

typedef struct kdata {
  mb__basis *basis;
  mb__nonlocal *nl;
  double complex *psi; /* npw * nband */
} kdata;

/* Occupations (occ) and Fermi level from the eigenvalues eig[ik*nband + ib]. */
static mb_status occupy(const mb__scf_input *in, const mb__kpoints *kp, double nelect,
                        const double *eig, double *occ, double *fermi, double *entropy) {
  *entropy = 0;
  if (in->occopt == 1) {
    mb_status st = mb__occ_fixed(1, kp->nk, in->nband, nelect, NULL, occ);
    if (st != MB_OK) return st;
    *fermi = -INFINITY;
    for (int i = 0; i < kp->nk * in->nband; i++)
      if (occ[i] > 0 && eig[i] > *fermi) *fermi = eig[i];
    return MB_OK;
  }
  double s = 0;
  mb_status st = mb__occ_smeared((mb__smearing)in->occopt, in->tsmear, 1, kp->nk, in->nband,
                                 eig, kp->weight, nelect, occ, fermi, &s);
  *entropy = -in->tsmear * s;
  return st;
}

static mb_status check_input(const mb__scf_input *in, const mb__scf_result *res) {
  if (!in || !res) return mb__error(MB_ERR_INVALID_ARG, "mb__scf_run: NULL argument");
  if (in->natoms < 1 || !in->frac || !in->types || in->ntypes < 1 || !in->psp)
    return mb__error(MB_ERR_INVALID_ARG, "mb__scf_run: no atoms or no pseudopotentials");
  for (int a = 0; a < in->natoms; a++)
    if (in->types[a] < 0 || in->types[a] >= in->ntypes || !in->psp[in->types[a]])
      return mb__error(MB_ERR_INVALID_ARG, "mb__scf_run: atom %d has type %d (ntypes %d)", a,
                       in->types[a], in->ntypes);
  if (!(in->ecut > 0) || in->nband < 1 || in->maxstep < 1 || !(in->toldfe > 0) ||
      !(in->tolrho > 0))
    return mb__error(MB_ERR_INVALID_ARG, "mb__scf_run: ecut %g, nband %d, maxstep %d, toldfe "
                     "%g, tolrho %g", in->ecut, in->nband, in->maxstep, in->toldfe, in->tolrho);
  if (in->occopt != 1 && in->occopt != 3 && in->occopt != 4 && in->occopt != 5 &&
      in->occopt != 7)
    return mb__error(MB_ERR_UNSUPPORTED, "mb__scf_run: occopt %d", in->occopt);
  if (in->occopt != 1 && !(in->tsmear > 0))
    return mb__error(MB_ERR_INVALID_ARG, "mb__scf_run: tsmear %g", in->tsmear);
  return MB_OK;
}

mb_status mb__scf_run(const mb__scf_input *in, mb__scf_result *res) {
  mb_status st = check_input(in, res);
  if (st != MB_OK) return st;
  memset(res, 0, sizeof *res);
  const int nat = in->natoms, nband = in->nband;
  mb__fft *fft = NULL;
  mb__kpoints *kp = NULL;
  kdata *kd = NULL;
  mb__xc *xc = NULL;
  mb__mixer *mix = NULL;
  mb__ham *ham = NULL;
  double *vion = NULL, *core = NULL, *rho = NULL, *rho_out = NULL, *vtot = NULL, *vh = NULL;
  double *vxc = NULL, *eig = NULL, *occ = NULL, *wt = NULL;
  double complex *work = NULL;
  double *zion = NULL;

  int n[3];
  if ((st = mb__fft_size(in->lattice, in->ecut, n)) != MB_OK ||
      (st = mb__fft_create(in->lattice, n, MB__FFT_ESTIMATE, 1, &fft)) != MB_OK)
    goto cleanup;
  if ((st = mb__kpoints_mp(in->lattice, nat, in->frac, in->types, in->ngkpt, in->shiftk, 0, 1,
                           1e-5, &kp)) != MB_OK)
    goto cleanup;
  size_t N = fft->ntot;
  vion = mb__malloc(N, sizeof *vion), core = mb__malloc(N, sizeof *core);
  rho = mb__malloc(N, sizeof *rho), rho_out = mb__malloc(N, sizeof *rho_out);
  vtot = mb__malloc(N, sizeof *vtot), vh = mb__malloc(N, sizeof *vh);
  vxc = mb__malloc(N, sizeof *vxc);
  eig = mb__calloc((size_t)kp->nk * nband, sizeof *eig);
  occ = mb__calloc((size_t)kp->nk * nband, sizeof *occ);
  wt = mb__calloc(nband, sizeof *wt);
  zion = mb__malloc(nat, sizeof *zion);
  work = mb__fft_array(N);
  kd = mb__calloc(kp->nk, sizeof *kd);
  if (!vion || !core || !rho || !rho_out || !vtot || !vh || !vxc || !eig || !occ || !wt ||
      !zion || !work || !kd) {
    st = work ? MB_ERR_NOMEM : mb__error(MB_ERR_NOMEM, "mb__scf_run: out of memory");
    goto cleanup;
  }

  /* ions */
  double nelect = 0;
  for (int a = 0; a < nat; a++) nelect += zion[a] = in->psp[in->types[a]]->zion;
  if (2 * nband < nelect - 1e-9) {
    st = mb__error(MB_ERR_INVALID_ARG, "mb__scf_run: %d bands hold fewer than %g electrons",
                   nband, nelect);
    goto cleanup;
  }
  int has_core = 0;
  if ((st = mb__ewald(in->lattice, nat, in->frac, zion, &res->ewald, NULL, NULL)) != MB_OK ||
      (st = mb__ionic_vloc(fft, nat, in->frac, in->types, in->psp, vion)) != MB_OK ||
      (st = mb__ionic_core(fft, nat, in->frac, in->types, in->psp, core, &has_core)) != MB_OK)
    goto cleanup;
  res->pspcore = mb__ionic_pspcore(fft->omega, nat, in->types, in->psp);
  int ixc = in->ixc ? in->ixc : in->psp[in->types[0]]->pspxc;
  if ((st = mb__xc_from_ixc(ixc, 1, &xc)) != MB_OK) goto cleanup;

  /* k-points: bases, projectors, random start vectors */
  for (int ik = 0; ik < kp->nk; ik++) {
    if ((st = mb__basis_create(in->lattice, kp->k + 3 * ik, in->ecut, n, &kd[ik].basis)) !=
            MB_OK ||
        (st = mb__nonlocal_create(kd[ik].basis, fft->omega, nat, in->frac, in->types, in->psp,
                                  &kd[ik].nl)) != MB_OK)
      goto cleanup;
    kd[ik].psi = mb__malloc((size_t)kd[ik].basis->npw * nband, sizeof(double complex));
    if (!kd[ik].psi) {
      st = MB_ERR_NOMEM;
      goto cleanup;
    }
    mb__eig_random_start(kd[ik].basis, nband, 1234567ULL + (unsigned long long)ik, kd[ik].psi);
  }

  /* start: the uniform density (ABINIT would superpose atomic densities) */
  for (size_t i = 0; i < N; i++) rho[i] = nelect / fft->omega;
  mb__mix_options mo = {.alpha = 0.6, .kerker_q0 = 0.8, .history = 8};
  if ((st = mb__mixer_create(fft, 1, &mo, &mix)) != MB_OK) goto cleanup;

  double eprev = 0, resnorm = 1;
  int nsmall = 0;
  for (int step = 1; step <= in->maxstep; step++) {
    /* potential of rho_in */
    double eh, exc;
    if ((st = mb__hartree(fft, rho, &eh, vh)) != MB_OK ||
        (st = mb__xc_eval(xc, fft, rho, has_core ? core : NULL, NULL, &exc, vxc, NULL)) != MB_OK)
      goto cleanup;
    for (size_t i = 0; i < N; i++) vtot[i] = vion[i] + vh[i] + vxc[i];

    /* bands: many iterations from the random start, then a few per step */
    mb__eig_options eo = {.tol = fmin(1e-3, fmax(1e-9, 0.01 * resnorm)),
                          .maxiter = step == 1 ? 40 : 6, .nconv = 0};
    for (int ik = 0; ik < kp->nk; ik++) {
      if ((st = mb__ham_create(fft, kd[ik].basis, vtot, &ham)) != MB_OK) goto cleanup;
      ham->nonlocal = mb__nonlocal_apply;
      ham->nonlocal_data = kd[ik].nl;
      mb__eig_result er;
      st = mb__eig_lobpcg(ham, nband, &eo, kd[ik].psi, eig + (size_t)ik * nband, &er);
      mb__ham_free(ham);
      ham = NULL;
      if (st != MB_OK && st != MB_ERR_NOT_CONVERGED) goto cleanup;
      st = MB_OK; /* a few iterations per step are expected not to converge */
    }

    /* occupations, output density, energies of the output state */
    double fermi, entropy;
    if ((st = occupy(in, kp, nelect, eig, occ, &fermi, &entropy)) != MB_OK) goto cleanup;
    double ekin = 0, enl = 0;
    memset(rho_out, 0, N * sizeof *rho_out);
    for (int ik = 0; ik < kp->nk; ik++) {
      const mb__basis *b = kd[ik].basis;
      for (int ib = 0; ib < nband; ib++) {
        wt[ib] = occ[(size_t)ik * nband + ib] * kp->weight[ik];
        const double complex *c = kd[ik].psi + (size_t)ib * b->npw;
        double t = 0;
        for (int g = 0; g < b->npw; g++) t += b->kin[g] * creal(c[g] * conj(c[g]));
        ekin += wt[ib] * t;
      }
      enl += mb__nonlocal_energy(kd[ik].nl, nband, kd[ik].psi, wt);
      if ((st = mb__density_add(fft, b, nband, kd[ik].psi, wt, work, rho_out, NULL)) != MB_OK)
        goto cleanup;
    }
    double eloc = 0;
    for (size_t i = 0; i < N; i++) eloc += vion[i] * rho_out[i];
    eloc *= fft->omega / (double)N;
    if ((st = mb__hartree(fft, rho_out, &eh, NULL)) != MB_OK ||
        (st = mb__xc_eval(xc, fft, rho_out, has_core ? core : NULL, NULL, &exc, vxc, NULL)) !=
            MB_OK)
      goto cleanup;
    res->kinetic = ekin, res->nonlocal = enl, res->local = eloc, res->hartree = eh;
    res->xc = exc, res->entropy = entropy, res->fermi = fermi;
    res->internal = ekin + enl + eloc + eh + exc + res->ewald + res->pspcore;
    res->free = res->internal + entropy;
    res->steps = step;

    if ((st = mb__mixer_step(mix, rho, rho_out, rho, &resnorm)) != MB_OK) goto cleanup;
    res->resnorm = resnorm;
    double de = res->free - eprev;
    eprev = res->free;
    nsmall = step > 1 && fabs(de) < in->toldfe ? nsmall + 1 : 0;
    if (nsmall >= 2 && resnorm < in->tolrho) goto cleanup; /* converged, st == MB_OK */
    if (step == in->maxstep)
      st = mb__error(MB_ERR_NOT_CONVERGED, "mb__scf_run: not converged after %d steps: last "
                     "energy change %.3e Ha, density residual %.3e", step, de, resnorm);
  }

cleanup:
  mb__ham_free(ham);
  mb__mixer_free(mix);
  mb__xc_free(xc);
  if (kd)
    for (int ik = 0; ik < kp->nk; ik++) {
      mb__basis_free(kd[ik].basis);
      mb__nonlocal_free(kd[ik].nl);
      free(kd[ik].psi);
    }
  free(kd);
  mb__kpoints_free(kp);
  mb__fft_array_free(work);
  free(vion), free(core), free(rho), free(rho_out), free(vtot), free(vh), free(vxc);
  free(eig), free(occ), free(wt), free(zion);
  mb__fft_free(fft);
  return st;
}
