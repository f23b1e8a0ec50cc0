/* The migbar.config metadata of a model file (docs/model.md, section 5): every key is
 * required, every value checked, and keys or a format_version this release does not
 * know are refused, so that a model is never run under a different architecture. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "../core/json.h"

#include "gnn.h"

/* Upper bounds that no sane model exceeds (they keep sizes far from overflow). */
#define CFG_MAX_WIDTH 8192
#define CFG_MAX_LAYERS 256
#define CFG_MAX_K 1000
#define CFG_MAX_RBF 10000
#define CFG_MAX_TARGETS 4096

static const char *const known_keys[] = {
    "format_version", "k", "embedding", "hidden", "alignn_layers", "gcn_layers",
    "norm", "band_flags", "pooling", "band_images", "edge_rbf", "angle_rbf",
    "targets", "target_mean", "target_std", "target_units", "line_graph"};
#define NKEYS (sizeof known_keys / sizeof known_keys[0])

void mb__gnn_config_free(gnn_config *cfg) {
  if (!cfg) return;
  for (int i = 0; i < cfg->ntargets; i++) {
    if (cfg->targets) free(cfg->targets[i]);
    if (cfg->target_units) free(cfg->target_units[i]);
  }
  free(cfg->targets);
  free(cfg->target_units);
  free(cfg->target_mean);
  free(cfg->target_std);
  memset(cfg, 0, sizeof *cfg);
}

static mb_status bad(const char *file, const char *key, const char *what) {
  return mb__error(MB_ERR_MODEL, "%s: migbar.config: '%s' %s", file, key, what);
}

static mb_status get_int(const cJSON *root, const char *file, const char *key, int lo, int hi,
                         int *v) {
  const cJSON *x = cJSON_GetObjectItemCaseSensitive(root, key);
  if (!x) return bad(file, key, "is missing");
  double d = x->valuedouble;
  if (!cJSON_IsNumber(x) || !isfinite(d) || floor(d) != d || d < lo || d > hi)
    return mb__error(MB_ERR_MODEL, "%s: migbar.config: '%s' must be an integer in %d..%d", file,
                     key, lo, hi);
  *v = (int)d;
  return MB_OK;
}

static mb_status get_bool(const cJSON *root, const char *file, const char *key, int *v) {
  const cJSON *x = cJSON_GetObjectItemCaseSensitive(root, key);
  if (!x) return bad(file, key, "is missing");
  if (!cJSON_IsBool(x)) return bad(file, key, "must be true or false");
  *v = cJSON_IsTrue(x) ? 1 : 0;
  return MB_OK;
}

/* One of the strings names[0..n-1]. */
static mb_status get_choice(const cJSON *root, const char *file, const char *key,
                            const char *const *names, int n, int *v) {
  const cJSON *x = cJSON_GetObjectItemCaseSensitive(root, key);
  if (!x) return bad(file, key, "is missing");
  if (cJSON_IsString(x))
    for (int i = 0; i < n; i++)
      if (!strcmp(x->valuestring, names[i])) {
        *v = i;
        return MB_OK;
      }
  return mb__error(MB_ERR_MODEL, "%s: migbar.config: '%s' must be \"%s\" or \"%s\"", file, key,
                   names[0], names[1]);
}

/* [lo, hi, n] with lo < hi finite and 2 <= n <= CFG_MAX_RBF. */
static mb_status get_rbf(const cJSON *root, const char *file, const char *key, double *lo,
                         double *hi, int *n) {
  const cJSON *x = cJSON_GetObjectItemCaseSensitive(root, key);
  if (!x) return bad(file, key, "is missing");
  if (!cJSON_IsArray(x) || cJSON_GetArraySize(x) != 3) return bad(file, key, "must be [lo, hi, n]");
  const cJSON *a = cJSON_GetArrayItem(x, 0), *b = cJSON_GetArrayItem(x, 1),
              *c = cJSON_GetArrayItem(x, 2);
  if (!cJSON_IsNumber(a) || !cJSON_IsNumber(b) || !cJSON_IsNumber(c) ||
      !isfinite(a->valuedouble) || !isfinite(b->valuedouble) || !(a->valuedouble < b->valuedouble))
    return bad(file, key, "must be [lo, hi, n] with finite lo < hi");
  double d = c->valuedouble;
  if (!isfinite(d) || floor(d) != d || d < 2 || d > CFG_MAX_RBF)
    return bad(file, key, "must have an integer count n in 2..10000");
  *lo = a->valuedouble;
  *hi = b->valuedouble;
  *n = (int)d;
  return MB_OK;
}

/* An array of ntargets strings (or numbers): *len is set from the first array read. */
static mb_status get_list(const cJSON *root, const char *file, const char *key, int strings,
                          int *len, char ***sv, double **dv) {
  const cJSON *x = cJSON_GetObjectItemCaseSensitive(root, key);
  if (!x) return bad(file, key, "is missing");
  if (!cJSON_IsArray(x)) return bad(file, key, "must be an array");
  int n = cJSON_GetArraySize(x);
  if (*len < 0) {
    if (n < 1 || n > CFG_MAX_TARGETS) return bad(file, key, "must hold 1 to 4096 entries");
    *len = n;
  } else if (n != *len) {
    return mb__error(MB_ERR_MODEL, "%s: migbar.config: '%s' has %d entries, 'targets' has %d",
                     file, key, n, *len);
  }
  if (strings) *sv = mb__calloc((size_t)n, sizeof **sv);
  else *dv = mb__calloc((size_t)n, sizeof **dv);
  if (strings ? !*sv : !*dv) return MB_ERR_NOMEM;
  int i = 0;
  const cJSON *y;
  cJSON_ArrayForEach(y, x) {
    if (strings) {
      if (!cJSON_IsString(y) || (!strcmp(key, "targets") && !y->valuestring[0]))
        return mb__error(MB_ERR_MODEL, "%s: migbar.config: '%s' entry %d is not a%s string",
                         file, key, i, strcmp(key, "targets") ? "" : " non-empty");
      if (!((*sv)[i] = mb__strdup(y->valuestring))) return MB_ERR_NOMEM;
    } else {
      if (!cJSON_IsNumber(y) || !isfinite(y->valuedouble))
        return mb__error(MB_ERR_MODEL, "%s: migbar.config: '%s' entry %d is not a finite number",
                         file, key, i);
      (*dv)[i] = y->valuedouble;
    }
    i++;
  }
  return MB_OK;
}

static mb_status parse(const cJSON *root, const char *file, gnn_config *c) {
  static const char *const norms[] = {"affine", "layernorm"};
  static const char *const pools[] = {"mean", "mean+attention"};
  static const char *const lines[] = {"full", "band"};
  if (!cJSON_IsObject(root))
    return mb__error(MB_ERR_MODEL, "%s: migbar.config is not a JSON object", file);
  const cJSON *x;
  cJSON_ArrayForEach(x, root) {
    size_t i = 0;
    while (i < NKEYS && strcmp(x->string, known_keys[i])) i++;
    if (i == NKEYS)
      return mb__error(MB_ERR_MODEL, "%s: migbar.config: unknown key '%s'", file, x->string);
    const cJSON *y = x->next;
    for (; y; y = y->next)
      if (!strcmp(y->string, x->string)) return bad(file, x->string, "appears twice");
  }
  mb_status st;
  if ((st = get_int(root, file, "format_version", 0, 1 << 30, &c->format_version))) return st;
  if (c->format_version != 1)
    return mb__error(MB_ERR_MODEL,
                     "%s: migbar.config: format_version %d is not known to this libmigbar "
                     "(it reads 1)", file, c->format_version);
  if ((st = get_int(root, file, "k", 1, CFG_MAX_K, &c->k)) ||
      (st = get_int(root, file, "embedding", 1, CFG_MAX_WIDTH, &c->embedding)) ||
      (st = get_int(root, file, "hidden", 1, CFG_MAX_WIDTH, &c->hidden)) ||
      (st = get_int(root, file, "alignn_layers", 0, CFG_MAX_LAYERS, &c->alignn_layers)) ||
      (st = get_int(root, file, "gcn_layers", 0, CFG_MAX_LAYERS, &c->gcn_layers)) ||
      (st = get_choice(root, file, "norm", norms, 2, &c->norm)) ||
      (st = get_bool(root, file, "band_flags", &c->band_flags)) ||
      (st = get_choice(root, file, "pooling", pools, 2, &c->pooling)) ||
      (st = get_int(root, file, "band_images", 2, 1000, &c->band_images)) ||
      (st = get_rbf(root, file, "edge_rbf", &c->edge_lo, &c->edge_hi, &c->edge_n)) ||
      (st = get_rbf(root, file, "angle_rbf", &c->angle_lo, &c->angle_hi, &c->angle_n)))
    return st;
  /* Optional (files written before it existed mean "full"). */
  c->line_graph = GNN_LINE_FULL;
  if (cJSON_GetObjectItemCaseSensitive(root, "line_graph") &&
      (st = get_choice(root, file, "line_graph", lines, 2, &c->line_graph)))
    return st;
  c->ntargets = -1;
  if ((st = get_list(root, file, "targets", 1, &c->ntargets, &c->targets, NULL))) {
    if (c->ntargets < 0) c->ntargets = 0;
    return st;
  }
  if ((st = get_list(root, file, "target_mean", 0, &c->ntargets, NULL, &c->target_mean)) ||
      (st = get_list(root, file, "target_std", 0, &c->ntargets, NULL, &c->target_std)) ||
      (st = get_list(root, file, "target_units", 1, &c->ntargets, &c->target_units, NULL)))
    return st;
  for (int i = 0; i < c->ntargets; i++) {
    if (!(c->target_std[i] > 0))
      return mb__error(MB_ERR_MODEL, "%s: migbar.config: 'target_std' entry %d is not > 0", file,
                       i);
    for (int j = 0; j < i; j++)
      if (!strcmp(c->targets[i], c->targets[j]))
        return mb__error(MB_ERR_MODEL, "%s: migbar.config: target '%s' appears twice", file,
                         c->targets[i]);
  }
  return MB_OK;
}

mb_status mb__gnn_config_parse(const char *text, const char *file, gnn_config *cfg) {
  if (!text) return mb__error(MB_ERR_MODEL, "%s: no 'migbar.config' in the metadata", file);
  cJSON *root = mb__json_parse_string(text);
  if (!root) return mb__error(MB_ERR_MODEL, "%s: migbar.config is not valid JSON", file);
  gnn_config c = {0};
  mb_status st = parse(root, file, &c);
  cJSON_Delete(root);
  if (st != MB_OK) {
    mb__gnn_config_free(&c);
    return st;
  }
  *cfg = c;
  return MB_OK;
}
