/* POSCAR/CONTCAR reader and writer.
 * References: fixtures written by ASE 3.22.1 (Debian python3-ase) with
 * tests/data/poscar/make_fixtures.py, which stores beside each file (*.ref) the lattice,
 * species, Cartesian positions and selective flags that ASE reads back from it, or, for
 * the scale-line forms ASE 3.22 cannot read (negative volume, three factors), the
 * structure the file was made from. Tolerances: 1e-9 A against the references (the
 * files hold 16 decimals), 1e-8 A for write/read round trips. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../refutil.h"

static void check_fixture(const char *name) {
  char path[1024], refpath[1100], rel[256];
  snprintf(rel, sizeof rel, "poscar/%s", name);
  mb_test_data(rel, path, sizeof path);
  snprintf(refpath, sizeof refpath, "%s.ref", path);
  ref_structure *refs;
  int n = ref_load(refpath, &refs);
  ck_assert_int_eq(n, 1);
  mb_structure *s = NULL;
  MB_OK_OR_FAIL(mb_structure_read(path, MB_FORMAT_POSCAR, &s));
  assert_matches(s, &refs[0], 1e-9);
  /* The format is also found from the *.vasp name. */
  mb_structure *t = NULL;
  MB_OK_OR_FAIL(mb_structure_read(path, MB_FORMAT_AUTO, &t));
  assert_matches(t, &refs[0], 1e-9);
  mb_structure_free(t);
  mb_structure_free(s);
  ref_free(refs, n);
}

/* ---- reading ASE's files ------------------------------------------------ */

START_TEST(ase_direct) { check_fixture("nacl_direct.vasp"); }
END_TEST

START_TEST(ase_cartesian_selective) { check_fixture("triclinic_cart_sd.vasp"); }
END_TEST

START_TEST(ase_vasp4_species_on_comment_line) { check_fixture("vasp4_comment_species.vasp"); }
END_TEST

START_TEST(scale_factor_cartesian) { check_fixture("scale_cartesian.vasp"); }
END_TEST

START_TEST(scale_negative_volume) { check_fixture("scale_volume.vasp"); }
END_TEST

START_TEST(scale_three_factors) { check_fixture("scale_xyz.vasp"); }
END_TEST

START_TEST(count_and_index) {
  char path[1024];
  mb_test_data("poscar/nacl_direct.vasp", path, sizeof path);
  int count = 0;
  MB_OK_OR_FAIL(mb_structure_count_frames(path, MB_FORMAT_POSCAR, &count));
  ck_assert_int_eq(count, 1);
  mb_structure *s = NULL;
  ck_assert_int_eq(mb_structure_read_frame(path, MB_FORMAT_POSCAR, 1, &s), MB_ERR_RANGE);
  ck_assert_ptr_null(s);
  ck_assert_ptr_nonnull(strstr(mb_last_error(), "one structure"));
}
END_TEST

/* ---- the writer --------------------------------------------------------- */

/* Reading ASE's file and writing it again gives ASE's text, line for line (but the
 * comment: ASE writes the species runs there, libmigbar the formula). */
START_TEST(writer_matches_ase_text) {
  char path[1024];
  mb_test_data("poscar/nacl_direct.vasp", path, sizeof path);
  FILE *fp = fopen(path, "rb");
  ck_assert_ptr_nonnull(fp);
  static char ase_text[65536];
  size_t n = fread(ase_text, 1, sizeof ase_text - 1, fp);
  ase_text[n] = '\0';
  fclose(fp);
  mb_structure *s = NULL;
  MB_OK_OR_FAIL(mb_structure_read(path, MB_FORMAT_POSCAR, &s));
  char *text;
  size_t size;
  MB_OK_OR_FAIL(mb_structure_write_buffer(s, MB_FORMAT_POSCAR, &text, &size));
  ck_assert_uint_eq(strlen(text), size);
  ck_assert_str_eq(strchr(text, '\n'), strchr(ase_text, '\n'));
  ck_assert_int_eq(strncmp(text, "Cl4Na4\n", 7), 0);
  mb_free(text);
  mb_structure_free(s);
}
END_TEST

/* A random triclinic cell, species in non-consecutive runs, optional flags. */
static mb_structure *random_structure(unsigned long long seed, int with_flags) {
  unsigned long long st = seed;
  const double lat[9] = {7.1, 0.2, -0.3, 1.3, 6.4, 0.1, -2.2, 0.9, 8.7};
  enum { N = 13 };
  const int z[N] = {3, 3, 26, 8, 8, 3, 15, 8, 8, 26, 26, 1, 92};
  double frac[3 * N];
  int flags[3 * N];
  for (int k = 0; k < 3 * N; k++) {
    frac[k] = 2.4 * mb_test_rand(&st) - 0.7; /* also outside [0, 1) */
    flags[k] = mb_test_rand(&st) < 0.5;
  }
  mb_structure *s = NULL;
  MB_OK_OR_FAIL(mb_structure_create(lat, N, frac, MB_COORDS_FRACTIONAL, z, &s));
  if (with_flags) MB_OK_OR_FAIL(mb_structure_set_selective(s, flags));
  return s;
}

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

START_TEST(round_trip) {
  for (int with_flags = 0; with_flags < 2; with_flags++) {
    mb_structure *s = random_structure(42 + (unsigned)with_flags, with_flags), *t = NULL;
    char *text;
    size_t size;
    MB_OK_OR_FAIL(mb_structure_write_buffer(s, MB_FORMAT_POSCAR, &text, &size));
    /* Species in runs, in atom order, as ASE writes them. */
    ck_assert_ptr_nonnull(strstr(text, "\n Li  Fe  O   Li  P   O   Fe  H   U  \n"));
    ck_assert_ptr_nonnull(strstr(text, "\n   2   1   2   1   1   2   2   1   1\n"));
    ck_assert_int_eq(strstr(text, "\nSelective dynamics\nDirect\n") != NULL, with_flags);
    MB_OK_OR_FAIL(mb_structure_read_buffer(text, size, MB_FORMAT_POSCAR, "rt", 0, &t));
    assert_same(s, t, 1e-8);
    mb_free(text);
    mb_structure_free(s);
    mb_structure_free(t);
  }
}
END_TEST

/* ---- reading details ---------------------------------------------------- */

static mb_structure *read_text(const char *text) {
  mb_structure *s = NULL;
  MB_OK_OR_FAIL(mb_structure_read_buffer(text, strlen(text), MB_FORMAT_POSCAR, "t", 0, &s));
  return s;
}

START_TEST(potcar_names_flags_labels_velocities) {
  /* POTCAR-style species, lower-case selective line, Fortran logicals, site labels,
   * a comment after the counts, CRLF endings, then a velocity block to ignore. */
  mb_structure *s = read_text(
      "Fe Li O\r\n 2.0\r\n 2 0 0\r\n 0 2 0\r\n 0 0 2\r\n"
      " Fe_pv  Li_sv  O/PAW_PBE\r\n 1 1 1 ! counts\r\n"
      "selective dynamics\r\n direct\r\n"
      " 0.0 0.0 0.0 T F t Fe1\r\n 0.5 0.5 0.5 .FALSE. .TRUE. .F. Li1\r\n"
      " 0.25 0.5 0.75 F F F\r\n\r\n 0.1 0.2 0.3\r\n 0 0 0\r\n 0 0 0\r\n");
  int z[3], flags[9], has;
  double cart[9], lat[9];
  MB_OK_OR_FAIL(mb_structure_numbers(s, z));
  ck_assert_int_eq(z[0], 26);
  ck_assert_int_eq(z[1], 3);
  ck_assert_int_eq(z[2], 8);
  MB_OK_OR_FAIL(mb_structure_lattice(s, lat));
  ck_assert_double_eq_tol(lat[0], 4.0, 1e-15);
  ck_assert_double_eq_tol(lat[8], 4.0, 1e-15);
  MB_OK_OR_FAIL(mb_structure_positions(s, MB_COORDS_CARTESIAN, cart));
  ck_assert_double_eq_tol(cart[3], 2.0, 1e-15);   /* direct: not multiplied by the scale */
  ck_assert_double_eq_tol(cart[8], 3.0, 1e-15);
  MB_OK_OR_FAIL(mb_structure_selective(s, flags, &has));
  ck_assert_int_eq(has, 1);
  const int want[9] = {1, 0, 1, 0, 1, 0, 0, 0, 0};
  ck_assert_mem_eq(flags, want, sizeof want);
  mb_structure_free(s);
}
END_TEST

START_TEST(cartesian_scaled) {
  /* "K" also means Cartesian; Cartesian positions are multiplied by the scale. */
  mb_structure *s = read_text("c\n1.5\n2 0 0\n0 2 0\n0 0 2\nNa\n1\nK\n1 1 0.5\n");
  double cart[3], frac[3];
  MB_OK_OR_FAIL(mb_structure_positions(s, MB_COORDS_CARTESIAN, cart));
  MB_OK_OR_FAIL(mb_structure_positions(s, MB_COORDS_FRACTIONAL, frac));
  ck_assert_double_eq_tol(cart[0], 1.5, 1e-15);
  ck_assert_double_eq_tol(cart[2], 0.75, 1e-15);
  ck_assert_double_eq_tol(frac[0], 0.5, 1e-15);
  ck_assert_double_eq_tol(frac[2], 0.25, 1e-15);
  int has;
  MB_OK_OR_FAIL(mb_structure_selective(s, NULL, &has));
  ck_assert_int_eq(has, 0);
  mb_structure_free(s);
}
END_TEST

START_TEST(negative_scale_is_volume) {
  /* -27 on a 1x2x4 cell (volume 8): factor 1.5, volume 27. */
  mb_structure *s = read_text("c\n-27\n1 0 0\n0 2 0\n0 0 4\nLi\n1\nCartesian\n1 1 1\n");
  double vol, cart[3];
  MB_OK_OR_FAIL(mb_structure_volume(s, &vol));
  ck_assert_double_eq_tol(vol, 27.0, 1e-12);
  MB_OK_OR_FAIL(mb_structure_positions(s, MB_COORDS_CARTESIAN, cart));
  ck_assert_double_eq_tol(cart[1], 1.5, 1e-14);
  mb_structure_free(s);
}
END_TEST

/* ---- errors: status, and the message names the file and line ----------- */

typedef struct bad_case {
  const char *text;
  mb_status status;
  const char *where; /* "t:LINE:" */
  const char *what;  /* a word of the message */
} bad_case;

#define HEAD "c\n1.0\n3 0 0\n0 3 0\n0 0 3\n"
static const bad_case bad_cases[] = {
    {"", MB_ERR_PARSE, "t:1:", "comment"},
    {"comment only\n", MB_ERR_PARSE, "t:2:", "scale"},
    {"c\nabc\n", MB_ERR_PARSE, "t:2:", "scale"},
    {"c\n0\n", MB_ERR_PARSE, "t:2:", "zero"},
    {"c\n1 2\n", MB_ERR_PARSE, "t:2:", "found 2"},
    {"c\n1 -2 3\n", MB_ERR_PARSE, "t:2:", "positive"},
    {"c\nnan\n", MB_ERR_PARSE, "t:2:", "scale"},
    {"c\n1\n1 0\n", MB_ERR_PARSE, "t:3:", "three numbers"},
    {"c\n1\n1 0 0\n0 1 nan\n", MB_ERR_PARSE, "t:4:", "not a finite number"},
    {"c\n1\n1 0 0\n0 1 0\n0 0 inf\n", MB_ERR_PARSE, "t:5:", "lattice"},
    {"c\n1\n1 0 0\n0 1 0\n", MB_ERR_PARSE, "t:5:", "lattice"},
    {"c\n1e300\n1e300 0 0\n0 1 0\n0 0 1\n", MB_ERR_PARSE, "t:2:", "overflow"},
    {"c\n-10\n1 0 0\n2 0 0\n0 0 1\n", MB_ERR_PARSE, "t:2:", "volume"},
    {HEAD, MB_ERR_PARSE, "t:6:", "species"},
    {HEAD "\n", MB_ERR_PARSE, "t:6:", "blank"},
    {HEAD "Xx O\n1 1\n", MB_ERR_PARSE, "t:6:", "'Xx'"},
    {HEAD "Na Cl\n", MB_ERR_PARSE, "t:7:", "counts"},
    {HEAD "Na Cl\n1\n", MB_ERR_PARSE, "t:7:", "2 species named but 1"},
    {HEAD "Na\n1 1\n", MB_ERR_PARSE, "t:7:", "more atom counts"},
    {HEAD "Na Cl\n1 a\n", MB_ERR_PARSE, "t:7:", "'a'"},
    {HEAD "Na\n-1\n", MB_ERR_PARSE, "t:7:", "out of range"},
    {HEAD "Na\n0\n", MB_ERR_PARSE, "t:7:", "no atoms"},
    {HEAD "Na\n99999999999\n", MB_ERR_PARSE, "t:7:", "out of range"},
    {HEAD "Na\n100000000\nDirect\n0 0 0\n", MB_ERR_PARSE, "t:7:", "lines left"},
    {HEAD "Na\n1\n", MB_ERR_PARSE, "t:7:", "0 lines left"},
    {HEAD "Na\n1\n0 0 0\n", MB_ERR_PARSE, "t:8:", "Direct"},
    {HEAD "Na\n1\nFoo\n0 0 0\n", MB_ERR_PARSE, "t:8:", "Direct"},
    {HEAD "Na\n1\nSelective\nFoo\n0 0 0 T T T\n", MB_ERR_PARSE, "t:9:", "Cartesian"},
    {HEAD "Na\n2\nDirect\n0 0 0\n", MB_ERR_PARSE, "t:8:", "only 1 lines"},
    {HEAD "Na\n1\nDirect\n0 0 x\n", MB_ERR_PARSE, "t:9:", "'x'"},
    {HEAD "Na\n1\nDirect\n0 0\n", MB_ERR_PARSE, "t:9:", "three coordinates"},
    {HEAD "Na\n1\nDirect\n0 0 NaN\n", MB_ERR_PARSE, "t:9:", "finite"},
    {HEAD "Na\n1\nDirect\n0 0 1e999\n", MB_ERR_PARSE, "t:9:", "finite"},
    {"c\n1e200\n1 0 0\n0 1 0\n0 0 1\nNa\n1\nCartesian\n0 0 1e200\n", MB_ERR_PARSE, "t:9:",
     "overflow"},
    {HEAD "Na\n1\nSelective dynamics\nDirect\n0 0 0 T T\n", MB_ERR_PARSE, "t:10:", "T/F"},
    {HEAD "Na\n1\nSelective dynamics\nDirect\n0 0 0 T X T\n", MB_ERR_PARSE, "t:10:", "T/F"},
    /* VASP 4 without species on the comment line */
    {"LiFePO4 relaxed\n1\n3 0 0\n0 3 0\n0 0 3\n1 1\nDirect\n0 0 0\n.5 .5 .5\n", MB_ERR_PARSE,
     "t:6:", "species names are needed"},
    {"Na\n1\n3 0 0\n0 3 0\n0 0 3\n1 1\nDirect\n0 0 0\n.5 .5 .5\n", MB_ERR_PARSE, "t:6:",
     "VASP 4"},
    /* degenerate lattice: the structure's own error, with the place of the lattice */
    {"c\n1\n1 0 0\n2 0 0\n0 0 1\nNa\n1\nDirect\n0 0 0\n", MB_ERR_GEOMETRY, "t:3:", "volume"},
};

START_TEST(errors_name_the_line) {
  const bad_case *c = &bad_cases[_i];
  mb_structure *s = NULL;
  mb_status st = mb_structure_read_buffer(c->text, strlen(c->text), MB_FORMAT_POSCAR, "t",
                                          0, &s);
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
  /* NUL bytes and high bytes inside the data: an error, never a crash. */
  const char text[] = HEAD "N\0a\n1\nDirect\n0 0 0\n";
  mb_structure *s = NULL;
  ck_assert_int_eq(mb_structure_read_buffer(text, sizeof text - 1, MB_FORMAT_POSCAR, "t", 0, &s),
                   MB_ERR_PARSE);
  const char high[] = HEAD "\xff\xfe\n1\nDirect\n0 0 0\n";
  ck_assert_int_eq(mb_structure_read_buffer(high, sizeof high - 1, MB_FORMAT_POSCAR, "t", 0, &s),
                   MB_ERR_PARSE);
  ck_assert_ptr_null(s);
}
END_TEST

/* Issue 12: /dev/zero and huge files were read whole. A file is read up to
 * MB_TEXT_FILE_LIMIT (a larger regular file refused before reading) and up to its
 * first NUL byte. */
START_TEST(bounded_reads) {
  mb_structure *s = NULL;
  ck_assert_int_eq(mb_structure_read("/dev/zero", MB_FORMAT_POSCAR, &s), MB_ERR_PARSE);
  ck_assert_msg(strstr(mb_last_error(), "/dev/zero:1: a NUL byte at byte 0"), "%s",
                mb_last_error());
  char path[64];
  snprintf(path, sizeof path, "/tmp/mb_test_bounded_%ld.vasp", (long)getpid());
  FILE *f = fopen(path, "w");
  ck_assert_ptr_nonnull(f);
  fputs(HEAD "Na\n1\nDirect\n0 0 0\n", f);
  fclose(f);
  MB_OK_OR_FAIL(mb_structure_read(path, MB_FORMAT_AUTO, &s));
  mb_structure_free(s);
  s = NULL;
  ck_assert_int_eq(truncate(path, (off_t)MB_TEXT_FILE_LIMIT + 1), 0); /* sparse */
  ck_assert_int_eq(mb_structure_read(path, MB_FORMAT_AUTO, &s), MB_ERR_RANGE);
  ck_assert_msg(strstr(mb_last_error(), "larger than the limit of 256 MiB"), "%s",
                mb_last_error());
  ck_assert_msg(strstr(mb_last_error(), path), "%s", mb_last_error());
  ck_assert_int_eq(truncate(path, 200), 0); /* NULs after the 9 lines */
  ck_assert_int_eq(mb_structure_read(path, MB_FORMAT_AUTO, &s), MB_ERR_PARSE);
  ck_assert_msg(strstr(mb_last_error(), ":10: a NUL byte at byte 42"), "%s", mb_last_error());
  ck_assert_ptr_null(s);
  unlink(path);
}
END_TEST

static Suite *poscar_suite(void) {
  Suite *s = suite_create("io_poscar");
  TCase *tc = tcase_create("poscar");
  tcase_add_test(tc, ase_direct);
  tcase_add_test(tc, ase_cartesian_selective);
  tcase_add_test(tc, ase_vasp4_species_on_comment_line);
  tcase_add_test(tc, scale_factor_cartesian);
  tcase_add_test(tc, scale_negative_volume);
  tcase_add_test(tc, scale_three_factors);
  tcase_add_test(tc, count_and_index);
  tcase_add_test(tc, writer_matches_ase_text);
  tcase_add_test(tc, round_trip);
  tcase_add_test(tc, potcar_names_flags_labels_velocities);
  tcase_add_test(tc, cartesian_scaled);
  tcase_add_test(tc, negative_scale_is_volume);
  tcase_add_loop_test(tc, errors_name_the_line, 0,
                      (int)(sizeof bad_cases / sizeof bad_cases[0]));
  tcase_add_test(tc, arbitrary_bytes);
  tcase_add_test(tc, bounded_reads);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) { return mb_run_suite(poscar_suite()); }
