/* JSON reader and writer for the "atoms" layout of the training data:
 *
 *   {"lattice_mat": [[ax,ay,az],[bx,by,bz],[cx,cy,cz]], "coords": [[f1,f2,f3], ...],
 *    "elements": ["Mg", ...], "cartesian": false}
 *
 * A file holds one such object, one entry object with it under "atoms", or an array of
 * either (index selects the entry). Dataset files are several MB on one line, so the
 * reader does not build a tree of the whole file: a light scan finds the top-level
 * entries (balanced brackets, strings, commas), and only the entry asked for is parsed
 * by cJSON. Errors give the line and, inside an array, the entry number; for a bad
 * member the line is that of its key. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>

#include <cjson/cJSON.h>

#include "../core/json.h"

#include "io.h"

/* ---- a light scan of JSON text (the exact grammar is left to cJSON) ------------- */

static const char *skip_ws(const char *p, const char *end) {
  while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')) p++;
  return p;
}

/* p at '"': the character after the closing quote, or NULL. */
static const char *skip_string(const char *p, const char *end) {
  for (p++; p < end; p++) {
    if (*p == '\\')
      p++;
    else if (*p == '"')
      return p + 1;
  }
  return NULL;
}

/* The end of the value that starts at p, or NULL when it does not end. */
static const char *skip_value(const char *p, const char *end) {
  if (p >= end) return NULL;
  if (*p == '"') return skip_string(p, end);
  if (*p == '[' || *p == '{') {
    long depth = 0;
    while (p < end) {
      if (*p == '"') {
        if (!(p = skip_string(p, end))) return NULL;
        continue;
      }
      if (*p == '[' || *p == '{') depth++;
      if ((*p == ']' || *p == '}') && --depth == 0) return p + 1;
      p++;
    }
    return NULL;
  }
  const char *start = p;
  while (p < end && *p != '\0' && !strchr(",]} \t\n\r", *p)) p++;
  return p > start ? p : NULL;
}

/* In the object that starts at obj ('{'), where the value of key starts, or NULL. */
static const char *member(const char *obj, const char *end, const char *key) {
  size_t klen = strlen(key);
  const char *p = skip_ws(obj + 1, end);
  while (p < end && *p == '"') {
    const char *q = skip_string(p, end);
    if (!q) return NULL;
    int match = (size_t)(q - p - 2) == klen && memcmp(p + 1, key, klen) == 0;
    p = skip_ws(q, end);
    if (p >= end || *p != ':') return NULL;
    p = skip_ws(p + 1, end);
    if (match) return p;
    if (!(q = skip_value(p, end))) return NULL;
    p = skip_ws(q, end);
    if (p >= end || *p != ',') return NULL;
    p = skip_ws(p + 1, end);
  }
  return NULL;
}

static long line_at(const char *begin, const char *p) {
  long line = 1;
  for (const char *q = begin; q < p && (q = memchr(q, '\n', (size_t)(p - q))); q++) line++;
  return line;
}

/* ---- one entry ----------------------------------------------------------------- */

typedef struct jentry {
  const char *name, *begin;  /* file name and text, for messages */
  const char *start, *end;   /* text of the entry */
  int index;                 /* entry number in an array, -1 for a lone object */
} jentry;

/* "file:line: entry k: message", the line being that of key (or of the entry). */
static mb_status entry_error(const jentry *e, const char *key, const char *fmt, ...)
    MB_PRINTF(3, 4);
static mb_status entry_error(const jentry *e, const char *key, const char *fmt, ...) {
  char msg[512], where[32] = "";
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  const char *at = e->start;
  if (key && *e->start == '{') {
    const char *atoms = member(e->start, e->end, "atoms");
    const char *obj = atoms && *atoms == '{' ? atoms : e->start;
    const char *v = member(obj, e->end, key);
    if (v) at = v;
  }
  if (e->index >= 0) snprintf(where, sizeof where, "entry %d: ", e->index);
  return mb__parse_error(e->name, line_at(e->begin, at), "%s%s", where, msg);
}

/* n rows of 3 finite numbers from a JSON array into out (3n doubles). */
static mb_status read_rows(const jentry *e, const cJSON *arr, const char *key, int n,
                           double *out) {
  int i = 0;
  const cJSON *row;
  cJSON_ArrayForEach(row, arr) {
    int k = 0;
    const cJSON *x;
    if (i == n) return entry_error(e, key, "'%s' has more than %d rows", key, n);
    if (!cJSON_IsArray(row)) return entry_error(e, key, "'%s' row %d is not an array", key, i);
    cJSON_ArrayForEach(x, row) {
      if (k == 3) break;
      if (!cJSON_IsNumber(x) || !isfinite(x->valuedouble))
        return entry_error(e, key, "'%s' row %d: value %d is not a finite number", key, i, k);
      out[3 * i + k++] = x->valuedouble;
    }
    if (k != 3 || x)
      return entry_error(e, key, "'%s' row %d must have 3 numbers", key, i);
    i++;
  }
  if (i != n) return entry_error(e, key, "'%s' has %d rows, expected %d", key, i, n);
  return MB_OK;
}

static int array_length(const cJSON *arr) {
  int n = 0;
  const cJSON *x;
  cJSON_ArrayForEach(x, arr) n++;
  return n;
}

static mb_status entry_structure(const jentry *e, const cJSON *entry, mb_structure **out) {
  if (!cJSON_IsObject(entry)) return entry_error(e, NULL, "expected a JSON object");
  const cJSON *atoms = cJSON_GetObjectItemCaseSensitive(entry, "atoms");
  if (atoms && !cJSON_IsObject(atoms)) return entry_error(e, "atoms", "'atoms' is not an object");
  if (!atoms) atoms = entry;
  const cJSON *lat = cJSON_GetObjectItemCaseSensitive(atoms, "lattice_mat");
  const cJSON *coords = cJSON_GetObjectItemCaseSensitive(atoms, "coords");
  const cJSON *elements = cJSON_GetObjectItemCaseSensitive(atoms, "elements");
  const cJSON *cart = cJSON_GetObjectItemCaseSensitive(atoms, "cartesian");
  const char *missing = !lat ? "lattice_mat" : !coords ? "coords" : !elements ? "elements" : NULL;
  if (missing) return entry_error(e, NULL, "no '%s' member", missing);
  if (!cJSON_IsArray(lat)) return entry_error(e, "lattice_mat", "'lattice_mat' is not an array");
  if (!cJSON_IsArray(coords)) return entry_error(e, "coords", "'coords' is not an array");
  if (!cJSON_IsArray(elements)) return entry_error(e, "elements", "'elements' is not an array");
  if (cart && !cJSON_IsBool(cart))
    return entry_error(e, "cartesian", "'cartesian' must be true or false");
  int n = array_length(coords), ne = array_length(elements);
  if (n != ne)
    return entry_error(e, "elements", "'coords' has %d rows but 'elements' has %d", n, ne);
  if (n == 0) return entry_error(e, "coords", "no atoms");
  double lattice[9];
  double *pos = mb__malloc((size_t)n * 3, sizeof(double));
  int *z = mb__malloc((size_t)n, sizeof(int));
  mb_status st = MB_ERR_NOMEM;
  if (!pos || !z) goto done;
  if ((st = read_rows(e, lat, "lattice_mat", 3, lattice))) goto done;
  if ((st = read_rows(e, coords, "coords", n, pos))) goto done;
  int i = 0;
  const cJSON *el;
  cJSON_ArrayForEach(el, elements) {
    if (!cJSON_IsString(el) || mb_element_number(el->valuestring, &z[i]) != MB_OK) {
      st = entry_error(e, "elements", "element %d (%.20s) is not a chemical symbol", i,
                       cJSON_IsString(el) ? el->valuestring : "not a string");
      goto done;
    }
    i++;
  }
  st = mb__structure_new(lattice, n, pos,
                         cJSON_IsTrue(cart) ? MB_COORDS_CARTESIAN : MB_COORDS_FRACTIONAL, z, out);
  if (st) {
    if (e->index >= 0)
      mb__error_prefix("%s:%ld: entry %d", e->name, line_at(e->begin, e->start), e->index);
    else
      mb__error_prefix("%s:%ld", e->name, line_at(e->begin, e->start));
  }
done:
  free(pos);
  free(z);
  return st;
}

static mb_status parse_entry(const jentry *e, mb_structure **out) {
  const char *errp = NULL;
  cJSON *root = mb__json_parse(e->start, (size_t)(e->end - e->start), &errp);
  if (!root) {
    const char *at = errp && errp >= e->start && errp <= e->end ? errp : e->start;
    size_t left = (size_t)(e->end - at);
    char near[24];
    size_t k = 0;
    for (; k < left && k < sizeof near - 1 && at[k] != '\n' && at[k] != '\0'; k++) near[k] = at[k];
    near[k] = '\0';
    char where[32] = "";
    if (e->index >= 0) snprintf(where, sizeof where, "entry %d: ", e->index);
    return mb__parse_error(e->name, line_at(e->begin, at), "%sJSON syntax error near '%s'",
                           where, near);
  }
  mb_status st = entry_structure(e, root, out);
  cJSON_Delete(root);
  return st;
}

/* ---- the reader and writer ---------------------------------------------------- */

mb_status mb__read_json(const char *data, size_t size, const char *name, int index,
                        mb_structure **out, int *count) {
  const char *end = data + size;
  const char *p = skip_ws(data, end);
  jentry e = {name, data, p, NULL, -1};
  int n = 0;
  if (p >= end) return mb__parse_error(name, line_at(data, p), "empty JSON file");
  if (*p == '{') {
    if (!(e.end = skip_value(p, end)))
      return mb__parse_error(name, line_at(data, p), "the object that starts here does not end");
    n = 1;
    p = skip_ws(e.end, end);
  } else if (*p == '[') {
    long open = line_at(data, p);
    p = skip_ws(p + 1, end);
    if (p < end && *p == ']') p++;
    else
      for (;;) {
        const char *v = skip_value(p, end);
        if (!v)
          return mb__parse_error(name, line_at(data, p), "entry %d does not end", n);
        if (n == index) {
          e.start = p;
          e.end = v;
          e.index = n;
        }
        if (n == 0x7fffffff) return mb__parse_error(name, open, "too many entries");
        n++;
        p = skip_ws(v, end);
        if (p < end && *p == ',') {
          p = skip_ws(p + 1, end);
          continue;
        }
        if (p < end && *p == ']') {
          p++;
          break;
        }
        return mb__parse_error(name, line_at(data, p), "expected ',' or ']' after entry %d "
                               "(the array opens at line %ld)", n - 1, open);
      }
    p = skip_ws(p, end);
  } else {
    return mb__parse_error(name, line_at(data, p), "expected a JSON object or array");
  }
  if (p < end)
    return mb__parse_error(name, line_at(data, p), "unexpected text after the JSON value");
  if (!out) {
    *count = n;
    return MB_OK;
  }
  if (index >= n)
    return mb__error(MB_ERR_RANGE, "%s: entry %d asked for, but the file has %d", name, index, n);
  return parse_entry(&e, out);
}

static void put_rows(mb_strbuf *sb, const double *v, int n) {
  mb__sb_puts(sb, "[");
  for (int i = 0; i < n; i++)
    mb__sb_printf(sb, "%s[%.17g, %.17g, %.17g]", i ? ", " : "", v[3 * i], v[3 * i + 1],
                  v[3 * i + 2]);
  mb__sb_puts(sb, "]");
}

mb_status mb__write_json(const mb_structure *s, mb_strbuf *sb) {
  mb__sb_puts(sb, "{\n  \"lattice_mat\": ");
  put_rows(sb, s->lattice, 3);
  mb__sb_puts(sb, ",\n  \"coords\": ");
  put_rows(sb, s->frac, s->natoms);
  mb__sb_puts(sb, ",\n  \"elements\": [");
  for (int i = 0; i < s->natoms; i++) {
    const char *sym = "X";
    mb_element_symbol(s->numbers[i], &sym);
    mb__sb_printf(sb, "%s\"%s\"", i ? ", " : "", sym);
  }
  mb__sb_puts(sb, "],\n  \"cartesian\": false\n}\n");
  return MB_OK;
}
