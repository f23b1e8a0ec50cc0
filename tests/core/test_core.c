/* Core: version, status strings, per-thread errors, elements. */
#include <pthread.h>
#include <string.h>

#include "../testutil.h"

START_TEST(version_matches_header) {
  ck_assert_str_eq(mb_version(), MB_VERSION_STRING);
  ck_assert_int_eq(mb_version_number(), MB_VERSION_NUMBER);
  ck_assert_int_eq(MB_VERSION_NUMBER, 600); /* 0.6.0 */
}
END_TEST

START_TEST(every_status_has_a_message) {
  /* Codes are pinned: renumbering breaks the ABI. */
  ck_assert_int_eq(MB_OK, 0);
  ck_assert_int_eq(MB_ERR_NOMEM, 1);
  ck_assert_int_eq(MB_ERR_PARSE, 4);
  ck_assert_int_eq(MB_ERR_NOT_CONVERGED, 9);
  ck_assert_int_eq(MB_ERR_INTERNAL, 13);
  ck_assert_int_eq(MB_ERR_STOPPED, 14);
  const char *unknown = mb_strerror((mb_status)9999);
  for (int s = MB_OK; s <= MB_ERR_STOPPED; s++) {
    const char *m = mb_strerror((mb_status)s);
    ck_assert_ptr_nonnull(m);
    ck_assert_msg(strlen(m) > 3, "status %d has no message", s);
    ck_assert_msg(strcmp(m, unknown) != 0, "status %d falls back to 'unknown'", s);
    for (int t = MB_OK; t < s; t++)
      ck_assert_msg(strcmp(m, mb_strerror((mb_status)t)) != 0, "statuses %d and %d share a message", s, t);
  }
}
END_TEST

START_TEST(errors_say_what_and_clear) {
  mb_clear_error();
  ck_assert_str_eq(mb_last_error(), "");
  int z = 0;
  ck_assert_int_eq(mb_element_number("Xx", &z), MB_ERR_INVALID_ARG);
  ck_assert_ptr_nonnull(strstr(mb_last_error(), "Xx"));
  mb_clear_error();
  ck_assert_str_eq(mb_last_error(), "");
}
END_TEST

static void *fail_in_thread(void *arg) {
  (void)arg;
  const char *sym;
  mb_element_symbol(500, &sym);
  return strstr(mb_last_error(), "500") ? (void *)1 : NULL;
}

START_TEST(errors_are_per_thread) {
  int z;
  mb_element_number("Qq", &z);
  pthread_t t;
  void *ok = NULL;
  pthread_create(&t, NULL, fail_in_thread, NULL);
  pthread_join(t, &ok);
  ck_assert_ptr_nonnull(ok);
  /* The other thread's failure did not overwrite ours. */
  ck_assert_ptr_nonnull(strstr(mb_last_error(), "Qq"));
}
END_TEST

START_TEST(elements_round_trip) {
  for (int z = 1; z <= 118; z++) {
    const char *sym;
    int back;
    MB_OK_OR_FAIL(mb_element_symbol(z, &sym));
    MB_OK_OR_FAIL(mb_element_number(sym, &back));
    ck_assert_int_eq(back, z);
  }
  double m;
  /* IUPAC standard atomic weights (as in ASE's ase.data.atomic_masses). */
  MB_OK_OR_FAIL(mb_element_mass(3, &m));
  ck_assert_double_eq_tol(m, 6.94, 1e-9);
  MB_OK_OR_FAIL(mb_element_mass(26, &m));
  ck_assert_double_eq_tol(m, 55.845, 1e-9);
  ck_assert_int_eq(mb_element_mass(0, &m), MB_ERR_RANGE);
  ck_assert_int_eq(mb_element_mass(119, &m), MB_ERR_RANGE);
  int z;
  ck_assert_int_eq(mb_element_number("fe", &z), MB_ERR_INVALID_ARG);
  ck_assert_int_eq(mb_element_number(NULL, &z), MB_ERR_INVALID_ARG);
}
END_TEST

/* No byte below 0x20 (nor DEL) in s. */
static int printable(const char *s) {
  for (; *s; s++)
    if ((unsigned char)*s < 0x20 || *s == 0x7f) return 0;
  return 1;
}

/* Issue 12: messages quoted raw bytes of the input, so "ESC ] 0 ; ... BEL" in a file
 * retitled the terminal. Control bytes and bytes that are not UTF-8 come out as \xNN;
 * valid UTF-8 is kept. */
START_TEST(errors_escape_control_bytes) {
  int z;
  ck_assert_int_eq(mb_element_number("\033]0;pwned\007", &z), MB_ERR_INVALID_ARG);
  ck_assert_msg(strstr(mb_last_error(), "\\x1b]0;pwned\\x07"), "%s", mb_last_error());
  ck_assert(printable(mb_last_error()));
  const char text[] = "c\n1.0\n3 0 0\n0 3 0\n0 0 3\n\xc3\xa9\xff\x9b\x1b\x7f\n1\nDirect\n0 0 0\n";
  mb_structure *s = NULL;
  ck_assert_int_eq(mb_structure_read_buffer(text, sizeof text - 1, MB_FORMAT_POSCAR,
                                            "t\033[2J.vasp", 0, &s), MB_ERR_PARSE);
  ck_assert_msg(strstr(mb_last_error(), "t\\x1b[2J.vasp:6: '\xc3\xa9\\xff\\x9b\\x1b\\x7f'"),
                "%s", mb_last_error());
  ck_assert(printable(mb_last_error()));
  /* a message cut at the buffer's end is cut between characters, never inside \xNN */
  char big[3000];
  memset(big, 0x1b, sizeof big - 1);
  big[sizeof big - 1] = '\0';
  ck_assert_int_eq(mb_structure_read(big, MB_FORMAT_POSCAR, &s), MB_ERR_IO);
  const char *m = mb_last_error(), *tail = m + strlen(m);
  ck_assert(printable(m));
  ck_assert_msg(tail - m >= 4 && !strncmp(tail - 4, "\\x1b", 4), "%s", tail - 8);
}
END_TEST

START_TEST(free_accepts_null) {
  mb_free(NULL);
  mb_structure_free(NULL);
  mb_neighbors_free(NULL);
}
END_TEST

int main(void) {
  Suite *s = suite_create("core");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, version_matches_header);
  tcase_add_test(tc, every_status_has_a_message);
  tcase_add_test(tc, errors_say_what_and_clear);
  tcase_add_test(tc, errors_are_per_thread);
  tcase_add_test(tc, elements_round_trip);
  tcase_add_test(tc, errors_escape_control_bytes);
  tcase_add_test(tc, free_accepts_null);
  suite_add_tcase(s, tc);
  return mb_run_suite(s);
}
