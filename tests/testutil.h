/* Helpers shared by the Check suites. */
#ifndef MB_TESTUTIL_H
#define MB_TESTUTIL_H

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "migbar.h"

/* Assert a call succeeds, printing the library's message when it does not. */
#define MB_OK_OR_FAIL(call)                                                      \
  do {                                                                           \
    mb_status st_ = (call);                                                      \
    ck_assert_msg(st_ == MB_OK, "%s -> %d (%s): %s", #call, (int)st_,            \
                  mb_strerror(st_), mb_last_error());                            \
  } while (0)

/* Path of a test data file (tests/data) in a static per-call buffer. */
static inline const char *mb_test_data(const char *name, char *buf, size_t size) {
  const char *dir = getenv("MB_TEST_DATA");
  snprintf(buf, size, "%s/%s", dir ? dir : "tests/data", name);
  return buf;
}

/* End of the JSON value starting at p (object, array or string) in a reference
 * file the tests' generators wrote (well-formed: no validation here). */
static inline const char *mb_test_json_skip(const char *p) {
  int depth = 0;
  do {
    if (*p == '"') {
      for (p++; *p != '"'; p++)
        if (*p == '\\') p++;
    } else if (*p == '{' || *p == '[') {
      depth++;
    } else if (*p == '}' || *p == ']') {
      depth--;
    }
    p++;
  } while (depth > 0 && *p);
  return p;
}

/* A new directory TMPDIR/<prefix>-XXXXXX (/tmp without TMPDIR) named in buf. Make it
 * in main, before Check forks a process per test, so that main can remove it after
 * the suite. Returns 0, or -1 with the reason printed. */
static inline int mb_test_make_tmpdir(char *buf, size_t size, const char *prefix) {
  const char *base = getenv("TMPDIR");
  snprintf(buf, size, "%s/%s-XXXXXX", base ? base : "/tmp", prefix);
  if (mkdtemp(buf)) return 0;
  perror(buf);
  buf[0] = '\0';
  return -1;
}

/* Remove such a directory and what the tests left in it (nothing for ""). */
static inline void mb_test_remove_tmpdir(const char *dir) {
  if (!dir[0]) return;
  char cmd[1100];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
}

/* A whole file as a NUL-terminated malloc'd string (the caller frees it). */
static inline char *mb_test_slurp(const char *path) {
  FILE *f = fopen(path, "rb");
  ck_assert_msg(f != NULL, "cannot open %s", path);
  fseek(f, 0, SEEK_END);
  long size = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *text = malloc((size_t)size + 1);
  ck_assert_uint_eq(fread(text, 1, (size_t)size, f), (size_t)size);
  text[size] = 0;
  fclose(f);
  return text;
}

/* The end points of an em-style band (images 0..4 of the ion first, then the host):
 * initial = image 0 + host, final = image 4 + host. */
static inline void mb_test_band_end_points(const mb_structure *band, mb_structure **a,
                                           mb_structure **b) {
  int n;
  MB_OK_OR_FAIL(mb_structure_natoms(band, &n));
  double lat[9], *f = malloc(sizeof(double) * 3 * n);
  int *z = malloc(sizeof(int) * n);
  MB_OK_OR_FAIL(mb_structure_lattice(band, lat));
  MB_OK_OR_FAIL(mb_structure_positions(band, MB_COORDS_FRACTIONAL, f));
  MB_OK_OR_FAIL(mb_structure_numbers(band, z));
  MB_OK_OR_FAIL(mb_structure_create(lat, n - 4, f + 12, MB_COORDS_FRACTIONAL, z + 4, b));
  memcpy(f + 12, f, 3 * sizeof(double)); /* image 0 in place of image 4 */
  MB_OK_OR_FAIL(mb_structure_create(lat, n - 4, f + 12, MB_COORDS_FRACTIONAL, z + 4, a));
  free(f), free(z);
}

/* Run one suite and exit with Check's verdict. */
static inline int mb_run_suite(Suite *s) {
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* Deterministic uniform numbers in [0, 1) for random tests (xorshift64*). */
static inline double mb_test_rand(unsigned long long *state) {
  *state ^= *state >> 12;
  *state ^= *state << 25;
  *state ^= *state >> 27;
  return (double)((*state * 2685821657736338717ULL) >> 11) / 9007199254740992.0;
}

#endif
