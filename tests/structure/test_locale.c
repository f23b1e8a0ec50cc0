/* Text formats use '.' decimals even when the host program runs in a locale
 * with a decimal comma (here de_DE, compiled with localedef into a temporary
 * LOCPATH so no system locale is needed). */
#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../testutil.h"

static char locpath[] = "/tmp/mb-locale-XXXXXX";

static void use_comma_locale(void) {
  ck_assert_ptr_nonnull(mkdtemp(locpath));
  char cmd[512];
  snprintf(cmd, sizeof cmd,
           "localedef -i de_DE -f UTF-8 %s/de_DE.UTF-8 >/dev/null 2>&1", locpath);
  int rc = system(cmd);
  /* localedef exits 1 for warnings only; the locale is usable then too. */
  ck_assert_msg(rc == 0 || WEXITSTATUS(rc) == 1,
                "localedef failed (%d): install Debian's 'locales' package", rc);
  setenv("LOCPATH", locpath, 1);
  ck_assert_msg(setlocale(LC_ALL, "de_DE.UTF-8") != NULL, "cannot switch to de_DE.UTF-8");
  char buf[16];
  snprintf(buf, sizeof buf, "%.1f", 1.5);
  ck_assert_str_eq(buf, "1,5"); /* the host's printf now writes commas */
}

START_TEST(formats_ignore_the_host_locale) {
  use_comma_locale();
  const double lat[9] = {4.5, 0, 0, 0, 4.5, 0, 0.25, 0, 4.5};
  const double frac[6] = {0.125, 0.25, 0.5, 0.75, 0.5, 0.25};
  const int z[2] = {3, 9};
  mb_structure *s = NULL;
  MB_OK_OR_FAIL(mb_structure_create(lat, 2, frac, MB_COORDS_FRACTIONAL, z, &s));
  const mb_format fmts[4] = {MB_FORMAT_POSCAR, MB_FORMAT_XYZ, MB_FORMAT_CIF, MB_FORMAT_JSON};
  /* A number each format writes: fractional 0.125, or Cartesian x of atom 0
   * (0.125*4.5 + 0.5*0.25 = 0.6875) in extended XYZ. */
  const char *dot[4] = {"0.125", "0.6875", "0.125", "0.125"};
  const char *comma[4] = {"0,125", "0,6875", "0,125", "0,125"};
  for (int f = 0; f < 4; f++) {
    char *text = NULL;
    size_t n = 0;
    MB_OK_OR_FAIL(mb_structure_write_buffer(s, fmts[f], &text, &n));
    ck_assert_msg(strstr(text, dot[f]) != NULL && strstr(text, comma[f]) == NULL,
                  "format %d wrote locale decimals:\n%s", f, text);
    mb_structure *back = NULL;
    MB_OK_OR_FAIL(mb_structure_read_buffer(text, n, fmts[f], "t", 0, &back));
    double p[6];
    MB_OK_OR_FAIL(mb_structure_positions(back, MB_COORDS_FRACTIONAL, p));
    for (int k = 0; k < 6; k++) ck_assert_double_eq_tol(p[k], frac[k], 1e-12);
    mb_structure_free(back);
    mb_free(text);
  }
  mb_structure_free(s);
  /* The host's locale is back in force after the calls. */
  char buf[16];
  snprintf(buf, sizeof buf, "%.1f", 2.5);
  ck_assert_str_eq(buf, "2,5");
  char cmd[600];
  snprintf(cmd, sizeof cmd, "rm -rf %s", locpath);
  ck_assert_int_eq(system(cmd), 0);
}
END_TEST

int main(void) {
  Suite *s = suite_create("locale");
  TCase *tc = tcase_create("locale");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, formats_ignore_the_host_locale);
  suite_add_tcase(s, tc);
  return mb_run_suite(s);
}
