/* Shared by the descriptor and forest suites: the reference of tests/data/desc
 * (reference.json, forest20.safetensors and extra21.safetensors, written by
 * make_reference.py there). */
#ifndef MB_DESCUTIL_H
#define MB_DESCUTIL_H

#include <math.h>

#include "../testutil.h"
#include "desc/desc.h"

#define DESC_MAX_INPUTS 64
#define DESC_MAX_FEATURES 128

typedef struct desc_ref {
  const char *text; /* the input object */
  size_t len;
  int nfeatures;
  double x[DESC_MAX_FEATURES]; /* descriptors.py, float64 */
  double mean, std;            /* sklearn: mean and sample std over the trees, eV */
  double et_value, et_std;     /* the extra trees: median and sample std (inputs only) */
} desc_ref;

static char *desc_text;
static desc_ref desc_refs[DESC_MAX_INPUTS];
static int desc_nrefs;
/* "probes": descriptor rows with one feature on, or a float32 step beside, a threshold */
#define DESC_MAX_PROBES 128
static desc_ref desc_probes[DESC_MAX_PROBES];
static int desc_nprobes;
/* the same for extra21.safetensors (rows on its thresholds; mean holds its median) */
static desc_ref desc_et_probes[DESC_MAX_PROBES];
static int desc_net_probes;

/* The value after "key": in [p, end) (its first element, for an array). */
static const char *desc_after(const char *p, const char *end, const char *key) {
  char k[64];
  snprintf(k, sizeof k, "\"%s\":", key);
  const char *q = strstr(p, k);
  ck_assert_msg(q && q < end, "reference input lacks '%s'", key);
  q += strlen(k);
  while (*q == '[' || *q == ' ') q++;
  return q;
}

/* The objects of the array after "key": into refs (at most max), their count. */
static int desc_scan(const char *key, const char *xkey, desc_ref *refs, int max) {
  char k[64];
  snprintf(k, sizeof k, "\"%s\":", key);
  const char *p = strstr(desc_text, k);
  ck_assert_ptr_nonnull(p);
  p = strchr(p, '[') + 1;
  int n = 0;
  while (*p == '{' && n < max) {
    desc_ref *r = &refs[n++];
    const char *end = mb_test_json_skip(p);
    r->text = p;
    r->len = (size_t)(end - p);
    const char *q = desc_after(p, end, xkey);
    while (*q != ']') {
      char *next;
      ck_assert_int_lt(r->nfeatures, DESC_MAX_FEATURES);
      r->x[r->nfeatures++] = strtod(q, &next);
      q = next;
      while (*q == ',' || *q == ' ') q++;
    }
    r->mean = strtod(desc_after(p, end, "mean"), NULL);
    r->std = strtod(desc_after(p, end, "std"), NULL);
    if (strstr(p, "\"et_value\":") && strstr(p, "\"et_value\":") < end) {
      r->et_value = strtod(desc_after(p, end, "et_value"), NULL);
      r->et_std = strtod(desc_after(p, end, "et_std"), NULL);
    }
    p = end;
    while (*p == ',') p++;
  }
  return n;
}

static void desc_load_refs(void) {
  if (desc_text) return;
  char path[1024];
  desc_text = mb_test_slurp(mb_test_data("desc/reference.json", path, sizeof path));
  desc_nrefs = desc_scan("inputs", "descriptors", desc_refs, DESC_MAX_INPUTS);
  desc_nprobes = desc_scan("probes", "x", desc_probes, DESC_MAX_PROBES);
  desc_net_probes = desc_scan("et_probes", "x", desc_et_probes, DESC_MAX_PROBES);
  ck_assert_int_eq(desc_nrefs, 32);
  ck_assert_int_eq(desc_nprobes, 80);
  ck_assert_int_eq(desc_net_probes, 80);
}

static mb_structure *desc_structure(const desc_ref *r) {
  mb_structure *s = NULL;
  MB_OK_OR_FAIL(mb_structure_read_buffer(r->text, r->len, MB_FORMAT_JSON, "reference.json", 0,
                                         &s));
  return s;
}

/* A whole binary file (the caller frees it). */
static unsigned char *desc_read_bytes(const char *path, size_t *size) {
  FILE *f = fopen(path, "rb");
  ck_assert_msg(f != NULL, "cannot open %s", path);
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  unsigned char *data = malloc((size_t)n + 1);
  ck_assert_uint_eq(fread(data, 1, (size_t)n, f), (size_t)n);
  fclose(f);
  *size = (size_t)n;
  return data;
}

/* tests/data/desc/NAME loaded as a forest */
static mb__forest *desc_load_forest_named(const char *name) {
  char path[1024];
  size_t size;
  mb_test_data(name, path, sizeof path);
  unsigned char *data = desc_read_bytes(path, &size);
  mb__forest *f = NULL;
  MB_OK_OR_FAIL(mb__forest_load_buffer(data, size, path, &f));
  free(data);
  return f;
}

/* the random forest (format 1, mean of the trees) */
static mb__forest *desc_load_forest(void) {
  return desc_load_forest_named("desc/forest20.safetensors");
}

/* the extremely randomized trees (format 2, median of the trees) */
static mb__forest *desc_load_extra_trees(void) {
  return desc_load_forest_named("desc/extra21.safetensors");
}

#endif
