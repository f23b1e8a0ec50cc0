/* DFT+U (lib/dft/hubbard.c) and the pseudo-atomic orbitals it projects on
 * (lib/dft/psp_orbital.c, PP_CHI of UPF files).
 *
 * Pseudopotentials: ../shared/psp/pseudodojo-nc-sr-04-pbe-nocc (or $MB_SHARED_PSP); the
 * test is skipped (77) with a message when they are absent. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../testutil.h"
#include "dft/scf.h"

static char dir[1024];

static const char *psp(const char *file) {
  static char path[2][1200];
  static int which;
  which ^= 1;
  snprintf(path[which], sizeof path[which], "%s/%s", dir, file);
  return path[which];
}

static mb__psp *load_shared(const char *file) {
  mb__psp *p = NULL;
  MB_OK_OR_FAIL(mb__psp_read(psp(file), &p));
  return p;
}

/* ---- orbitals ---------------------------------------------------------------------- */

/* Each PP_CHI of the files is normalised (int u^2 dr = 1: the files' orbitals are those
 * of the bound pseudo-atom, to the 6 digits ONCVPSP prints), labels, l and occupations
 * are read, and the form factor at small q is the radial integral it tends to:
 * chi(q) = 4 pi q^l / (2l+1)!! int r^(l+1) u (1 - q^2 r^2 / (2(2l+3)) + ...) dr. */
START_TEST(orbitals_normalised) {
  static const struct { const char *file; int norb; const char *label[4]; int l[4];
                        double occ[4]; } files[] = {
    {"Co-sp.upf", 4, {"3S", "3P", "3D", "4S"}, {0, 1, 2, 0}, {2, 6, 7, 2}},
    {"Zn-sp.upf", 4, {"3S", "3P", "3D", "4S"}, {0, 1, 2, 0}, {2, 6, 10, 2}},
    {"Ni-sp.upf", 4, {"3S", "3P", "3D", "4S"}, {0, 1, 2, 0}, {2, 6, 8, 2}},
    {"O.upf", 2, {"2S", "2P"}, {0, 1}, {2, 4}},
  };
  for (size_t f = 0; f < sizeof files / sizeof *files; f++) {
    mb__psp *p = load_shared(files[f].file);
    ck_assert_int_eq(p->norb, files[f].norb);
    for (int i = 0; i < p->norb; i++) {
      const mb__psp_orbital *o = p->orb + i;
      ck_assert_str_eq(o->label, files[f].label[i]);
      ck_assert_int_eq(o->l, files[f].l[i]);
      ck_assert_double_eq_tol(o->occupation, files[f].occ[i], 1e-12);
      double norm = mb__psp_orbital_norm(p, i);
      /* the radial moments the small-q expansion needs (Simpson's rule on the odd
       * number of points, as psp_orbital.c) */
      double df = 1, m1 = 0, m3 = 0, m5 = 0;
      for (int k = 1; k <= 2 * o->l + 1; k += 2) df *= k;
      int np = o->n % 2 ? o->n : o->n - 1;
      for (int j = 1; j < np; j++) {
        double r = j * o->h, w = o->h / 3 * (j == np - 1 ? 1 : j % 2 ? 4 : 2);
        m1 += w * pow(r, o->l + 1) * o->u[j];
        m3 += w * pow(r, o->l + 3) * o->u[j];
        m5 += w * pow(r, o->l + 5) * o->u[j];
      }
      /* j_l(x) = x^l/(2l+1)!! (1 - x^2/(2(2l+3)) + x^4/(8(2l+3)(2l+5)) + O(x^6)) */
      double q = 0.05, lim = 4 * M_PI / df * pow(q, o->l) *
                             (m1 - q * q * m3 / (2 * (2 * o->l + 3)) +
                              pow(q, 4) * m5 / (8 * (2 * o->l + 3) * (2 * o->l + 5)));
      double ff = mb__psp_orbital_ff(p, i, q);
      fprintf(stderr, "%-10s %s l=%d occ %4.1f: norm %.8f, chi(%g) %.10e, limit %.10e\n",
              files[f].file, o->label, o->l, o->occupation, norm, q, ff, lim);
      ck_assert_double_eq_tol(norm, 1.0, 2e-6);
      ck_assert_double_eq_tol(ff, lim, 1e-6 * fabs(lim)); /* the q table: 3e-7 */
    }
    ck_assert_int_eq(mb__psp_orbital_of_l(p, 0), files[f].norb == 4 ? 3 : 0); /* 4S */
    ck_assert_int_eq(mb__psp_orbital_of_l(p, 3), -1);
    mb__psp_free(p);
  }
}
END_TEST

/* The table against direct integration between its nodes, and the orthonormality of
 * chi Y_lm in reciprocal space: int d^3q/(2 pi)^3 |chi(q)|^2 = int u^2 dr = 1. */
START_TEST(orbital_form_factor) {
  mb__psp *p = load_shared("Co-sp.upf");
  int d = mb__psp_orbital_of_l(p, 2);
  ck_assert_int_eq(d, 2);
  double sum = 0, dq = 0.005;
  for (double q = dq / 2; q < 30; q += dq) {
    double f = mb__psp_orbital_ff(p, d, q);
    sum += q * q * f * f * dq;
  }
  sum /= 8 * M_PI * M_PI * M_PI; /* q^2 dq / (2 pi)^3, the Y_lm normalised on the sphere */
  fprintf(stderr, "Co 3D: int |chi(q)|^2 d^3q/(2pi)^3 = %.8f (norm %.8f)\n", sum,
          mb__psp_orbital_norm(p, d));
  ck_assert_double_eq_tol(sum, mb__psp_orbital_norm(p, d), 1e-6);
  /* beyond the table: computed directly, continuous at its end */
  double a = mb__psp_orbital_ff(p, d, 40.0 - 1e-9), b = mb__psp_orbital_ff(p, d, 40.0 + 1e-9);
  ck_assert_double_eq_tol(a, b, 1e-9);
  mb__psp_free(p);
}
END_TEST

/* Co-sp.upf with the text from replaced by to, read from a buffer. */
static mb_status damaged(const char *from, const char *to) {
  char *text = mb_test_slurp(psp("Co-sp.upf"));
  const char *at = strstr(text, from);
  ck_assert_msg(at != NULL, "Co-sp.upf lacks %s", from);
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

/* Damaged orbitals are refused with the file's name and line. */
START_TEST(orbital_refusals) {
  static const struct { const char *from, *to, *what; } bad[] = {
    {"<PP_CHI.3", "<PP_CHX.3", "has no PP_CHI.3"},
    {"label=\"3D\"\n       l=\"2\"", "label=\"3D\"\n       l=\"7\"", "no l in 0..3"},
    {"number_of_wfc=\"4\"", "number_of_wfc=\"99\"", "number_of_wfc 99"},
    {"    3.5632885531E-12", "    3.5632885531E-12 1.0", "must hold mesh_size"},
  };
  for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
    mb_status st = damaged(bad[k].from, bad[k].to);
    ck_assert_msg(st == MB_ERR_PARSE && strstr(mb_last_error(), bad[k].what) &&
                      strstr(mb_last_error(), "damaged.upf:"),
                  "'%s': status %d, '%s'", bad[k].to, st, mb_last_error());
  }
  /* without PP_PSWFC: read, no orbitals */
  ck_assert_int_eq(damaged("<PP_PSWFC>", "<PP_PSWFX>"), MB_OK);
}
END_TEST

int main(void) {
  const char *env = getenv("MB_SHARED_PSP");
  snprintf(dir, sizeof dir, "%s/pseudodojo-nc-sr-04-pbe-nocc", env ? env : "../shared/psp");
  struct stat sb;
  if (stat(psp("Co-sp.upf"), &sb) != 0) {
    fprintf(stderr, "test_hubbard: %s missing (../shared/psp beside the clone): skipped\n",
            psp("Co-sp.upf"));
    return 77;
  }
  Suite *s = suite_create("hubbard");
  TCase *tc = tcase_create("orbitals");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, orbitals_normalised);
  tcase_add_test(tc, orbital_form_factor);
  tcase_add_test(tc, orbital_refusals);
  suite_add_tcase(s, tc);
  return mb_run_suite(s);
}
