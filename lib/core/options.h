/* Descriptions of the options and named enumerations of the public API (migbar.h
 * section 11), kept by each module beside the code they configure; lib/core/describe.c
 * serves them and checks values against them. Private. */
#ifndef MB_OPTIONS_H
#define MB_OPTIONS_H

#include "core.h"

/* One option of a handle: the enum key, names, bounds, default, MB_OPTION_* flags. */
typedef struct mb__option {
  int key;
  const char *name;   /* "spring": lower case, '_' between words */
  const char *macro;  /* "MB_BAND_SPRING": for messages */
  const char *units;  /* "" when none */
  double min, max, def;
  int flags;
  const char *description;
} mb__option;

/* One value of a named enumeration. */
typedef struct mb__name {
  int value;
  const char *name;
  const char *description;
} mb__name;

/* The tables (one per module, in their *_options.c files). */
extern const mb__option mb__band_options[];
extern const int mb__band_noptions;
extern const mb__option mb__dft_options[];
extern const int mb__dft_noptions;
extern const mb__option mb__hops_options[];
extern const int mb__hops_noptions;
extern const mb__option mb__potential_params[];
extern const int mb__potential_nparams;
extern const mb__name mb__optimizer_names[];
extern const int mb__optimizer_nnames;
extern const mb__name mb__interpolation_names[];
extern const int mb__interpolation_nnames;
extern const mb__name mb__potential_names[];
extern const int mb__potential_nnames;
extern const mb__name mb__xc_names[];
extern const int mb__xc_nnames;
extern const mb__name mb__smearing_names[];
extern const int mb__smearing_nnames;
extern const mb__name mb__format_names[];
extern const int mb__format_nnames;

/* The description of key in a set (NULL when the key is unknown). */
const mb__option *mb__option_of(mb_option_set set, int key);
/* Check value against the option's bounds and flags: MB_OK, or MB_ERR_INVALID_ARG with
 * "fn: MACRO (name) must be <bounds> <units>, not <value>" (or "unknown option"). */
mb_status mb__option_check(mb_option_set set, int key, double value, const char *fn);
/* The name of an enumeration value (NULL when unknown). */
const char *mb__name_of(mb_name_set set, int value);

#endif
