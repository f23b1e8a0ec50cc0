/* JSON ("atoms" layout) reading and writing.
 *
 * References: values of tests/data/json/em_entry7.json and of
 * $MB_SHARED_DATA/em/train.json as Python's json module reads them (printed by
 * tests/data/json/make_fixtures.py). JSON numbers are read with strtod, so they must
 * match exactly. */
#include <math.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../testutil.h"

static mb_status read_text(const char *text, int index, mb_structure **s) {
  *s = NULL;
  return mb_structure_read_buffer(text, strlen(text), MB_FORMAT_JSON, "t.json", index, s);
}

static void check_atom(const mb_structure *s, int i, const char *sym, const double f[3]) {
  const char *got;
  MB_OK_OR_FAIL(mb_structure_symbol(s, i, &got));
  ck_assert_str_eq(got, sym);
  int n;
  MB_OK_OR_FAIL(mb_structure_natoms(s, &n));
  double *p = malloc(sizeof(double) * 3 * (size_t)n);
  MB_OK_OR_FAIL(mb_structure_positions(s, MB_COORDS_FRACTIONAL, p));
  for (int k = 0; k < 3; k++) ck_assert_double_eq(p[3 * i + k], f[k]);
  free(p);
}

/* Entry 7 of em/train.json (33 atoms, e-VOPO4_Na_1), the entry object as a fixture. */
START_TEST(dataset_entry_fixture) {
  char path[1024];
  mb_structure *s = NULL;
  MB_OK_OR_FAIL(mb_structure_read(mb_test_data("json/em_entry7.json", path, sizeof path),
                                  MB_FORMAT_AUTO, &s));
  int n;
  MB_OK_OR_FAIL(mb_structure_natoms(s, &n));
  ck_assert_int_eq(n, 33);
  static const double f0[3] = {0.5, -0.5, 0.5};
  static const double flast[3] = {0.9504561254108737, 0.7602040792664297, 0.855489865073892};
  check_atom(s, 0, "Na", f0);
  check_atom(s, 32, "O", flast);
  double lat[9];
  MB_OK_OR_FAIL(mb_structure_lattice(s, lat));
  ck_assert_double_eq(lat[0], 6.407468971388442);
  ck_assert_double_eq(lat[1], 0.000290285468062);
  ck_assert_double_eq(lat[2], -3.4487104279997616);
  char formula[64];
  MB_OK_OR_FAIL(mb_structure_formula(s, 0, formula, sizeof formula));
  ck_assert_str_eq(formula, "Na5O20P4V4");
  mb_structure_free(s);
  MB_OK_OR_FAIL(mb_structure_count_frames(path, MB_FORMAT_JSON, &n));
  ck_assert_int_eq(n, 1);
  ck_assert_int_eq(mb_structure_read_frame(path, MB_FORMAT_JSON, 1, &s), MB_ERR_RANGE);
}
END_TEST

/* The whole training set when ../shared/data is there (skipped, and passing, when it is
 * not; failing with a message when it is there but cannot be read). */
START_TEST(dataset_train_json) {
  const char *dir = getenv("MB_SHARED_DATA");
  char path[1024];
  snprintf(path, sizeof path, "%s/em/train.json", dir ? dir : "");
  if (!dir || access(path, F_OK) != 0) {
    fprintf(stderr, "dataset_train_json: %s not found, skipped\n", path);
    return;
  }
  int n = 0;
  MB_OK_OR_FAIL(mb_structure_count_frames(path, MB_FORMAT_JSON, &n));
  ck_assert_int_eq(n, 559);
  mb_structure *s = NULL;
  clock_t t0 = clock();
  MB_OK_OR_FAIL(mb_structure_read_frame(path, MB_FORMAT_JSON, 0, &s));
  MB_OK_OR_FAIL(mb_structure_natoms(s, &n));
  ck_assert_int_eq(n, 211);
  static const double a0[3] = {0.0907102564727791, 0.6686682662579574, 0.6893592424567893};
  static const double a210[3] = {0.8998030661106216, 0.8414316526269807, 0.5196021622587619};
  check_atom(s, 0, "Li", a0);
  check_atom(s, 210, "S", a210);
  double lat[9];
  MB_OK_OR_FAIL(mb_structure_lattice(s, lat));
  ck_assert_double_eq(lat[0], 22.446709604541358);
  ck_assert_double_eq(lat[2], -0.2871351755597556);
  mb_structure_free(s);
  MB_OK_OR_FAIL(mb_structure_read_frame(path, MB_FORMAT_JSON, 558, &s));
  fprintf(stderr, "dataset_train_json: entries 0 and 558 read in %.1f ms\n",
          1e3 * (double)(clock() - t0) / CLOCKS_PER_SEC);
  MB_OK_OR_FAIL(mb_structure_natoms(s, &n));
  ck_assert_int_eq(n, 99);
  static const double b0[3] = {0.3170000000000001, 0.498, 0.624};
  static const double b98[3] = {0.9103000000000001, 0.9606, 0.6308};
  check_atom(s, 0, "Li", b0);
  check_atom(s, 98, "O", b98);
  MB_OK_OR_FAIL(mb_structure_lattice(s, lat));
  ck_assert_double_eq(lat[0], 10.320509009912165);
  ck_assert_double_eq(lat[2], -0.2442976387970554);
  mb_structure_free(s);
  s = NULL;
  ck_assert_int_eq(mb_structure_read_frame(path, MB_FORMAT_JSON, 559, &s), MB_ERR_RANGE);
  ck_assert_ptr_nonnull(strstr(mb_last_error(), "559"));
}
END_TEST

#define ATOMS "{\"lattice_mat\": [[4,0,0],[0,4,0],[0,0,4]], \"coords\": [[0,0,0],[0.5,0.5,0.5]], " \
              "\"elements\": [\"Li\", \"F\"], \"cartesian\": false}"

START_TEST(layouts) {
  mb_structure *s;
  int n;
  static const double half[3] = {0.5, 0.5, 0.5};
  MB_OK_OR_FAIL(read_text(ATOMS, 0, &s));
  check_atom(s, 1, "F", half);
  mb_structure_free(s);
  MB_OK_OR_FAIL(read_text("{\"jid\": 3, \"atoms\": " ATOMS ", \"target\": 1.5}", 0, &s));
  check_atom(s, 1, "F", half);
  mb_structure_free(s);
  const char *array = "[\n{\"atoms\": " ATOMS "},\n"
                      "{\"lattice_mat\": [[2,0,0],[0,2,0],[0,0,2]], \"coords\": [[1,1,1]],\n"
                      " \"elements\": [\"Mg\"], \"cartesian\": true}\n]\n";
  MB_OK_OR_FAIL(read_text(array, 1, &s));
  MB_OK_OR_FAIL(mb_structure_natoms(s, &n));
  ck_assert_int_eq(n, 1);
  check_atom(s, 0, "Mg", half); /* Cartesian (1,1,1) in a 2 A cube */
  mb_structure_free(s);
  /* Counting goes through a file. */
  char path[] = "/tmp/mb_test_io_json_XXXXXX";
  int fd = mkstemp(path);
  ck_assert_int_ge(fd, 0);
  ck_assert_int_eq(write(fd, array, strlen(array)), (ssize_t)strlen(array));
  close(fd);
  MB_OK_OR_FAIL(mb_structure_count_frames(path, MB_FORMAT_JSON, &n));
  ck_assert_int_eq(n, 2);
  unlink(path);
  ck_assert_int_eq(read_text(array, 2, &s), MB_ERR_RANGE);
  ck_assert_ptr_null(s);
  ck_assert_int_eq(read_text("[]", 0, &s), MB_ERR_RANGE);
}
END_TEST

START_TEST(round_trip_is_exact) {
  unsigned long long seed = 99;
  for (int trial = 0; trial < 10; trial++) {
    double L[9], f[30];
    int z[10], n = 1 + trial;
    for (int k = 0; k < 9; k++)
      L[k] = (k % 4 == 0 ? 5.0 : 0.0) + (mb_test_rand(&seed) - 0.5) * (trial ? 1.0 : 1e-300);
    for (int k = 0; k < 3 * n; k++) f[k] = (mb_test_rand(&seed) - 0.3) * 1.7;
    for (int i = 0; i < n; i++) z[i] = 1 + (i * 37 + trial) % 118;
    mb_structure *s = NULL, *r = NULL;
    MB_OK_OR_FAIL(mb_structure_create(L, n, f, MB_COORDS_FRACTIONAL, z, &s));
    char *text;
    size_t size;
    MB_OK_OR_FAIL(mb_structure_write_buffer(s, MB_FORMAT_JSON, &text, &size));
    MB_OK_OR_FAIL(mb_structure_read_buffer(text, size, MB_FORMAT_JSON, "rt.json", 0, &r));
    ck_assert_ptr_nonnull(strstr(text, "\"cartesian\": false\n}"));
    mb_free(text);
    double L2[9], f2[30];
    int z2[10];
    MB_OK_OR_FAIL(mb_structure_lattice(r, L2));
    MB_OK_OR_FAIL(mb_structure_positions(r, MB_COORDS_FRACTIONAL, f2));
    MB_OK_OR_FAIL(mb_structure_numbers(r, z2));
    ck_assert_mem_eq(L2, L, sizeof L);
    ck_assert_mem_eq(f2, f, sizeof(double) * 3 * (size_t)n);
    ck_assert_mem_eq(z2, z, sizeof(int) * (size_t)n);
    mb_structure_free(s);
    mb_structure_free(r);
  }
}
END_TEST

static void expect_error(const char *text, int index, mb_status want, const char *where) {
  mb_structure *s = NULL;
  mb_status st = read_text(text, index, &s);
  ck_assert_msg(st == want, "status %d, expected %d (%s)", st, want, mb_last_error());
  ck_assert_ptr_null(s);
  ck_assert_msg(strstr(mb_last_error(), where), "'%s' not in '%s'", where, mb_last_error());
}

START_TEST(errors_say_where) {
  expect_error("", 0, MB_ERR_PARSE, "t.json:1: empty JSON file");
  expect_error("\n\n 42", 0, MB_ERR_PARSE, "t.json:3: expected a JSON object or array");
  expect_error("{\n\"lattice_mat\": [[4,0,0],\n[0,4,0],\n[0,0,4]] \"coords\": []}", 0,
               MB_ERR_PARSE, "t.json:4: JSON syntax error near '\"coords\"");
  expect_error("[\n" ATOMS ",\n" ATOMS "\n" ATOMS "]", 0, MB_ERR_PARSE,
               "t.json:4: expected ',' or ']' after entry 1");
  expect_error("[" ATOMS ",\n{\"atoms\": {", 0, MB_ERR_PARSE, "t.json:2: entry 1 does not end");
  expect_error(ATOMS "\n x", 0, MB_ERR_PARSE, "t.json:2: unexpected text");
  const char *mismatch = "[" ATOMS ",\n{\"atoms\": {\"lattice_mat\": [[4,0,0],[0,4,0],[0,0,4]],\n"
                         "  \"coords\": [[0,0,0],[0.5,0.5,0.5],[0,0,0.5]],\n"
                         "  \"elements\": [\"Li\", \"F\", \"O\", \"O\"]}}]";
  expect_error(mismatch, 1, MB_ERR_PARSE,
               "t.json:4: entry 1: 'coords' has 3 rows but 'elements' has 4");
  mb_structure *ok = NULL; /* entry 0 is fine whatever entry 1 holds */
  MB_OK_OR_FAIL(read_text(mismatch, 0, &ok));
  mb_structure_free(ok);
  expect_error("{\"lattice_mat\": [[4,0,0],[0,4,0],[0,0,4]],\n \"coords\": [[0,0]],\n"
               " \"elements\": [\"Li\"]}", 0, MB_ERR_PARSE,
               "t.json:2: 'coords' row 0 must have 3 numbers");
  expect_error("{\"lattice_mat\": [[4,0,0],[0,4,0],[0,0,4],[1,1,1]],\n \"coords\": [[0,0,0]],\n"
               " \"elements\": [\"Li\"]}", 0, MB_ERR_PARSE,
               "t.json:1: 'lattice_mat' has more than 3 rows");
  expect_error("{\"lattice_mat\": [[4,0,0],[0,4,0],[0,0,4]],\n \"coords\": [[0,\"a\",0]],\n"
               " \"elements\": [\"Li\"]}", 0, MB_ERR_PARSE,
               "t.json:2: 'coords' row 0: value 1 is not a finite number");
  expect_error("{\"lattice_mat\": [[4,0,0],[0,4,0],[0,0,4]],\n \"coords\": [[0,0,0]],\n"
               " \"elements\": [\"Xx\"]}", 0, MB_ERR_PARSE,
               "t.json:3: element 0 (Xx) is not a chemical symbol");
  expect_error("{\"coords\": [[0,0,0]], \"elements\": [\"Li\"]}", 0, MB_ERR_PARSE,
               "no 'lattice_mat' member");
  expect_error("{\"lattice_mat\": [[4,0,0],[0,4,0],[0,0,4]], \"coords\": [], \"elements\": []}",
               0, MB_ERR_PARSE, "no atoms");
  expect_error("{\"lattice_mat\": [[4,0,0],[0,4,0],[0,0,4]], \"coords\": [[0,0,0]], "
               "\"elements\": [\"Li\"], \"cartesian\": 0}", 0, MB_ERR_PARSE,
               "'cartesian' must be true or false");
  expect_error("[1]", 0, MB_ERR_PARSE, "t.json:1: entry 0: expected a JSON object");
  expect_error("{\"atoms\": [1]}", 0, MB_ERR_PARSE, "'atoms' is not an object");
  expect_error("{\"lattice_mat\": [[4,0,0],[8,0,0],[0,0,4]], \"coords\": [[0,0,0]], "
               "\"elements\": [\"Li\"]}", 0, MB_ERR_GEOMETRY, "t.json:1:");
  expect_error("{\"lattice_mat\": [[1e999,0,0],[0,4,0],[0,0,4]], \"coords\": [[0,0,0]], "
               "\"elements\": [\"Li\"]}", 0, MB_ERR_PARSE, "not a finite number");
}
END_TEST

int main(void) {
  Suite *s = suite_create("io_json");
  TCase *tc = tcase_create("io_json");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, dataset_entry_fixture);
  tcase_add_test(tc, dataset_train_json);
  tcase_add_test(tc, layouts);
  tcase_add_test(tc, round_trip_is_exact);
  tcase_add_test(tc, errors_say_where);
  suite_add_tcase(s, tc);
  return mb_run_suite(s);
}
