/* Ewald energy, forces and stress of lib/dft/ewald.c.
 *
 * Reference: the "Ewald energy" that ABINIT 9.6.2 (Debian) prints for the cells of
 * tests/data/dft/abinit/reference.txt (inputs and the script that ran them and
 * extracted the numbers: tests/data/dft/abinit/make_reference.py): Si diamond ideal
 * and with one atom displaced, CaO with a displaced O, ZnO wurtzite, a 4-atom fcc Al
 * cell with a displaced atom, bcc Li and a strongly skewed triclinic cell; agreement
 * to 1e-10 Ha. Forces against central differences of the energy (fourth-order
 * stencil, step 1e-4 Bohr, 1e-8 Ha/Bohr), stress against central differences in the
 * strain (1e-8 Ha/Bohr^3), then exact properties: zero total force, translation
 * invariance, zero forces at the sites of ideal diamond, a 2x1x1 supercell doubles the
 * energy, and the errors. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../testutil.h"
#include "dft/dft.h"

#define MAXAT 8
#define MAXSYS 16

typedef struct ref_sys {
  char name[32];
  double lat[9];
  int natoms;
  int type[MAXAT];
  double zion[MAXAT], frac[3 * MAXAT];
  double ewald;
} ref_sys;

static ref_sys refs[MAXSYS];
static int nrefs;

/* The lines of reference.txt this suite needs: system, lattice, natoms, atom, ewald. */
static void load_refs(void) {
  if (nrefs) return;
  char path[1024], line[4096];
  FILE *f = fopen(mb_test_data("dft/abinit/reference.txt", path, sizeof path), "r");
  ck_assert_msg(f != NULL, "cannot open %s", path);
  ref_sys *r = NULL;
  while (fgets(line, sizeof line, f)) {
    char key[32];
    int off = 0;
    if (sscanf(line, "%31s%n", key, &off) != 1 || key[0] == '#') continue;
    const char *p = line + off;
    if (!strcmp(key, "system")) {
      ck_assert_int_lt(nrefs, MAXSYS);
      r = &refs[nrefs++];
      memset(r, 0, sizeof *r);
      ck_assert_int_eq(sscanf(p, "%31s", r->name), 1);
    } else if (r && !strcmp(key, "lattice")) {
      double *a = r->lat;
      ck_assert_int_eq(sscanf(p, "%lf %lf %lf %lf %lf %lf %lf %lf %lf", a, a + 1, a + 2, a + 3,
                              a + 4, a + 5, a + 6, a + 7, a + 8), 9);
    } else if (r && !strcmp(key, "atom")) {
      int i = r->natoms++;
      ck_assert_int_lt(i, MAXAT);
      ck_assert_int_eq(sscanf(p, "%d %lf %lf %lf %lf", &r->type[i], &r->zion[i],
                              &r->frac[3 * i], &r->frac[3 * i + 1], &r->frac[3 * i + 2]), 5);
    } else if (r && !strcmp(key, "ewald")) {
      ck_assert_int_eq(sscanf(p, "%lf", &r->ewald), 1);
    }
  }
  fclose(f);
  ck_assert_int_ge(nrefs, 7);
}

static const ref_sys *find_ref(const char *name) {
  load_refs();
  for (int i = 0; i < nrefs; i++)
    if (!strcmp(refs[i].name, name)) return &refs[i];
  ck_abort_msg("no reference system %s", name);
  return NULL;
}

static double energy_of(const double lat[9], int n, const double *frac, const double *z) {
  double e;
  MB_OK_OR_FAIL(mb__ewald(lat, n, frac, z, &e, NULL, NULL));
  return e;
}

START_TEST(test_abinit_energy) {
  load_refs();
  for (int s = 0; s < nrefs; s++) {
    const ref_sys *r = &refs[s];
    double e;
    MB_OK_OR_FAIL(mb__ewald(r->lat, r->natoms, r->frac, r->zion, &e, NULL, NULL));
    ck_assert_msg(fabs(e - r->ewald) < 1e-10, "%s: Ewald %.14f Ha, ABINIT %.14f (diff %.2e)",
                  r->name, e, r->ewald, e - r->ewald);
  }
}
END_TEST

/* Forces: -dE/dx by central differences of Cartesian displacements. */
START_TEST(test_forces_fd) {
  static const char *names[] = {"si_disp", "cao_disp", "zno_wurtzite", "al_disp", "triclinic"};
  for (size_t s = 0; s < sizeof names / sizeof *names; s++) {
    const ref_sys *r = find_ref(names[s]);
    double e, f[3 * MAXAT], inv[9], fsum[3] = {0};
    MB_OK_OR_FAIL(mb__ewald(r->lat, r->natoms, r->frac, r->zion, &e, f, NULL));
    ck_assert(!mb__inv3(r->lat, inv));
    const double h = 1e-4;
    for (int i = 0; i < r->natoms; i++)
      for (int a = 0; a < 3; a++) {
        /* fourth-order central stencil (steps +-h, +-2h): the Zn-O pair of wurtzite has a
         * third derivative that puts the two-point difference 1e-8 off */
        double fr[3 * MAXAT], ed[4];
        static const double steps[4] = {1, -1, 2, -2};
        memcpy(fr, r->frac, sizeof fr);
        for (int t = 0; t < 4; t++) {
          for (int k = 0; k < 3; k++)
            fr[3 * i + k] = r->frac[3 * i + k] + steps[t] * h * inv[3 * a + k];
          ed[t] = energy_of(r->lat, r->natoms, fr, r->zion);
        }
        double fd = -(8 * (ed[0] - ed[1]) - (ed[2] - ed[3])) / (12 * h);
        ck_assert_msg(fabs(fd - f[3 * i + a]) < 1e-8, "%s atom %d dir %d: F %.12f, FD %.12f",
                      r->name, i, a, f[3 * i + a], fd);
        fsum[a] += f[3 * i + a];
      }
    for (int a = 0; a < 3; a++)
      ck_assert_msg(fabs(fsum[a]) < 1e-10, "%s: total force %g", r->name, fsum[a]);
  }
}
END_TEST

/* Stress: sigma_ab = (1/omega) dE/d eps_ab with the lattice rows a -> (1 + eps) a and
 * fixed reduced positions. */
START_TEST(test_stress_fd) {
  static const char *names[] = {"si_disp", "zno_wurtzite", "li_bcc", "triclinic"};
  for (size_t s = 0; s < sizeof names / sizeof *names; s++) {
    const ref_sys *r = find_ref(names[s]);
    double e, sig[9];
    MB_OK_OR_FAIL(mb__ewald(r->lat, r->natoms, r->frac, r->zion, &e, NULL, sig));
    double omega = fabs(mb__det3(r->lat)), h = 1e-5;
    for (int a = 0; a < 3; a++)
      for (int b = 0; b < 3; b++) {
        double ed[2];
        for (int sg = 0; sg < 2; sg++) {
          double lat[9];
          memcpy(lat, r->lat, sizeof lat);
          for (int i = 0; i < 3; i++) lat[3 * i + a] += (sg ? -h : h) * r->lat[3 * i + b];
          ed[sg] = energy_of(lat, r->natoms, r->frac, r->zion);
        }
        double fd = (ed[0] - ed[1]) / (2 * h) / omega;
        ck_assert_msg(fabs(fd - sig[3 * a + b]) < 1e-8, "%s sigma_%d%d %.12f, FD %.12f",
                      r->name, a, b, sig[3 * a + b], fd);
      }
    for (int a = 0; a < 3; a++)
      for (int b = 0; b < a; b++) ck_assert(fabs(sig[3 * a + b] - sig[3 * b + a]) < 1e-12);
  }
}
END_TEST

START_TEST(test_invariances) {
  const ref_sys *r = find_ref("triclinic");
  double e0 = energy_of(r->lat, r->natoms, r->frac, r->zion);
  /* a rigid translation (also across the cell boundary) changes nothing */
  double fr[3 * MAXAT];
  for (int i = 0; i < r->natoms; i++)
    for (int k = 0; k < 3; k++) fr[3 * i + k] = r->frac[3 * i + k] + 0.37 + 0.21 * k;
  double e1 = energy_of(r->lat, r->natoms, fr, r->zion);
  ck_assert_msg(fabs(e1 - e0) < 1e-12 * fabs(e0), "translation: %.15f vs %.15f", e1, e0);

  /* 2x1x1 supercells double the energy, the forces repeat */
  static const char *names[] = {"triclinic", "cao_disp", "zno_wurtzite"};
  for (size_t s = 0; s < sizeof names / sizeof *names; s++) {
    r = find_ref(names[s]);
    int n = r->natoms;
    double lat2[9], fr2[6 * MAXAT], z2[2 * MAXAT], f[3 * MAXAT], f2[6 * MAXAT], e, e2;
    memcpy(lat2, r->lat, sizeof lat2);
    for (int k = 0; k < 3; k++) lat2[k] *= 2;
    for (int c = 0; c < 2; c++)
      for (int i = 0; i < n; i++) {
        fr2[3 * (c * n + i)] = (r->frac[3 * i] + c) / 2;
        fr2[3 * (c * n + i) + 1] = r->frac[3 * i + 1];
        fr2[3 * (c * n + i) + 2] = r->frac[3 * i + 2];
        z2[c * n + i] = r->zion[i];
      }
    MB_OK_OR_FAIL(mb__ewald(r->lat, n, r->frac, r->zion, &e, f, NULL));
    MB_OK_OR_FAIL(mb__ewald(lat2, 2 * n, fr2, z2, &e2, f2, NULL));
    ck_assert_msg(fabs(e2 - 2 * e) < 1e-11 * fabs(e), "%s: supercell %.14f vs 2 x %.14f",
                  r->name, e2, e);
    for (int i = 0; i < 3 * n; i++) {
      ck_assert(fabs(f2[i] - f[i]) < 1e-10);
      ck_assert(fabs(f2[3 * n + i] - f[i]) < 1e-10);
    }
  }

  /* every atom of ideal diamond sits at a centre of inversion: no force */
  r = find_ref("si_ideal");
  double f[3 * MAXAT], e;
  MB_OK_OR_FAIL(mb__ewald(r->lat, r->natoms, r->frac, r->zion, &e, f, NULL));
  for (int i = 0; i < 3 * r->natoms; i++) ck_assert_msg(fabs(f[i]) < 1e-11, "F = %g", f[i]);
}
END_TEST

/* One ion in its background on the simple cubic lattice, described by the cube and by
 * a strongly sheared cell of the same lattice (a3 -> a3 + 2 a1 + a2): the same energy,
 * and the known Madelung energy. */
START_TEST(test_skewed_equivalent) {
  double cubic[9] = {5, 0, 0, 0, 5, 0, 0, 0, 5};
  double sheared[9] = {5, 0, 0, 0, 5, 0, 10, 5, 5};
  double frac[3] = {0.1, 0.2, 0.3}, z = 3, e1, e2;
  MB_OK_OR_FAIL(mb__ewald(cubic, 1, frac, &z, &e1, NULL, NULL));
  MB_OK_OR_FAIL(mb__ewald(sheared, 1, frac, &z, &e2, NULL, NULL));
  ck_assert_msg(fabs(e1 - e2) < 1e-12 * fabs(e1), "%.15f vs %.15f", e1, e2);
  /* E = -z^2 alpha / (2 a), alpha = 2.8372974794806 for sc in a neutralising background
   * (Madelung constant referred to the lattice constant; e.g. Coldwell-Horsfall and
   * Maradudin, J. Math. Phys. 1, 395 (1960)) */
  ck_assert_msg(fabs(e1 - (-9 * 2.8372974794806 / 10)) < 1e-10, "sc Madelung: %.13f", e1);
}
END_TEST

START_TEST(test_errors) {
  double lat[9] = {5, 0, 0, 0, 5, 0, 0, 0, 5}, sing[9] = {5, 0, 0, 10, 0, 0, 0, 0, 5};
  double frac[3] = {0}, z = 1, e;
  ck_assert_int_eq(mb__ewald(sing, 1, frac, &z, &e, NULL, NULL), MB_ERR_GEOMETRY);
  ck_assert_ptr_nonnull(strstr(mb_last_error(), "singular"));
  ck_assert_int_eq(mb__ewald(lat, 0, frac, &z, &e, NULL, NULL), MB_ERR_INVALID_ARG);
  ck_assert_ptr_nonnull(strstr(mb_last_error(), "natoms"));
  ck_assert_int_eq(mb__ewald(NULL, 1, frac, &z, &e, NULL, NULL), MB_ERR_INVALID_ARG);
  ck_assert_int_eq(mb__ewald(lat, 1, frac, &z, NULL, NULL, NULL), MB_ERR_INVALID_ARG);
  frac[1] = NAN;
  ck_assert_int_eq(mb__ewald(lat, 1, frac, &z, &e, NULL, NULL), MB_ERR_INVALID_ARG);
}
END_TEST

int main(void) {
  Suite *s = suite_create("dft_ewald");
  TCase *tc = tcase_create("ewald");
  tcase_set_timeout(tc, 30);
  tcase_add_test(tc, test_abinit_energy);
  tcase_add_test(tc, test_forces_fd);
  tcase_add_test(tc, test_stress_fd);
  tcase_add_test(tc, test_invariances);
  tcase_add_test(tc, test_skewed_equivalent);
  tcase_add_test(tc, test_errors);
  suite_add_tcase(s, tc);
  return mb_run_suite(s);
}
