/* Self-consistent Kohn-Sham ground states of lib/dft (scf.h) against ABINIT 9.6.2.
 *
 * References: tests/data/dft/scf/reference.txt, written by make_reference.py beside it
 * from the ABINIT inputs si_pbe.abi and li_lda.abi there (the "--- !EnergyTerms" block
 * of the converged run, toldfe 1e-12, nsym 1 kptopt 2, istwfk *1). The numbers are
 * copied below. Needs the abinit-data pseudopotentials (/usr/share/abinit/psp or
 * $MB_PSP_DIR); without them the test exits 77 (skipped). */
#include <math.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "../testutil.h"
#include "dft/scf.h"
#include "dftutil.h"

#define SI_PSP "Pseudodojo_nc_sr_04_pbe_standard_psp8/Si.psp8"
#define LI_PSP "3li.3.hgh"
#define SI_HGH "14si.4.hgh"

/* Si diamond, a = 10.26 Bohr, PBE psp8, ecut 10, 2x2x2 shifted grid, 4 bands. */
static void si_input(mb__scf_input *in, mb__psp **psp) {
  static const double frac[6] = {0, 0, 0, 0.25, 0.25, 0.25};
  static const int types[2] = {0, 0};
  const double h = 10.26 / 2;
  const double lat[9] = {0, h, h, h, 0, h, h, h, 0};
  memset(in, 0, sizeof *in);
  memcpy(in->lattice, lat, sizeof lat);
  in->natoms = 2, in->frac = frac, in->types = types, in->ntypes = 1, in->psp = psp;
  in->ecut = 10.0;
  for (int j = 0; j < 3; j++) in->ngkpt[j] = 2, in->shiftk[j] = 0.5;
  in->nband = 4, in->occopt = 1, in->ixc = 0;
  in->maxstep = 60, in->toldfe = 1e-11, in->tolrho = 1e-9;
}

static void print_result(const char *name, const mb__scf_result *r) {
  fprintf(stderr, "%s: steps %d res %.2e\n  kinetic %.10f hartree %.10f xc %.10f ewald %.10f\n"
          "  pspcore %.10f local %.10f nonlocal %.10f entropy %.10f\n  internal %.10f free "
          "%.10f fermi %.6f\n", name, r->steps, r->resnorm, r->kinetic, r->hartree, r->xc,
          r->ewald, r->pspcore, r->local, r->nonlocal, r->entropy, r->internal, r->free,
          r->fermi);
}

#define CLOSE(got, ref, tol, what) \
  ck_assert_msg(fabs((got) - (ref)) < (tol), "%s %.10f, ABINIT %.10f", what, got, ref)

START_TEST(test_si_pbe) {
  mb__psp *psp[1] = {load(SI_PSP)};
  mb__scf_input in;
  si_input(&in, psp);
  mb__scf_result r;
  MB_OK_OR_FAIL(mb__scf_run(&in, &r));
  print_result("si_pbe", &r);
  /* ABINIT 9.6.2, tests/data/dft/scf/reference.txt, case si_pbe_libxc (ixc -101130:
   * libxc's PBE, the functional the engine uses for the psp's pspxc 11); measured:
   * every component within 3e-9, total within 1e-9 */
  CLOSE(r.ewald, -8.40046478618609, 1e-9, "ewald");
  CLOSE(r.pspcore, 5.53648753925927e-01, 1e-9, "pspcore");
  CLOSE(r.kinetic, 3.08585791411485, 3e-8, "kinetic");
  CLOSE(r.hartree, 5.59385007748505e-01, 3e-8, "hartree");
  CLOSE(r.xc, -3.09856092745215, 3e-8, "xc");
  CLOSE(r.local, -2.30616653298723, 3e-8, "local");
  CLOSE(r.nonlocal, 1.15118640010395, 3e-8, "nonlocal");
  CLOSE(r.internal, -8.45511417073225, 2e-8, "total energy");
  /* case si_pbe: ABINIT's native PBE (ixc 11) differs from libxc's by 6.0e-7 Ha here
   * (in E_xc), well inside the goal of 1e-5 Ha/atom */
  CLOSE(r.internal, -8.45511477110293, 2e-6, "total energy vs native ixc 11");
  CLOSE(r.fermi, 0.13328, 1e-4, "highest occupied eigenvalue");
  mb__psp_free(psp[0]);
}
END_TEST

/* bcc Li, a = 6.6 Bohr, HGH (local only), LDA Teter (ixc 1), Fermi-Dirac 0.01 Ha. */
START_TEST(test_li_lda_smeared) {
  static const double frac[3] = {0, 0, 0};
  static const int types[1] = {0};
  mb__psp *psp[1] = {load(LI_PSP)};
  const double h = 6.6 / 2;
  mb__scf_input in = {.lattice = {-h, h, h, h, -h, h, h, h, -h}, .natoms = 1, .frac = frac,
                      .types = types, .ntypes = 1, .psp = psp, .ecut = 8.0,
                      .ngkpt = {4, 4, 4}, .shiftk = {0.5, 0.5, 0.5}, .nband = 4, .occopt = 3,
                      .tsmear = 0.01, .ixc = 1, .maxstep = 60, .toldfe = 1e-11, .tolrho = 1e-9};
  mb__scf_result r;
  MB_OK_OR_FAIL(mb__scf_run(&in, &r));
  print_result("li_lda", &r);
  /* ABINIT 9.6.2, tests/data/dft/scf/reference.txt, case li_lda */
  CLOSE(r.ewald, -2.48129553375611, 1e-9, "ewald");
  CLOSE(r.pspcore, -4.38457297229704e-04, 1e-9, "pspcore");
  /* measured: every component within 3e-8 of ABINIT, free energy within 1e-9 */
  CLOSE(r.kinetic, 3.44200871914012, 1e-7, "kinetic");
  CLOSE(r.hartree, 1.18856491374165, 1e-7, "hartree");
  CLOSE(r.xc, -1.30368162238560, 1e-7, "xc");
  CLOSE(r.local, -6.54376085186996, 1e-7, "local");
  CLOSE(r.nonlocal, 0.0, 1e-12, "nonlocal");
  CLOSE(r.entropy, -5.40230210598053e-03, 1e-7, "-kT*entropy");
  CLOSE(r.internal, -5.69860283242713, 1e-7, "internal energy");
  CLOSE(r.free, -5.70400513453311, 1e-7, "free energy (goal 1e-5 Ha/atom)");
  CLOSE(r.fermi, 0.02908, 1e-4, "Fermi level");
  mb__psp_free(psp[0]);
}
END_TEST

/* Stopped after 2 steps: MB_ERR_NOT_CONVERGED with the residual in the message. */
START_TEST(test_not_converged) {
  mb__psp *psp[1] = {load(SI_PSP)};
  mb__scf_input in;
  si_input(&in, psp);
  in.maxstep = 2;
  mb__scf_result r;
  ck_assert_int_eq(mb__scf_run(&in, &r), MB_ERR_NOT_CONVERGED);
  ck_assert_msg(strstr(mb_last_error(), "residual") != NULL, "message: %s", mb_last_error());
  ck_assert_int_eq(r.steps, 2);
  in.nband = 1; /* 1 band cannot hold 8 electrons */
  ck_assert_int_eq(mb__scf_run(&in, &r), MB_ERR_INVALID_ARG);
  ck_assert_int_eq(mb__scf_run(NULL, &r), MB_ERR_INVALID_ARG);
  mb__psp_free(psp[0]);
}
END_TEST

typedef struct log_count {
  int lines, bad;
} log_count;

static void count_lines(mb_log_level level, const char *msg, void *user) {
  log_count *c = user;
  c->lines++;
  if (level != MB_LOG_INFO || strncmp(msg, "scf ", 4) != 0 || !strstr(msg, " E = ") ||
      !strstr(msg, "dE = ") || !strstr(msg, "res = ") || strstr(msg, "nan"))
    c->bad++;
  if (strncmp(msg, "scf 1 ", 6) == 0 && !strstr(msg, "dE = - ")) c->bad++; /* no change yet */
}

/* The persistent ground state: a warm start after a small displacement converges in
 * clearly fewer steps than a cold start at the same positions, to the same energy; a
 * copy is independent; the logger gets one line per step. */
START_TEST(test_warm_start) {
  static const double frac0[6] = {0, 0, 0, 0.26, 0.25, 0.24};
  static const double frac1[6] = {0, 0, 0, 0.262, 0.25, 0.239};
  mb__psp *psp[1] = {load(SI_PSP)};
  mb__scf_input in;
  si_input(&in, psp);
  in.frac = frac0;
  in.toldfe = 1e-9, in.tolrho = 1e-7; /* a relaxation's tolerances */
  mb__scf *s = NULL, *cold = NULL, *cp = NULL;
  MB_OK_OR_FAIL(mb__scf_create(&in, 1, &s));
  log_count lc = {0, 0};
  mb_logger lg = {.fn = count_lines, .user = &lc, .level = MB_LOG_INFO};
  mb__scf_set_logger(s, &lg);
  mb__scf_result r0, rw, rc, rcp;
  MB_OK_OR_FAIL(mb__scf_solve(s, &r0));
  ck_assert_int_eq(lc.lines, r0.steps);
  ck_assert_int_eq(lc.bad, 0);
  MB_OK_OR_FAIL(mb__scf_copy(s, &cp));
  MB_OK_OR_FAIL(mb__scf_set_positions(s, frac1));
  MB_OK_OR_FAIL(mb__scf_solve(s, &rw));
  in.frac = frac1;
  MB_OK_OR_FAIL(mb__scf_create(&in, 1, &cold));
  MB_OK_OR_FAIL(mb__scf_solve(cold, &rc));
  /* the copy still holds the first geometry: solving it again is immediate */
  MB_OK_OR_FAIL(mb__scf_solve(cp, &rcp));
  fprintf(stderr, "warm start: first %d steps; after moving: warm %d, cold %d; copy %d\n"
          "  E warm %.12f cold %.12f copy %.12f (first %.12f)\n", r0.steps, rw.steps,
          rc.steps, rcp.steps, rw.internal, rc.internal, rcp.internal, r0.internal);
  /* measured: first 10 steps; after moving warm 8, cold 10 (toldfe 1e-9, tolrho 1e-7;
   * cold start from superposed atomic densities) */
  ck_assert_msg(rw.steps + 2 <= rc.steps, "warm %d steps, cold %d", rw.steps, rc.steps);
  CLOSE(rw.internal, rc.internal, 1e-8, "warm vs cold energy");
  CLOSE(rcp.internal, r0.internal, 1e-8, "copy vs original energy");
  ck_assert_int_le(rcp.steps, 4);
  /* threads over k-points: the same steps and energy (density summed in k order) */
  mb__scf *t2 = NULL;
  mb__scf_result rt;
  MB_OK_OR_FAIL(mb__scf_create(&in, 2, &t2));
  MB_OK_OR_FAIL(mb__scf_solve(t2, &rt));
  ck_assert_int_eq(rt.steps, rc.steps);
  CLOSE(rt.internal, rc.internal, 1e-12, "2 threads vs 1");
  mb__scf_free(t2);
  int nk, nb;
  const double *eig, *kpt, *wtk;
  int nsp_ = 0;
  MB_OK_OR_FAIL(mb__scf_eigenvalues(s, &nsp_, &nk, &nb, &eig, &kpt, &wtk));
  ck_assert_int_eq(nb, 4);
  ck_assert_int_eq(nk, 4); /* 2x2x2 shifted grid, time reversal only */
  double wsum = 0;
  for (int k = 0; k < nk; k++) wsum += wtk[k];
  CLOSE(wsum, 1.0, 1e-12, "sum of k weights");
  for (int i = 1; i < nk * nb; i++)
    if (i % nb) ck_assert(eig[i] >= eig[i - 1]);
  ck_assert_int_eq(mb__scf_set_positions(s, NULL), MB_ERR_INVALID_ARG);
  mb__scf_free(cp);
  ck_assert_int_eq(mb__scf_create(&in, 0, &cp), MB_ERR_INVALID_ARG);
  ck_assert_ptr_null(cp);
  mb__scf_free(cold);
  mb__scf_free(s);
  mb__psp_free(psp[0]);
}
END_TEST

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

/* in solved with and without symmetry: the same free energy (1e-8 Ha) and forces
 * (1e-6 Ha/Bohr), fewer k-points with it. forces may be NULL. Returns the k-point
 * counts (without, with) in nk. */
static void compare_symmetry(const char *name, mb__scf_input *in, int with_forces, int nk[2]) {
  double e[2], t[2], f[2][6];
  for (int sym = 0; sym < 2; sym++) {
    in->use_symmetry = sym;
    double t0 = now();
    mb__scf *s = NULL;
    mb__scf_result r;
    MB_OK_OR_FAIL(mb__scf_create(in, 1, &s));
    MB_OK_OR_FAIL(mb__scf_solve(s, &r));
    if (with_forces) MB_OK_OR_FAIL(mb__scf_forces(s, f[sym]));
    if (!sym) { /* the density of the full grid is symmetric: the projection keeps it */
      mb__symm *sy = NULL;
      MB_OK_OR_FAIL(mb__symm_find(in->lattice, in->natoms, in->frac, in->types, 1e-5, &sy));
      size_t N = s->fft->ntot;
      double *cp = malloc(N * sizeof(double)), d = 0, q0 = 0, q1 = 0;
      ck_assert_ptr_nonnull(cp);
      memcpy(cp, s->rho_out, N * sizeof(double));
      MB_OK_OR_FAIL(mb__symm_density(sy, s->fft, cp));
      for (size_t i = 0; i < N; i++)
        d = fmax(d, fabs(cp[i] - s->rho_out[i])), q0 += s->rho_out[i], q1 += cp[i];
      /* measured: 5e-11 (Si), 4e-9 (displaced Si), 4e-12 (Li) e/Bohr^3 */
      ck_assert_msg(d < 1e-7 && fabs(q1 - q0) < 1e-9 * q0, "%s: %d operations change the "
                    "density by %g, its sum %g -> %g", name, sy->nop, d, q0, q1);
      free(cp);
      mb__symm_free(sy);
    }
    t[sym] = now() - t0;
    e[sym] = r.free;
    const double *eig, *kpt, *wtk;
    int nb;
    int nsp_ = 0;
    MB_OK_OR_FAIL(mb__scf_eigenvalues(s, &nsp_, &nk[sym], &nb, &eig, &kpt, &wtk));
    mb__scf_free(s);
  }
  double dfmax = 0;
  for (int i = 0; with_forces && i < 3 * in->natoms; i++)
    dfmax = fmax(dfmax, fabs(f[1][i] - f[0][i]));
  fprintf(stderr, "%s: k-points %d -> %d with symmetry; F %.12f vs %.12f (diff %.2e); "
          "max force diff %.2e; %.2f s -> %.2f s\n", name, nk[0], nk[1], e[0], e[1],
          e[1] - e[0], dfmax, t[0], t[1]);
  CLOSE(e[1], e[0], 1e-8, "free energy with symmetry vs without");
  ck_assert_msg(dfmax < 1e-6, "%s: forces with symmetry differ by %g Ha/Bohr", name, dfmax);
  ck_assert_int_lt(nk[1], nk[0]);
}

/* Space-group symmetry (symmetrize.c, kpoints.c) against the same calculation with time
 * reversal only, on Gamma-centred grids (which the rotations keep). Measured (this
 * machine, 1 thread, create + solve (+ forces)): Si ideal 8 -> 3 k-points, energies
 * equal to 7e-14 Ha, 1.76 s -> 1.02 s; Si with one atom moved to (0.26, 0.25, 0.25) (4
 * operations) 8 -> 6 k-points, 4e-14 Ha, forces 3.5e-9 Ha/Bohr, 1.55 s -> 1.26 s; bcc
 * Li 36 -> 8 k-points, 8e-14 Ha, 0.61 s -> 0.20 s. */
START_TEST(test_symmetry) {
  mb__psp *psp[1] = {load(SI_PSP)};
  mb__scf_input in;
  si_input(&in, psp);
  for (int j = 0; j < 3; j++) in.shiftk[j] = 0;
  int nk[2];
  compare_symmetry("Si ideal, 2x2x2", &in, 0, nk);
  ck_assert_int_eq(nk[1], 3); /* Gamma, L, X (ABINIT kptopt 1: 3) */
  static const double disp[6] = {0, 0, 0, 0.26, 0.25, 0.25};
  in.frac = disp;
  compare_symmetry("Si displaced, 2x2x2", &in, 1, nk);
  mb__psp_free(psp[0]);

  /* the shifted grid breaks the fcc group: time reversal only, the same k-points */
  si_input(&in, psp);
  psp[0] = load(SI_PSP);
  in.use_symmetry = 1, in.maxstep = 1;
  mb__scf *s = NULL;
  MB_OK_OR_FAIL(mb__scf_create(&in, 1, &s));
  ck_assert_int_eq(s->kp->nk, 4);
  ck_assert_ptr_null(s->sym);
  mb__scf_free(s);

  /* a new geometry of lower symmetry: k-points reduced anew (3 -> 6), cold start, the
   * energy of a fresh calculation there */
  si_input(&in, psp);
  for (int j = 0; j < 3; j++) in.shiftk[j] = 0;
  in.use_symmetry = 1;
  mb__scf_result r0, r1, rc;
  mb__psp **tmp = malloc(sizeof *tmp); /* the pointer array is copied: freed at once */
  ck_assert_ptr_nonnull(tmp);
  tmp[0] = psp[0], in.psp = tmp;
  MB_OK_OR_FAIL(mb__scf_create(&in, 1, &s));
  tmp[0] = NULL;
  free(tmp);
  in.psp = psp;
  MB_OK_OR_FAIL(mb__scf_solve(s, &r0));
  ck_assert_int_eq(s->kp->nk, 3);
  MB_OK_OR_FAIL(mb__scf_set_positions(s, disp));
  ck_assert_int_eq(s->kp->nk, 6);
  ck_assert_int_eq(s->sym->nop, 4);
  MB_OK_OR_FAIL(mb__scf_solve(s, &r1));
  mb__scf *c = NULL;
  in.frac = disp;
  MB_OK_OR_FAIL(mb__scf_create(&in, 1, &c));
  MB_OK_OR_FAIL(mb__scf_solve(c, &rc));
  CLOSE(r1.free, rc.free, 1e-9, "after a symmetry change vs fresh");
  mb__scf *cp = NULL; /* the copy keeps the group */
  MB_OK_OR_FAIL(mb__scf_copy(s, &cp));
  ck_assert_int_eq(cp->sym->nop, 4);
  mb__scf_free(cp);
  mb__scf_free(c);
  mb__scf_free(s);
  mb__psp_free(psp[0]);

  static const double frac[3] = {0, 0, 0};
  static const int types[1] = {0};
  psp[0] = load(LI_PSP);
  const double h = 6.6 / 2;
  mb__scf_input li = {.lattice = {-h, h, h, h, -h, h, h, h, -h}, .natoms = 1, .frac = frac,
                      .types = types, .ntypes = 1, .psp = psp, .ecut = 8.0,
                      .ngkpt = {4, 4, 4}, .nband = 4, .occopt = 3, .tsmear = 0.01, .ixc = 1,
                      .maxstep = 60, .toldfe = 1e-11, .tolrho = 1e-9};
  compare_symmetry("bcc Li, 4x4x4", &li, 0, nk);
  mb__psp_free(psp[0]);
}
END_TEST

/* Real wavefunctions at Gamma and the zone-boundary k (mb__basis.real, ABINIT istwfk
 * 2..9) against the full sphere (istwfk 1) on the same input: the same energy, forces
 * and eigenvalues, with half the plane waves. The 8-atom Si cube with one atom moved (forces), PBE; the same
 * with SCAN (the meta-GGA term of H and tau), spin with a held moment of 2 (odd electron
 * counts per spin: a band without a partner in the pair transforms) and Fermi-Dirac
 * smearing (fractional weights). Measured: energies equal to 3e-13 Ha, forces 1.2e-9
 * Ha/Bohr, eigenvalues 1.6e-10 Ha; 1.35-3.8x faster (one thread, this machine). */
static void si8_gamma(mb__scf_input *in, mb__psp **psp) {
  static const double frac[24] = {0.01, 0, 0, 0.5, 0.5, 0, 0.5, 0, 0.5, 0, 0.5, 0.5,
                                  0.25, 0.25, 0.25, 0.75, 0.75, 0.25, 0.75, 0.25, 0.75,
                                  0.25, 0.75, 0.75};
  static const int types[8] = {0};
  memset(in, 0, sizeof *in);
  const double a = 10.26;
  const double lat[9] = {a, 0, 0, 0, a, 0, 0, 0, a};
  memcpy(in->lattice, lat, sizeof lat);
  in->natoms = 8, in->frac = frac, in->types = types, in->ntypes = 1, in->psp = psp;
  in->ecut = 10.0;
  for (int j = 0; j < 3; j++) in->ngkpt[j] = 1;
  in->nband = 20, in->occopt = 1, in->ixc = 0;
  in->maxstep = 60, in->toldfe = 1e-12, in->tolrho = 1e-9;
}

static void compare_real(const char *name, mb__scf_input *in) {
  double e[2], f[2][24], t[2];
  int npw[2] = {0, 0}, nband = 0, nsp = 0, nk = 0, nreal = 0;
  double *eig[2] = {NULL, NULL};
  for (int full = 0; full < 2; full++) {
    in->full_sphere = full;
    double t0 = now();
    mb__scf *s = NULL;
    mb__scf_result r;
    MB_OK_OR_FAIL(mb__scf_create(in, 1, &s));
    MB_OK_OR_FAIL(mb__scf_solve(s, &r));
    MB_OK_OR_FAIL(mb__scf_forces(s, f[full]));
    t[full] = now() - t0;
    e[full] = r.free;
    for (int ik = 0; ik < s->kp->nk; ik++) { /* the full sphere's count, from the half */
      const mb__basis *b = s->kd[ik].basis;
      ck_assert_int_eq(b->real != 0, !full && mb__kpoint_tr_invariant(s->kp->k + 3 * ik));
      npw[full] += b->real ? 2 * b->npw - (b->real == 1) : b->npw;
      nreal += b->real != 0;
    }
    const double *ev, *kpt, *wtk;
    MB_OK_OR_FAIL(mb__scf_eigenvalues(s, &nsp, &nk, &nband, &ev, &kpt, &wtk));
    size_t ne = (size_t)nsp * nk * nband;
    eig[full] = malloc(ne * sizeof(double));
    ck_assert_ptr_nonnull(eig[full]);
    memcpy(eig[full], ev, ne * sizeof(double));
    mb__scf_free(s);
  }
  in->full_sphere = 0;
  double df = 0, de = 0;
  for (int i = 0; i < 3 * in->natoms; i++) df = fmax(df, fabs(f[1][i] - f[0][i]));
  for (int i = 0; i < nsp * nk * nband; i++) de = fmax(de, fabs(eig[1][i] - eig[0][i]));
  fprintf(stderr, "%s: %d of %d k-points real; F %.12f vs %.12f (diff %.1e); forces %.1e, "
          "eigenvalues %.1e; %.2f s vs %.2f s\n", name, nreal, nk, e[0], e[1], e[0] - e[1],
          df, de, t[0], t[1]);
  ck_assert_int_gt(nreal, 0);
  ck_assert_int_eq(npw[0], npw[1]); /* the half spheres and their partners: the full ones */
  CLOSE(e[0], e[1], 1e-9, "free energy, real vs full sphere");
  ck_assert_msg(df < 1e-7, "%s: forces differ by %g Ha/Bohr", name, df);
  ck_assert_msg(de < 1e-7, "%s: eigenvalues differ by %g Ha", name, de);
  free(eig[0]), free(eig[1]);
}

START_TEST(test_gamma_real) {
  mb__psp *psp[1] = {load(SI_PSP)};
  mb__scf_input in;
  si8_gamma(&in, psp);
  compare_real("Si8 Gamma PBE", &in);
  mb__psp *hgh[1] = {load(SI_HGH)}; /* a meta-GGA needs a psp without core correction;
                                       HGH also has a full h_ij matrix */
  si8_gamma(&in, hgh);
  in.ixc = -263267; /* SCAN (libxc MGGA_X_SCAN + MGGA_C_SCAN) */
  compare_real("Si8 Gamma SCAN (HGH)", &in);
  mb__psp_free(hgh[0]);
  si8_gamma(&in, psp);
  in.nspin = 2, in.fix_moment = 1, in.moment = 2;
  compare_real("Si8 Gamma spin, M = 2", &in);
  si8_gamma(&in, psp);
  in.occopt = 3, in.tsmear = 0.02, in.nband = 24;
  compare_real("Si8 Gamma Fermi-Dirac", &in);
  /* zone-boundary k-points (mb__basis.real 2): Si2 with one atom moved on the unshifted
   * 2x2x2 grid (all 8 points have 2k integer), and 3x3x3 (Gamma real, the rest not) */
  static const double disp[6] = {0, 0, 0, 0.26, 0.24, 0.25};
  si_input(&in, psp);
  in.frac = disp, in.nband = 8, in.occopt = 3, in.tsmear = 0.01, in.toldfe = 1e-12;
  for (int j = 0; j < 3; j++) in.shiftk[j] = 0;
  compare_real("Si2 2x2x2, zone boundary", &in);
  for (int j = 0; j < 3; j++) in.ngkpt[j] = 3;
  compare_real("Si2 3x3x3", &in);
  si_input(&in, hgh); /* the meta-GGA's tau at the zone boundary (e^{ik.r} on the box) */
  hgh[0] = load(SI_HGH);
  in.frac = disp, in.nband = 8, in.occopt = 3, in.tsmear = 0.01, in.ixc = -263267;
  for (int j = 0; j < 3; j++) in.shiftk[j] = 0;
  compare_real("Si2 2x2x2 SCAN (HGH), zone boundary", &in);
  mb__psp_free(hgh[0]);
  mb__psp_free(psp[0]);
}
END_TEST

int main(void) {
  if (!have_file(SI_PSP) || !have_file(LI_PSP) || !have_file(SI_HGH)) {
    fprintf(stderr, "test_scf: %s lacks the abinit-data pseudopotentials: skipped\n",
            psp_dir());
    return 77;
  }
  Suite *s = suite_create("scf");
  TCase *tc = tcase_create("scf");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, test_si_pbe);
  tcase_add_test(tc, test_li_lda_smeared);
  tcase_add_test(tc, test_not_converged);
  tcase_add_test(tc, test_warm_start);
  tcase_add_test(tc, test_symmetry);
  tcase_add_test(tc, test_gamma_real);
  suite_add_tcase(s, tc);
  return mb_run_suite(s);
}
