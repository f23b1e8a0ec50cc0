/* The public face of the option and name tables (migbar.h section 11): counting,
 * describing and finding options and enumeration values, and the bounds check the
 * setters share. The tables themselves live with their modules. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "options.h"

typedef struct option_table {
  const mb__option *o;
  int n;
  const char *what;
} option_table;

typedef struct name_table {
  const mb__name *v;
  int n;
  const char *what;
} name_table;

static int option_table_of(mb_option_set set, option_table *t) {
  switch (set) {
  case MB_OPTIONS_BAND: *t = (option_table){mb__band_options, mb__band_noptions, "band"}; return 1;
  case MB_OPTIONS_DFT: *t = (option_table){mb__dft_options, mb__dft_noptions, "DFT"}; return 1;
  case MB_OPTIONS_HOPS: *t = (option_table){mb__hops_options, mb__hops_noptions, "hops"}; return 1;
  case MB_OPTIONS_POTENTIAL:
    *t = (option_table){mb__potential_params, mb__potential_nparams, "potential"};
    return 1;
  }
  return 0;
}

static int name_table_of(mb_name_set set, name_table *t) {
  switch (set) {
  case MB_NAMES_OPTIMIZER:
    *t = (name_table){mb__optimizer_names, mb__optimizer_nnames, "optimizer"};
    return 1;
  case MB_NAMES_INTERPOLATION:
    *t = (name_table){mb__interpolation_names, mb__interpolation_nnames, "interpolation"};
    return 1;
  case MB_NAMES_POTENTIAL:
    *t = (name_table){mb__potential_names, mb__potential_nnames, "potential"};
    return 1;
  case MB_NAMES_XC: *t = (name_table){mb__xc_names, mb__xc_nnames, "functional"}; return 1;
  case MB_NAMES_SMEARING:
    *t = (name_table){mb__smearing_names, mb__smearing_nnames, "smearing"};
    return 1;
  case MB_NAMES_FORMAT: *t = (name_table){mb__format_names, mb__format_nnames, "format"}; return 1;
  }
  return 0;
}

/* Names match case-insensitively with '-' and '_' alike. */
static int same_name(const char *a, const char *b) {
  for (;; a++, b++) {
    char x = *a == '-' ? '_' : *a, y = *b == '-' ? '_' : *b;
    if (x >= 'A' && x <= 'Z') x = (char)(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = (char)(y - 'A' + 'a');
    if (x != y) return 0;
    if (!x) return 1;
  }
}

MB_API mb_status mb_option_count(mb_option_set set, int *count) {
  option_table t;
  if (!count) return mb__error(MB_ERR_INVALID_ARG, "mb_option_count: count is NULL");
  if (!option_table_of(set, &t))
    return mb__error(MB_ERR_INVALID_ARG, "mb_option_count: unknown option set %d", (int)set);
  *count = t.n;
  return MB_OK;
}

MB_API mb_status mb_option_info(mb_option_set set, int i, int *key, const char **name,
                                const char **units, double *min, double *max,
                                double *def, int *flags, const char **description) {
  option_table t;
  if (!option_table_of(set, &t))
    return mb__error(MB_ERR_INVALID_ARG, "mb_option_info: unknown option set %d", (int)set);
  if (i < 0 || i >= t.n)
    return mb__error(MB_ERR_RANGE, "mb_option_info: option %d outside 0..%d of the %s options",
                     i, t.n - 1, t.what);
  const mb__option *o = &t.o[i];
  if (key) *key = o->key;
  if (name) *name = o->name;
  if (units) *units = o->units;
  if (min) *min = o->min;
  if (max) *max = o->max;
  if (def) *def = (o->flags & MB_OPTION_DEFAULT_VARIES) ? NAN : o->def;
  if (flags) *flags = o->flags;
  if (description) *description = o->description;
  return MB_OK;
}

MB_API mb_status mb_option_find(mb_option_set set, const char *name, int *key) {
  option_table t;
  if (!name || !key) return mb__error(MB_ERR_INVALID_ARG, "mb_option_find: NULL argument");
  if (!option_table_of(set, &t))
    return mb__error(MB_ERR_INVALID_ARG, "mb_option_find: unknown option set %d", (int)set);
  char known[512] = "";
  for (int i = 0; i < t.n; i++) {
    if (same_name(name, t.o[i].name)) {
      *key = t.o[i].key;
      return MB_OK;
    }
    snprintf(known + strlen(known), sizeof known - strlen(known), "%s%s", i ? ", " : "",
             t.o[i].name);
  }
  return mb__error(MB_ERR_INVALID_ARG, "no %s option called '%.40s' (known: %s)", t.what,
                   name, known);
}

MB_API mb_status mb_name_count(mb_name_set set, int *count) {
  name_table t;
  if (!count) return mb__error(MB_ERR_INVALID_ARG, "mb_name_count: count is NULL");
  if (!name_table_of(set, &t))
    return mb__error(MB_ERR_INVALID_ARG, "mb_name_count: unknown name set %d", (int)set);
  *count = t.n;
  return MB_OK;
}

MB_API mb_status mb_name_info(mb_name_set set, int i, int *value, const char **name,
                              const char **description) {
  name_table t;
  if (!name_table_of(set, &t))
    return mb__error(MB_ERR_INVALID_ARG, "mb_name_info: unknown name set %d", (int)set);
  if (i < 0 || i >= t.n)
    return mb__error(MB_ERR_RANGE, "mb_name_info: value %d outside 0..%d of the %s names", i,
                     t.n - 1, t.what);
  if (value) *value = t.v[i].value;
  if (name) *name = t.v[i].name;
  if (description) *description = t.v[i].description;
  return MB_OK;
}

MB_API mb_status mb_name_find(mb_name_set set, const char *name, int *value) {
  name_table t;
  if (!name || !value) return mb__error(MB_ERR_INVALID_ARG, "mb_name_find: NULL argument");
  if (!name_table_of(set, &t))
    return mb__error(MB_ERR_INVALID_ARG, "mb_name_find: unknown name set %d", (int)set);
  char known[512] = "";
  for (int i = 0; i < t.n; i++) {
    if (same_name(name, t.v[i].name)) {
      *value = t.v[i].value;
      return MB_OK;
    }
    snprintf(known + strlen(known), sizeof known - strlen(known), "%s%s", i ? ", " : "",
             t.v[i].name);
  }
  return mb__error(MB_ERR_INVALID_ARG, "unknown %s '%.40s' (known: %s)", t.what, name, known);
}

const mb__option *mb__option_of(mb_option_set set, int key) {
  option_table t;
  if (!option_table_of(set, &t)) return NULL;
  for (int i = 0; i < t.n; i++)
    if (t.o[i].key == key) return &t.o[i];
  return NULL;
}

const char *mb__name_of(mb_name_set set, int value) {
  name_table t;
  if (!name_table_of(set, &t)) return NULL;
  for (int i = 0; i < t.n; i++)
    if (t.v[i].value == value) return t.v[i].name;
  return NULL;
}

/* "(0, 1e+06]", "an integer 0..4096", "0 or 1" */
static void bounds_text(const mb__option *o, char *buf, size_t size) {
  if (o->flags & MB_OPTION_INTEGER) {
    if (o->max - o->min == 1)
      snprintf(buf, size, "%g or %g", o->min, o->max);
    else if (o->max >= 1e9)
      snprintf(buf, size, "an integer >= %g", o->min);
    else
      snprintf(buf, size, "an integer %g..%g", o->min, o->max);
  } else if (isinf(o->max)) {
    snprintf(buf, size, "%s %g", o->flags & MB_OPTION_MIN_EXCLUSIVE ? ">" : ">=", o->min);
  } else {
    snprintf(buf, size, "in %c%g, %g%c", o->flags & MB_OPTION_MIN_EXCLUSIVE ? '(' : '[', o->min,
             o->max, o->flags & MB_OPTION_MAX_EXCLUSIVE ? ')' : ']');
  }
}

mb_status mb__option_check(mb_option_set set, int key, double value, const char *fn) {
  const mb__option *o = mb__option_of(set, key);
  if (!o) return mb__error(MB_ERR_INVALID_ARG, "%s: unknown option %d", fn, key);
  if (!isfinite(value))
    return mb__error(MB_ERR_INVALID_ARG, "%s: %s (%s) must be finite, not %g", fn, o->macro,
                     o->name, value);
  int ok = isfinite(value) &&
           ((o->flags & MB_OPTION_MIN_EXCLUSIVE) ? value > o->min : value >= o->min) &&
           ((o->flags & MB_OPTION_MAX_EXCLUSIVE) ? value < o->max : value <= o->max) &&
           (!(o->flags & MB_OPTION_INTEGER) || floor(value) == value);
  if (ok) return MB_OK;
  char want[96];
  bounds_text(o, want, sizeof want);
  return mb__error(MB_ERR_INVALID_ARG, "%s: %s (%s) must be %s%s%s, not %g", fn, o->macro,
                   o->name, want, o->units[0] ? " " : "", o->units, value);
}
