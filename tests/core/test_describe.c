/* The option and name tables of migbar.h section 11, checked against the setters they
 * describe: every option's default is what a new handle holds, its bounds are exactly
 * where the setter starts refusing (inclusive or exclusive as the flags say, integers
 * only where flagged), and names find their values back. A table that drifts from its
 * setter fails here. */
#include <math.h>
#include <string.h>

#include "../testutil.h"

/* A handle of each kind and its setter and getter, behind one signature. */
typedef struct kit {
  mb_band *band;
  mb_dft *dft;
  mb_hops *hops;
  mb_potential *pot[3]; /* LJ, Morse, EMT */
} kit;

static mb_structure *rocksalt(void) {
  const double lat[9] = {4.2, 0, 0, 0, 4.2, 0, 0, 0, 4.2};
  const int z[8] = {3, 3, 3, 3, 8, 8, 8, 8};
  const double f[24] = {0, 0, 0, 0.5, 0.5, 0, 0.5, 0, 0.5, 0, 0.5, 0.5,
                        0.5, 0, 0, 0, 0.5, 0, 0, 0, 0.5, 0.5, 0.5, 0.5};
  mb_structure *s = NULL;
  MB_OK_OR_FAIL(mb_structure_create(lat, 8, f, MB_COORDS_FRACTIONAL, z, &s));
  return s;
}

static void kit_open(kit *k) {
  memset(k, 0, sizeof *k);
  mb_structure *a = rocksalt(), *b = NULL;
  MB_OK_OR_FAIL(mb_structure_copy(a, &b));
  double pos[24];
  MB_OK_OR_FAIL(mb_structure_positions(a, MB_COORDS_CARTESIAN, pos));
  pos[0] += 0.3;
  MB_OK_OR_FAIL(mb_structure_set_positions(b, pos, MB_COORDS_CARTESIAN));
  MB_OK_OR_FAIL(mb_band_create(a, b, 3, MB_INTERPOLATION_LINEAR, &k->band));
  MB_OK_OR_FAIL(mb_dft_create(a, &k->dft));
  MB_OK_OR_FAIL(mb_hops_create(a, "Li", &k->hops));
  for (int i = 0; i < 3; i++) MB_OK_OR_FAIL(mb_potential_create((mb_potential_kind)i, &k->pot[i]));
  mb_structure_free(a), mb_structure_free(b);
}

static void kit_close(kit *k) {
  mb_band_free(k->band), mb_dft_free(k->dft), mb_hops_free(k->hops);
  for (int i = 0; i < 3; i++) mb_potential_free(k->pot[i]);
}

/* The potential that takes key (LJ first, then Morse); NULL for none. */
static mb_potential *pot_for(kit *k, int key) {
  double v;
  for (int i = 0; i < 2; i++)
    if (mb_potential_get(k->pot[i], (mb_potential_param)key, &v) == MB_OK) return k->pot[i];
  return NULL;
}

static mb_status set(kit *k, mb_option_set set, int key, double v) {
  switch (set) {
  case MB_OPTIONS_BAND: return mb_band_set_option(k->band, (mb_band_option)key, v);
  case MB_OPTIONS_DFT: return mb_dft_set_option(k->dft, (mb_dft_option)key, v);
  case MB_OPTIONS_HOPS: return mb_hops_set_option(k->hops, (mb_hops_option)key, v);
  case MB_OPTIONS_POTENTIAL: return mb_potential_set(pot_for(k, key), (mb_potential_param)key, v);
  }
  return MB_ERR_INTERNAL;
}

static mb_status get(kit *k, mb_option_set set, int key, double *v) {
  switch (set) {
  case MB_OPTIONS_BAND: return mb_band_get_option(k->band, (mb_band_option)key, v);
  case MB_OPTIONS_DFT: return mb_dft_get_option(k->dft, (mb_dft_option)key, v);
  case MB_OPTIONS_HOPS: return mb_hops_get_option(k->hops, (mb_hops_option)key, v);
  case MB_OPTIONS_POTENTIAL: return mb_potential_get(pot_for(k, key), (mb_potential_param)key, v);
  }
  return MB_ERR_INTERNAL;
}

/* Does the setter accept v? (then the default is put back) */
static int accepts(kit *k, mb_option_set s, int key, double v, double restore) {
  mb_status st = set(k, s, key, v);
  if (st == MB_OK) MB_OK_OR_FAIL(set(k, s, key, restore));
  else ck_assert_int_eq(st, MB_ERR_INVALID_ARG);
  return st == MB_OK;
}

static const int nsets = 4;
static const int expected_count[4] = {11, 12, 5, 7};

START_TEST(tables_agree_with_setters) {
  kit k;
  kit_open(&k);
  int checked = 0;
  for (int s = 0; s < nsets; s++) {
    int n = -1;
    MB_OK_OR_FAIL(mb_option_count((mb_option_set)s, &n));
    ck_assert_int_eq(n, expected_count[s]);
    for (int i = 0; i < n; i++) {
      int key = -1, flags = -1, key2 = -1;
      const char *name = NULL, *units = NULL, *doc = NULL;
      double lo, hi, def, now;
      MB_OK_OR_FAIL(mb_option_info((mb_option_set)s, i, &key, &name, &units, &lo, &hi, &def,
                                   &flags, &doc));
      ck_assert_int_eq(key, i); /* the tables are in enum order */
      ck_assert(name && units && doc && strlen(name) > 1 && strlen(doc) > 5);
      MB_OK_OR_FAIL(mb_option_find((mb_option_set)s, name, &key2));
      ck_assert_int_eq(key2, key);
      /* the default: what a new handle holds */
      MB_OK_OR_FAIL(get(&k, (mb_option_set)s, key, &now));
      if (flags & MB_OPTION_DEFAULT_VARIES) ck_assert(isnan(def));
      else ck_assert_msg(now == def, "set %d option %s: default %g, a new handle %g", s, name,
                         def, now);
      double back = (flags & MB_OPTION_DEFAULT_VARIES) ? now : def;
      if (s == MB_OPTIONS_BAND && key == MB_BAND_SPRING_MIN) {
        /* bounded by spring, not by a constant */
        ck_assert(accepts(&k, s, key, -5, back) && accepts(&k, s, key, 0.1, back));
        ck_assert(!accepts(&k, s, key, 0.2, back));
        continue;
      }
      /* the bounds, exactly where the setter refuses */
      int int_only = flags & MB_OPTION_INTEGER;
      ck_assert_msg(accepts(&k, s, key, lo, back) == !(flags & MB_OPTION_MIN_EXCLUSIVE),
                    "set %d option %s at its min %g", s, name, lo);
      double below = int_only ? lo - 1 : nextafter(lo, -INFINITY);
      ck_assert_msg(!accepts(&k, s, key, below, back), "set %d option %s below min", s, name);
      if (isfinite(hi)) {
        ck_assert_msg(accepts(&k, s, key, hi, back) == !(flags & MB_OPTION_MAX_EXCLUSIVE),
                      "set %d option %s at its max %g", s, name, hi);
        double above = int_only ? hi + 1 : nextafter(hi, INFINITY);
        ck_assert_msg(!accepts(&k, s, key, above, back), "set %d option %s above max", s, name);
      }
      double inside = int_only ? lo + 1 : (isfinite(hi) ? 0.5 * (lo + hi) : lo + 1);
      if (int_only) ck_assert(!accepts(&k, s, key, inside - 0.5, back));
      ck_assert(!accepts(&k, s, key, NAN, back));
      ck_assert_msg(accepts(&k, s, key, inside, back), "set %d option %s inside", s, name);
      /* the refusal names the option and its bounds */
      ck_assert_int_eq(set(&k, (mb_option_set)s, key, below), MB_ERR_INVALID_ARG);
      ck_assert_msg(strstr(mb_last_error(), name), "%s", mb_last_error());
      checked++;
    }
  }
  ck_assert_int_eq(checked, 34);
  kit_close(&k);
}
END_TEST

START_TEST(options_by_name) {
  int key = -1;
  MB_OK_OR_FAIL(mb_option_find(MB_OPTIONS_BAND, "FMAX", &key));
  ck_assert_int_eq(key, MB_BAND_FMAX);
  MB_OK_OR_FAIL(mb_option_find(MB_OPTIONS_BAND, "climb-fmax", &key));
  ck_assert_int_eq(key, MB_BAND_CLIMB_FMAX);
  MB_OK_OR_FAIL(mb_option_find(MB_OPTIONS_DFT, "ecut", &key));
  ck_assert_int_eq(key, MB_DFT_ECUT);
  ck_assert_int_eq(mb_option_find(MB_OPTIONS_HOPS, "maxlength", &key), MB_ERR_INVALID_ARG);
  ck_assert_ptr_nonnull(strstr(mb_last_error(), "known: max_length, symprec"));
  ck_assert_int_eq(mb_option_find((mb_option_set)9, "x", &key), MB_ERR_INVALID_ARG);
  ck_assert_int_eq(mb_option_find(MB_OPTIONS_BAND, NULL, &key), MB_ERR_INVALID_ARG);
  int n;
  ck_assert_int_eq(mb_option_info(MB_OPTIONS_BAND, 11, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
                                  NULL), MB_ERR_RANGE);
  ck_assert_int_eq(mb_option_info(MB_OPTIONS_BAND, -1, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
                                  NULL), MB_ERR_RANGE);
  ck_assert_int_eq(mb_option_count((mb_option_set)-1, &n), MB_ERR_INVALID_ARG);
  /* units where the header says them */
  const char *units;
  MB_OK_OR_FAIL(mb_option_info(MB_OPTIONS_BAND, MB_BAND_SPRING, NULL, NULL, &units, NULL, NULL,
                               NULL, NULL, NULL));
  ck_assert_str_eq(units, "eV/A^2");
  MB_OK_OR_FAIL(mb_option_info(MB_OPTIONS_DFT, MB_DFT_ECUT, NULL, NULL, &units, NULL, NULL,
                               NULL, NULL, NULL));
  ck_assert_str_eq(units, "eV");
}
END_TEST

START_TEST(names_find_their_values) {
  static const int counts[6] = {3, 2, 3, 3, 4, 5};
  for (int s = 0; s < 6; s++) {
    int n = -1;
    MB_OK_OR_FAIL(mb_name_count((mb_name_set)s, &n));
    ck_assert_int_eq(n, counts[s]);
    for (int i = 0; i < n; i++) {
      int v = -1, back = -1;
      const char *name = NULL, *doc = NULL;
      MB_OK_OR_FAIL(mb_name_info((mb_name_set)s, i, &v, &name, &doc));
      ck_assert_int_eq(v, i); /* every enumeration is 0..n-1 */
      ck_assert(name && doc && strlen(doc) > 5);
      MB_OK_OR_FAIL(mb_name_find((mb_name_set)s, name, &back));
      ck_assert_int_eq(back, v);
    }
  }
  int v;
  MB_OK_OR_FAIL(mb_name_find(MB_NAMES_OPTIMIZER, "LBFGS", &v));
  ck_assert_int_eq(v, MB_OPTIMIZER_LBFGS);
  MB_OK_OR_FAIL(mb_name_find(MB_NAMES_SMEARING, "fermi_dirac", &v));
  ck_assert_int_eq(v, MB_SMEARING_FERMI_DIRAC);
  MB_OK_OR_FAIL(mb_name_find(MB_NAMES_POTENTIAL, "emt", &v));
  ck_assert_int_eq(v, MB_POTENTIAL_EMT);
  ck_assert_int_eq(mb_name_find(MB_NAMES_OPTIMIZER, "bfgs", &v), MB_ERR_INVALID_ARG);
  ck_assert_ptr_nonnull(strstr(mb_last_error(), "unknown optimizer 'bfgs' (known: fire, lbfgs, ode)"));
  ck_assert_int_eq(mb_name_info(MB_NAMES_XC, 3, &v, NULL, NULL), MB_ERR_RANGE);
  /* the format names are the ones mb_format_from_name knows */
  for (int i = 1; i < 5; i++) {
    const char *name;
    mb_format f;
    MB_OK_OR_FAIL(mb_name_info(MB_NAMES_FORMAT, i, NULL, &name, NULL));
    MB_OK_OR_FAIL(mb_format_from_name(name, &f));
    ck_assert_int_eq((int)f, i);
  }
}
END_TEST

int main(void) {
  Suite *s = suite_create("describe");
  TCase *tc = tcase_create("describe");
  tcase_add_test(tc, tables_agree_with_setters);
  tcase_add_test(tc, options_by_name);
  tcase_add_test(tc, names_find_their_values);
  suite_add_tcase(s, tc);
  return mb_run_suite(s);
}
