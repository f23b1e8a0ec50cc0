/* The public mb_dft API (migbar.h section 9), through the shared library only:
 * argument checks, defaults, units, copies, new geometries, non-convergence.
 *
 * References: the engine's numbers of tests/dft/test_scf.c, which are ABINIT 9.6.2's
 * (tests/data/dft/scf/reference.txt), converted with ABINIT's CODATA 2018 constants
 * Ha = 27.211386245988 eV and Bohr = 0.529177210903 A:
 *   Si diamond, a = 10.26 Bohr, PseudoDojo PBE psp8, ecut 10 Ha, 2x2x2 grid shifted by
 *   1/2, fixed occupations: E = -8.45511417073225 Ha (case si_pbe_libxc);
 *   bcc Li, a = 6.6 Bohr, HGH 3li.3.hgh (LDA Teter, the file's pspxc 1), ecut 8 Ha,
 *   4x4x4 shifted grid, Fermi-Dirac 0.01 Ha: F = -5.70400513453311 Ha (case li_lda).
 * Needs the abinit-data pseudopotentials (/usr/share/abinit/psp or $MB_PSP_DIR); without
 * them the test exits 77 (skipped). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../testutil.h"
#include "dftutil.h"

#define HA 27.211386245988
#define BOHR 0.529177210903
#define SI_PSP "Pseudodojo_nc_sr_04_pbe_standard_psp8/Si.psp8"
#define LI_PSP "3li.3.hgh"
#define O_PSP "Pseudodojo_nc_sr_04_pbe_standard_psp8/O.psp8"

static mb_structure *si_structure(double dx) {
  const double h = 10.26 / 2 * BOHR;
  const double lat[9] = {0, h, h, h, 0, h, h, h, 0};
  const double frac[6] = {0, 0, 0, 0.25, 0.25, 0.25};
  const int z[2] = {14, 14};
  mb_structure *s = NULL;
  MB_OK_OR_FAIL(mb_structure_create(lat, 2, frac, MB_COORDS_FRACTIONAL, z, &s));
  if (dx != 0) {
    double cart[6];
    MB_OK_OR_FAIL(mb_structure_positions(s, MB_COORDS_CARTESIAN, cart));
    cart[0] += dx;
    MB_OK_OR_FAIL(mb_structure_set_positions(s, cart, MB_COORDS_CARTESIAN));
  }
  return s;
}

/* The Si calculation of test_scf.c through the API (eV); gamma: the k-point grid is
 * Gamma alone, which keeps the crystal's symmetry (the shifted 2x2x2 grid of the
 * reference does not: it breaks the S4 axes, so the forces at the ideal positions are
 * not zero, 0.064 eV/A, nor are E(x0 + d) and E(x0 - d) equal). */
static mb_dft *si_dft(const mb_structure *s, int gamma) {
  char buf[1024];
  mb_dft *d = NULL;
  MB_OK_OR_FAIL(mb_dft_create(s, &d));
  MB_OK_OR_FAIL(mb_dft_set_option(d, MB_DFT_ECUT, 10 * HA));
  MB_OK_OR_FAIL(mb_dft_set_option(d, MB_DFT_SCF_TOL, 1e-8));
  const int grid[3] = {2, 2, 2}, one[3] = {1, 1, 1};
  const double shift[3] = {0.5, 0.5, 0.5};
  MB_OK_OR_FAIL(mb_dft_set_kpoints(d, gamma ? one : grid, gamma ? NULL : shift));
  MB_OK_OR_FAIL(mb_dft_set_pseudo(d, "Si", psp_path(SI_PSP, buf, sizeof buf)));
  return d;
}

START_TEST(test_errors) {
  mb_structure *s = si_structure(0);
  mb_dft *d = NULL;
  char buf[1024];
  double v;
  ck_assert_int_eq(mb_dft_create(NULL, &d), MB_ERR_INVALID_ARG);
  ck_assert_int_eq(mb_dft_create(s, NULL), MB_ERR_INVALID_ARG);
  MB_OK_OR_FAIL(mb_dft_create(s, &d));
  ck_assert_int_eq(mb_dft_set_option(NULL, MB_DFT_ECUT, 300), MB_ERR_INVALID_ARG);
  ck_assert_int_eq(mb_dft_set_option(d, MB_DFT_ECUT, -1), MB_ERR_INVALID_ARG);
  ck_assert_msg(strstr(mb_last_error(), "MB_DFT_ECUT") != NULL, "%s", mb_last_error());
  ck_assert_int_eq(mb_dft_set_option(d, MB_DFT_ECUT, NAN), MB_ERR_INVALID_ARG);
  ck_assert_int_eq(mb_dft_set_option(d, MB_DFT_MAX_SCF, 2.5), MB_ERR_INVALID_ARG);
  ck_assert_int_eq(mb_dft_set_option(d, MB_DFT_MAX_SCF, 0), MB_ERR_INVALID_ARG);
  ck_assert_int_eq(mb_dft_set_option(d, MB_DFT_THREADS, -1), MB_ERR_INVALID_ARG);
  ck_assert_int_eq(mb_dft_set_option(d, MB_DFT_MIXING, 0), MB_ERR_INVALID_ARG);
  ck_assert_int_eq(mb_dft_set_option(d, MB_DFT_SYMMETRY, 2), MB_ERR_INVALID_ARG);
  ck_assert_int_eq(mb_dft_set_option(d, MB_DFT_ECUT_RHO, -1), MB_ERR_INVALID_ARG);
  ck_assert_int_eq(mb_dft_set_option(d, (mb_dft_option)99, 1), MB_ERR_INVALID_ARG);
  ck_assert_int_eq(mb_dft_get_option(d, MB_DFT_ECUT, NULL), MB_ERR_INVALID_ARG);
  ck_assert_int_eq(mb_dft_get_option(d, (mb_dft_option)-1, &v), MB_ERR_INVALID_ARG);
  const int bad_grid[3] = {2, 0, 2}, grid[3] = {2, 2, 2};
  const double bad_shift[3] = {0, 0.25, 0};
  ck_assert_int_eq(mb_dft_set_kpoints(d, bad_grid, NULL), MB_ERR_INVALID_ARG);
  ck_assert_int_eq(mb_dft_set_kpoints(d, grid, bad_shift), MB_ERR_INVALID_ARG);
  ck_assert_int_eq(mb_dft_set_kpoints(d, NULL, NULL), MB_ERR_INVALID_ARG);
  ck_assert_int_eq(mb_dft_set_smearing(d, MB_SMEARING_GAUSSIAN, 0), MB_ERR_INVALID_ARG);
  ck_assert_int_eq(mb_dft_set_smearing(d, (mb_smearing)7, 0.1), MB_ERR_INVALID_ARG);
  ck_assert_int_eq(mb_dft_set_functional(d, (mb_xc)5), MB_ERR_INVALID_ARG);
  /* pseudopotentials: unknown symbol, an element the structure lacks, a missing file,
   * a file of another element */
  ck_assert_int_eq(mb_dft_set_pseudo(d, "Xx", "Si.psp8"), MB_ERR_INVALID_ARG);
  ck_assert_int_eq(mb_dft_set_pseudo(d, "Li", psp_path(LI_PSP, buf, sizeof buf)),
                   MB_ERR_INVALID_ARG);
  ck_assert_msg(strstr(mb_last_error(), "no Li") != NULL, "%s", mb_last_error());
  ck_assert_int_eq(mb_dft_set_pseudo(d, "Si", "/nonexistent/Si.psp8"), MB_ERR_IO);
  ck_assert_int_eq(mb_dft_set_pseudo(d, "Si", psp_path(LI_PSP, buf, sizeof buf)),
                   MB_ERR_INVALID_ARG);
  ck_assert_msg(strstr(mb_last_error(), "Z = 3") != NULL, "%s", mb_last_error());
  ck_assert_int_eq(mb_dft_set_pseudo_dir(d, "/nonexistent"), MB_ERR_IO);
  /* a directory without pseudopotentials: the compute names the element and it */
  char dir[] = "/tmp/mb_dft_api_XXXXXX";
  ck_assert_ptr_nonnull(mkdtemp(dir));
  MB_OK_OR_FAIL(mb_dft_set_pseudo_dir(d, dir));
  double e = 42;
  ck_assert_int_eq(mb_dft_compute(d, &e, NULL, NULL), MB_ERR_IO);
  ck_assert_msg(strstr(mb_last_error(), "Si") && strstr(mb_last_error(), dir), "%s",
                mb_last_error());
  ck_assert(e == 42);
  rmdir(dir);
  /* nothing computed yet */
  int nk, nb;
  ck_assert_int_eq(mb_dft_scf_report(d, NULL, NULL, NULL, NULL), MB_ERR_INVALID_ARG);
  ck_assert_int_eq(mb_dft_eigenvalues(d, &nk, &nb, NULL, NULL, NULL), MB_ERR_INVALID_ARG);
  ck_assert_int_eq(mb_dft_compute(NULL, &e, NULL, NULL), MB_ERR_INVALID_ARG);
  ck_assert_int_eq(mb_dft_copy(NULL, &d), MB_ERR_INVALID_ARG);
  mb_dft_free(d);
  mb_dft_free(NULL);
  mb_structure_free(s);
}
END_TEST

START_TEST(test_defaults) {
  mb_structure *s = si_structure(0);
  mb_dft *d = NULL;
  MB_OK_OR_FAIL(mb_dft_create(s, &d));
  /* migbar.h section 9 */
  static const struct { mb_dft_option key; double value; } want[] = {
      {MB_DFT_ECUT, 400}, {MB_DFT_SCF_TOL, 1e-6}, {MB_DFT_MAX_SCF, 100},
      {MB_DFT_THREADS, 1}, {MB_DFT_EXTRA_BANDS, 0}, {MB_DFT_MIXING, 0.6},
      {MB_DFT_SYMMETRY, 1}, {MB_DFT_ECUT_RHO, 0}};
  for (size_t k = 0; k < sizeof want / sizeof want[0]; k++) {
    double v = -99;
    MB_OK_OR_FAIL(mb_dft_get_option(d, want[k].key, &v));
    ck_assert_msg(v == want[k].value, "option %d: %g, expected %g", want[k].key, v,
                  want[k].value);
  }
  MB_OK_OR_FAIL(mb_dft_set_option(d, MB_DFT_ECUT, 250));
  double v;
  MB_OK_OR_FAIL(mb_dft_get_option(d, MB_DFT_ECUT, &v));
  ck_assert(v == 250);
  /* the density grid: kept by a copy; below 4 x ecut refused when computed */
  MB_OK_OR_FAIL(mb_dft_set_option(d, MB_DFT_ECUT_RHO, 999));
  mb_dft *c = NULL;
  MB_OK_OR_FAIL(mb_dft_copy(d, &c));
  MB_OK_OR_FAIL(mb_dft_get_option(c, MB_DFT_ECUT_RHO, &v));
  ck_assert(v == 999);
  ck_assert_int_eq(mb_dft_compute(c, NULL, NULL, NULL), MB_ERR_INVALID_ARG);
  ck_assert_msg(strstr(mb_last_error(), "below 4 x ecut = 1000 eV"), "%s", mb_last_error());
  mb_dft_free(c);
  mb_dft_free(d);
  mb_structure_free(s);
}
END_TEST

/* What mb_dft_compute says before the first SCF step (issue 14): the pseudopotential
 * of each element and the size of the run (MB_LOG_INFO), a warning for a pseudopotential
 * of another functional (Debian's Si.psp8 is LDA, pspxc -1012) and for an odd electron
 * count with fixed occupations; a run bigger than the machine's memory refused at once. */
typedef struct said { int n, warnings, size_before_scf, scf; char first_warning[512]; } said;

static void collect(mb_log_level level, const char *message, void *user) {
  said *s = user;
  s->n++;
  if (level == MB_LOG_WARNING && s->warnings++ == 0)
    snprintf(s->first_warning, sizeof s->first_warning, "%s", message);
  if (!strncmp(message, "scf ", 4)) s->scf++;
  if (!strncmp(message, "size: ", 6) && s->scf == 0) s->size_before_scf = 1;
}

START_TEST(test_preflight) {
  char buf[1024];
  mb_structure *s = si_structure(0);
  mb_dft *d = NULL;
  said heard = {0};
  MB_OK_OR_FAIL(mb_dft_create(s, &d));
  MB_OK_OR_FAIL(mb_dft_set_option(d, MB_DFT_ECUT, 150));
  MB_OK_OR_FAIL(mb_dft_set_functional(d, MB_XC_PBE));
  MB_OK_OR_FAIL(mb_dft_set_pseudo(d, "Si", psp_path(SI_PSP, buf, sizeof buf)));
  MB_OK_OR_FAIL(mb_dft_set_log(d, collect, &heard));
  MB_OK_OR_FAIL(mb_dft_compute(d, NULL, NULL, NULL));
  ck_assert_int_eq(heard.warnings, 0);
  ck_assert(heard.size_before_scf && heard.scf > 0);
  if (have_file("Si.psp8")) { /* the LDA one */
    heard = (said){0};
    MB_OK_OR_FAIL(mb_dft_set_pseudo(d, "Si", psp_path("Si.psp8", buf, sizeof buf)));
    MB_OK_OR_FAIL(mb_dft_compute(d, NULL, NULL, NULL));
    ck_assert_int_eq(heard.warnings, 1);
    ck_assert_msg(strstr(heard.first_warning, "made with LDA, the calculation uses PBE"), "%s",
                  heard.first_warning);
    MB_OK_OR_FAIL(mb_dft_set_functional(d, MB_XC_LDA));
    heard = (said){0};
    MB_OK_OR_FAIL(mb_dft_compute(d, NULL, NULL, NULL));
    ck_assert_int_eq(heard.warnings, 0);
  }
  MB_OK_OR_FAIL(mb_dft_set_option(d, MB_DFT_CHARGE, 1)); /* 7 electrons */
  heard = (said){0};
  MB_OK_OR_FAIL(mb_dft_compute(d, NULL, NULL, NULL));
  ck_assert_int_eq(heard.warnings, 1);
  ck_assert_msg(strstr(heard.first_warning, "7 electrons with fixed occupations"), "%s",
                heard.first_warning);
  mb_dft_free(d);
  mb_structure_free(s);
  /* one Si in a 30 A box at 1e5 eV: terabytes, refused before anything is allocated */
  const double box[9] = {30, 0, 0, 0, 30, 0, 0, 0, 30}, origin[3] = {0, 0, 0};
  const int z = 14;
  MB_OK_OR_FAIL(mb_structure_create(box, 1, origin, MB_COORDS_FRACTIONAL, &z, &s));
  MB_OK_OR_FAIL(mb_dft_create(s, &d));
  MB_OK_OR_FAIL(mb_dft_set_option(d, MB_DFT_ECUT, 1e5));
  MB_OK_OR_FAIL(mb_dft_set_smearing(d, MB_SMEARING_GAUSSIAN, 0.1));
  MB_OK_OR_FAIL(mb_dft_set_pseudo(d, "Si", psp_path(SI_PSP, buf, sizeof buf)));
  ck_assert_int_eq(mb_dft_compute(d, NULL, NULL, NULL), MB_ERR_NOMEM);
  ck_assert_msg(strstr(mb_last_error(), "GiB of memory"), "%s", mb_last_error());
  mb_dft_free(d);
  mb_structure_free(s);
}
END_TEST

/* Energy in eV equal to the engine's Ha (and so ABINIT's), forces zero by symmetry,
 * report and eigenvalues; a copy reproduces the energy from its warm start. */
START_TEST(test_si_energy) {
  mb_structure *s = si_structure(0);
  mb_dft *d = si_dft(s, 0), *c = NULL;
  double e = 0, f = 0, forces[6];
  MB_OK_OR_FAIL(mb_dft_compute(d, &e, &f, forces));
  const double ref = -8.45511417073225 * HA; /* -230.0757... eV */
  ck_assert_msg(fabs(e - ref) < 1e-6, "energy %.9f eV, reference %.9f eV", e, ref);
  ck_assert_msg(fabs(f - e) < 1e-9, "free energy %.9f without smearing, energy %.9f", f, e);
  /* equal and opposite (the grid breaks the symmetry that would make them zero) */
  for (int k = 0; k < 3; k++)
    ck_assert_msg(fabs(forces[k] + forces[k + 3]) < 1e-4, "forces %g %g", forces[k],
                  forces[k + 3]);
  int steps = 0, conv = 0, nk = 0, nb = 0;
  double res = 1, fermi = 0;
  MB_OK_OR_FAIL(mb_dft_scf_report(d, &steps, &res, &fermi, &conv));
  ck_assert(conv == 1 && steps > 2 && res < 1e-3);
  /* highest occupied eigenvalue 0.13328 Ha (test_scf.c) */
  ck_assert_msg(fabs(fermi - 0.13328 * HA) < 1e-4 * HA, "fermi %.5f eV", fermi);
  MB_OK_OR_FAIL(mb_dft_eigenvalues(d, &nk, &nb, NULL, NULL, NULL));
  ck_assert_int_eq(nb, 4); /* 8 electrons, no smearing: 4 bands, no extra */
  ck_assert(nk >= 1 && nk <= 8);
  double *eig = malloc(sizeof(double) * (size_t)(nk * nb)), *kpt = malloc(sizeof(double) * 3 * nk);
  double *wt = malloc(sizeof(double) * nk), wsum = 0, emax = -1e9;
  MB_OK_OR_FAIL(mb_dft_eigenvalues(d, &nk, &nb, eig, kpt, wt));
  for (int k = 0; k < nk; k++) wsum += wt[k];
  for (int i = 0; i < nk * nb; i++) emax = fmax(emax, eig[i]);
  ck_assert_msg(fabs(wsum - 1) < 1e-12, "weights sum %g", wsum);
  ck_assert_msg(fabs(emax - fermi) < 1e-6, "highest eigenvalue %.6f, fermi %.6f", emax, fermi);
  free(eig), free(kpt), free(wt);

  MB_OK_OR_FAIL(mb_dft_copy(d, &c));
  mb_dft_free(d); /* the copy shares nothing that this frees */
  double e2 = 0;
  int steps2 = 0;
  MB_OK_OR_FAIL(mb_dft_compute(c, &e2, NULL, NULL));
  MB_OK_OR_FAIL(mb_dft_scf_report(c, &steps2, NULL, NULL, NULL));
  ck_assert_msg(fabs(e2 - e) < 1e-6, "copy %.9f eV, original %.9f eV", e2, e);
  ck_assert_msg(steps2 < steps, "the copy took %d steps, the cold start %d", steps2, steps);
  mb_dft_free(c);
  mb_structure_free(s);
}
END_TEST

/* A new geometry: checks, and forces in eV/A that are minus the energy's slope. */
START_TEST(test_set_structure) {
  mb_structure *s = si_structure(0), *p = si_structure(0.04), *m = si_structure(-0.04);
  mb_structure *q = si_structure(0.02), *big = NULL, *other = NULL;
  mb_dft *d = si_dft(s, 1);
  const int reps[9] = {1, 0, 0, 0, 1, 0, 0, 0, 2};
  MB_OK_OR_FAIL(mb_structure_supercell(s, reps, &big));
  ck_assert_int_eq(mb_dft_set_structure(d, big), MB_ERR_INVALID_ARG);
  double lat[9];
  MB_OK_OR_FAIL(mb_structure_copy(s, &other));
  MB_OK_OR_FAIL(mb_structure_lattice(s, lat));
  for (int k = 0; k < 9; k++) lat[k] *= 1.01;
  MB_OK_OR_FAIL(mb_structure_set_lattice(other, lat, 1));
  ck_assert_int_eq(mb_dft_set_structure(d, other), MB_ERR_INVALID_ARG);
  ck_assert_msg(strstr(mb_last_error(), "lattice") != NULL, "%s", mb_last_error());
  ck_assert_int_eq(mb_dft_set_structure(d, NULL), MB_ERR_INVALID_ARG);

  double e0, ep, em, eq, f[6];
  MB_OK_OR_FAIL(mb_dft_compute(d, &e0, NULL, f));
  for (int k = 0; k < 6; k++) ck_assert_msg(fabs(f[k]) < 1e-4, "force %g at rest", f[k]);
  MB_OK_OR_FAIL(mb_dft_set_structure(d, q));
  MB_OK_OR_FAIL(mb_dft_compute(d, &eq, NULL, f));
  MB_OK_OR_FAIL(mb_dft_set_structure(d, p));
  MB_OK_OR_FAIL(mb_dft_compute(d, &ep, NULL, NULL));
  MB_OK_OR_FAIL(mb_dft_set_structure(d, m));
  MB_OK_OR_FAIL(mb_dft_compute(d, &em, NULL, NULL));
  /* the energy of q = x0 + 0.02 A: F_x(q) = -dE/dx at 0.02 ~ -(E(0.04) - E(0)) / 0.04 */
  double slope = (ep - e0) / 0.04;
  ck_assert_msg(eq > e0 && ep > eq, "energies %.8f %.8f %.8f", e0, eq, ep);
  ck_assert_msg(fabs(ep - em) < 1e-5, "E(+0.04) %.8f and E(-0.04) %.8f (symmetric)", ep, em);
  ck_assert_msg(fabs(f[0] + slope) < 0.03 * fabs(slope) + 2e-3,
                "force %.5f eV/A, finite difference %.5f eV/A", f[0], -slope);
  ck_assert_msg(fabs(f[0] + f[3]) < 1e-4 && fabs(f[1] + f[4]) < 1e-4,
                "forces do not sum to zero: %g %g", f[0] + f[3], f[1] + f[4]);
  mb_dft_free(d);
  mb_structure_free(s), mb_structure_free(p), mb_structure_free(m), mb_structure_free(q);
  mb_structure_free(big), mb_structure_free(other);
}
END_TEST

/* Stopped after 2 steps: its own status, the residual in the message, no answer. */
START_TEST(test_not_converged) {
  mb_structure *s = si_structure(0);
  mb_dft *d = si_dft(s, 1);
  MB_OK_OR_FAIL(mb_dft_set_option(d, MB_DFT_MAX_SCF, 2));
  double e = 42, f[6] = {7, 7, 7, 7, 7, 7};
  ck_assert_int_eq(mb_dft_compute(d, &e, NULL, f), MB_ERR_NOT_CONVERGED);
  ck_assert_msg(strstr(mb_last_error(), "residual") != NULL, "%s", mb_last_error());
  ck_assert(e == 42 && f[0] == 7);
  int steps = 0, conv = 1;
  double res = 0;
  MB_OK_OR_FAIL(mb_dft_scf_report(d, &steps, &res, NULL, &conv));
  ck_assert(steps == 2 && conv == 0 && res > 0);
  mb_dft_free(d);
  mb_structure_free(s);
}
END_TEST

/* bcc Li (a = 6.6 Bohr, one atom), HGH Li, 8 Ha, shifted 4x4x4 grid, Fermi-Dirac
 * 0.01 Ha, energy tolerance tol eV: the cell of test_li_smeared and test_li_spin. */
static mb_dft *li_bcc_dft(double tol, mb_structure **s) {
  const double h = 6.6 / 2 * BOHR;
  const double lat[9] = {-h, h, h, h, -h, h, h, h, -h}, frac[3] = {0, 0, 0};
  const int z[1] = {3}, grid[3] = {4, 4, 4};
  const double shift[3] = {0.5, 0.5, 0.5};
  char buf[1024];
  mb_dft *d = NULL;
  MB_OK_OR_FAIL(mb_structure_create(lat, 1, frac, MB_COORDS_FRACTIONAL, z, s));
  MB_OK_OR_FAIL(mb_dft_create(*s, &d));
  MB_OK_OR_FAIL(mb_dft_set_option(d, MB_DFT_ECUT, 8 * HA));
  MB_OK_OR_FAIL(mb_dft_set_option(d, MB_DFT_SCF_TOL, tol));
  MB_OK_OR_FAIL(mb_dft_set_kpoints(d, grid, shift));
  MB_OK_OR_FAIL(mb_dft_set_smearing(d, MB_SMEARING_FERMI_DIRAC, 0.01 * HA));
  MB_OK_OR_FAIL(mb_dft_set_pseudo(d, "Li", psp_path(LI_PSP, buf, sizeof buf)));
  return d;
}

/* Smearing width in eV, automatic extra bands, the free energy. */
START_TEST(test_li_smeared) {
  mb_structure *s = NULL;
  mb_dft *d = li_bcc_dft(1e-8, &s);
  double e, f, v;
  MB_OK_OR_FAIL(mb_dft_compute(d, &e, &f, NULL));
  const double ref = -5.70400513453311 * HA;
  ck_assert_msg(fabs(f - ref) < 1e-5, "free energy %.8f eV, reference %.8f eV", f, ref);
  /* -T S = -5.402e-3 Ha: F < E */
  ck_assert_msg(fabs((f - e) - -5.40230210598053e-03 * HA) < 1e-5, "F - E = %.6f", f - e);
  MB_OK_OR_FAIL(mb_dft_get_option(d, MB_DFT_EXTRA_BANDS, &v));
  ck_assert(v == 4); /* 3 electrons: 2 occupied bands, 20 % more but at least 4 */
  int nk, nb;
  MB_OK_OR_FAIL(mb_dft_eigenvalues(d, &nk, &nb, NULL, NULL, NULL));
  ck_assert_int_eq(nb, 6);
  mb_dft_free(d);
  mb_structure_free(s);
}
END_TEST

/* Spin (MB_DFT_SPIN): bcc Li is not magnetic. From a starting moment the free-moment
 * run must lose it and give the unpolarised free energy (both computed here: the
 * polarised route through libxc's spin-polarised PW92 and the two channels' occupations
 * against the unpolarised one); a moment held at 0.3 mu_B costs energy; the spin
 * eigenvalues, the magnetisation and the argument checks. ABINIT parity of the spin
 * path (O2, nsppol 2) is in tests/tools/test_cli_dft.sh. */
START_TEST(test_li_spin) {
  mb_structure *s = NULL;
  mb_dft *d = li_bcc_dft(1e-9, &s), *c = NULL;
  char buf[1024];
  double e0, f0, m, am, f1, f2, v;
  MB_OK_OR_FAIL(mb_dft_compute(d, &e0, &f0, NULL));
  MB_OK_OR_FAIL(mb_dft_magnetization(d, &m, &am));
  ck_assert(m == 0 && am == 0);
  /* polarised, free moment, starting from 1 mu_B */
  const double mom[1] = {1.0};
  MB_OK_OR_FAIL(mb_dft_set_option(d, MB_DFT_SPIN, 1));
  MB_OK_OR_FAIL(mb_dft_set_magnetic_moments(d, mom));
  MB_OK_OR_FAIL(mb_dft_get_option(d, MB_DFT_SPIN, &v));
  ck_assert(v == 1);
  MB_OK_OR_FAIL(mb_dft_copy(d, &c)); /* settings and moments travel with a copy */
  MB_OK_OR_FAIL(mb_dft_compute(c, NULL, &f1, NULL));
  MB_OK_OR_FAIL(mb_dft_magnetization(c, &m, &am));
  fprintf(stderr, "Li spin: F unpolarised %.8f eV, polarised from 1 mu_B %.8f eV, M %.2e\n",
          f0, f1, m);
  ck_assert_msg(fabs(m) < 1e-4 && am < 1e-3, "M = %g, |M| = %g", m, am);
  ck_assert_msg(fabs(f1 - f0) < 2e-6, "%.8f vs %.8f eV", f1, f0);
  int nk, nb, nk2, nb2;
  ck_assert_int_eq(mb_dft_eigenvalues(c, &nk, &nb, NULL, NULL, NULL), MB_ERR_INVALID_ARG);
  ck_assert_ptr_nonnull(strstr(mb_last_error(), "mb_dft_eigenvalues_spin"));
  MB_OK_OR_FAIL(mb_dft_eigenvalues_spin(c, 0, &nk, &nb, NULL, NULL, NULL));
  MB_OK_OR_FAIL(mb_dft_eigenvalues_spin(c, 1, &nk2, &nb2, NULL, NULL, NULL));
  ck_assert(nk == nk2 && nb == nb2);
  double *up = malloc(sizeof(double) * nk * nb), *dn = malloc(sizeof(double) * nk * nb);
  MB_OK_OR_FAIL(mb_dft_eigenvalues_spin(c, 0, &nk, &nb, up, NULL, NULL));
  MB_OK_OR_FAIL(mb_dft_eigenvalues_spin(c, 1, &nk, &nb, dn, NULL, NULL));
  for (int i = 0; i < nk * nb; i++) ck_assert_msg(fabs(up[i] - dn[i]) < 1e-3, "%g %g", up[i], dn[i]);
  ck_assert_int_eq(mb_dft_eigenvalues_spin(c, 2, &nk, &nb, NULL, NULL, NULL), MB_ERR_INVALID_ARG);
  ck_assert_int_eq(mb_dft_eigenvalues_spin(d, 0, &nk, &nb, NULL, NULL, NULL), MB_ERR_INVALID_ARG);
  free(up), free(dn);
  /* a moment held at 0.3 mu_B: exactly that moment, a higher free energy */
  MB_OK_OR_FAIL(mb_dft_set_option(c, MB_DFT_FIX_MOMENT, 1));
  MB_OK_OR_FAIL(mb_dft_set_option(c, MB_DFT_MOMENT, 0.3));
  MB_OK_OR_FAIL(mb_dft_compute(c, NULL, &f2, NULL));
  MB_OK_OR_FAIL(mb_dft_magnetization(c, &m, &am));
  fprintf(stderr, "Li spin: held at 0.3 mu_B: F %.8f eV (+%.2f meV), M %.6f\n", f2,
          1000 * (f2 - f0), m);
  ck_assert_msg(fabs(m - 0.3) < 1e-6, "M = %.8f", m);
  ck_assert(f2 > f0 + 1e-3);
  /* atomic spheres: the electrons within 2 Bohr and the moment there (the held 0.3
   * mu_B spreads over the cell: a fraction of it in the sphere) */
  double q, ms;
  MB_OK_OR_FAIL(mb_dft_atomic_spheres(c, 2 * BOHR, &q, &ms));
  fprintf(stderr, "Li spin: sphere of 2 Bohr: %.4f electrons, %.4f mu_B\n", q, ms);
  ck_assert(q > 0.1 && q < 3 && ms > 0 && ms < 0.3);
  ck_assert_int_eq(mb_dft_atomic_spheres(c, 0, &q, &ms), MB_ERR_INVALID_ARG);
  /* d's settings changed after its compute: no solution to integrate */
  ck_assert_int_eq(mb_dft_atomic_spheres(d, 2 * BOHR, &q, &ms), MB_ERR_INVALID_ARG);
  /* the two spins of the one k-point of a Gamma-only run on two threads at once: the
   * same numbers as on one. The non-local projectors' scratch is per spin; it was shared,
   * and the forces of O2 changed from run to run at 1e-4 eV/A (NaCoO2: the SCF jumped by
   * tens of Ha). O2 in the box of tests/data/dft/O2_box.vasp, 15 Ha, moments 1 and 1. */
  {
    const double lat[9] = {4.5, 0, 0, 0, 4.6, 0, 0, 0, 5.5};
    const double pos[6] = {2.25, 2.30, 2.15, 2.29, 2.26, 3.37};
    const int zo[2] = {8, 8}, gamma[3] = {1, 1, 1};
    const double noshift[3] = {0, 0, 0}, mo[2] = {1, 1};
    double g1, g2, f1x[6], f2x[6];
    mb_structure *o2 = NULL;
    mb_dft *t = NULL;
    MB_OK_OR_FAIL(mb_structure_create(lat, 2, pos, MB_COORDS_CARTESIAN, zo, &o2));
    MB_OK_OR_FAIL(mb_dft_create(o2, &t));
    MB_OK_OR_FAIL(mb_dft_set_option(t, MB_DFT_ECUT, 15 * HA));
    MB_OK_OR_FAIL(mb_dft_set_kpoints(t, gamma, noshift));
    MB_OK_OR_FAIL(mb_dft_set_smearing(t, MB_SMEARING_GAUSSIAN, 0.01 * HA));
    MB_OK_OR_FAIL(mb_dft_set_pseudo(t, "O", psp_path(O_PSP, buf, sizeof buf)));
    MB_OK_OR_FAIL(mb_dft_set_magnetic_moments(t, mo));
    MB_OK_OR_FAIL(mb_dft_set_option(t, MB_DFT_SPIN, 1));
    MB_OK_OR_FAIL(mb_dft_compute(t, NULL, &g1, f1x));
    for (int rep = 0; rep < 2; rep++) {
      mb_dft *u = NULL;
      MB_OK_OR_FAIL(mb_dft_copy(t, &u));
      MB_OK_OR_FAIL(mb_dft_set_option(u, MB_DFT_THREADS, 2)); /* a fresh SCF */
      MB_OK_OR_FAIL(mb_dft_compute(u, NULL, &g2, f2x));
      ck_assert_msg(g1 == g2, "1 thread %.12f eV, 2 threads %.12f eV", g1, g2);
      for (int k = 0; k < 6; k++)
        ck_assert_msg(f1x[k] == f2x[k], "force %d: %.12f vs %.12f eV/A", k, f1x[k], f2x[k]);
      mb_dft_free(u);
    }
    mb_dft_free(t);
    mb_structure_free(o2);
  }
  /* argument checks */
  const double bad[1] = {NAN};
  ck_assert_int_eq(mb_dft_set_magnetic_moments(c, bad), MB_ERR_INVALID_ARG);
  ck_assert_int_eq(mb_dft_set_option(c, MB_DFT_SPIN, 2), MB_ERR_INVALID_ARG);
  ck_assert_int_eq(mb_dft_set_option(c, MB_DFT_MOMENT, 1e4), MB_ERR_INVALID_ARG);
  MB_OK_OR_FAIL(mb_dft_set_option(c, MB_DFT_MOMENT, 5)); /* 3 electrons: not possible */
  ck_assert_int_eq(mb_dft_compute(c, NULL, NULL, NULL), MB_ERR_INVALID_ARG);
  ck_assert_ptr_nonnull(strstr(mb_last_error(), "moment of 5"));
  MB_OK_OR_FAIL(mb_dft_set_magnetic_moments(c, NULL));
  mb_dft_free(c);
  mb_dft_free(d);
  mb_structure_free(s);
}
END_TEST

/* Gamma alone, one (spin, k-point) job: the threads share the work inside it (team.c),
 * and the numbers are the same bit for bit on 1, 2, 3 and 4 threads. The 8-atom cubic
 * Si cell, one atom moved off its site, no symmetry, fixed occupations, 8 Ha: 16 bands
 * of some 1200 plane waves, cut into several slices. */
static mb_dft *si8_gamma(int nthreads) {
  const double a = 5.43;
  const double lat[9] = {a, 0, 0, 0, a, 0, 0, 0, a};
  const double frac[24] = {0.01, 0.005, 0.002, 0, 0.5, 0.5, 0.5, 0, 0.5, 0.5, 0.5, 0,
                           0.25, 0.25, 0.25, 0.25, 0.75, 0.75, 0.75, 0.25, 0.75, 0.75, 0.75,
                           0.25};
  const int z[8] = {14, 14, 14, 14, 14, 14, 14, 14}, gamma[3] = {1, 1, 1};
  char buf[1024];
  mb_structure *s = NULL;
  mb_dft *d = NULL;
  MB_OK_OR_FAIL(mb_structure_create(lat, 8, frac, MB_COORDS_FRACTIONAL, z, &s));
  MB_OK_OR_FAIL(mb_dft_create(s, &d));
  mb_structure_free(s);
  MB_OK_OR_FAIL(mb_dft_set_option(d, MB_DFT_ECUT, 8 * HA));
  MB_OK_OR_FAIL(mb_dft_set_option(d, MB_DFT_SYMMETRY, 0));
  MB_OK_OR_FAIL(mb_dft_set_option(d, MB_DFT_THREADS, nthreads));
  MB_OK_OR_FAIL(mb_dft_set_kpoints(d, gamma, NULL));
  MB_OK_OR_FAIL(mb_dft_set_pseudo(d, "Si", psp_path(SI_PSP, buf, sizeof buf)));
  return d;
}

START_TEST(test_gamma_threads) {
  double e1, f1[24], eig1[16];
  int steps1, nk, nb;
  mb_dft *d = si8_gamma(1);
  MB_OK_OR_FAIL(mb_dft_compute(d, &e1, NULL, f1));
  MB_OK_OR_FAIL(mb_dft_scf_report(d, &steps1, NULL, NULL, NULL));
  MB_OK_OR_FAIL(mb_dft_eigenvalues(d, &nk, &nb, eig1, NULL, NULL));
  ck_assert(nk == 1 && nb == 16);
  ck_assert_msg(fabs(f1[0]) > 1e-3, "force %g on the moved atom", f1[0]);
  mb_dft_free(d);
  for (int nt = 2; nt <= 4; nt++) {
    double e, f[24], eig[16];
    int steps;
    d = si8_gamma(nt);
    MB_OK_OR_FAIL(mb_dft_compute(d, &e, NULL, f));
    MB_OK_OR_FAIL(mb_dft_scf_report(d, &steps, NULL, NULL, NULL));
    MB_OK_OR_FAIL(mb_dft_eigenvalues(d, &nk, &nb, eig, NULL, NULL));
    fprintf(stderr, "Si8 Gamma: %d threads: E %.12f eV (1 thread: %.12f), %d steps\n", nt, e,
            e1, steps);
    ck_assert_msg(e == e1, "%d threads %.15f eV, 1 thread %.15f eV", nt, e, e1);
    ck_assert_int_eq(steps, steps1);
    for (int k = 0; k < 24; k++)
      ck_assert_msg(f[k] == f1[k], "%d threads: force %d %.15f vs %.15f eV/A", nt, k, f[k],
                    f1[k]);
    for (int b = 0; b < 16; b++)
      ck_assert_msg(eig[b] == eig1[b], "%d threads: band %d %.15f vs %.15f eV", nt, b, eig[b],
                    eig1[b]);
    mb_dft_free(d);
  }
}
END_TEST

int main(void) {
  char buf[1024];
  struct stat sb;
  if (stat(psp_path(SI_PSP, buf, sizeof buf), &sb) || stat(psp_path(LI_PSP, buf, sizeof buf), &sb)) {
    fprintf(stderr, "test_dft_api: %s lacks the abinit-data pseudopotentials: skipped\n",
            psp_dir());
    return 77;
  }
  Suite *s = suite_create("dft_api");
  TCase *tc = tcase_create("dft_api");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_errors);
  tcase_add_test(tc, test_defaults);
  tcase_add_test(tc, test_preflight);
  tcase_add_test(tc, test_si_energy);
  tcase_add_test(tc, test_set_structure);
  tcase_add_test(tc, test_not_converged);
  tcase_add_test(tc, test_li_smeared);
  tcase_add_test(tc, test_li_spin);
  tcase_add_test(tc, test_gamma_threads);
  suite_add_tcase(s, tc);
  return mb_run_suite(s);
}
