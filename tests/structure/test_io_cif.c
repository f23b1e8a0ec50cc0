/* CIF reading and writing.
 *
 * References: ASE 3.22.1 (Debian python3-ase) read() of the same files, printed by
 * tests/data/cif/make_fixtures.py: cells to 12 digits, fractional positions as ASE
 * returns them (get_scaled_positions(wrap=False)), atoms in ASE's order. */
#include <math.h>
#include <string.h>

#include "../testutil.h"

static mb_structure *read_fixture(const char *name, int index) {
  char path[1024];
  mb_structure *s = NULL;
  MB_OK_OR_FAIL(mb_structure_read_frame(mb_test_data(name, path, sizeof path), MB_FORMAT_AUTO,
                                        index, &s));
  return s;
}

static mb_status read_text(const char *text, mb_structure **s) {
  *s = NULL;
  return mb_structure_read_buffer(text, strlen(text), MB_FORMAT_CIF, "t.cif", 0, s);
}

/* Positions equal modulo 1 (ASE may give 1.0 where libmigbar gives 0.0). */
static void check_frac(const mb_structure *s, const double *ref, int n, double tol) {
  double *f = malloc(sizeof(double) * 3 * (size_t)n);
  MB_OK_OR_FAIL(mb_structure_positions(s, MB_COORDS_FRACTIONAL, f));
  for (int k = 0; k < 3 * n; k++) {
    double d = f[k] - ref[k];
    ck_assert_msg(fabs(d - round(d)) < tol, "atom %d coordinate %d: %.12f, ASE %.12f", k / 3,
                  k % 3, f[k], ref[k]);
  }
  free(f);
}

static void check_symbols(const mb_structure *s, const char *const *ref, int n) {
  int natoms;
  MB_OK_OR_FAIL(mb_structure_natoms(s, &natoms));
  ck_assert_int_eq(natoms, n);
  for (int i = 0; i < n; i++) {
    const char *sym;
    MB_OK_OR_FAIL(mb_structure_symbol(s, i, &sym));
    ck_assert_str_eq(sym, ref[i]);
  }
}

static void check_lattice(const mb_structure *s, const double *ref, double tol) {
  double lat[9];
  MB_OK_OR_FAIL(mb_structure_lattice(s, lat));
  for (int k = 0; k < 9; k++) ck_assert_double_eq_tol(lat[k], ref[k], tol);
}

/* Written by ASE (make_fixtures.py); cellpar 4.1, 5.3, 6.2, 78, 95, 107. */
START_TEST(ase_triclinic) {
  static const double cell[9] = {4.1, 0, 0, -1.549570035031, 5.068415206604, 0,
                                 -0.540365605035, 1.182745210561, 6.062105144237};
  static const double frac[12] = {0, 0, 0, .5, .5, .5, .2513, .1337, .3141, .7213, .6668, .0912};
  static const char *const sym[4] = {"Li", "Fe", "O", "O"};
  mb_structure *s = read_fixture("cif/ase_triclinic.cif", 0);
  check_symbols(s, sym, 4);
  check_lattice(s, cell, 1e-11);
  check_frac(s, frac, 4, 1e-12);
  mb_structure_free(s);
}
END_TEST

START_TEST(ase_wurtzite) {
  static const double cell[9] = {3.25, 0, 0, -1.625, 2.814582562299, 0, 0, 0, 5.2};
  static const double frac[12] = {0, 0, 0, .33333, .66667, .11979,
                                  .33333, .66667, .5, 0, 0, .61979};
  static const char *const sym[4] = {"Zn", "O", "Zn", "O"};
  mb_structure *s = read_fixture("cif/ase_wurtzite.cif", 0);
  check_symbols(s, sym, 4);
  check_lattice(s, cell, 1e-11);
  check_frac(s, frac, 4, 1e-12);
  mb_structure_free(s);
}
END_TEST

/* Two data blocks written by ASE: fcc Cu (cubic) and primitive rocksalt NaCl. */
START_TEST(ase_multi_blocks) {
  char path[1024];
  int n = 0;
  MB_OK_OR_FAIL(mb_structure_count_frames(mb_test_data("cif/ase_multi.cif", path, sizeof path),
                                          MB_FORMAT_CIF, &n));
  ck_assert_int_eq(n, 2);
  static const double cell[9] = {3.98808, 0, 0, 1.99404, 3.453778592325, 0,
                                 1.99404, 1.151259530775, 3.256253684466};
  static const double frac[6] = {0, 0, 0, .5, .5, .5};
  static const char *const sym[2] = {"Na", "Cl"};
  mb_structure *s = read_fixture("cif/ase_multi.cif", 1);
  check_symbols(s, sym, 2);
  check_lattice(s, cell, 1e-11);
  check_frac(s, frac, 2, 1e-12);
  mb_structure_free(s);
  s = read_fixture("cif/ase_multi.cif", 0);
  MB_OK_OR_FAIL(mb_structure_natoms(s, &n));
  ck_assert_int_eq(n, 4);
  mb_structure_free(s);
  s = NULL;
  ck_assert_int_eq(mb_structure_read_frame(path, MB_FORMAT_CIF, 2, &s), MB_ERR_RANGE);
  ck_assert_ptr_null(s);
}
END_TEST

/* Two sites expanded by the 192 operations of Fm-3m; ASE gives the same 8 atoms in
 * the same order. */
START_TEST(nacl_192_operations) {
  static const double frac[24] = {0, 0, 0, 0, .5, .5, .5, 0, .5, .5, .5, 0,
                                  .5, .5, .5, .5, 0, 0, 0, .5, 0, 0, 0, .5};
  static const char *const sym[8] = {"Na", "Na", "Na", "Na", "Cl", "Cl", "Cl", "Cl"};
  static const double cell[9] = {5.6402, 0, 0, 0, 5.6402, 0, 0, 0, 5.6402};
  mb_structure *s = read_fixture("cif/nacl_fm-3m.cif", 0);
  check_symbols(s, sym, 8);
  check_lattice(s, cell, 1e-12);
  check_frac(s, frac, 8, 1e-12);
  mb_structure_free(s);
}
END_TEST

/* Hand-written olivine in Pnma with uncertainties, text fields, comments, a data block
 * without atoms before the one with them; ASE reads the same 28 atoms in this order. */
START_TEST(lifepo4_real_world) {
  static const double frac[84] = {
      0, 0, 0, .5, 0, .5, 0, .5, 0, .5, .5, .5,
      .28222, .25, .97472, .21778, .75, .47472, .71778, .75, .02528, .78222, .25, .52528,
      .09486, .25, .4182, .40514, .75, .9182, .90514, .75, .5818, .59486, .25, .0818,
      .09678, .25, .7428, .40322, .75, .2428, .90322, .75, .2572, .59678, .25, .7572,
      .4571, .25, .20613, .0429, .75, .70613, .5429, .75, .79387, .9571, .25, .29387,
      .16558, .04646, .2848, .33442, .95354, .7848, .83442, .54646, .7152, .66558, .45354, .2152,
      .83442, .95354, .7152, .66558, .04646, .2152, .16558, .45354, .2848, .33442, .54646, .7848};
  const char *sym[28];
  for (int i = 0; i < 28; i++) sym[i] = i < 4 ? "Li" : i < 8 ? "Fe" : i < 12 ? "P" : "O";
  static const double cell[9] = {10.329, 0, 0, 0, 6.0065, 0, 0, 0, 4.6908};
  char path[1024];
  int n = 0;
  MB_OK_OR_FAIL(mb_structure_count_frames(mb_test_data("cif/lifepo4_pnma.cif", path,
                                                       sizeof path), MB_FORMAT_AUTO, &n));
  ck_assert_int_eq(n, 1);
  mb_structure *s = read_fixture("cif/lifepo4_pnma.cif", 0);
  check_symbols(s, sym, 28);
  check_lattice(s, cell, 1e-12);
  check_frac(s, frac, 28, 1e-12);
  mb_structure_free(s);
}
END_TEST

START_TEST(fractional_occupancy_refused) {
  char path[1024];
  mb_structure *s = NULL;
  ck_assert_int_eq(mb_structure_read(mb_test_data("cif/disordered.cif", path, sizeof path),
                                     MB_FORMAT_AUTO, &s), MB_ERR_UNSUPPORTED);
  ck_assert_ptr_null(s);
  ck_assert_ptr_nonnull(strstr(mb_last_error(), "disordered.cif:16: atom site 'Li1' has "
                               "fractional occupancy 0.5; disordered structures are not "
                               "supported"));
}
END_TEST

#define HEAD "data_t\n_cell_length_a 4\n_cell_length_b 5\n_cell_length_c 6\n" \
             "_cell_angle_alpha 90\n_cell_angle_beta 90\n_cell_angle_gamma 90\n"
#define SITES "loop_\n_atom_site_label\n_atom_site_fract_x\n_atom_site_fract_y\n" \
              "_atom_site_fract_z\n"

/* Operation forms seen in real files: '1/2+x', 'x-y', '0.5+z', '+y', spaces, capitals. */
START_TEST(operation_forms) {
  mb_structure *s;
  MB_OK_OR_FAIL(read_text(HEAD "loop_\n_symmetry_equiv_pos_as_xyz\n'x,y,z'\n"
                          "'1/2+x, x-y, 0.5+z'\n\"-Y+1/4 , +X , -z\"\n" SITES
                          "Li1 0.1 0.2 0.3\n", &s));
  static const double frac[9] = {.1, .2, .3, .6, .9, .8, .05, .1, .7};
  static const char *const sym[3] = {"Li", "Li", "Li"};
  check_symbols(s, sym, 3);
  check_frac(s, frac, 3, 1e-12);
  mb_structure_free(s);
}
END_TEST

START_TEST(malformed_operations) {
  static const char *bad[] = {"'x,y'", "'x,x,z'", "'x+q,y,z'", "'x,,z'", "'x,y,z,x'",
                              "'x 1/2,y,z'", "'2x,y,z'", "'x+1/0,y,z'", "'x,y*,z'"};
  for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
    char text[512];
    snprintf(text, sizeof text, HEAD "loop_\n_symmetry_equiv_pos_as_xyz\n'x,y,z'\n%s\n" SITES
             "Li1 0.1 0.2 0.3\n", bad[k]);
    mb_structure *s;
    ck_assert_int_eq(read_text(text, &s), MB_ERR_PARSE);
    ck_assert_ptr_null(s);
    ck_assert_msg(strstr(mb_last_error(), "t.cif:11: symmetry operation"), "%s: %s", bad[k],
                  mb_last_error());
  }
}
END_TEST

START_TEST(space_group_without_operations) {
  mb_structure *s;
  ck_assert_int_eq(read_text(HEAD "_symmetry_space_group_name_H-M 'F m -3 m'\n" SITES
                             "Na1 0 0 0\n", &s), MB_ERR_UNSUPPORTED);
  ck_assert_ptr_nonnull(strstr(mb_last_error(), "t.cif:8: space group 'F m -3 m'"));
  ck_assert_int_eq(read_text(HEAD "_space_group_IT_number 225\n" SITES "Na1 0 0 0\n", &s),
                   MB_ERR_UNSUPPORTED);
  ck_assert_ptr_nonnull(strstr(mb_last_error(), "space group number 225"));
  /* P 1 by name or number needs no operations. */
  MB_OK_OR_FAIL(read_text(HEAD "_symmetry_space_group_name_H-M 'P 1'\n" SITES "Na1 0 0 0\n", &s));
  mb_structure_free(s);
  MB_OK_OR_FAIL(read_text(HEAD "_symmetry_Int_Tables_number 1\n" SITES "Na1 0 0 0\n", &s));
  mb_structure_free(s);
}
END_TEST

START_TEST(species_and_coordinates) {
  mb_structure *s;
  /* Labels only: leading letters ("Ob1" is no element, so its first letter is used). */
  MB_OK_OR_FAIL(read_text(HEAD SITES "Li1 0 0 0\nO12 0.5 0.5 0.5\nCa 0.1 0 0\nOb1 0.2 0 0\n", &s));
  static const char *const sym1[4] = {"Li", "O", "Ca", "O"};
  check_symbols(s, sym1, 4);
  mb_structure_free(s);
  /* Type symbols win over labels and lose their oxidation states; D is hydrogen;
   * Cartesian sites (Angstrom). */
  MB_OK_OR_FAIL(read_text(HEAD "loop_\n_atom_site_label\n_atom_site_type_symbol\n"
                          "_atom_site_Cartn_x\n_atom_site_Cartn_y\n_atom_site_Cartn_z\n"
                          "X1 Fe2+ 2.0 2.5 3.0\nX2 O2- 0 0 0\nD1 ? 1 1 1\n", &s));
  static const char *const sym2[3] = {"Fe", "O", "H"};
  check_symbols(s, sym2, 3);
  static const double cart[9] = {2, 2.5, 3, 0, 0, 0, 1, 1, 1};
  double got[9];
  MB_OK_OR_FAIL(mb_structure_positions(s, MB_COORDS_CARTESIAN, got));
  for (int k = 0; k < 9; k++) ck_assert_double_eq_tol(got[k], cart[k], 1e-12);
  mb_structure_free(s);
}
END_TEST

/* Issue 12: labels and type symbols were guessed by their first letter(s) as ASE
 * does: 'Wat' (AMCSD's water oxygen) became tungsten, upper-case 'CA'/'NB' carbon and
 * nitrogen, with exit 0. Fixtures tests/data/cif/amcsd_water.cif, upper_labels.cif,
 * type_symbols.cif (the expected elements are stated in each file). */
START_TEST(species_from_labels_and_types) {
  static const char *const water[6] = {"Ca", "S", "O", "O", "O", "O"};
  mb_structure *s = read_fixture("cif/amcsd_water.cif", 0);
  check_symbols(s, water, 6);
  mb_structure_free(s);
  static const char *const upper[5] = {"Ca", "Nb", "Nb", "O", "O"};
  s = read_fixture("cif/upper_labels.cif", 0);
  check_symbols(s, upper, 5);
  mb_structure_free(s);
  static const char *const types[5] = {"Ca", "Nb", "O", "O", "Li"};
  s = read_fixture("cif/type_symbols.cif", 0);
  check_symbols(s, types, 5);
  mb_structure_free(s);
  char path[1024];
  s = NULL;
  mb_test_data("cif/ambiguous_label.cif", path, sizeof path);
  ck_assert_int_eq(mb_structure_read(path, MB_FORMAT_AUTO, &s), MB_ERR_PARSE);
  ck_assert_msg(strstr(mb_last_error(), "ambiguous_label.cif:16: atom site 'CO1': the label is "
                       "ambiguous among mixed-case labels ('C' or 'Co')"), "%s", mb_last_error());
  mb_test_data("cif/unknown_label.cif", path, sizeof path);
  ck_assert_int_eq(mb_structure_read(path, MB_FORMAT_AUTO, &s), MB_ERR_PARSE);
  ck_assert_msg(strstr(mb_last_error(), "unknown_label.cif:16: atom site 'Oxy': cannot tell its "
                       "element"), "%s", mb_last_error());
  ck_assert_ptr_null(s);
  /* Labels alone, in text: two letters that make no element fall back to the first
   * ('Ob', 'OH'); longer runs do not ('Wxyz'); a type symbol with more than a charge
   * after the element is not trusted, so the label decides ('O1'). */
  MB_OK_OR_FAIL(read_text(HEAD SITES "Ob1 0 0 0\nOH 0.5 0 0\nFea 0.1 0 0\nwat2 0.2 0 0\n", &s));
  static const char *const text1[4] = {"O", "O", "Fe", "O"};
  check_symbols(s, text1, 4);
  mb_structure_free(s);
  MB_OK_OR_FAIL(read_text(HEAD "loop_\n_atom_site_label\n_atom_site_type_symbol\n"
                          "_atom_site_fract_x\n_atom_site_fract_y\n_atom_site_fract_z\n"
                          "O1 OH- 0 0 0\n", &s));
  static const char *const text2[1] = {"O"};
  check_symbols(s, text2, 1);
  mb_structure_free(s);
  s = NULL;
  ck_assert_int_eq(read_text(HEAD SITES "Wxyz 0 0 0\n", &s), MB_ERR_PARSE);
  ck_assert_msg(strstr(mb_last_error(), "t.cif:"), "%s", mb_last_error());
}
END_TEST

static void expect_error(const char *text, mb_status want, const char *where) {
  mb_structure *s = NULL;
  mb_status st = mb_structure_read_buffer(text, strlen(text), MB_FORMAT_CIF, "t.cif", 0, &s);
  ck_assert_msg(st == want, "status %d, expected %d (%s)", st, want, mb_last_error());
  ck_assert_ptr_null(s);
  ck_assert_msg(strstr(mb_last_error(), where), "'%s' not in '%s'", where, mb_last_error());
}

START_TEST(syntax_errors_have_lines) {
  expect_error("data_t\n_cell_length_a 'abc\n", MB_ERR_PARSE, "t.cif:2: unterminated quoted");
  expect_error("data_t\n\n_x\n;text\nmore\n", MB_ERR_PARSE, "t.cif:4: unterminated text field");
  expect_error("data_t\nloop_\n_a\n_b\n1 2 3\n", MB_ERR_PARSE, "t.cif:2: loop_ with 2 tags has 3");
  expect_error("data_t\n_a 1\n2\n", MB_ERR_PARSE, "t.cif:3: value '2' without a tag");
  expect_error("# c\n_cell_length_a 4\n", MB_ERR_PARSE, "t.cif:2: '_cell_length_a' before");
  expect_error("data_t\n_a\n_b 1\n", MB_ERR_PARSE, "t.cif:2: tag '_a' has no value");
  expect_error("data_t\n_a 1\nloop_\n", MB_ERR_PARSE, "t.cif:3: loop_ without tags");
  expect_error(HEAD "_cell_length_a 5\n", MB_ERR_PARSE, "t.cif:8: tag '_cell_length_a' appears twice");
  expect_error("data_t\n_cell_length_a 4\n" SITES "Li1 0 0 0\n", MB_ERR_PARSE,
               "t.cif:1: data block 't' has atom sites but no _cell_length_b");
  expect_error(HEAD SITES "Li1 0 0 zero\n", MB_ERR_PARSE, "t.cif:13: atom site 'Li1': coordinate");
  expect_error(HEAD SITES "Q1 0 0 0\n", MB_ERR_PARSE, "t.cif:13: atom site 'Q1': cannot tell");
  expect_error("data_t\n_cell_length_a 4(\n", MB_ERR_PARSE, "no data block with atom sites");
  expect_error(HEAD "loop_\n_symmetry_equiv_pos_as_xyz\n'x,y,z'\n'-x,-y,-z'\n" SITES
               "Li1 0 0 0\nO1 0.5 0.5 0.5\nF1 0.5 0.5 0.5\n", MB_ERR_PARSE,
               "t.cif:19: atom site 3 (F) falls on atom site 2 (O)");
  mb_structure *s = NULL;
  static const char nul[] = "data_t\n\n_a\0 1\n";
  ck_assert_int_eq(mb_structure_read_buffer(nul, sizeof nul - 1, MB_FORMAT_CIF, "t.cif", 0, &s),
                   MB_ERR_PARSE);
  ck_assert_ptr_nonnull(strstr(mb_last_error(), "t.cif:3: NUL byte"));
  expect_error(HEAD "_cell_length_c 6(1)\n", MB_ERR_PARSE, "appears twice");
}
END_TEST

START_TEST(bad_cells) {
  mb_structure *s;
  const char *t = "data_t\n_cell_length_a 4\n_cell_length_b 4\n_cell_length_c 4\n"
                  "_cell_angle_alpha 120\n_cell_angle_beta 120\n_cell_angle_gamma 130\n" SITES
                  "Li1 0 0 0\n";
  ck_assert_int_eq(read_text(t, &s), MB_ERR_GEOMETRY);
  ck_assert_ptr_nonnull(strstr(mb_last_error(), "t.cif:5: cell angles"));
  const char *u = "data_t\n_cell_length_a -4\n_cell_length_b 4\n_cell_length_c 4\n"
                  "_cell_angle_alpha 90\n_cell_angle_beta 90\n_cell_angle_gamma 90\n" SITES
                  "Li1 0 0 0\n";
  ck_assert_int_eq(read_text(u, &s), MB_ERR_PARSE);
  ck_assert_ptr_nonnull(strstr(mb_last_error(), "t.cif:2: _cell_length_a = -4 is out of range"));
}
END_TEST

/* Absurd sizes are refused before any work: too many operations, sites x operations
 * beyond 2^20, coordinates beyond 1e6. */
START_TEST(absurd_input_refused) {
  size_t cap = 64 * 1024;
  char *text = malloc(cap);
  size_t len = (size_t)snprintf(text, cap, HEAD "loop_\n_symmetry_equiv_pos_as_xyz\n");
  for (int k = 0; k < 1025; k++) len += (size_t)snprintf(text + len, cap - len, "'x,y,z'\n");
  snprintf(text + len, cap - len, SITES "Li1 0 0 0\n");
  mb_structure *s;
  ck_assert_int_eq(read_text(text, &s), MB_ERR_PARSE);
  ck_assert_ptr_nonnull(strstr(mb_last_error(), "t.cif:9: 1025 symmetry operations (at most 1024"));
  len = (size_t)snprintf(text, cap, HEAD "loop_\n_symmetry_equiv_pos_as_xyz\n");
  for (int k = 0; k < 1024; k++) len += (size_t)snprintf(text + len, cap - len, "'x,y,z'\n");
  len += (size_t)snprintf(text + len, cap - len, SITES);
  for (int k = 0; k < 1025; k++) len += (size_t)snprintf(text + len, cap - len, "H 0 0 0\n");
  ck_assert_int_eq(read_text(text, &s), MB_ERR_UNSUPPORTED);
  ck_assert_ptr_nonnull(strstr(mb_last_error(), "t.cif:9: 1025 atom sites x 1024 symmetry"));
  free(text);
  ck_assert_int_eq(read_text(HEAD SITES "H 0 0 2e6\n", &s), MB_ERR_PARSE);
  ck_assert_ptr_nonnull(strstr(mb_last_error(), "t.cif:13: atom site 'H': coordinate '2e6'"));
}
END_TEST

/* Cell parameters (a, b, c, alpha, beta, gamma) of a lattice. */
static void cellpar(const double *L, double p[6]) {
  for (int i = 0; i < 3; i++) p[i] = sqrt(L[3 * i] * L[3 * i] + L[3 * i + 1] * L[3 * i + 1] +
                                          L[3 * i + 2] * L[3 * i + 2]);
  static const int pair[3][2] = {{1, 2}, {0, 2}, {0, 1}};
  for (int k = 0; k < 3; k++) {
    const double *u = L + 3 * pair[k][0], *v = L + 3 * pair[k][1];
    p[3 + k] = acos((u[0] * v[0] + u[1] * v[1] + u[2] * v[2]) / (p[pair[k][0]] * p[pair[k][1]])) *
               180 / M_PI;
  }
}

/* write -> read keeps lengths, angles and fractional positions (the lattice is
 * re-oriented to the standard setting); on a standard-oriented cell the Cartesian
 * positions come back within 1e-8 A. A left-handed lattice comes back as the same
 * Cartesian atoms in a right-handed cell. */
START_TEST(round_trip) {
  unsigned long long seed = 12345;
  for (int trial = 0; trial < 20; trial++) {
    double L[9];
    int n = 1 + trial % 7;
    double frac[3 * 8];
    int z[8];
    for (int k = 0; k < 9; k++) L[k] = (k % 4 == 0 ? 4.0 + 6 * mb_test_rand(&seed) : 0.0) +
                                       (mb_test_rand(&seed) - 0.5) * 1.5;
    if (trial % 5 == 4) for (int k = 0; k < 3; k++) L[k] = -L[k]; /* left-handed */
    for (int i = 0; i < n; i++) {
      for (int k = 0; k < 3; k++) frac[3 * i + k] = mb_test_rand(&seed);
      z[i] = 1 + (int)(mb_test_rand(&seed) * 100);
    }
    mb_structure *s = NULL, *r = NULL;
    MB_OK_OR_FAIL(mb_structure_create(L, n, frac, MB_COORDS_FRACTIONAL, z, &s));
    char *text;
    size_t size;
    MB_OK_OR_FAIL(mb_structure_write_buffer(s, MB_FORMAT_CIF, &text, &size));
    MB_OK_OR_FAIL(mb_structure_read_buffer(text, size, MB_FORMAT_CIF, "rt.cif", 0, &r));
    mb_free(text);
    int m;
    MB_OK_OR_FAIL(mb_structure_natoms(r, &m));
    ck_assert_int_eq(m, n);
    double R[9], p[6], q[6], got[3 * 8];
    int zz[8];
    MB_OK_OR_FAIL(mb_structure_lattice(r, R));
    cellpar(L, p);
    cellpar(R, q);
    for (int k = 0; k < 6; k++) ck_assert_double_eq_tol(p[k], q[k], 1e-9);
    MB_OK_OR_FAIL(mb_structure_numbers(r, zz));
    ck_assert_mem_eq(zz, z, sizeof(int) * (size_t)n);
    MB_OK_OR_FAIL(mb_structure_positions(r, MB_COORDS_FRACTIONAL, got));
    double sign = trial % 5 == 4 ? -1.0 : 1.0;
    for (int k = 0; k < 3 * n; k++) {
      double d = got[k] - sign * frac[k];
      ck_assert_double_eq_tol(d - round(d), 0.0, 1e-12);
    }
    for (int i = 0; i < n; i++)
      for (int j = 0; j < n; j++) {
        double d1, d2;
        MB_OK_OR_FAIL(mb_structure_distance(s, i, j, &d1));
        MB_OK_OR_FAIL(mb_structure_distance(r, i, j, &d2));
        ck_assert_double_eq_tol(d1, d2, 1e-8);
      }
    /* Standard orientation: the written cell and positions come back in place. */
    double S[9];
    MB_OK_OR_FAIL(mb_structure_lattice(r, S));
    mb_structure *r2 = NULL;
    MB_OK_OR_FAIL(mb_structure_write_buffer(r, MB_FORMAT_CIF, &text, &size));
    MB_OK_OR_FAIL(mb_structure_read_buffer(text, size, MB_FORMAT_CIF, "rt.cif", 0, &r2));
    mb_free(text);
    check_lattice(r2, S, 1e-9);
    double c1[3 * 8], c2[3 * 8];
    MB_OK_OR_FAIL(mb_structure_positions(r, MB_COORDS_CARTESIAN, c1));
    MB_OK_OR_FAIL(mb_structure_positions(r2, MB_COORDS_CARTESIAN, c2));
    for (int k = 0; k < 3 * n; k++) ck_assert_double_eq_tol(c1[k], c2[k], 1e-8);
    mb_structure_free(s);
    mb_structure_free(r);
    mb_structure_free(r2);
  }
}
END_TEST

START_TEST(writer_layout) {
  static const double L[9] = {5.64, 0, 0, 0, 5.64, 0, 0, 0, 5.64};
  static const double f[6] = {0, 0, 0, .5, .5, .5};
  static const int z[2] = {11, 17};
  mb_structure *s = NULL;
  MB_OK_OR_FAIL(mb_structure_create(L, 2, f, MB_COORDS_FRACTIONAL, z, &s));
  char *text;
  size_t size;
  MB_OK_OR_FAIL(mb_structure_write_buffer(s, MB_FORMAT_CIF, &text, &size));
  ck_assert_ptr_nonnull(strstr(text, "_cell_length_a    5.640000000000\n"));
  ck_assert_ptr_nonnull(strstr(text, "_cell_angle_gamma 90.000000000000\n"));
  ck_assert_ptr_nonnull(strstr(text, "'x, y, z'"));
  ck_assert_ptr_nonnull(strstr(text, "  Cl1 Cl  0.500000000000000  0.500000000000000  "
                                     "0.500000000000000 1\n"));
  ck_assert_uint_eq(size, strlen(text));
  mb_free(text);
  mb_structure_free(s);
}
END_TEST

int main(void) {
  Suite *s = suite_create("io_cif");
  TCase *tc = tcase_create("io_cif");
  tcase_add_test(tc, ase_triclinic);
  tcase_add_test(tc, ase_wurtzite);
  tcase_add_test(tc, ase_multi_blocks);
  tcase_add_test(tc, nacl_192_operations);
  tcase_add_test(tc, lifepo4_real_world);
  tcase_add_test(tc, fractional_occupancy_refused);
  tcase_add_test(tc, operation_forms);
  tcase_add_test(tc, malformed_operations);
  tcase_add_test(tc, space_group_without_operations);
  tcase_add_test(tc, species_and_coordinates);
  tcase_add_test(tc, species_from_labels_and_types);
  tcase_add_test(tc, syntax_errors_have_lines);
  tcase_add_test(tc, bad_cells);
  tcase_add_test(tc, absurd_input_refused);
  tcase_add_test(tc, round_trip);
  tcase_add_test(tc, writer_layout);
  suite_add_tcase(s, tc);
  return mb_run_suite(s);
}
