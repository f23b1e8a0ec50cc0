/* UPF 2 pseudopotentials (lib/dft/psp_upf.c). Reference: the same potentials in psp8,
 * written by the same ONCVPSP run (../shared/psp/pseudodojo-nc-sr-04-pbe-nocc, PseudoDojo
 * 0.4 PBE without core correction; the UPF file keeps 10 significant digits where psp8
 * keeps 14): the form factors agree to 2e-6 of their largest value, and the energies and
 * forces of Si and MgO to 3e-7 and 1.2e-6 eV, 1e-6 eV/A. Malformed or unsupported files fail with
 * a message naming the file (and its line). Skipped (77) when ../shared/psp is absent. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../testutil.h"
#include "dft/dft.h"

static char dir[1024];

static const char *psp(const char *file) {
  static char path[2][1200];
  static int which;
  which ^= 1;
  snprintf(path[which], sizeof path[which], "%s/%s", dir, file);
  return path[which];
}

START_TEST(form_factors_as_psp8) {
  static const char *const el[] = {"Si", "O", "Mg-sp", "Co-sp"};
  for (int e = 0; e < 4; e++) {
    char a[64], b[64];
    snprintf(a, sizeof a, "%s.psp8", el[e]);
    snprintf(b, sizeof b, "%s.upf", el[e]);
    mb__psp *p = NULL, *u = NULL;
    MB_OK_OR_FAIL(mb__psp_read(psp(a), &p));
    MB_OK_OR_FAIL(mb__psp_read(psp(b), &u));
    ck_assert_int_eq(u->from_upf, 1);
    ck_assert_double_eq(u->zion, p->zion);
    ck_assert_double_eq(u->zatom, p->zatom);
    for (int l = 0; l <= MB_PSP_LMAX; l++) ck_assert_int_eq(u->nproj[l], p->nproj[l]);
    for (int l = 0; l <= MB_PSP_LMAX; l++)
      for (int i = 0; i < p->nproj[l]; i++)
        ck_assert_double_eq_tol(u->d[l][i][i], p->d[l][i][i], 1e-9 * fabs(p->d[l][i][i]));
    /* each function against the largest value it takes on 0 < q < 12 Bohr^-1 */
    double worst = 0, scale[1 + (MB_PSP_LMAX + 1) * MB_PSP_MAXPROJ] = {0};
    for (int pass = 0; pass < 2; pass++)
      for (double q = 0.05; q < 12; q += 0.37) {
        int f = 0;
        double a0 = mb__psp_vloc_short(p, q), b0 = mb__psp_vloc_short(u, q);
        if (pass == 0) scale[f] = fmax(scale[f], fabs(a0));
        else worst = fmax(worst, fabs(a0 - b0) / scale[f]);
        for (int l = 0; l <= MB_PSP_LMAX; l++)
          for (int i = 0; i < p->nproj[l]; i++) {
            double a1 = mb__psp_projector(p, l, i, q), b1 = mb__psp_projector(u, l, i, q);
            f++;
            if (pass == 0) scale[f] = fmax(scale[f], fabs(a1));
            else worst = fmax(worst, fabs(a1 - b1) / scale[f]);
          }
      }
    fprintf(stderr, "%s: UPF against psp8 form factors, largest relative difference %.2e\n",
            el[e], worst);
    ck_assert_double_lt(worst, 2e-6); /* 10 digits in UPF, 14 in psp8, some cancellation */
    mb__psp_free(p), mb__psp_free(u);
  }
}
END_TEST

/* Free energy (eV) and forces of a structure with the potentials of the given format. */
static double solve(const char *poscar, const char *const *el, const char *const *file, int n,
                    double ecut, int k, double *forces) {
  mb_structure *s = NULL;
  MB_OK_OR_FAIL(mb_structure_read_buffer(poscar, strlen(poscar), MB_FORMAT_POSCAR, "cell", 0,
                                         &s));
  mb_dft *d = NULL;
  MB_OK_OR_FAIL(mb_dft_create(s, &d));
  for (int i = 0; i < n; i++) MB_OK_OR_FAIL(mb_dft_set_pseudo(d, el[i], psp(file[i])));
  const int grid[3] = {k, k, k};
  const double shift[3] = {0.5, 0.5, 0.5};
  MB_OK_OR_FAIL(mb_dft_set_functional(d, MB_XC_PBE));
  MB_OK_OR_FAIL(mb_dft_set_option(d, MB_DFT_ECUT, ecut));
  MB_OK_OR_FAIL(mb_dft_set_option(d, MB_DFT_SCF_TOL, 1e-9));
  MB_OK_OR_FAIL(mb_dft_set_kpoints(d, grid, k > 1 ? shift : NULL));
  double e, f;
  MB_OK_OR_FAIL(mb_dft_compute(d, &e, &f, forces));
  mb_dft_free(d);
  mb_structure_free(s);
  return f;
}

START_TEST(energies_as_psp8) {
  static const char si[] = "Si\n1.0\n0 2.7146790919323895 2.7146790919323895\n"
                           "2.7146790919323895 0 2.7146790919323895\n"
                           "2.7146790919323895 2.7146790919323895 0\nSi\n2\nDirect\n"
                           "0 0 0\n0.257 0.25 0.25\n";
  static const char mgo[] = "MgO\n1.0\n0 2.105 2.105\n2.105 0 2.105\n2.105 2.105 0\nMg O\n"
                            "1 1\nDirect\n0 0 0\n0.51 0.5 0.5\n";
  static const char *const el_si[] = {"Si"}, *const el_mgo[] = {"Mg", "O"};
  static const char *const p_si[] = {"Si.psp8"}, *const u_si[] = {"Si.upf"};
  static const char *const p_mgo[] = {"Mg-sp.psp8", "O.psp8"};
  static const char *const u_mgo[] = {"Mg-sp.upf", "O.upf"};
  double fp[6], fu[6];
  double ep = solve(si, el_si, p_si, 1, 300, 2, fp), eu = solve(si, el_si, u_si, 1, 300, 2, fu);
  fprintf(stderr, "Si: psp8 %.8f eV, UPF %.8f eV (diff %.1e)\n", ep, eu, eu - ep);
  ck_assert_double_eq_tol(eu, ep, 2e-6);
  for (int k = 0; k < 6; k++) ck_assert_double_eq_tol(fu[k], fp[k], 1e-6);
  ck_assert_double_gt(fabs(fp[1]), 0.1); /* a displaced atom: forces to compare */
  ep = solve(mgo, el_mgo, p_mgo, 2, 800, 1, fp);
  eu = solve(mgo, el_mgo, u_mgo, 2, 800, 1, fu);
  fprintf(stderr, "MgO: psp8 %.8f eV, UPF %.8f eV (diff %.1e)\n", ep, eu, eu - ep);
  ck_assert_double_eq_tol(eu, ep, 1e-5);
  for (int k = 0; k < 6; k++) ck_assert_double_eq_tol(fu[k], fp[k], 1e-5);
}
END_TEST

/* Si.upf with the text from replaced by to, read from a buffer. */
static mb_status damaged(const char *from, const char *to) {
  char *text = mb_test_slurp(psp("Si.upf"));
  const char *at = strstr(text, from);
  ck_assert_msg(at != NULL, "Si.upf lacks %s", from);
  size_t head = (size_t)(at - text), n = strlen(text) + strlen(to) + 1;
  char *copy = malloc(n);
  memcpy(copy, text, head);
  strcpy(copy + head, to);
  strcat(copy, at + strlen(from));
  mb__psp *p = NULL;
  mb_status st = mb__psp_read_buffer(copy, strlen(copy), "damaged.upf", &p);
  mb__psp_free(p);
  free(copy), free(text);
  return st;
}

START_TEST(refusals) {
  static const struct { const char *from, *to, *what; } bad[] = {
    {"pseudo_type=\"NC\"", "pseudo_type=\"US\"", "only norm-conserving"},
    {"has_so=\"F\"", "has_so=\"T\"", "spin-orbit"},
    {"functional=\"PBE\"", "functional=\"B3L\"", "functional 'B3L'"},
    {"l_local=\"-1\"", "l_local=\" 1\"", "the local part must be separate"},
    {"    0.0000    0.0100    0.0200", "    0.0000    0.0100    0.0250", "not uniform"},
    {"<PP_LOCAL", "<PP_LOCUS", "no PP_LOCAL"},
    {"    1.0337930498E+01    0.0000000000E+00", "    1.0337930498E+01    1.0000000000E+00",
     "not diagonal"},
    {"<PP_HEADER", "<PP_HEADEX", "no PP_HEADER"},
    {"element=\"Si\"", "element=\"Xx\"", "element 'Xx'"},
  };
  for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
    mb_status st = damaged(bad[k].from, bad[k].to);
    ck_assert_msg(st != MB_OK && strstr(mb_last_error(), bad[k].what) &&
                      strstr(mb_last_error(), "damaged.upf"),
                  "'%s': status %d, '%s'", bad[k].to, st, mb_last_error());
  }
  mb__psp *p = NULL;
  static const char paw[] = "<?xml version=\"1.0\"?>\n<paw_dataset version=\"0.7\">\n";
  ck_assert_int_eq(mb__psp_read_buffer(paw, sizeof paw - 1, "x.xml", &p), MB_ERR_UNSUPPORTED);
  ck_assert_ptr_nonnull(strstr(mb_last_error(), "not UPF"));
}
END_TEST

int main(void) {
  const char *env = getenv("MB_SHARED_PSP");
  snprintf(dir, sizeof dir, "%s/pseudodojo-nc-sr-04-pbe-nocc", env ? env : "../shared/psp");
  struct stat sb;
  if (stat(psp("Si.upf"), &sb) != 0) {
    fprintf(stderr, "test_upf: %s missing (../shared/psp beside the clone): skipped\n",
            psp("Si.upf"));
    return 77;
  }
  Suite *s = suite_create("upf");
  TCase *tc = tcase_create("upf");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, form_factors_as_psp8);
  tcase_add_test(tc, energies_as_psp8);
  tcase_add_test(tc, refusals);
  suite_add_tcase(s, tc);
  return mb_run_suite(s);
}
