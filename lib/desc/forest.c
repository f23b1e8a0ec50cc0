/* A forest of regression trees on hop descriptors (docs/descriptors.md): a file written
 * by train/migbar_train/forest.py is loaded, every index and number in it validated, and
 * evaluated as sklearn evaluates the RandomForestRegressor or ExtraTreesRegressor it came
 * from: each descriptor is cast to float32, a sample goes left where
 * (double)(float)x[feature] <= threshold, the leaf's value is the tree's prediction (exp
 * of it with a log target), and the forest predicts the mean over the trees (sklearn's
 * predict) or, where the file says "aggregate": "median", their median (as numpy's). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "../core/json.h"

#include "../gnn/gnn.h"
#include "../gnn/safetensors.h"
#include "desc.h"

/* format 1: random forests, mean of the trees; format 2 adds "aggregate" (required) and
 * the kind "extra-trees" */
#define FOREST_FORMAT_MAX 2
#define FOREST_MAX_TREES 100000
/* exp of a larger log target overflows */
#define FOREST_MAX_LOG 709.0

int mb__forest_detect(const unsigned char *data, size_t size) {
  return mb__st_has_meta(data, size, MB__FOREST_KEY);
}

void mb__forest_free(mb__forest *f) {
  if (!f) return;
  free(f->offset); /* one block with left, right and feature */
  free(f->threshold);
  free(f->value);
  free(f->target);
  free(f->units);
  mb__desc_free(&f->desc);
  free(f->metadata);
  free(f);
}

/* ---- migbar.forest ------------------------------------------------------------------- */

static mb_status bad(const char *file, const char *key, const char *what) {
  return mb__error(MB_ERR_MODEL, "%s: migbar.forest: '%s' %s", file, key, what);
}

static mb_status parse_meta(const cJSON *root, const char *file, mb__forest *f) {
  static const char *const known[] = {"format_version", "kind", "target", "units",
                                      "log_target", "ntrees", "feature_set", "features",
                                      "elements", "constants", "estimator", "aggregate"};
  if (!cJSON_IsObject(root)) return mb__error(MB_ERR_MODEL, "%s: migbar.forest is not a JSON "
                                              "object", file);
  const cJSON *x;
  cJSON_ArrayForEach(x, root) {
    size_t k = 0;
    while (k < sizeof known / sizeof *known && strcmp(known[k], x->string)) k++;
    if (k == sizeof known / sizeof *known)
      return mb__error(MB_ERR_MODEL, "%s: migbar.forest: unknown key '%s'", file, x->string);
  }
  const cJSON *ver = cJSON_GetObjectItemCaseSensitive(root, "format_version");
  const cJSON *kind = cJSON_GetObjectItemCaseSensitive(root, "kind");
  const cJSON *target = cJSON_GetObjectItemCaseSensitive(root, "target");
  const cJSON *units = cJSON_GetObjectItemCaseSensitive(root, "units");
  const cJSON *lg = cJSON_GetObjectItemCaseSensitive(root, "log_target");
  const cJSON *nt = cJSON_GetObjectItemCaseSensitive(root, "ntrees");
  if (!cJSON_IsNumber(ver) || (ver->valuedouble != 1 && ver->valuedouble != 2))
    return bad(file, "format_version", "must be 1 or 2 (this release reads forests of "
               "formats 1 and 2)");
  int version = (int)ver->valuedouble;
  if (!cJSON_IsString(kind) || (strcmp(kind->valuestring, "random-forest") &&
                                (version < 2 || strcmp(kind->valuestring, "extra-trees"))))
    return bad(file, "kind", version < 2 ? "must be \"random-forest\" in format 1"
                                         : "must be \"random-forest\" or \"extra-trees\"");
  const cJSON *agg = cJSON_GetObjectItemCaseSensitive(root, "aggregate");
  if (version < 2 && agg) return bad(file, "aggregate", "is not part of format 1 (use 2)");
  if (version >= 2 && (!cJSON_IsString(agg) || (strcmp(agg->valuestring, "mean") &&
                                                strcmp(agg->valuestring, "median"))))
    return bad(file, "aggregate", "must be \"mean\" or \"median\"");
  f->median = agg && !strcmp(agg->valuestring, "median");
  if (!cJSON_IsString(target) || !target->valuestring[0])
    return bad(file, "target", "must be the output's name");
  if (!cJSON_IsString(units)) return bad(file, "units", "must be a string");
  if (!cJSON_IsBool(lg)) return bad(file, "log_target", "must be true or false");
  if (!cJSON_IsNumber(nt) || !(nt->valuedouble >= 1 && nt->valuedouble <= FOREST_MAX_TREES) ||
      floor(nt->valuedouble) != nt->valuedouble)
    return bad(file, "ntrees", "must be an integer from 1 to 100000");
  f->log_target = cJSON_IsTrue(lg);
  f->ntrees = (int)nt->valuedouble;
  if (!(f->target = mb__strdup(target->valuestring)) ||
      !(f->units = mb__strdup(units->valuestring)))
    return MB_ERR_NOMEM;
  return mb__desc_parse(root, file, &f->desc);
}

/* __metadata__ as one JSON object: values that are JSON objects or arrays embedded,
 * others kept as strings (as mb_model_metadata gives a model's). */
static mb_status metadata_json(const st_file *sf, char **out) {
  cJSON *root = cJSON_CreateObject();
  for (size_t i = 0; root && i < sf->nmeta; i++) {
    cJSON *v = mb__json_parse_string(sf->meta_values[i]);
    if (v && !cJSON_IsObject(v) && !cJSON_IsArray(v)) {
      cJSON_Delete(v);
      v = NULL;
    }
    if (!v) v = cJSON_CreateString(sf->meta_values[i]);
    if (!v || !cJSON_AddItemToObject(root, sf->meta_keys[i], v)) {
      cJSON_Delete(v);
      cJSON_Delete(root);
      root = NULL;
    }
  }
  char *text = root ? cJSON_PrintUnformatted(root) : NULL;
  cJSON_Delete(root);
  if (!text) return mb__error(MB_ERR_NOMEM, "out of memory");
  *out = mb__strdup(text);
  cJSON_free(text);
  return *out ? MB_OK : MB_ERR_NOMEM;
}

/* ---- tensors --------------------------------------------------------------------------- */

static const char *const tensor_name[] = {"tree_offset", "left", "right", "feature",
                                          "threshold", "value"};
#define NTENSORS 6

/* The six tensors, 1-D, of their dtypes and sizes, and no other. */
static mb_status find_tensors(const st_file *sf, const char *file, int ntrees,
                              const st_tensor *t[NTENSORS]) {
  for (size_t i = 0; i < sf->ntensors; i++) {
    int k = 0;
    while (k < NTENSORS && strcmp(tensor_name[k], sf->tensors[i].name)) k++;
    if (k == NTENSORS)
      return mb__error(MB_ERR_MODEL, "%s: tensor '%s': not part of a forest (extra tensor)",
                       file, sf->tensors[i].name);
  }
  for (int k = 0; k < NTENSORS; k++) {
    if (!(t[k] = mb__st_find(sf, tensor_name[k])))
      return mb__error(MB_ERR_MODEL, "%s: tensor '%s': missing", file, tensor_name[k]);
    int want = k < 4 ? ST_I32 : ST_F64;
    if (t[k]->dtype != want)
      return mb__error(MB_ERR_MODEL, "%s: tensor '%s': dtype %s, expected %s", file,
                       tensor_name[k], t[k]->dtype == ST_I32 ? "I32" : "F64",
                       want == ST_I32 ? "I32" : "F64");
    int64_t n = k == 0 ? (int64_t)ntrees + 1 : t[1]->ndim == 1 ? t[1]->shape[0] : -1;
    if (t[k]->ndim != 1 || t[k]->shape[0] != n || (k > 0 && n < 1))
      return mb__error(MB_ERR_MODEL, "%s: tensor '%s': must be 1-D of %s", file,
                       tensor_name[k], k == 0 ? "ntrees + 1 entries" : "one entry per node "
                       "(the size of 'left', at least 1)");
  }
  return MB_OK;
}

static mb_status copy_tensors(const st_tensor *t[NTENSORS], mb__forest *f) {
  size_t n = t[1]->count, T = (size_t)f->ntrees + 1;
  f->nnodes = n;
  f->offset = mb__malloc(T + 3 * n, sizeof *f->offset);
  f->threshold = mb__malloc(n, sizeof *f->threshold);
  f->value = mb__malloc(n, sizeof *f->value);
  if (!f->offset || !f->threshold || !f->value) return MB_ERR_NOMEM;
  f->left = f->offset + T;
  f->right = f->left + n;
  f->feature = f->right + n;
  mb__st_copy_i32(t[0], f->offset);
  mb__st_copy_i32(t[1], f->left);
  mb__st_copy_i32(t[2], f->right);
  mb__st_copy_i32(t[3], f->feature);
  mb__st_copy_f64(t[4], f->threshold);
  mb__st_copy_f64(t[5], f->value);
  return MB_OK;
}

/* Every tree is a tree: children after their parent and inside the tree (so no cycles),
 * leaves marked -1 on both sides, each node but the root the child of exactly one node;
 * splits on an existing feature at a finite threshold; finite leaf values. */
static mb_status check_trees(const mb__forest *f, const char *file) {
  const int32_t *off = f->offset;
  if (off[0] != 0)
    return mb__error(MB_ERR_MODEL, "%s: tensor 'tree_offset': entry 0 is %d, not 0", file,
                     (int)off[0]);
  for (int t = 0; t < f->ntrees; t++)
    if (off[t + 1] <= off[t] || (size_t)off[t + 1] > f->nnodes)
      return mb__error(MB_ERR_MODEL, "%s: tensor 'tree_offset': entry %d (%d) must be greater "
                       "than entry %d (%d) and at most the %zu nodes", file, t + 1,
                       (int)off[t + 1], t, (int)off[t], f->nnodes);
  if ((size_t)off[f->ntrees] != f->nnodes)
    return mb__error(MB_ERR_MODEL, "%s: tensor 'tree_offset': the trees hold %d nodes, the "
                     "node tensors %zu", file, (int)off[f->ntrees], f->nnodes);
  unsigned char *parents = mb__calloc(f->nnodes, 1);
  if (!parents) return MB_ERR_NOMEM;
  mb_status st = MB_OK;
  for (int t = 0; t < f->ntrees && !st; t++) {
    int n = off[t + 1] - off[t];
    for (int i = 0; i < n && !st; i++) {
      size_t g = (size_t)off[t] + (size_t)i;
      int l = f->left[g], r = f->right[g];
      if (l == -1 || r == -1) {
        if (l != r)
          st = mb__error(MB_ERR_MODEL, "%s: tensor '%s': node %d of tree %d: a leaf has -1 on "
                         "both sides (left %d, right %d)", file, l == -1 ? "right" : "left", i,
                         t, l, r);
        else if (!isfinite(f->value[g]) || (f->log_target && f->value[g] > FOREST_MAX_LOG))
          st = mb__error(MB_ERR_MODEL, "%s: tensor 'value': node %d of tree %d: leaf value %g "
                         "is not %s", file, i, t, f->value[g],
                         f->log_target ? "a finite log target" : "finite");
        continue;
      }
      const char *side = !(l > i && l < n) ? "left" : !(r > i && r < n) || r == l ? "right" : NULL;
      if (side)
        st = mb__error(MB_ERR_MODEL, "%s: tensor '%s': node %d of tree %d: child %d must be "
                       "after the node and inside the tree (%d nodes), and the two children "
                       "distinct", file, side, i, t, side[0] == 'l' ? l : r, n);
      else if (f->feature[g] < 0 || f->feature[g] >= f->desc.nfeatures)
        st = mb__error(MB_ERR_MODEL, "%s: tensor 'feature': node %d of tree %d splits on "
                       "feature %d, outside 0..%d", file, i, t, (int)f->feature[g],
                       f->desc.nfeatures - 1);
      else if (!isfinite(f->threshold[g]))
        st = mb__error(MB_ERR_MODEL, "%s: tensor 'threshold': node %d of tree %d: threshold %g "
                       "is not finite", file, i, t, f->threshold[g]);
      else if (parents[(size_t)off[t] + (size_t)l] || parents[(size_t)off[t] + (size_t)r])
        st = mb__error(MB_ERR_MODEL, "%s: tensor '%s': node %d of tree %d: child %d has "
                       "another parent", file, parents[(size_t)off[t] + (size_t)l] ? "left"
                       : "right", i, t, parents[(size_t)off[t] + (size_t)l] ? l : r);
      else
        parents[(size_t)off[t] + (size_t)l] = parents[(size_t)off[t] + (size_t)r] = 1;
    }
    for (int i = 1; i < n && !st; i++)
      if (!parents[(size_t)off[t] + (size_t)i])
        st = mb__error(MB_ERR_MODEL, "%s: tensor 'left': node %d of tree %d is not reached "
                       "from the root", file, i, t);
  }
  free(parents);
  return st;
}

mb_status mb__forest_load_buffer(const unsigned char *data, size_t size, const char *name,
                                 mb__forest **out) {
  if (!name) name = "forest";
  st_file sf = {0};
  cJSON *root = NULL;
  mb__forest *f = NULL;
  mb_status st = mb__st_parse_dtypes(data, size, name, ST_DTYPE(ST_F64) | ST_DTYPE(ST_I32), &sf);
  if (st) goto done;
  const char *text = mb__st_meta(&sf, MB__FOREST_KEY);
  if (!text) {
    st = mb__error(MB_ERR_MODEL, "%s: no '" MB__FOREST_KEY "' metadata: not a forest", name);
    goto done;
  }
  if (!(f = mb__calloc(1, sizeof *f))) {
    st = MB_ERR_NOMEM;
    goto done;
  }
  if (!(root = mb__json_parse_string(text))) {
    st = mb__error(MB_ERR_MODEL, "%s: " MB__FOREST_KEY " is not valid JSON", name);
    goto done;
  }
  const st_tensor *t[NTENSORS];
  if ((st = parse_meta(root, name, f)) || (st = find_tensors(&sf, name, f->ntrees, t)) ||
      (st = copy_tensors(t, f)) || (st = check_trees(f, name)))
    goto done;
  st = metadata_json(&sf, &f->metadata);
done:
  cJSON_Delete(root);
  mb__st_free(&sf);
  if (st) {
    mb__forest_free(f);
    return st;
  }
  *out = f;
  return MB_OK;
}

/* ---- evaluation ------------------------------------------------------------------------ */

/* Tree t's prediction, in target units. */
static double tree_eval(const mb__forest *f, int t, const double *x) {
  const int32_t *left = f->left + f->offset[t], *right = f->right + f->offset[t];
  const int32_t *feature = f->feature + f->offset[t];
  const double *threshold = f->threshold + f->offset[t];
  int i = 0;
  while (left[i] >= 0) i = (double)(float)x[feature[i]] <= threshold[i] ? left[i] : right[i];
  double y = f->value[f->offset[t] + i];
  return f->log_target ? exp(y) : y;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

mb_status mb__forest_eval(const mb__forest *f, const double *x, double *value, double *std) {
  enum { ON_STACK = 512 };
  double stack[ON_STACK], *v = stack;
  int n = f->ntrees;
  if (n > ON_STACK && !(v = mb__malloc((size_t)n, sizeof *v))) return MB_ERR_NOMEM;
  /* as numpy's mean and std (ddof 1) over the trees: sums in tree order */
  double s = 0, ss = 0;
  for (int t = 0; t < n; t++) s += v[t] = tree_eval(f, t, x);
  double m = s / n;
  for (int t = 0; std && t < n; t++) ss += (v[t] - m) * (v[t] - m);
  if (std) *std = n > 1 ? sqrt(ss / (n - 1)) : 0.0;
  if (f->median) {
    /* numpy's median: the middle value, or the mean of the two middle ones */
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    m = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
  }
  *value = m;
  if (v != stack) free(v);
  return MB_OK;
}

mb_status mb__forest_predict_structure(const mb__forest *f, const mb_structure *s, int nband,
                                       double *mean, double *std) {
  if (nband != f->desc.band_images)
    return mb__error(MB_ERR_INVALID_ARG, "random forest: reads migration bands whose first %d "
                     "atoms are the ion's images (nband = %d)", f->desc.band_images, nband);
  double *x = mb__malloc((size_t)f->desc.nfeatures, sizeof *x);
  if (!x) return MB_ERR_NOMEM;
  mb_status st = mb__desc_compute(&f->desc, s, x);
  if (!st) st = mb__forest_eval(f, x, mean, std);
  free(x);
  return st;
}

mb_status mb__forest_predict_hop(const mb__forest *f, const mb_structure *initial,
                                 const mb_structure *final, int ion, double *mean,
                                 double *std) {
  mb_structure *band = NULL;
  mb_status st = mb__gnn_hop_band(initial, final, ion, f->desc.band_images, "predict band",
                                  &band);
  if (!st) st = mb__forest_predict_structure(f, band, f->desc.band_images, mean, std);
  mb_structure_free(band);
  return st;
}
