/* Hellmann-Feynman forces of a converged mb__scf (Ihm, Zunger & Cohen, J. Phys. C 12,
 * 4409 (1979)), F_a = -dE/dR_a term by term of the energy the SCF reports:
 *   local      -d/dR_a omega sum_G V_loc(G) conj(rho(G))      (ionic.c)
 *   non-local  -d/dR_a sum_nk w f <psi|V_nl|psi> through the projector phases (nonlocal.c)
 *   core       -d/dR_a E_xc[rho + rho_core] = -omega sum_G conj(V_xc(G)) d rho_core(G)/dR_a
 *   Ewald      mb__ewald's forces
 *   DFT+U      -d/dR_a E_U through the phases of the orbital projectors (hubbard.c)
 * The wavefunctions and the density are those of the last SCF step (stationary at
 * self-consistency, so no Pulay terms in a fixed plane-wave basis). With smearing the
 * occupations minimise the free energy, so these are the derivatives of F = E - TS.
 * With symmetry (irreducible k-points) the non-local part is not symmetric by itself:
 * the total is symmetrised over the space group (symmetrize.c). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "hubbard.h"

mb_status mb__scf_forces(mb__scf *s, double *forces) {
  if (!s || !forces) return mb__error(MB_ERR_INVALID_ARG, "mb__scf_forces: NULL argument");
  if (!s->solved)
    return mb__error(MB_ERR_INVALID_ARG, "mb__scf_forces: no solution for these positions "
                     "(call mb__scf_solve first)");
  const int nat = s->in.natoms, nband = s->in.nband, nsp = s->nsp, nk = s->kp->nk;
  const size_t N = s->fft->ntot;
  mb_status st;
  double *fe = mb__calloc(3 * (size_t)nat, sizeof(double));
  double *wt = mb__malloc(nband, sizeof(double));
  /* spin-polarised: the local term sees the total density, the core term the mean of the
   * two spins' V_xc (each spin density carries half the model core) */
  double *tot = nsp == 2 ? mb__malloc(2 * N, sizeof(double)) : NULL;
  mb__team *team = NULL; /* the non-local projections on all the threads */
  if (!fe || !wt || (nsp == 2 && !tot)) {
    st = MB_ERR_NOMEM;
    goto cleanup;
  }
  if ((st = mb__team_create(s->nthreads, &team)) != MB_OK) goto cleanup;
  const double *rho = s->rho_out, *vxc = s->vxc;
  if (nsp == 2) {
    for (size_t i = 0; i < N; i++) {
      tot[i] = s->rho_out[i] + s->rho_out[N + i];
      tot[N + i] = 0.5 * (s->vxc[i] + s->vxc[N + i]);
    }
    rho = tot, vxc = tot + N;
  }
  memset(forces, 0, 3 * (size_t)nat * sizeof(double));
  double eew;
  if ((st = mb__ewald(s->in.lattice, nat, s->frac, s->zion, &eew, fe, NULL)) != MB_OK ||
      (st = mb__ionic_forces(s->fft, team, nat, s->frac, s->types, s->in.psp, 0, rho, forces)) !=
          MB_OK)
    goto cleanup;
  if (s->has_core &&
      (st = mb__ionic_forces(s->fft, team, nat, s->frac, s->types, s->in.psp, 1, vxc, forces)) !=
          MB_OK)
    goto cleanup;
  for (int sp = 0; sp < nsp; sp++)
    for (int ik = 0; ik < nk; ik++) {
      const mb__basis *b = s->kd[ik].basis;
      const double complex *psi = s->kd[ik].psi + (size_t)sp * b->npw * nband;
      for (int ib = 0; ib < nband; ib++)
        wt[ib] = s->occ[((size_t)sp * nk + ik) * nband + ib] * s->kp->weight[ik];
      if ((st = mb__nonlocal_forces(s->kd[ik].nl, team, b, s->fft->recip, nband, psi, wt,
                                    forces)) != MB_OK)
        goto cleanup;
      if (s->hub && (st = mb__hubbard_forces(s->hub, ik, sp, b, s->fft->recip, nband, psi, wt,
                                             forces)) != MB_OK)
        goto cleanup; /* DFT+U */
    }
  for (int i = 0; i < 3 * nat; i++) forces[i] += fe[i];
  if (s->sym) st = mb__symm_forces(s->sym, forces);
cleanup:
  mb__team_free(team);
  free(fe);
  free(wt);
  free(tot);
  return st;
}
