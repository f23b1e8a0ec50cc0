/* mb_functional: names and what libxc says they are, Hubbard values, and the
 * evaluation in Angstrom and eV. References:
 *  - analytic: Dirac-Slater exchange (libxc lda_x), eps_x = -(3/4) (3/pi)^(1/3) rho^(1/3)
 *    Ha unpolarised and -(3/4) (6/pi)^(1/3) (rho_up^(4/3) + rho_dn^(4/3)) / rho spin
 *    polarised (atomic units; converted with a0 = 0.529177210903 A, Ha = 27.211386245988
 *    eV), vrho = d(rho eps)/drho;
 *  - finite differences: vrho, vsigma and vtau against central differences of rho eps
 *    for PBE, PBEsol, SCAN and r2SCAN, unpolarised and polarised;
 *  - consistency: a polarised evaluation with equal spins equals the unpolarised one. */
#include <math.h>
#include <pthread.h>
#include <string.h>

#include "../testutil.h"

#define A0 0.529177210903
#define HA 27.211386245988

static mb_functional *make(const char *name) {
  mb_functional *f = NULL;
  MB_OK_OR_FAIL(mb_functional_create(name, &f));
  return f;
}

START_TEST(names_and_metadata) {
  static const struct { const char *name, *canon; mb_xc_family fam; int id0, id1; } cases[] = {
    {"LDA", "LDA", MB_XC_FAMILY_LDA, 1, 12},      {"pbe", "PBE", MB_XC_FAMILY_GGA, 101, 130},
    {"PBEsol", "PBEsol", MB_XC_FAMILY_GGA, 116, 133},
    {"SCAN", "SCAN", MB_XC_FAMILY_MGGA, 263, 267}, {"rSCAN", "rSCAN", MB_XC_FAMILY_MGGA, 493, 494},
    {"r2scan", "r2SCAN", MB_XC_FAMILY_MGGA, 497, 498},
    {"gga_x_pbe+gga_c_pbe", "gga_x_pbe+gga_c_pbe", MB_XC_FAMILY_GGA, 101, 130},
    {"101+130", "101+130", MB_XC_FAMILY_GGA, 101, 130},
    {"lda_x+gga_c_pbe", "lda_x+gga_c_pbe", MB_XC_FAMILY_GGA, 1, 130},
  };
  for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
    mb_functional *f = make(cases[k].name);
    const char *name, *xname, *desc;
    mb_xc_family fam;
    int n, id;
    MB_OK_OR_FAIL(mb_functional_name(f, &name));
    MB_OK_OR_FAIL(mb_functional_family(f, &fam));
    MB_OK_OR_FAIL(mb_functional_components(f, &n));
    ck_assert_str_eq(name, cases[k].canon);
    ck_assert_int_eq(fam, cases[k].fam);
    ck_assert_int_eq(n, 2);
    MB_OK_OR_FAIL(mb_functional_component(f, 0, &id, &xname, &desc));
    ck_assert_int_eq(id, cases[k].id0);
    MB_OK_OR_FAIL(mb_functional_component(f, 1, &id, NULL, NULL));
    ck_assert_int_eq(id, cases[k].id1);
    ck_assert_int_eq(mb_functional_component(f, 2, &id, NULL, NULL), MB_ERR_RANGE);
    mb_functional_free(f);
  }
  mb_functional *pbe = make("PBE");
  const char *xname, *desc;
  MB_OK_OR_FAIL(mb_functional_component(pbe, 0, NULL, &xname, &desc));
  ck_assert_str_eq(xname, "gga_x_pbe");
  ck_assert_ptr_nonnull(strstr(desc, "Perdew"));
  char *refs = NULL;
  MB_OK_OR_FAIL(mb_functional_references(pbe, &refs));
  ck_assert_msg(strstr(refs, "Phys. Rev. Lett. 77, 3865") && strstr(refs, "doi:"), "%s", refs);
  mb_free(refs);
  mb_functional *scan = make("SCAN");
  MB_OK_OR_FAIL(mb_functional_references(scan, &refs));
  ck_assert_msg(strstr(refs, "Phys. Rev. Lett. 115, 036402"), "%s", refs);
  mb_free(refs);
  mb_functional_free(pbe), mb_functional_free(scan);
  mb_functional_free(NULL);
}
END_TEST

START_TEST(refusals) {
  static const struct { const char *name; mb_status st; const char *what; } bad[] = {
    {"hyb_gga_xc_b3lyp", MB_ERR_UNSUPPORTED, "hybrid"},
    {"lda_k_tf", MB_ERR_UNSUPPORTED, "kinetic"},
    {"mgga_x_br89", MB_ERR_UNSUPPORTED, "Laplacian"},
    {"HSE", MB_ERR_INVALID_ARG, "known names: LDA, PBE"},
    {"gga_x_pbe+", MB_ERR_INVALID_ARG, "ends with '+'"},
    {"999999", MB_ERR_INVALID_ARG, "999999"},
    {"", MB_ERR_INVALID_ARG, "empty"},
    {"1+1+1+1+1", MB_ERR_INVALID_ARG, "more than 4"},
  };
  for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
    mb_functional *f = (mb_functional *)&f, *before = f;
    mb_status st = mb_functional_create(bad[k].name, &f);
    ck_assert_msg(st == bad[k].st, "'%s': status %d (%s)", bad[k].name, st, mb_last_error());
    ck_assert_ptr_eq(f, before);
    ck_assert_msg(strstr(mb_last_error(), bad[k].what), "'%s': %s", bad[k].name, mb_last_error());
  }
  mb_functional *f = NULL;
  ck_assert_int_eq(mb_functional_create(NULL, &f), MB_ERR_INVALID_ARG);
}
END_TEST

START_TEST(dirac_exchange) {
  mb_functional *f = make("lda_x");
  const double rho[3] = {1e-4, 0.05, 3.0}; /* A^-3 */
  double eps[3], v[3];
  MB_OK_OR_FAIL(mb_functional_evaluate(f, 1, 3, rho, NULL, NULL, eps, v, NULL, NULL));
  for (int i = 0; i < 3; i++) {
    double r = rho[i] * A0 * A0 * A0;
    double want = -0.75 * cbrt(3 / M_PI) * cbrt(r) * HA;
    ck_assert_double_eq_tol(eps[i], want, 1e-12 * fabs(want));
    ck_assert_double_eq_tol(v[i], 4.0 / 3 * want, 1e-12 * fabs(want));
  }
  /* spin polarised */
  const double rs[2] = {0.03, 0.01};
  double e2, v2[2];
  MB_OK_OR_FAIL(mb_functional_evaluate(f, 2, 1, rs, NULL, NULL, &e2, v2, NULL, NULL));
  double u = rs[0] * A0 * A0 * A0, d = rs[1] * A0 * A0 * A0;
  double want = -0.75 * cbrt(6 / M_PI) * (pow(u, 4.0 / 3) + pow(d, 4.0 / 3)) / (u + d) * HA;
  ck_assert_double_eq_tol(e2, want, 1e-12 * fabs(want));
  ck_assert_double_eq_tol(v2[0], -cbrt(6 / M_PI) * cbrt(u) * HA, 1e-12 * fabs(want));
  mb_functional_free(f);
}
END_TEST

/* rho eps at one point (nspin 1: rho, sigma, tau; nspin 2: 2, 3, 2 values) */
static double energy(const mb_functional *f, int nspin, const double *r, const double *s,
                     const double *t) {
  double eps;
  MB_OK_OR_FAIL(mb_functional_evaluate(f, nspin, 1, r, s, t, &eps, NULL, NULL, NULL));
  double rho = nspin == 1 ? r[0] : r[0] + r[1];
  return rho * eps;
}

/* central difference of rho eps in component c of v (a copy is varied) */
static double fd(const mb_functional *f, int nspin, double *r, double *s, double *t, double *v,
                 int c) {
  double x = v[c], h = 1e-5 * fabs(x);
  v[c] = x + h;
  double ep = energy(f, nspin, r, s, t);
  v[c] = x - h;
  double em = energy(f, nspin, r, s, t);
  v[c] = x;
  return (ep - em) / (2 * h);
}

START_TEST(derivatives_by_finite_differences) {
  static const char *const names[] = {"PBE", "PBEsol", "SCAN", "r2SCAN"};
  int checked = 0;
  for (int k = 0; k < 4; k++) {
    mb_functional *f = make(names[k]);
    mb_xc_family fam;
    MB_OK_OR_FAIL(mb_functional_family(f, &fam));
    int mgga = fam == MB_XC_FAMILY_MGGA;
    for (int nspin = 1; nspin <= 2; nspin++) {
      /* a point of a real density: rho ~ 0.2 A^-3, |grad rho| ~ 0.5 A^-4, tau above
       * the von Weizsaecker bound |grad rho|^2 / (8 rho) (converted to eV A^-3) */
      double r[2] = {0.2, 0.12}, s[3] = {0.25, 0.05, 0.09}, t[2] = {9.0, 5.5};
      if (nspin == 1) r[0] = 0.32, s[0] = 0.5, t[0] = 14.0;
      int nr = nspin, ns = nspin == 1 ? 1 : 3;
      double eps, vr[2], vs[3], vt[2];
      MB_OK_OR_FAIL(mb_functional_evaluate(f, nspin, 1, r, s, mgga ? t : NULL, &eps, vr, vs,
                                           vt));
      for (int c = 0; c < nr; c++) {
        double want = fd(f, nspin, r, s, mgga ? t : NULL, r, c);
        ck_assert_msg(fabs(vr[c] - want) <= 2e-6 * fabs(want) + 1e-9,
                      "%s nspin %d vrho[%d] %.10g, finite differences %.10g", names[k], nspin,
                      c, vr[c], want);
        checked++;
      }
      for (int c = 0; c < ns; c++) {
        double want = fd(f, nspin, r, s, mgga ? t : NULL, s, c);
        ck_assert_msg(fabs(vs[c] - want) <= 2e-6 * fabs(want) + 1e-9,
                      "%s nspin %d vsigma[%d] %.10g, finite differences %.10g", names[k], nspin,
                      c, vs[c], want);
        checked++;
      }
      for (int c = 0; mgga && c < nr; c++) {
        double want = fd(f, nspin, r, s, t, t, c);
        ck_assert_msg(fabs(vt[c] - want) <= 2e-6 * fabs(want) + 1e-9,
                      "%s nspin %d vtau[%d] %.10g, finite differences %.10g", names[k], nspin,
                      c, vt[c], want);
        checked++;
      }
    }
    /* equal spins are the unpolarised density */
    double r1 = 0.3, s1 = 0.4, t1 = 12.0, e1;
    double r2[2] = {0.15, 0.15}, s2[3] = {0.1, 0.1, 0.1}, t2[2] = {6.0, 6.0}, e2;
    MB_OK_OR_FAIL(mb_functional_evaluate(f, 1, 1, &r1, &s1, mgga ? &t1 : NULL, &e1, NULL, NULL,
                                         NULL));
    MB_OK_OR_FAIL(mb_functional_evaluate(f, 2, 1, r2, s2, mgga ? t2 : NULL, &e2, NULL, NULL,
                                         NULL));
    ck_assert_double_eq_tol(e2, e1, 1e-10 * fabs(e1));
    mb_functional_free(f);
  }
  ck_assert_int_eq(checked, 2 * (1 + 1 + 2 + 3) + 2 * (1 + 1 + 1 + 2 + 3 + 2));
}
END_TEST

START_TEST(bad_evaluations) {
  mb_functional *pbe = make("PBE"), *scan = make("SCAN");
  double r = 0.1, s = 0.1, t = 1.0, neg = -0.1, e;
  ck_assert_int_eq(mb_functional_evaluate(pbe, 1, 1, &r, NULL, NULL, &e, NULL, NULL, NULL),
                   MB_ERR_INVALID_ARG);
  ck_assert_ptr_nonnull(strstr(mb_last_error(), "needs sigma"));
  ck_assert_int_eq(mb_functional_evaluate(scan, 1, 1, &r, &s, NULL, &e, NULL, NULL, NULL),
                   MB_ERR_INVALID_ARG);
  ck_assert_int_eq(mb_functional_evaluate(pbe, 3, 1, &r, &s, NULL, &e, NULL, NULL, NULL),
                   MB_ERR_INVALID_ARG);
  ck_assert_int_eq(mb_functional_evaluate(pbe, 1, 1, &neg, &s, NULL, &e, NULL, NULL, NULL),
                   MB_ERR_INVALID_ARG);
  ck_assert_ptr_nonnull(strstr(mb_last_error(), "point 0"));
  double nan_s = NAN;
  ck_assert_int_eq(mb_functional_evaluate(pbe, 1, 1, &r, &nan_s, NULL, &e, NULL, NULL, NULL),
                   MB_ERR_INVALID_ARG);
  MB_OK_OR_FAIL(mb_functional_evaluate(scan, 1, 1, &r, &s, &t, &e, NULL, NULL, NULL));
  MB_OK_OR_FAIL(mb_functional_evaluate(scan, 1, 0, &r, &s, &t, &e, NULL, NULL, NULL));
  mb_functional_free(pbe), mb_functional_free(scan);
}
END_TEST

START_TEST(hubbard_and_copies) {
  mb_functional *f = make("PBE"), *c = NULL;
  double u = -1;
  MB_OK_OR_FAIL(mb_functional_set_hubbard(f, "Co", 2, 3.3));
  MB_OK_OR_FAIL(mb_functional_set_hubbard(f, "Mn", 2, 3.9));
  MB_OK_OR_FAIL(mb_functional_set_hubbard(f, "Co", 2, 3.4)); /* replaces */
  MB_OK_OR_FAIL(mb_functional_hubbard(f, "Co", 2, &u));
  ck_assert_double_eq(u, 3.4);
  MB_OK_OR_FAIL(mb_functional_hubbard(f, "Co", 1, &u));
  ck_assert_double_eq(u, 0);
  ck_assert_int_eq(mb_functional_set_hubbard(f, "Co", 4, 1), MB_ERR_INVALID_ARG);
  ck_assert_int_eq(mb_functional_set_hubbard(f, "Co", 2, -1), MB_ERR_INVALID_ARG);
  ck_assert_int_eq(mb_functional_set_hubbard(f, "Co", 2, NAN), MB_ERR_INVALID_ARG);
  ck_assert_int_eq(mb_functional_set_hubbard(f, "Xx", 2, 1), MB_ERR_INVALID_ARG);
  MB_OK_OR_FAIL(mb_functional_copy(f, &c));
  MB_OK_OR_FAIL(mb_functional_hubbard(c, "Mn", 2, &u));
  ck_assert_double_eq(u, 3.9);
  const char *name;
  MB_OK_OR_FAIL(mb_functional_name(c, &name));
  ck_assert_str_eq(name, "PBE");
  double r = 0.2, s = 0.3, e1, e2;
  MB_OK_OR_FAIL(mb_functional_evaluate(f, 1, 1, &r, &s, NULL, &e1, NULL, NULL, NULL));
  MB_OK_OR_FAIL(mb_functional_evaluate(c, 1, 1, &r, &s, NULL, &e2, NULL, NULL, NULL));
  ck_assert_double_eq(e1, e2);
  mb_functional_free(f), mb_functional_free(c);
}
END_TEST

typedef struct shared { const mb_functional *f; double eps[64]; } shared;
static void *evaluate_many(void *arg) {
  shared *w = arg;
  double r[64], s[64], t[64];
  for (int i = 0; i < 64; i++) r[i] = 0.01 + 0.02 * i, s[i] = 0.1 * i, t[i] = 1 + i;
  for (int rep = 0; rep < 50; rep++)
    if (mb_functional_evaluate(w->f, 1, 64, r, s, t, w->eps, NULL, NULL, NULL)) break;
  return NULL;
}

START_TEST(shared_by_threads) {
  mb_functional *f = make("r2SCAN");
  shared a = {f, {0}}, b = {f, {0}};
  pthread_t t;
  ck_assert_int_eq(pthread_create(&t, NULL, evaluate_many, &a), 0);
  evaluate_many(&b);
  pthread_join(t, NULL);
  ck_assert_mem_eq(a.eps, b.eps, sizeof a.eps);
  ck_assert_double_lt(a.eps[10], 0);
  mb_functional_free(f);
}
END_TEST

int main(void) {
  Suite *s = suite_create("functional");
  TCase *tc = tcase_create("functional");
  tcase_add_test(tc, names_and_metadata);
  tcase_add_test(tc, refusals);
  tcase_add_test(tc, dirac_exchange);
  tcase_add_test(tc, derivatives_by_finite_differences);
  tcase_add_test(tc, bad_evaluations);
  tcase_add_test(tc, hubbard_and_copies);
  tcase_add_test(tc, shared_by_threads);
  suite_add_tcase(s, tc);
  return mb_run_suite(s);
}
