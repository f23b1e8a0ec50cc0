/* Self-consistent field loop of the plane-wave engine: density mixing (Pulay + Kerker,
 * mixing.c) around LOBPCG diagonalisations at every k-point (eigensolver.c), kept in a
 * persistent mb__scf so that a new geometry starts from the last solution.
 *
 * One step: V_in = V_loc,ion + V_H[rho_in] + V_xc[rho_in + rho_core]; a few LOBPCG
 * iterations per k-point (warm start, tolerance tied to the density residual; k-points
 * shared among nthreads threads); occupations; rho_out; the energy of the output state
 * in the direct form
 *   E = T + E_loc[rho_out] + E_nl + E_H[rho_out] + E_xc[rho_out] + E_ewald + E_pspcore,
 * the components ABINIT prints (at self-consistency this is its Etotal); then
 * rho_in <- mix(rho_in, rho_out). Converged when |dE| < toldfe on two successive steps
 * and the residual norm ||rho_out - rho_in|| < tolrho. No symmetry: the k-points are
 * the Monkhorst-Pack grid reduced by time reversal only, so no density symmetrisation
 * is needed. The density is summed over k-points in a fixed order, so the results do
 * not depend on the thread count.
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

#include "scf.h"

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
  double nelect = 0;
  for (int a = 0; a < in->natoms; a++) nelect += in->psp[in->types[a]]->zion;
  if (2 * in->nband < nelect - 1e-9)
    return mb__error(MB_ERR_INVALID_ARG, "%s: %d bands hold fewer than %g electrons", fn,
                     in->nband, nelect);
  return MB_OK;
}

void mb__scf_free(mb__scf *s) {
  if (!s) return;
  if (s->kd)
    for (int ik = 0; ik < s->kp->nk; ik++) {
      mb__basis_free(s->kd[ik].basis);
      mb__nonlocal_free(s->kd[ik].nl);
      free(s->kd[ik].psi);
    }
  free(s->kd);
  mb__kpoints_free(s->kp);
  mb__mixer_free(s->mixer);
  mb__xc_free(s->xc);
  free(s->vion), free(s->core), free(s->rho), free(s->rho_out), free(s->vxc);
  free(s->eig), free(s->occ), free(s->frac), free(s->types), free(s->zion);
  mb__fft_free(s->fft);
  free(s);
}

/* Everything that depends on the positions: Ewald, local potential, model core,
 * projectors (rebuilt at every k-point). */
static mb_status set_ions(mb__scf *s) {
  const mb__scf_input *in = &s->in;
  mb_status st;
  if ((st = mb__ewald(in->lattice, in->natoms, s->frac, s->zion, &s->ewald, NULL, NULL)) !=
          MB_OK ||
      (st = mb__ionic_vloc(s->fft, in->natoms, s->frac, s->types, in->psp, s->vion)) !=
          MB_OK ||
      (st = mb__ionic_core(s->fft, in->natoms, s->frac, s->types, in->psp, s->core,
                           &s->has_core)) != MB_OK)
    return st;
  for (int ik = 0; ik < s->kp->nk; ik++) {
    mb__nonlocal *nl = NULL;
    if ((st = mb__nonlocal_create(s->kd[ik].basis, s->fft->omega, in->natoms, s->frac,
                                  s->types, in->psp, &nl)) != MB_OK)
      return st;
    mb__nonlocal_free(s->kd[ik].nl);
    s->kd[ik].nl = nl;
  }
  s->converged = 0;
  return MB_OK;
}

/* The allocations common to create and copy (fft, kp and in already set). */
static mb_status alloc_fields(mb__scf *s) {
  size_t N = s->fft->ntot, nkb = (size_t)s->kp->nk * s->in.nband;
  s->vion = mb__malloc(N, sizeof(double)), s->core = mb__malloc(N, sizeof(double));
  s->rho = mb__malloc(N, sizeof(double)), s->rho_out = mb__calloc(N, sizeof(double));
  s->vxc = mb__calloc(N, sizeof(double));
  s->eig = mb__calloc(nkb, sizeof(double)), s->occ = mb__calloc(nkb, sizeof(double));
  s->kd = mb__calloc(s->kp->nk, sizeof *s->kd);
  if (!s->vion || !s->core || !s->rho || !s->rho_out || !s->vxc || !s->eig || !s->occ ||
      !s->kd)
    return MB_ERR_NOMEM;
  int ixc = s->in.ixc ? s->in.ixc : s->in.psp[s->in.types[0]]->pspxc;
  mb__mix_options mo = {.alpha = 0.6, .kerker_q0 = 0.8, .history = 8};
  mb_status st;
  if ((st = mb__xc_from_ixc(ixc, 1, &s->xc)) != MB_OK ||
      (st = mb__mixer_create(s->fft, 1, &mo, &s->mixer)) != MB_OK)
    return st;
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
  if (!s->frac || !s->types || !s->zion) {
    mb__scf_free(s);
    return MB_ERR_NOMEM;
  }
  memcpy(s->frac, frac, 3 * (size_t)nat * sizeof(double));
  memcpy(s->types, in->types, (size_t)nat * sizeof(int));
  s->in.frac = s->frac, s->in.types = s->types;
  for (int a = 0; a < nat; a++) s->nelect += s->zion[a] = in->psp[in->types[a]]->zion;
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
  mb__scf *s = NULL;
  if ((st = new_scf(in, in->frac, nthreads, &s)) != MB_OK) return st;
  int n[3];
  if ((st = mb__fft_size(in->lattice, in->ecut, n)) != MB_OK ||
      (st = mb__fft_create(in->lattice, n, MB__FFT_ESTIMATE, 1, &s->fft)) != MB_OK ||
      (st = mb__kpoints_mp(in->lattice, in->natoms, s->frac, s->types, in->ngkpt, in->shiftk,
                           0, 1, 1e-5, &s->kp)) != MB_OK ||
      (st = alloc_fields(s)) != MB_OK)
    goto cleanup;
  for (int ik = 0; ik < s->kp->nk; ik++) {
    mb__scf_kpoint *k = s->kd + ik;
    if ((st = mb__basis_create(in->lattice, s->kp->k + 3 * ik, in->ecut, n, &k->basis)) !=
        MB_OK)
      goto cleanup;
    if (3 * in->nband > k->basis->npw) {
      st = mb__error(MB_ERR_INVALID_ARG, "mb__scf_create: %d bands need more than the %d "
                     "plane waves of k-point %d (raise ecut)", in->nband, k->basis->npw, ik);
      goto cleanup;
    }
    k->psi = mb__malloc((size_t)k->basis->npw * in->nband, sizeof(double complex));
    if (!k->psi) {
      st = MB_ERR_NOMEM;
      goto cleanup;
    }
  }
  if ((st = set_ions(s)) != MB_OK) goto cleanup;
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
  const mb__kpoints *kp = src->kp;
  s->kp = mb__calloc(1, sizeof *s->kp);
  if (!s->kp) goto nomem;
  s->kp->nk = kp->nk;
  s->kp->k = mb__malloc(3 * (size_t)kp->nk, sizeof(double));
  s->kp->weight = mb__malloc(kp->nk, sizeof(double));
  if (!s->kp->k || !s->kp->weight) goto nomem;
  memcpy(s->kp->k, kp->k, 3 * (size_t)kp->nk * sizeof(double));
  memcpy(s->kp->weight, kp->weight, (size_t)kp->nk * sizeof(double));
  if ((st = mb__fft_create(src->in.lattice, src->fft->n, MB__FFT_ESTIMATE, 1, &s->fft)) !=
          MB_OK ||
      (st = alloc_fields(s)) != MB_OK)
    goto cleanup;
  size_t N = s->fft->ntot, nkb = (size_t)kp->nk * s->in.nband;
  memcpy(s->vion, src->vion, N * sizeof(double));
  memcpy(s->core, src->core, N * sizeof(double));
  memcpy(s->rho, src->rho, N * sizeof(double));
  memcpy(s->rho_out, src->rho_out, N * sizeof(double));
  memcpy(s->vxc, src->vxc, N * sizeof(double));
  memcpy(s->eig, src->eig, nkb * sizeof(double));
  memcpy(s->occ, src->occ, nkb * sizeof(double));
  s->ewald = src->ewald, s->pspcore = src->pspcore, s->has_core = src->has_core;
  s->solved = src->solved, s->converged = src->converged, s->last = src->last;
  for (int ik = 0; ik < kp->nk; ik++) {
    mb__scf_kpoint *k = s->kd + ik;
    if ((st = mb__basis_create(s->in.lattice, kp->k + 3 * ik, s->in.ecut, s->fft->n,
                               &k->basis)) != MB_OK ||
        (st = mb__nonlocal_create(k->basis, s->fft->omega, s->in.natoms, s->frac, s->types,
                                  s->in.psp, &k->nl)) != MB_OK)
      goto cleanup;
    size_t len = (size_t)k->basis->npw * s->in.nband;
    k->psi = mb__malloc(len, sizeof(double complex));
    if (!k->psi) goto nomem;
    memcpy(k->psi, src->kd[ik].psi, len * sizeof(double complex));
  }
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

typedef struct eig_job {
  mb__scf *s;
  const double *vtot;
  mb__eig_options eo;
  int thread, nthreads;
  mb_status st;
  char msg[256];
} eig_job;

static void *eig_worker(void *arg) {
  eig_job *j = arg;
  mb__scf *s = j->s;
  j->st = MB_OK;
  for (int ik = j->thread; ik < s->kp->nk; ik += j->nthreads) {
    mb__ham *ham = NULL;
    mb_status st = mb__ham_create(s->fft, s->kd[ik].basis, j->vtot, &ham);
    if (st == MB_OK) {
      ham->nonlocal = mb__nonlocal_apply;
      ham->nonlocal_data = s->kd[ik].nl;
      mb__eig_result er;
      st = mb__eig_lobpcg(ham, s->in.nband, &j->eo, s->kd[ik].psi,
                          s->eig + (size_t)ik * s->in.nband, &er);
      if (st == MB_ERR_NOT_CONVERGED) st = MB_OK; /* a few iterations per step */
    }
    mb__ham_free(ham);
    if (st != MB_OK) {
      j->st = st;
      snprintf(j->msg, sizeof j->msg, "k-point %d: %s", ik, mb_last_error());
      break;
    }
  }
  return NULL;
}

static mb_status solve_bands(mb__scf *s, const double *vtot, const mb__eig_options *eo) {
  int nt = s->nthreads < s->kp->nk ? s->nthreads : s->kp->nk;
  eig_job job[64];
  if (nt > 64) nt = 64;
  pthread_t tid[64];
  int started = 0;
  for (int t = 0; t < nt; t++) {
    job[t] = (eig_job){.s = s, .vtot = vtot, .eo = *eo, .thread = t, .nthreads = nt};
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

mb_status mb__scf_solve(mb__scf *s, mb__scf_result *res) {
  if (!s || !res) return mb__error(MB_ERR_INVALID_ARG, "mb__scf_solve: NULL argument");
  const mb__scf_input *in = &s->in;
  const int nband = in->nband;
  const mb__fft *fft = s->fft;
  const mb__kpoints *kp = s->kp;
  size_t N = fft->ntot;
  mb__scf_result r;
  memset(&r, 0, sizeof r);
  double *vtot = mb__malloc(N, sizeof(double)), *vh = mb__malloc(N, sizeof(double));
  double *wt = mb__malloc(nband, sizeof(double));
  double complex *work = mb__fft_array(N);
  mb_status st = MB_OK;
  if (!vtot || !vh || !wt || !work) {
    st = work ? MB_ERR_NOMEM : mb__error(MB_ERR_NOMEM, "mb__scf_solve: out of memory");
    goto cleanup;
  }
  int warm = s->solved;
  if (!warm) {
    /* cold start: random vectors and the uniform density (ABINIT would superpose atomic
     * densities) */
    for (int ik = 0; ik < kp->nk; ik++)
      mb__eig_random_start(s->kd[ik].basis, nband, 1234567ULL + (unsigned long long)ik,
                           s->kd[ik].psi);
    for (size_t i = 0; i < N; i++) s->rho[i] = s->nelect / fft->omega;
  } else {
    memcpy(s->rho, s->rho_out, N * sizeof(double));
  }
  mb__mixer_reset(s->mixer);
  r.ewald = s->ewald;
  r.pspcore = s->pspcore = mb__ionic_pspcore(fft->omega, in->natoms, s->types, in->psp);
  s->converged = 0;

  double eprev = 0, resnorm = warm ? 1e-3 : 1;
  int nsmall = 0;
  for (int step = 1; step <= in->maxstep; step++) {
    /* potential of rho_in */
    double eh, exc;
    if ((st = mb__hartree(fft, s->rho, &eh, vh)) != MB_OK ||
        (st = mb__xc_eval(s->xc, fft, s->rho, s->has_core ? s->core : NULL, NULL, &exc,
                          s->vxc, NULL)) != MB_OK)
      goto cleanup;
    for (size_t i = 0; i < N; i++) vtot[i] = s->vion[i] + vh[i] + s->vxc[i];

    /* bands: many iterations from a random start, then a few per step */
    mb__eig_options eo = {.tol = fmin(1e-3, fmax(1e-9, 0.01 * resnorm)),
                          .maxiter = step == 1 && !warm ? 40 : 6, .nconv = 0};
    if ((st = solve_bands(s, vtot, &eo)) != MB_OK) goto cleanup;

    /* occupations, output density, energies of the output state */
    double fermi, entropy;
    if ((st = occupy(in, kp, s->nelect, s->eig, s->occ, &fermi, &entropy)) != MB_OK)
      goto cleanup;
    double ekin = 0, enl = 0;
    memset(s->rho_out, 0, N * sizeof(double));
    for (int ik = 0; ik < kp->nk; ik++) {
      const mb__basis *b = s->kd[ik].basis;
      for (int ib = 0; ib < nband; ib++) {
        wt[ib] = s->occ[(size_t)ik * nband + ib] * kp->weight[ik];
        const double complex *c = s->kd[ik].psi + (size_t)ib * b->npw;
        double t = 0;
        for (int g = 0; g < b->npw; g++) t += b->kin[g] * creal(c[g] * conj(c[g]));
        ekin += wt[ib] * t;
      }
      enl += mb__nonlocal_energy(s->kd[ik].nl, nband, s->kd[ik].psi, wt);
      if ((st = mb__density_add(fft, b, nband, s->kd[ik].psi, wt, work, s->rho_out, NULL)) !=
          MB_OK)
        goto cleanup;
    }
    double eloc = 0;
    for (size_t i = 0; i < N; i++) eloc += s->vion[i] * s->rho_out[i];
    eloc *= fft->omega / (double)N;
    if ((st = mb__hartree(fft, s->rho_out, &eh, NULL)) != MB_OK ||
        (st = mb__xc_eval(s->xc, fft, s->rho_out, s->has_core ? s->core : NULL, NULL, &exc,
                          s->vxc, NULL)) != MB_OK)
      goto cleanup;
    r.kinetic = ekin, r.nonlocal = enl, r.local = eloc, r.hartree = eh;
    r.xc = exc, r.entropy = entropy, r.fermi = fermi;
    r.internal = ekin + enl + eloc + eh + exc + r.ewald + r.pspcore;
    r.free = r.internal + entropy;
    r.steps = step;
    s->solved = 1;

    if ((st = mb__mixer_step(s->mixer, s->rho, s->rho_out, s->rho, &resnorm)) != MB_OK)
      goto cleanup;
    r.resnorm = resnorm;
    double de = step > 1 ? r.free - eprev : NAN;
    eprev = r.free;
    mb__log(&s->log, MB_LOG_INFO, "scf %d  E = %.10f Ha  dE = %.3e  res = %.3e", step, r.free,
            de, resnorm);
    nsmall = step > 1 && fabs(de) < in->toldfe ? nsmall + 1 : 0;
    if (nsmall >= 2 && resnorm < in->tolrho) {
      s->converged = 1;
      break;
    }
    if (step == in->maxstep)
      st = mb__error(MB_ERR_NOT_CONVERGED, "mb__scf_solve: not converged after %d steps: last "
                     "energy change %.3e Ha, density residual %.3e", step, de, resnorm);
  }

cleanup:
  s->last = r;
  *res = r;
  free(vtot), free(vh), free(wt);
  mb__fft_array_free(work);
  return st;
}

mb_status mb__scf_eigenvalues(const mb__scf *s, int *nk, int *nband, const double **eig,
                              const double **kpt, const double **wtk) {
  if (!s || !nk || !nband || !eig || !kpt || !wtk)
    return mb__error(MB_ERR_INVALID_ARG, "mb__scf_eigenvalues: NULL argument");
  if (!s->solved)
    return mb__error(MB_ERR_INVALID_ARG, "mb__scf_eigenvalues: not solved yet");
  *nk = s->kp->nk, *nband = s->in.nband;
  *eig = s->eig, *kpt = s->kp->k, *wtk = s->kp->weight;
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
