/* Checkpoints of a band (mb_band_save, mb_band_load; migbar.h section 9): the JSON
 * summary of mb_band_write with two more members,
 *
 *   "checkpoint": {"version": 1,
 *                  "lattice": [9 numbers, A], "numbers": [natoms atomic numbers],
 *                  "free": [3*natoms flags, 1 = free], "positions": [nimages*3*natoms,
 *                  Cartesian A, image after image], "steps", "force_calls_moving",
 *                  "force_calls_endpoints", "climbing", "endpoints_relaxed"}
 *   "run": {...}                         (the caller's own object, when given)
 *
 * so that one file is both what a user reads and what a restart needs. The lattice and
 * positions are printed with 17 significant digits, so they read back exactly;
 * the options come back from the summary's "options" object through the option table
 * (band_options.c) and mb_band_set_option, which checks them. Energies and forces are
 * not stored: the next run computes them again (one force call per image). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "neb.h"
#include "../core/json.h"
#include "../core/options.h"
#include "../structure/structure.h"

#define CHECKPOINT_VERSION 1

/* Numbers with 17 significant digits (cJSON's own printer keeps 15 digits whenever they
 * read back within a relative DBL_EPSILON, which loses the last bit). */
static cJSON *number_array(const double *v, size_t n) {
  cJSON *a = cJSON_CreateArray();
  for (size_t i = 0; a && i < n; i++) {
    char buf[32];
    snprintf(buf, sizeof buf, "%.17g", v[i]);
    cJSON *x = cJSON_CreateRaw(buf);
    if (!x || !cJSON_AddItemToArray(a, x)) {
      cJSON_Delete(x);
      cJSON_Delete(a);
      return NULL;
    }
  }
  return a;
}

static cJSON *int_array(const int *v, size_t n) {
  cJSON *a = cJSON_CreateArray();
  for (size_t i = 0; a && i < n; i++) {
    cJSON *x = cJSON_CreateNumber(v[i]);
    if (!x || !cJSON_AddItemToArray(a, x)) {
      cJSON_Delete(x);
      cJSON_Delete(a);
      return NULL;
    }
  }
  return a;
}

static mb_status checkpoint_object(const mb_band *b, cJSON **out) {
  size_t n = 3 * (size_t)b->natoms;
  cJSON *c = cJSON_CreateObject();
  int ok = c && cJSON_AddNumberToObject(c, "version", CHECKPOINT_VERSION) &&
           cJSON_AddItemToObject(c, "lattice", number_array(b->lattice, 9)) &&
           cJSON_AddItemToObject(c, "numbers", int_array(b->numbers, (size_t)b->natoms)) &&
           cJSON_AddItemToObject(c, "free", int_array(b->free, n)) &&
           cJSON_AddItemToObject(c, "positions", number_array(b->pos, (size_t)b->nimages * n)) &&
           cJSON_AddNumberToObject(c, "steps", b->steps) &&
           cJSON_AddNumberToObject(c, "force_calls_moving", (double)b->moving_calls) &&
           cJSON_AddNumberToObject(c, "force_calls_endpoints", (double)b->endpoint_calls) &&
           cJSON_AddBoolToObject(c, "climbing", b->climbing) &&
           cJSON_AddBoolToObject(c, "endpoints_relaxed", b->endpoints_relaxed);
  if (!ok) {
    cJSON_Delete(c);
    return mb__error(MB_ERR_NOMEM, "out of memory building the checkpoint");
  }
  *out = c;
  return MB_OK;
}

MB_API mb_status mb_band_save(const mb_band *b, const char *path, const char *extra_json) {
  if (!b || !path) return mb__error(MB_ERR_INVALID_ARG, "mb_band_save: NULL argument");
  cJSON *root = NULL, *cp = NULL, *extra = NULL;
  char *text = NULL;
  mb_status st;
  if (extra_json) {
    const char *end = NULL;
    extra = mb__json_parse(extra_json, strlen(extra_json), &end);
    while (extra && end && (*end == ' ' || *end == '\t' || *end == '\n' || *end == '\r')) end++;
    if (!cJSON_IsObject(extra) || (end && *end)) {
      cJSON_Delete(extra);
      return mb__error(MB_ERR_INVALID_ARG, "mb_band_save: extra_json is not a JSON object "
                       "(near byte %ld)", end ? (long)(end - extra_json) : 0L);
    }
  }
  if ((st = mb__band_summary(b, &root)) || (st = checkpoint_object(b, &cp))) goto done;
  cJSON_AddItemToObject(root, "checkpoint", cp);
  cp = NULL;
  if (extra) { /* the caller's text as it wrote it (checked to be one JSON object) */
    cJSON *raw = cJSON_CreateRaw(extra_json);
    if (!raw || !cJSON_AddItemToObject(root, "run", raw)) {
      cJSON_Delete(raw);
      st = mb__error(MB_ERR_NOMEM, "out of memory building the checkpoint");
      goto done;
    }
  }
  if (!(text = cJSON_Print(root))) {
    st = mb__error(MB_ERR_NOMEM, "out of memory printing the checkpoint");
    goto done;
  }
  size_t len = strlen(text);
  text[len] = '\n'; /* cJSON_Print's NUL becomes the final newline */
  st = mb__write_file(path, text, len + 1);
done:
  cJSON_free(text);
  cJSON_Delete(cp);
  cJSON_Delete(extra);
  cJSON_Delete(root);
  return st;
}

/* ---- loading --------------------------------------------------------------------- */

static mb_status bad(const char *path, const char *what) {
  return mb__error(MB_ERR_PARSE, "%s: not a band checkpoint: %s", path, what);
}

/* Exactly n finite numbers under key (integers between lo and hi when integral). */
static int get_numbers(const cJSON *obj, const char *key, size_t n, double *out, int integral,
                       double lo, double hi) {
  const cJSON *a = cJSON_GetObjectItemCaseSensitive(obj, key), *x;
  if (!cJSON_IsArray(a) || (size_t)cJSON_GetArraySize(a) != n) return 0;
  size_t i = 0;
  cJSON_ArrayForEach(x, a) {
    if (!cJSON_IsNumber(x) || !isfinite(x->valuedouble)) return 0;
    double v = x->valuedouble;
    if (integral && (floor(v) != v || v < lo || v > hi)) return 0;
    out[i++] = v;
  }
  return 1;
}

static double get_count(const cJSON *obj, const char *key) {
  const cJSON *x = cJSON_GetObjectItemCaseSensitive(obj, key);
  return cJSON_IsNumber(x) && x->valuedouble >= 0 && x->valuedouble < 1e15 &&
                 floor(x->valuedouble) == x->valuedouble
             ? x->valuedouble
             : -1;
}

/* The images of the checkpoint as structures (image 0 carries the fixed flags). */
static mb_status build_band(const char *path, const cJSON *cp, int nimages, int natoms,
                            mb_band **out) {
  size_t n = 3 * (size_t)natoms;
  double lat[9];
  double *num = mb__malloc((size_t)natoms, sizeof *num), *flags = mb__malloc(n, sizeof *flags);
  double *pos = mb__malloc((size_t)nimages * n, sizeof *pos);
  int *z = mb__malloc((size_t)natoms, sizeof *z), *fl = mb__malloc(n, sizeof *fl);
  mb_structure **img = mb__calloc((size_t)nimages, sizeof *img);
  mb_status st = MB_OK;
  if (!num || !flags || !pos || !z || !fl || !img) {
    st = MB_ERR_NOMEM;
    goto done;
  }
  if (!get_numbers(cp, "lattice", 9, lat, 0, 0, 0))
    st = bad(path, "checkpoint.lattice must be 9 finite numbers (A)");
  else if (!get_numbers(cp, "numbers", (size_t)natoms, num, 1, 1, 118))
    st = bad(path, "checkpoint.numbers must be natoms atomic numbers (1..118)");
  else if (!get_numbers(cp, "free", n, flags, 1, 0, 1))
    st = bad(path, "checkpoint.free must be 3*natoms flags 0 or 1");
  else if (!get_numbers(cp, "positions", (size_t)nimages * n, pos, 0, 0, 0))
    st = bad(path, "checkpoint.positions must be nimages*3*natoms finite numbers (A)");
  if (st) goto done;
  int any_fixed = 0;
  for (int a = 0; a < natoms; a++) z[a] = (int)num[a];
  for (size_t c = 0; c < n; c++) any_fixed |= !(fl[c] = (int)flags[c]);
  for (int i = 0; i < nimages && !st; i++)
    st = mb__structure_new(lat, natoms, pos + (size_t)i * n, MB_COORDS_CARTESIAN, z, &img[i]);
  if (!st && any_fixed) st = mb_structure_set_selective(img[0], fl);
  if (!st) st = mb_band_create_from_images(nimages, (const mb_structure *const *)img, out);
  if (!st) {
    /* exactly the stored positions (the structures hold fractional coordinates) */
    memcpy((*out)->pos, pos, (size_t)nimages * n * sizeof *pos);
  }
done:
  if (img)
    for (int i = 0; i < nimages; i++) mb_structure_free(img[i]);
  free(img), free(num), free(flags), free(pos), free(z), free(fl);
  return st;
}

/* The summary's options, by the names of the option table. */
static mb_status restore_options(const char *path, const cJSON *opts, mb_band *b) {
  if (!cJSON_IsObject(opts)) return bad(path, "no \"options\" object");
  for (int k = 0; k < mb__band_noptions; k++) {
    const mb__option *o = &mb__band_options[k];
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(opts, o->name);
    if (!x) continue; /* an option of a later release keeps its default */
    double v;
    int iv;
    if (o->key == MB_BAND_OPTIMIZER && cJSON_IsString(x)) {
      if (mb_name_find(MB_NAMES_OPTIMIZER, x->valuestring, &iv))
        return mb__error(MB_ERR_PARSE, "%s: options.optimizer: %s", path, mb_last_error());
      v = iv;
    } else if (cJSON_IsNumber(x)) {
      v = x->valuedouble;
    } else {
      return mb__error(MB_ERR_PARSE, "%s: options.%s must be a number", path, o->name);
    }
    mb_status st = mb_band_set_option(b, (mb_band_option)o->key, v);
    if (st) {
      mb__error_prefix("%s: options.%s", path, o->name);
      return st;
    }
  }
  return MB_OK;
}

MB_API mb_status mb_band_load(const char *path, mb_band **out, char **extra_json) {
  if (!path || !out) return mb__error(MB_ERR_INVALID_ARG, "mb_band_load: NULL argument");
  char *data = NULL;
  size_t size = 0;
  mb_band *b = NULL;
  cJSON *root = NULL;
  mb_status st = mb__read_file(path, &data, &size);
  if (st) return st;
  const char *end = NULL;
  if (!(root = mb__json_parse(data, size, &end))) {
    long line = 1;
    for (const char *p = data; end && p < end && *p; p++) line += *p == '\n';
    st = mb__parse_error(path, line, "band checkpoint: JSON syntax error");
    goto done;
  }
  const cJSON *fmt = cJSON_GetObjectItemCaseSensitive(root, "format");
  const cJSON *cp = cJSON_GetObjectItemCaseSensitive(root, "checkpoint");
  const cJSON *ver = cJSON_GetObjectItemCaseSensitive(cp, "version");
  double ni = get_count(root, "nimages"), na = get_count(root, "natoms");
  if (!cJSON_IsString(fmt) || strcmp(fmt->valuestring, "migbar-neb")) {
    st = bad(path, "\"format\" is not \"migbar-neb\"");
  } else if (!cJSON_IsObject(cp)) {
    st = bad(path, "no \"checkpoint\" object (a summary written by mb_band_write, or by "
                   "libmigbar before 0.4, cannot be restarted from)");
  } else if (!cJSON_IsNumber(ver) || ver->valuedouble != CHECKPOINT_VERSION) {
    st = bad(path, "checkpoint.version must be 1 (this release reads version 1)");
  } else if (!(ni >= 3 && ni <= 100000) || !(na >= 1 && na <= 10000000)) {
    st = bad(path, "\"nimages\" (3..100000) and \"natoms\" (>= 1) must be counts");
  }
  if (st) goto done;
  if ((st = build_band(path, cp, (int)ni, (int)na, &b)) ||
      (st = restore_options(path, cJSON_GetObjectItemCaseSensitive(root, "options"), b)))
    goto done;
  double steps = get_count(cp, "steps"), moving = get_count(cp, "force_calls_moving");
  double ends = get_count(cp, "force_calls_endpoints");
  if (steps < 0 || steps > 2e9 || moving < 0 || ends < 0) {
    st = bad(path, "checkpoint.steps and the force-call counts must be counts");
    goto done;
  }
  b->steps = (int)steps;
  b->moving_calls = (long)moving;
  b->endpoint_calls = (long)ends;
  b->climbing = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(cp, "climbing"));
  b->endpoints_relaxed = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(cp, "endpoints_relaxed"));
  if (extra_json) {
    const cJSON *run = cJSON_GetObjectItemCaseSensitive(root, "run");
    *extra_json = NULL;
    if (cJSON_IsObject(run)) {
      char *t = cJSON_PrintUnformatted(run);
      if (!t || !(*extra_json = mb__strdup(t))) st = MB_ERR_NOMEM;
      cJSON_free(t);
    }
  }
done:
  cJSON_Delete(root);
  free(data);
  if (st) {
    mb_band_free(b);
    return st;
  }
  *out = b;
  return MB_OK;
}
