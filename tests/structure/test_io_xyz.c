/* Extended XYZ reader and writer.
 * References: fixtures written by ASE 3.22.1 (Debian python3-ase) with
 * tests/data/xyz/make_fixtures.py, which stores beside each file (*.ref) the lattice,
 * species, Cartesian positions and move_mask flags that ASE reads back from it.
 * ASE writes positions with 8 decimals, so the reader must give ASE's numbers to
 * rounding (1e-12 A); write/read round trips keep positions to 1e-8 A. */
#include <math.h>
#include <string.h>

#include "../refutil.h"

static void assert_same(const mb_structure *a, const mb_structure *b, double tol) {
  int na, nb, ha, hb;
  MB_OK_OR_FAIL(mb_structure_natoms(a, &na));
  MB_OK_OR_FAIL(mb_structure_natoms(b, &nb));
  ck_assert_int_eq(na, nb);
  double la[9], lb[9], ca[300], cb[300];
  int za[100], zb[100], fa[300], fb[300];
  ck_assert_int_le(na, 100);
  MB_OK_OR_FAIL(mb_structure_lattice(a, la));
  MB_OK_OR_FAIL(mb_structure_lattice(b, lb));
  for (int c = 0; c < 9; c++) ck_assert_double_eq_tol(la[c], lb[c], 1e-12);
  MB_OK_OR_FAIL(mb_structure_positions(a, MB_COORDS_CARTESIAN, ca));
  MB_OK_OR_FAIL(mb_structure_positions(b, MB_COORDS_CARTESIAN, cb));
  MB_OK_OR_FAIL(mb_structure_numbers(a, za));
  MB_OK_OR_FAIL(mb_structure_numbers(b, zb));
  MB_OK_OR_FAIL(mb_structure_selective(a, fa, &ha));
  MB_OK_OR_FAIL(mb_structure_selective(b, fb, &hb));
  ck_assert_int_eq(ha, hb);
  for (int i = 0; i < na; i++) {
    ck_assert_int_eq(za[i], zb[i]);
    for (int c = 0; c < 3; c++) {
      ck_assert_double_eq_tol(ca[3 * i + c], cb[3 * i + c], tol);
      ck_assert_int_eq(fa[3 * i + c], fb[3 * i + c]);
    }
  }
}


static void check_fixture(const char *name) {
  char path[1024], refpath[1100], rel[256];
  snprintf(rel, sizeof rel, "xyz/%s", name);
  mb_test_data(rel, path, sizeof path);
  snprintf(refpath, sizeof refpath, "%s.ref", path);
  ref_structure *refs;
  int n = ref_load(refpath, &refs), count = 0;
  MB_OK_OR_FAIL(mb_structure_count_frames(path, MB_FORMAT_XYZ, &count));
  ck_assert_int_eq(count, n);
  for (int k = 0; k < n; k++) {
    mb_structure *s = NULL;
    MB_OK_OR_FAIL(mb_structure_read_frame(path, MB_FORMAT_AUTO, k, &s));
    assert_matches(s, &refs[k], 1e-12);
    mb_structure_free(s);
  }
  mb_structure *s = NULL;
  ck_assert_int_eq(mb_structure_read_frame(path, MB_FORMAT_XYZ, n, &s), MB_ERR_RANGE);
  ck_assert_ptr_null(s);
  ck_assert_ptr_nonnull(strstr(mb_last_error(), "requested"));
  ref_free(refs, n);
}

/* ---- reading ASE's files ------------------------------------------------ */

/* Three frames; extra R, I and S columns; info keys with quotes, escapes, booleans. */
START_TEST(ase_frames) { check_fixture("frames.xyz"); }
END_TEST

/* move_mask:L:1 that ASE writes for FixAtoms. */
START_TEST(ase_move_mask) { check_fixture("move_mask.xyz"); }
END_TEST

/* move_mask:L:3 that ASE writes for FixCartesian (T = free to move). */
START_TEST(ase_move_mask3) { check_fixture("move_mask3.xyz"); }
END_TEST

START_TEST(no_lattice_is_refused) {
  char path[1024];
  mb_test_data("xyz/no_lattice.xyz", path, sizeof path);
  mb_structure *s = NULL;
  ck_assert_int_eq(mb_structure_read(path, MB_FORMAT_XYZ, &s), MB_ERR_UNSUPPORTED);
  ck_assert_ptr_null(s);
  ck_assert_ptr_nonnull(strstr(mb_last_error(), "no_lattice.xyz:2:"));
  ck_assert_ptr_nonnull(strstr(mb_last_error(), "non-periodic"));
}
END_TEST

/* ---- the writer --------------------------------------------------------- */

static mb_structure *random_structure(unsigned long long seed, int with_flags) {
  unsigned long long st = seed;
  const double lat[9] = {7.1, 0.2, -0.3, 1.3, 6.4, 0.1, -2.2, 0.9, 8.7};
  enum { N = 13 };
  const int z[N] = {3, 3, 26, 8, 8, 3, 15, 8, 8, 26, 26, 1, 92};
  double frac[3 * N];
  int flags[3 * N];
  for (int k = 0; k < 3 * N; k++) {
    frac[k] = 2.4 * mb_test_rand(&st) - 0.7;
    flags[k] = mb_test_rand(&st) < 0.5;
  }
  mb_structure *s = NULL;
  MB_OK_OR_FAIL(mb_structure_create(lat, N, frac, MB_COORDS_FRACTIONAL, z, &s));
  if (with_flags) MB_OK_OR_FAIL(mb_structure_set_selective(s, flags));
  return s;
}

START_TEST(round_trip) {
  for (int with_flags = 0; with_flags < 2; with_flags++) {
    mb_structure *s = random_structure(7 + (unsigned)with_flags, with_flags), *t = NULL;
    char *text;
    size_t size;
    MB_OK_OR_FAIL(mb_structure_write_buffer(s, MB_FORMAT_XYZ, &text, &size));
    ck_assert_int_eq(strncmp(text, "13\nLattice=\"7.0999999999999996 0.2", 34), 0);
    ck_assert_ptr_nonnull(strstr(text, with_flags
                                           ? " Properties=species:S:1:pos:R:3:move_mask:L:3 "
                                             "pbc=\"T T T\"\nLi "
                                           : " Properties=species:S:1:pos:R:3 pbc=\"T T T\"\nLi "));
    MB_OK_OR_FAIL(mb_structure_read_buffer(text, size, MB_FORMAT_XYZ, "rt", 0, &t));
    assert_same(s, t, 1e-8);
    mb_structure_free(t);
    /* Two frames back to back: both read, frame 1 is the same structure. */
    size_t two = 2 * size;
    char *both = malloc(two + 1);
    memcpy(both, text, size);
    memcpy(both + size, text, size + 1);
    MB_OK_OR_FAIL(mb_structure_read_buffer(both, two, MB_FORMAT_XYZ, "rt", 1, &t));
    assert_same(s, t, 1e-8);
    free(both);
    mb_free(text);
    mb_structure_free(s);
    mb_structure_free(t);
  }
}
END_TEST

/* ---- reading details ---------------------------------------------------- */

static mb_structure *read_text(const char *text, int index) {
  mb_structure *s = NULL;
  MB_OK_OR_FAIL(mb_structure_read_buffer(text, strlen(text), MB_FORMAT_XYZ, "t", index, &s));
  return s;
}

START_TEST(comment_line_forms) {
  /* Bare keys, escaped quotes, {} and [] values, blanks around '=', commas in Lattice,
   * keys in another case, CRLF, upper-case species. */
  mb_structure *s = read_text(
      "2\r\n"
      "flag  title=\"say \\\"hi\\\" = x\" lattice = {4, 0, 0, 0, 5, 0, 0, 0, 6} "
      "arr=[1 2 3] PBC=\"T T T\" odd=a\\ b Properties=species:S:1:pos:R:3:f:R:2:n:I:1:b:L:1\r\n"
      "FE 1 2 3 0.5 -1e-3 7 T\r\n"
      "o  0.0 0.0 0.0 1 2 -3 False\r\n",
      0);
  int z[2];
  double lat[9], cart[6];
  MB_OK_OR_FAIL(mb_structure_numbers(s, z));
  ck_assert_int_eq(z[0], 26);
  ck_assert_int_eq(z[1], 8);
  MB_OK_OR_FAIL(mb_structure_lattice(s, lat));
  ck_assert_double_eq(lat[4], 5.0);
  ck_assert_double_eq(lat[8], 6.0);
  MB_OK_OR_FAIL(mb_structure_positions(s, MB_COORDS_CARTESIAN, cart));
  ck_assert_double_eq_tol(cart[1], 2.0, 1e-15);
  ck_assert_double_eq_tol(cart[2], 3.0, 1e-15);
  int has;
  MB_OK_OR_FAIL(mb_structure_selective(s, NULL, &has));
  ck_assert_int_eq(has, 0);
  mb_structure_free(s);
}
END_TEST

START_TEST(z_column_and_move_mask3) {
  /* Z instead of species; move_mask:L:3 before pos; a default Properties frame. */
  const char *text =
      "\n2\nLattice=\"3 0 0 0 3 0 0 0 3\" Properties=Z:I:1:move_mask:L:3:pos:R:3\n"
      "3 T F T 0 0 0\n"
      "8 F F F 1.5 1.5 1.5\n"
      "\n\n"
      "1\nLattice=\"2 0 0 0 2 0 0 0 2\"\nNa 1 1 1\n\n";
  mb_structure *s = read_text(text, 0);
  int z[2], flags[6], has;
  MB_OK_OR_FAIL(mb_structure_numbers(s, z));
  ck_assert_int_eq(z[0], 3);
  ck_assert_int_eq(z[1], 8);
  MB_OK_OR_FAIL(mb_structure_selective(s, flags, &has));
  ck_assert_int_eq(has, 1);
  const int want[6] = {1, 0, 1, 0, 0, 0};
  ck_assert_mem_eq(flags, want, sizeof want);
  mb_structure_free(s);
  s = read_text(text, 1);
  double frac[3];
  MB_OK_OR_FAIL(mb_structure_positions(s, MB_COORDS_FRACTIONAL, frac));
  ck_assert_double_eq_tol(frac[0], 0.5, 1e-15);
  MB_OK_OR_FAIL(mb_structure_numbers(s, z));
  ck_assert_int_eq(z[0], 11);
  mb_structure_free(s);
  s = NULL;
  ck_assert_int_eq(mb_structure_read_buffer(text, strlen(text), MB_FORMAT_XYZ, "t", 2, &s),
                   MB_ERR_RANGE);
  ck_assert_ptr_nonnull(strstr(mb_last_error(), "has 2 frames"));
}
END_TEST

/* ---- errors: status, and the message names the file and line ----------- */

typedef struct bad_case {
  const char *text;
  int index;
  mb_status status;
  const char *where; /* "t:LINE:" */
  const char *what;  /* a word of the message */
} bad_case;

#define LAT "Lattice=\"3 0 0 0 3 0 0 0 3\" "
#define ATOM "H 0 0 0\n"
static const bad_case bad_cases[] = {
    {"", 0, MB_ERR_PARSE, "t:1:", "no frame"},
    {"\n\n", 0, MB_ERR_PARSE, "t:3:", "no frame"},
    {"x\n", 0, MB_ERR_PARSE, "t:1:", "atom count"},
    {"1 2\n", 0, MB_ERR_PARSE, "t:1:", "atom count"},
    {"0\n", 0, MB_ERR_PARSE, "t:1:", "out of range"},
    {"-4\n", 0, MB_ERR_PARSE, "t:1:", "out of range"},
    {"99999999999999999999\n", 0, MB_ERR_PARSE, "t:1:", "atom count"},
    {"1\n", 0, MB_ERR_PARSE, "t:2:", "comment"},
    {"2\n" LAT "\n" ATOM, 0, MB_ERR_PARSE, "t:1:", "2 atoms announced but only 1"},
    {"2000000000\n" LAT "\n" ATOM, 0, MB_ERR_PARSE, "t:1:", "out of range"},
    {"1\nLattice=\"3 0 0 0 3 0 0 0\"\n" ATOM, 0, MB_ERR_PARSE, "t:2:", "9 finite"},
    {"1\nLattice=\"3 0 0 0 3 0 0 0 nan\"\n" ATOM, 0, MB_ERR_PARSE, "t:2:", "9 finite"},
    {"1\nLattice=\"3 0 0 0 3 0 0 0 3 4\"\n" ATOM, 0, MB_ERR_PARSE, "t:2:", "9 finite"},
    {"1\nLattice=\"3 0 0 0 3 0 0 0 3\n" ATOM, 0, MB_ERR_PARSE, "t:2:", "unterminated"},
    {"1\nLattice\n" ATOM, 0, MB_ERR_PARSE, "t:2:", "no value"},
    {"1\n" LAT LAT "\n" ATOM, 0, MB_ERR_PARSE, "t:2:", "twice"},
    {"1\n" LAT "pbc=\"T X T\"\n" ATOM, 0, MB_ERR_PARSE, "t:2:", "pbc"},
    {"1\n" LAT "Properties=species:S:1:pos:X:3\n" ATOM, 0, MB_ERR_PARSE, "t:2:", "type"},
    {"1\n" LAT "Properties=species:S:1:pos:R\n" ATOM, 0, MB_ERR_PARSE, "t:2:", "triples"},
    {"1\n" LAT "Properties=species:S:1:pos:R:0\n" ATOM, 0, MB_ERR_PARSE, "t:2:", "count"},
    {"1\n" LAT "Properties=species:S:1:pos:R:99999999\n" ATOM, 0, MB_ERR_PARSE, "t:2:",
     "count"},
    {"1\n" LAT "Properties=species:S:1:pos:R:2\n" ATOM, 0, MB_ERR_PARSE, "t:2:", "R:3"},
    {"1\n" LAT "Properties=species:S:1\n" ATOM, 0, MB_ERR_PARSE, "t:2:", "pos"},
    {"1\n" LAT "Properties=pos:R:3\n0 0 0\n", 0, MB_ERR_PARSE, "t:2:", "species"},
    {"1\n" LAT "Properties=species:S:1:pos:R:3:pos:R:3\n" ATOM, 0, MB_ERR_PARSE, "t:2:",
     "twice"},
    {"1\n" LAT "Properties=species:S:1:pos:R:3:move_mask:L:2\n" ATOM, 0, MB_ERR_PARSE, "t:2:",
     "move_mask"},
    {"1\n" LAT "\nH 0 0\n", 0, MB_ERR_PARSE, "t:3:", "found 3"},
    {"1\n" LAT "\nH 0 0 0 0\n", 0, MB_ERR_PARSE, "t:3:", "found 5"},
    {"1\n" LAT "\nXx 0 0 0\n", 0, MB_ERR_PARSE, "t:3:", "'Xx'"},
    {"1\n" LAT "\nH 0 y 0\n", 0, MB_ERR_PARSE, "t:3:", "'y'"},
    {"1\n" LAT "\nH 0 NaN 0\n", 0, MB_ERR_PARSE, "t:3:", "finite"},
    {"1\n" LAT "\nH 0 inf 0\n", 0, MB_ERR_PARSE, "t:3:", "finite"},
    {"1\n" LAT "Properties=species:S:1:pos:R:3:move_mask:L:1\nH 0 0 0 X\n", 0, MB_ERR_PARSE,
     "t:3:", "move_mask"},
    {"1\n" LAT "Properties=Z:I:1:pos:R:3\n119 0 0 0\n", 0, MB_ERR_PARSE, "t:3:", "1..118"},
    {"1\n" LAT "Properties=species:S:1:Z:I:1:pos:R:3\nH 2 0 0 0\n", 0, MB_ERR_PARSE, "t:3:",
     "different"},
    {"1\n" LAT "Properties=species:S:1:pos:R:3:e:R:1\nH 0 0 0 x\n", 0, MB_ERR_PARSE, "t:3:",
     "type R"},
    {"1\n" LAT "Properties=species:S:1:pos:R:3:e:I:1\nH 0 0 0 1.5\n", 0, MB_ERR_PARSE, "t:3:",
     "type I"},
    /* frames: a broken frame before the one asked for, and garbage between frames */
    {"2\n" LAT "\n" ATOM, 1, MB_ERR_PARSE, "t:4:", "1 of its 2"},
    {"1\n" LAT "\n" ATOM "junk\n1\n" LAT "\n" ATOM, 1, MB_ERR_PARSE, "t:4:", "'junk'"},
    /* no Lattice: unsupported, not malformed */
    {"1\nProperties=species:S:1:pos:R:3\n" ATOM, 0, MB_ERR_UNSUPPORTED, "t:2:", "Lattice"},
    /* degenerate lattice: the structure's own error, with the place of the comment line */
    {"1\nLattice=\"1 0 0 2 0 0 0 0 1\"\n" ATOM, 0, MB_ERR_GEOMETRY, "t:2:", "volume"},
};

START_TEST(errors_name_the_line) {
  const bad_case *c = &bad_cases[_i];
  mb_structure *s = NULL;
  mb_status st = mb_structure_read_buffer(c->text, strlen(c->text), MB_FORMAT_XYZ, "t",
                                          c->index, &s);
  ck_assert_msg(st == c->status, "case %d: status %d, expected %d (%s)", _i, (int)st,
                (int)c->status, mb_last_error());
  ck_assert_ptr_null(s);
  ck_assert_msg(strncmp(mb_last_error(), c->where, strlen(c->where)) == 0,
                "case %d: message '%s' should start with '%s'", _i, mb_last_error(), c->where);
  ck_assert_msg(strstr(mb_last_error(), c->what) != NULL,
                "case %d: message '%s' should mention '%s'", _i, mb_last_error(), c->what);
}
END_TEST

START_TEST(arbitrary_bytes) {
  const char text[] = "1\n" LAT "\nH\0 0 0 0\n";
  mb_structure *s = NULL;
  /* a NUL separates tokens like a blank: this is a valid atom line */
  MB_OK_OR_FAIL(mb_structure_read_buffer(text, sizeof text - 1, MB_FORMAT_XYZ, "t", 0, &s));
  mb_structure_free(s);
  s = NULL;
  const char high[] = "1\n" LAT "\n\xff\xfe 0 0 0\n";
  ck_assert_int_eq(mb_structure_read_buffer(high, sizeof high - 1, MB_FORMAT_XYZ, "t", 0, &s),
                   MB_ERR_PARSE);
  ck_assert_ptr_null(s);
}
END_TEST

static Suite *xyz_suite(void) {
  Suite *s = suite_create("io_xyz");
  TCase *tc = tcase_create("xyz");
  tcase_add_test(tc, ase_frames);
  tcase_add_test(tc, ase_move_mask);
  tcase_add_test(tc, ase_move_mask3);
  tcase_add_test(tc, no_lattice_is_refused);
  tcase_add_test(tc, round_trip);
  tcase_add_test(tc, comment_line_forms);
  tcase_add_test(tc, z_column_and_move_mask3);
  tcase_add_loop_test(tc, errors_name_the_line, 0,
                      (int)(sizeof bad_cases / sizeof bad_cases[0]));
  tcase_add_test(tc, arbitrary_bytes);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) { return mb_run_suite(xyz_suite()); }
