/* Structure handle: creation, validation, getters, geometry, formula, symmetry.
 * Reference volumes, densities and space groups from ASE 3.22 and spglib 2.0
 * (Debian python3-ase, python3-spglib) on the same cells. */
#include <math.h>
#include <string.h>

#include "../testutil.h"

static const double cubic564[9] = {5.64, 0, 0, 0, 5.64, 0, 0, 0, 5.64};
static const double nacl_frac[24] = {0, 0, 0, .5, 0, 0, 0, .5, .5, .5, .5, .5,
                                     .5, 0, .5, 0, 0, .5, .5, .5, 0, 0, .5, 0};
static const int nacl_z[8] = {11, 17, 11, 17, 11, 17, 11, 17};

static mb_structure *nacl(void) {
  mb_structure *s = NULL;
  MB_OK_OR_FAIL(mb_structure_create(cubic564, 8, nacl_frac, MB_COORDS_FRACTIONAL, nacl_z, &s));
  return s;
}

START_TEST(create_and_get) {
  mb_structure *s = nacl();
  int n;
  MB_OK_OR_FAIL(mb_structure_natoms(s, &n));
  ck_assert_int_eq(n, 8);
  double lat[9], cart[24], frac[24];
  int z[8];
  MB_OK_OR_FAIL(mb_structure_lattice(s, lat));
  ck_assert_mem_eq(lat, cubic564, sizeof lat);
  MB_OK_OR_FAIL(mb_structure_positions(s, MB_COORDS_CARTESIAN, cart));
  MB_OK_OR_FAIL(mb_structure_positions(s, MB_COORDS_FRACTIONAL, frac));
  for (int k = 0; k < 24; k++) {
    ck_assert_double_eq_tol(cart[k], 5.64 * nacl_frac[k], 1e-12);
    ck_assert_double_eq_tol(frac[k], nacl_frac[k], 1e-12);
  }
  MB_OK_OR_FAIL(mb_structure_numbers(s, z));
  ck_assert_mem_eq(z, nacl_z, sizeof z);
  const char *sym;
  MB_OK_OR_FAIL(mb_structure_symbol(s, 1, &sym));
  ck_assert_str_eq(sym, "Cl");
  ck_assert_int_eq(mb_structure_symbol(s, 8, &sym), MB_ERR_RANGE);
  mb_structure_free(s);
}
END_TEST

START_TEST(create_from_symbols) {
  const char *sym[2] = {"Li", "F"};
  const double pos[6] = {0, 0, 0, 2.0, 2.0, 2.0};
  const double lat[9] = {4, 0, 0, 0, 4, 0, 0, 0, 4};
  mb_structure *s = NULL;
  MB_OK_OR_FAIL(mb_structure_create_symbols(lat, 2, pos, MB_COORDS_CARTESIAN, sym, &s));
  int z[2];
  MB_OK_OR_FAIL(mb_structure_numbers(s, z));
  ck_assert_int_eq(z[0], 3);
  ck_assert_int_eq(z[1], 9);
  mb_structure_free(s);
  const char *bad[2] = {"Li", "Fx"};
  s = NULL;
  ck_assert_int_eq(mb_structure_create_symbols(lat, 2, pos, MB_COORDS_CARTESIAN, bad, &s),
                   MB_ERR_INVALID_ARG);
  ck_assert_ptr_null(s);
  ck_assert_ptr_nonnull(strstr(mb_last_error(), "atom 1"));
  ck_assert_ptr_nonnull(strstr(mb_last_error(), "Fx"));
}
END_TEST

START_TEST(bad_input_is_refused) {
  mb_structure *s = NULL;
  const double flat[9] = {1, 0, 0, 0, 1, 0, 1, 1, 0};
  const double pos[3] = {0, 0, 0};
  const int z1[1] = {1}, z0[1] = {0};
  ck_assert_int_eq(mb_structure_create(flat, 1, pos, MB_COORDS_CARTESIAN, z1, &s), MB_ERR_GEOMETRY);
  ck_assert_ptr_nonnull(strstr(mb_last_error(), "volume"));
  ck_assert_int_eq(mb_structure_create(cubic564, 1, pos, MB_COORDS_CARTESIAN, z0, &s), MB_ERR_RANGE);
  ck_assert_int_eq(mb_structure_create(cubic564, 0, pos, MB_COORDS_CARTESIAN, z1, &s), MB_ERR_INVALID_ARG);
  ck_assert_int_eq(mb_structure_create(cubic564, 1, NULL, MB_COORDS_CARTESIAN, z1, &s), MB_ERR_INVALID_ARG);
  ck_assert_int_eq(mb_structure_create(cubic564, 1, pos, (mb_coords)7, z1, &s), MB_ERR_INVALID_ARG);
  const double nanpos[3] = {NAN, 0, 0};
  ck_assert_int_eq(mb_structure_create(cubic564, 1, nanpos, MB_COORDS_CARTESIAN, z1, &s), MB_ERR_INVALID_ARG);
  ck_assert_ptr_null(s);
  int n;
  ck_assert_int_eq(mb_structure_natoms(NULL, &n), MB_ERR_INVALID_ARG);
}
END_TEST

START_TEST(copy_is_deep) {
  mb_structure *s = nacl(), *c = NULL;
  int flags[24];
  for (int k = 0; k < 24; k++) flags[k] = k % 2;
  MB_OK_OR_FAIL(mb_structure_set_selective(s, flags));
  MB_OK_OR_FAIL(mb_structure_copy(s, &c));
  double p[24];
  MB_OK_OR_FAIL(mb_structure_positions(c, MB_COORDS_CARTESIAN, p));
  p[0] = 1.0;
  MB_OK_OR_FAIL(mb_structure_set_positions(c, p, MB_COORDS_CARTESIAN));
  double q[24];
  MB_OK_OR_FAIL(mb_structure_positions(s, MB_COORDS_CARTESIAN, q));
  ck_assert_double_eq(q[0], 0.0);
  int got[24], has;
  MB_OK_OR_FAIL(mb_structure_selective(c, got, &has));
  ck_assert_int_eq(has, 1);
  ck_assert_mem_eq(got, flags, sizeof got);
  MB_OK_OR_FAIL(mb_structure_set_selective(c, NULL));
  MB_OK_OR_FAIL(mb_structure_selective(c, got, &has));
  ck_assert_int_eq(has, 0);
  ck_assert_int_eq(got[0], 1);
  mb_structure_free(s);
  mb_structure_free(c);
}
END_TEST

START_TEST(set_lattice_scales_or_keeps) {
  mb_structure *s = nacl();
  const double big[9] = {6, 0, 0, 0, 6, 0, 0, 0, 6};
  MB_OK_OR_FAIL(mb_structure_set_lattice(s, big, 1));
  double p[24];
  MB_OK_OR_FAIL(mb_structure_positions(s, MB_COORDS_CARTESIAN, p));
  ck_assert_double_eq_tol(p[3], 3.0, 1e-12);
  MB_OK_OR_FAIL(mb_structure_set_lattice(s, cubic564, 0));
  MB_OK_OR_FAIL(mb_structure_positions(s, MB_COORDS_CARTESIAN, p));
  ck_assert_double_eq_tol(p[3], 3.0, 1e-12);
  const double flat[9] = {1, 0, 0, 2, 0, 0, 0, 0, 1};
  ck_assert_int_eq(mb_structure_set_lattice(s, flat, 1), MB_ERR_GEOMETRY);
  mb_structure_free(s);
}
END_TEST

START_TEST(wrap_into_cell) {
  const double lat[9] = {3, 0, 0, 1, 3, 0, 0.5, 0.5, 4};
  const double frac[9] = {1.25, -0.5, 2.0, -1e-17, 0.999999, -3.75, 0.5, 0.5, 0.5};
  const int z[3] = {1, 2, 3};
  mb_structure *s = NULL;
  MB_OK_OR_FAIL(mb_structure_create(lat, 3, frac, MB_COORDS_FRACTIONAL, z, &s));
  MB_OK_OR_FAIL(mb_structure_wrap(s));
  double f[9];
  MB_OK_OR_FAIL(mb_structure_positions(s, MB_COORDS_FRACTIONAL, f));
  const double want[9] = {0.25, 0.5, 0.0, 0.0, 0.999999, 0.25, 0.5, 0.5, 0.5};
  for (int k = 0; k < 9; k++) {
    ck_assert(f[k] >= 0.0 && f[k] < 1.0);
    ck_assert_double_eq_tol(f[k], want[k], 1e-12);
  }
  mb_structure_free(s);
}
END_TEST

START_TEST(supercell_diagonal_and_general) {
  mb_structure *s = nacl(), *sc = NULL;
  const int diag[9] = {2, 0, 0, 0, 1, 0, 0, 0, 3};
  MB_OK_OR_FAIL(mb_structure_supercell(s, diag, &sc));
  int n;
  MB_OK_OR_FAIL(mb_structure_natoms(sc, &n));
  ck_assert_int_eq(n, 48);
  double v0, v1, p[48 * 3];
  MB_OK_OR_FAIL(mb_structure_volume(s, &v0));
  MB_OK_OR_FAIL(mb_structure_volume(sc, &v1));
  ck_assert_double_eq_tol(v1, 6 * v0, 1e-9);
  /* Image-major order, as ASE's repeat: atom 8 is atom 0 shifted by c. */
  MB_OK_OR_FAIL(mb_structure_positions(sc, MB_COORDS_CARTESIAN, p));
  ck_assert_double_eq_tol(p[3 * 8 + 2], 5.64, 1e-12);
  ck_assert_double_eq_tol(p[3 * 24 + 0], 5.64, 1e-12);
  mb_structure_free(sc);
  /* Primitive-to-conventional style matrix with det 4. */
  const int gen[9] = {1, 1, 0, -1, 1, 0, 0, 0, 2};
  MB_OK_OR_FAIL(mb_structure_supercell(s, gen, &sc));
  MB_OK_OR_FAIL(mb_structure_natoms(sc, &n));
  ck_assert_int_eq(n, 32);
  MB_OK_OR_FAIL(mb_structure_volume(sc, &v1));
  ck_assert_double_eq_tol(v1, 4 * v0, 1e-9);
  /* No two atoms coincide in the supercell. */
  for (int i = 0; i < n; i++)
    for (int j = i + 1; j < n; j++) {
      double d;
      MB_OK_OR_FAIL(mb_structure_distance(sc, i, j, &d));
      ck_assert_msg(d > 2.8, "atoms %d and %d at %g A", i, j, d);
    }
  mb_structure_free(sc);
  const int sing[9] = {1, 0, 0, 1, 0, 0, 0, 0, 1};
  sc = NULL;
  ck_assert_int_eq(mb_structure_supercell(s, sing, &sc), MB_ERR_INVALID_ARG);
  ck_assert_ptr_null(sc);
  mb_structure_free(s);
}
END_TEST

/* Minimum image against a brute-force search over many images, on random and
 * very skewed triclinic cells. */
START_TEST(minimum_image_brute_force) {
  unsigned long long seed = 12345;
  for (int trial = 0; trial < 200; trial++) {
    double lat[9];
    for (int k = 0; k < 9; k++) lat[k] = 4 * (mb_test_rand(&seed) - 0.5);
    lat[0] += 5;
    lat[4] += 5;
    lat[8] += 5;
    if (trial % 4 == 0) { /* very skewed: b = a*3 + small */
      for (int k = 0; k < 3; k++) lat[3 + k] = 3 * lat[k] + lat[3 + k] * 0.3;
    }
    double pos[6];
    for (int k = 0; k < 6; k++) pos[k] = 3 * mb_test_rand(&seed) - 1;
    const int z[2] = {1, 1};
    mb_structure *s = NULL;
    if (mb_structure_create(lat, 2, pos, MB_COORDS_FRACTIONAL, z, &s) != MB_OK) continue;
    double v[3], d;
    MB_OK_OR_FAIL(mb_structure_displacement(s, 0, 1, v));
    MB_OK_OR_FAIL(mb_structure_distance(s, 0, 1, &d));
    double cart[6];
    MB_OK_OR_FAIL(mb_structure_positions(s, MB_COORDS_CARTESIAN, cart));
    double best = INFINITY;
    for (int a = -12; a <= 12; a++)
      for (int b = -12; b <= 12; b++)
        for (int c = -12; c <= 12; c++) {
          double w2 = 0;
          for (int k = 0; k < 3; k++) {
            double w = cart[3 + k] - cart[k] + a * lat[k] + b * lat[3 + k] + c * lat[6 + k];
            w2 += w * w;
          }
          if (w2 < best) best = w2;
        }
    ck_assert_double_eq_tol(d, sqrt(best), 1e-9);
    ck_assert_double_eq_tol(sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]), d, 1e-12);
    mb_structure_free(s);
  }
}
END_TEST

START_TEST(formula_hill_order) {
  mb_structure *s = nacl();
  char buf[64];
  MB_OK_OR_FAIL(mb_structure_formula(s, 0, buf, sizeof buf));
  ck_assert_str_eq(buf, "Cl4Na4"); /* as ASE's get_chemical_formula() */
  MB_OK_OR_FAIL(mb_structure_formula(s, 1, buf, sizeof buf));
  ck_assert_str_eq(buf, "ClNa");
  ck_assert_int_eq(mb_structure_formula(s, 0, buf, 4), MB_ERR_BUFFER_TOO_SMALL);
  mb_structure_free(s);
  /* With carbon: C, H, then alphabetical (Li2CO3 + H -> "CHLi2O3"). */
  const double lat[9] = {5, 0, 0, 0, 5, 0, 0, 0, 5};
  const int z[7] = {3, 3, 8, 6, 8, 8, 1};
  double pos[21];
  for (int k = 0; k < 21; k++) pos[k] = 0.1 * k;
  MB_OK_OR_FAIL(mb_structure_create(lat, 7, pos, MB_COORDS_CARTESIAN, z, &s));
  MB_OK_OR_FAIL(mb_structure_formula(s, 0, buf, sizeof buf));
  ck_assert_str_eq(buf, "CHLi2O3");
  mb_structure_free(s);
}
END_TEST

START_TEST(volume_density_against_ase) {
  mb_structure *s = nacl();
  double v, rho;
  MB_OK_OR_FAIL(mb_structure_volume(s, &v));
  MB_OK_OR_FAIL(mb_structure_density(s, &rho));
  ck_assert_double_eq_tol(v, 179.406144, 1e-6);          /* ASE get_volume() */
  ck_assert_double_eq_tol(rho, 2.1636164240290587, 1e-9); /* ASE masses / volume */
  mb_structure_free(s);
}
END_TEST

START_TEST(spacegroups_against_spglib) {
  char sym[32];
  int num;
  mb_structure *s = nacl();
  MB_OK_OR_FAIL(mb_structure_spacegroup(s, 1e-3, &num, sym, sizeof sym));
  ck_assert_int_eq(num, 225);
  ck_assert_str_eq(sym, "Fm-3m");
  mb_structure_free(s);
  const double hex[9] = {3.21, 0, 0, -1.605, 2.7799415461480477, 0, 0, 0, 5.21};
  const double mg[6] = {0, 0, 0, 1.0 / 3, 2.0 / 3, 0.5};
  const int z[2] = {12, 12};
  MB_OK_OR_FAIL(mb_structure_create(hex, 2, mg, MB_COORDS_FRACTIONAL, z, &s));
  MB_OK_OR_FAIL(mb_structure_spacegroup(s, 1e-3, &num, sym, sizeof sym));
  ck_assert_int_eq(num, 194);
  ck_assert_str_eq(sym, "P6_3/mmc");
  ck_assert_int_eq(mb_structure_spacegroup(s, 1e-3, &num, sym, 3), MB_ERR_BUFFER_TOO_SMALL);
  ck_assert_int_eq(mb_structure_spacegroup(s, -1, &num, sym, sizeof sym), MB_ERR_INVALID_ARG);
  mb_structure_free(s);
}
END_TEST

int main(void) {
  Suite *s = suite_create("structure");
  TCase *tc = tcase_create("structure");
  tcase_add_test(tc, create_and_get);
  tcase_add_test(tc, create_from_symbols);
  tcase_add_test(tc, bad_input_is_refused);
  tcase_add_test(tc, copy_is_deep);
  tcase_add_test(tc, set_lattice_scales_or_keeps);
  tcase_add_test(tc, wrap_into_cell);
  tcase_add_test(tc, supercell_diagonal_and_general);
  tcase_add_test(tc, minimum_image_brute_force);
  tcase_add_test(tc, formula_hill_order);
  tcase_add_test(tc, volume_density_against_ase);
  tcase_add_test(tc, spacegroups_against_spglib);
  suite_add_tcase(s, tc);
  return mb_run_suite(s);
}
