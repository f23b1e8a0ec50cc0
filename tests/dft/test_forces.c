/* Forces of the plane-wave engine (lib/dft/forces.c) against central finite differences
 * of its own energy and against ABINIT 9.6.2.
 *
 * ABINIT references: tests/data/dft/forces/reference.txt, written by make_reference.py
 * beside it from the inputs si_disp.abi, si_sym.abi and cao.abi there (fcart and the
 * "--- !EnergyTerms" block; libxc PBE, nsym 1 kptopt 2, istwfk *1, toldfe 1e-13).
 * Si.psp8 has a model core (fchrg 4), so the Si cases cover all four force terms. The numbers are copied below. Needs the abinit-data pseudopotentials
 * (/usr/share/abinit/psp or $MB_PSP_DIR); without them the test exits 77 (skipped). */
#include <math.h>
#include <string.h>
#include <sys/stat.h>

#include "../testutil.h"
#include "dft/scf.h"
#include "dftutil.h"

#define DOJO "Pseudodojo_nc_sr_04_pbe_standard_psp8/"
#define SI_PSP DOJO "Si.psp8"
#define CA_PSP DOJO "Ca.psp8"
#define O_PSP DOJO "O.psp8"
#define LI_PSP "3li.3.hgh"

/* fcc lattice of cubic constant a (Bohr), rows. */
static void fcc(double a, double lat[9]) {
  const double h = a / 2, l[9] = {0, h, h, h, 0, h, h, h, 0};
  memcpy(lat, l, sizeof l);
}

static void base_input(mb__scf_input *in, double a, int natoms, const double *frac,
                       const int *types, int ntypes, mb__psp **psp, double ecut, int nband) {
  memset(in, 0, sizeof *in);
  fcc(a, in->lattice);
  in->natoms = natoms, in->frac = frac, in->types = types, in->ntypes = ntypes;
  in->psp = psp, in->ecut = ecut, in->nband = nband, in->occopt = 1, in->ixc = -101130;
  for (int j = 0; j < 3; j++) in->ngkpt[j] = 2, in->shiftk[j] = 0.5;
  in->maxstep = 80, in->toldfe = 1e-12, in->tolrho = 1e-10;
}

/* dE/dx_cart of atom a, direction c by central differences (h Bohr), warm-started from
 * copies of the solved s; the free energy F (= E without smearing). */
static double fd_force(const mb__scf *s0, const mb__scf_input *in, int a, int c, double h) {
  double inv[9], e[2];
  ck_assert_int_eq(mb__inv3(in->lattice, inv), 0);
  for (int sgn = 0; sgn < 2; sgn++) {
    mb__scf *s = NULL;
    MB_OK_OR_FAIL(mb__scf_copy(s0, &s));
    double frac[3 * 8];
    memcpy(frac, in->frac, 3 * (size_t)in->natoms * sizeof(double));
    /* cart = frac . L (rows), so d frac = d cart . L^-1 */
    double d = sgn ? -h : h;
    for (int j = 0; j < 3; j++) frac[3 * a + j] += d * inv[3 * c + j];
    MB_OK_OR_FAIL(mb__scf_set_positions(s, frac));
    mb__scf_result r;
    MB_OK_OR_FAIL(mb__scf_solve(s, &r));
    e[sgn] = r.free;
    mb__scf_free(s);
  }
  return -(e[0] - e[1]) / (2 * h);
}

#define CLOSE(got, ref, tol, what) \
  ck_assert_msg(fabs((got) - (ref)) < (tol), "%s %.10e, reference %.10e", what, got, ref)

/* Si diamond, second atom moved: forces vs ABINIT's fcart and vs finite differences. */
START_TEST(test_si_displaced) {
  static const double frac[6] = {0, 0, 0, 0.26, 0.25, 0.24};
  static const int types[2] = {0, 0};
  mb__psp *psp[1] = {load(SI_PSP)};
  mb__scf_input in;
  base_input(&in, 10.26, 2, frac, types, 1, psp, 10.0, 4);
  mb__scf *s = NULL;
  MB_OK_OR_FAIL(mb__scf_create(&in, 1, &s));
  mb__scf_result r;
  MB_OK_OR_FAIL(mb__scf_solve(s, &r));
  double f[6];
  MB_OK_OR_FAIL(mb__scf_forces(s, f));
  fprintf(stderr, "si_disp: E %.10f steps %d\n  F0 % .10e % .10e % .10e\n"
          "  F1 % .10e % .10e % .10e\n", r.internal, r.steps, f[0], f[1], f[2], f[3], f[4], f[5]);
  /* ABINIT 9.6.2, tests/data/dft/forces/reference.txt, case si_disp */
  static const double ref[6] = {-6.92921166976000e-03, 1.80292229322000e-03,
                                9.42645471246000e-03,  6.92921166976000e-03,
                                -1.80292229322000e-03, -9.42645471246000e-03};
  for (int i = 0; i < 6; i++) CLOSE(f[i], ref[i], 1e-6, "fcart");
  CLOSE(r.internal, -8.45469468866061, 2e-8, "total energy");
  /* total force vanishes (translation invariance; only the discrete grid breaks it) */
  for (int c = 0; c < 3; c++) CLOSE(f[c] + f[3 + c], 0.0, 1e-6, "sum of forces");
  /* central differences of the energy, 1e-3 Bohr */
  double fx = fd_force(s, &in, 1, 0, 1e-3), fz = fd_force(s, &in, 0, 2, 1e-3);
  fprintf(stderr, "  FD: F1x %.10e (analytic %.10e)  F0z %.10e (analytic %.10e)\n", fx, f[3],
          fz, f[2]);
  CLOSE(f[3], fx, 1e-5, "F1x vs finite differences");
  CLOSE(f[2], fz, 1e-5, "F0z vs finite differences");
  mb__scf_free(s);
  mb__psp_free(psp[0]);
}
END_TEST

/* Ideal diamond positions with the shifted 2x2x2 grid and no symmetry: the k-points
 * break the point group, so the forces are small but not zero (ABINIT: +-1.2429511e-3). */
START_TEST(test_si_symmetric) {
  static const double frac[6] = {0, 0, 0, 0.25, 0.25, 0.25};
  static const int types[2] = {0, 0};
  mb__psp *psp[1] = {load(SI_PSP)};
  mb__scf_input in;
  base_input(&in, 10.26, 2, frac, types, 1, psp, 10.0, 4);
  mb__scf *s = NULL;
  MB_OK_OR_FAIL(mb__scf_create(&in, 1, &s));
  mb__scf_result r;
  MB_OK_OR_FAIL(mb__scf_solve(s, &r));
  double f[6];
  MB_OK_OR_FAIL(mb__scf_forces(s, f));
  fprintf(stderr, "si_sym: F0 % .10e % .10e % .10e\n", f[0], f[1], f[2]);
  /* ABINIT 9.6.2, tests/data/dft/forces/reference.txt, case si_sym */
  static const double ref[3] = {1.24295110899000e-03, 1.24295110617000e-03,
                                1.24295108474000e-03};
  for (int c = 0; c < 3; c++) {
    CLOSE(f[c], ref[c], 1e-6, "fcart atom 1");
    CLOSE(f[3 + c], -ref[c], 1e-6, "fcart atom 2");
  }
  mb__scf_free(s);
  mb__psp_free(psp[0]);
}
END_TEST

/* Rocksalt CaO with O moved: both PseudoDojo psp8 files carry a large model core
 * (Ca fchrg 6), so the core-correction force dominates the error budget. At ecut 15
 * (fast) the forces are checked against finite differences of the engine's energy
 * (measured: all six components within 3.3e-7 Ha/Bohr), and the position-only terms
 * against ABINIT (tests/data/dft/forces/reference.txt, case cao, ecut 20; Ewald and
 * pspcore do not depend on ecut).
 * Not asserted (too slow here), measured against ABINIT 9.6.2 with its default
 * real-space core (nc_xccc_gspace 0), drift removed as ABINIT's fcart:
 *   ecut 30: total energy -55.3713669876 vs -55.3713663868 (6e-7 Ha), forces within
 *            2e-7 Ha/Bohr;
 *   ecut 20: -55.2737155567 vs -55.2746800189 (9.6e-4 Ha), forces off by ~5e-4:
 *            the core density is aliased differently on the coarse box (real space in
 *            ABINIT, reciprocal space here); ABINIT's own nc_xccc_gspace 1 differs from
 *            its default by 6e-5 Ha at ecut 30 and 25 mHa at ecut 15. */
START_TEST(test_cao_core) {
  static const double frac[6] = {0, 0, 0, 0.52, 0.5, 0.49};
  static const int types[2] = {0, 1};
  mb__psp *psp[2] = {load(CA_PSP), load(O_PSP)};
  ck_assert(psp[0]->has_core && psp[1]->has_core);
  mb__scf_input in;
  base_input(&in, 9.09, 2, frac, types, 2, psp, 15.0, 8);
  for (int j = 0; j < 3; j++) in.shiftk[j] = 0;
  mb__scf *s = NULL;
  MB_OK_OR_FAIL(mb__scf_create(&in, 1, &s));
  mb__scf_result r;
  MB_OK_OR_FAIL(mb__scf_solve(s, &r));
  double f[6];
  MB_OK_OR_FAIL(mb__scf_forces(s, f));
  fprintf(stderr, "cao: steps %d total %.10f\n  F0 % .10e % .10e % .10e\n"
          "  F1 % .10e % .10e % .10e\n", r.steps, r.internal, f[0], f[1], f[2], f[3], f[4],
          f[5]);
  CLOSE(r.ewald, -4.14828638069614e+01, 1e-9, "ewald");
  CLOSE(r.pspcore, 1.57889917275361e+00, 1e-9, "pspcore");
  double fd = fd_force(s, &in, 1, 2, 1e-3);
  fprintf(stderr, "  FD: F1z %.10e (analytic %.10e)\n", fd, f[5]);
  CLOSE(f[5], fd, 1e-5, "F_O,z vs finite differences");
  mb__scf_free(s);
  mb__psp_free(psp[0]);
  mb__psp_free(psp[1]);
}
END_TEST

int main(void) {
  if (!have_file(SI_PSP) || !have_file(CA_PSP) || !have_file(O_PSP) || !have_file(LI_PSP)) {
    fprintf(stderr, "test_forces: %s lacks the abinit-data pseudopotentials: skipped\n",
            psp_dir());
    return 77;
  }
  Suite *s = suite_create("forces");
  TCase *tc = tcase_create("forces");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, test_si_displaced);
  tcase_add_test(tc, test_si_symmetric);
  tcase_add_test(tc, test_cao_core);
  suite_add_tcase(s, tc);
  return mb_run_suite(s);
}
