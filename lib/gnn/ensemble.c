/* Ensembles of graph-network models (migbar.h section 6, docs/model.md section 7): a
 * manifest names K member models of the same outputs; a prediction is their mean and
 * the uncertainty their sample standard deviation (K - 1 in the denominator) times the
 * manifest's std_scale, a calibration factor fitted on cross-validation folds. Every
 * member is evaluated by the single-model code (predict.c, band.c), so an ensemble of
 * one gives exactly its member's prediction, with spread 0.
 *
 * A member may also be a descriptor forest (regression trees on hop descriptors,
 * lib/desc, a safetensors file with migbar.forest metadata): it predicts E_m of bands
 * only, so the graph-network members beside it must be band models of that one output.
 * With the manifest's "weights" w_k the mean is sum w_k y_k and the spread
 * std_scale * sqrt(K/(K-1) sum w_k (y_k - mean)^2 + c^2 sum_f s_f^2), where s_f is the
 * standard deviation over forest f's trees and c the manifest's "tree_spread" (version
 * 2; 0 when absent); without weights, the code of equal weights runs unchanged.
 *
 * Threads: mb_ensemble_predict_batch runs one (structure, member) pair per task; each
 * pair is computed by one thread and the mean and spread are summed in member order
 * afterwards, so results do not depend on nthreads. */
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "../core/json.h"

#include "../desc/desc.h"
#include "gnn.h"
#include "safetensors.h"

#define ENS_FORMAT "migbar-ensemble"
#define ENS_VERSION_MAX 2 /* version 2 adds "tree_spread" */
#define ENS_MAX_MEMBERS 1024
#define ENS_NELEMENTS 119

/* Weights must sum to 1 within this. */
#define ENS_WEIGHT_TOL 1e-6

struct mb_ensemble {
  int nmembers;
  mb_model **members;              /* NULL at a forest member */
  mb__forest **forests;            /* NULL at a graph-network member */
  double *weights;                 /* manifest "weights", or NULL: equal weights */
  int noutputs;
  double std_scale;
  double tree_spread;              /* manifest "tree_spread" (version 2), or 0 */
  int has_elements;                /* domain.elements given */
  unsigned char in_domain[ENS_NELEMENTS];
  double max_hop;                  /* domain.max_hop_length (A), 0 when not given */
  char *manifest;                  /* the manifest (or the model metadata) as JSON */
  char *path;                      /* for messages */
};

/* ---- the manifest ---------------------------------------------------------------------- */

static long line_at(const char *text, const char *at) {
  long line = 1;
  for (const char *p = text; p < at && *p; p++)
    if (*p == '\n') line++;
  return line;
}

static mb_status bad(const char *path, const char *key, const char *what) {
  return mb__error(MB_ERR_MODEL, "%s: ensemble manifest: '%s' %s", path, key, what);
}

/* Member path relative to the manifest's folder (absolute paths are kept). */
static char *member_path(const char *manifest, const char *member) {
  const char *slash = strrchr(manifest, '/');
  size_t dir = member[0] == '/' || !slash ? 0 : (size_t)(slash - manifest) + 1;
  char *p = mb__malloc(dir + strlen(member) + 1, 1);
  if (!p) return NULL;
  memcpy(p, manifest, dir);
  strcpy(p + dir, member);
  return p;
}

static mb_status parse_domain(mb_ensemble *e, const cJSON *domain, const char *path) {
  if (!domain) return MB_OK;
  if (!cJSON_IsObject(domain)) return bad(path, "domain", "must be an object");
  const cJSON *els = cJSON_GetObjectItemCaseSensitive(domain, "elements");
  const cJSON *hop = cJSON_GetObjectItemCaseSensitive(domain, "max_hop_length");
  if (els) {
    if (!cJSON_IsArray(els)) return bad(path, "domain.elements", "must be an array of symbols");
    const cJSON *x;
    cJSON_ArrayForEach(x, els) {
      int z;
      if (!cJSON_IsString(x) || mb_element_number(x->valuestring, &z) != MB_OK)
        return mb__error(MB_ERR_MODEL, "%s: ensemble manifest: 'domain.elements' holds %s%s%s, "
                         "not a chemical symbol", path, cJSON_IsString(x) ? "'" : "",
                         cJSON_IsString(x) ? x->valuestring : "a non-string",
                         cJSON_IsString(x) ? "'" : "");
      e->in_domain[z] = 1;
    }
    e->has_elements = 1;
  }
  if (hop) {
    if (!cJSON_IsNumber(hop) || !isfinite(hop->valuedouble) || hop->valuedouble <= 0)
      return bad(path, "domain.max_hop_length", "must be a positive number (Angstrom)");
    e->max_hop = hop->valuedouble;
  }
  return MB_OK;
}

/* Member i from its file's bytes: a descriptor forest when its metadata says so, else a
 * graph network. */
static mb_status load_member(mb_ensemble *e, int i, const char *data, size_t size,
                             const char *file) {
  const unsigned char *bytes = (const unsigned char *)data;
  if (mb__forest_detect(bytes, size))
    return mb__forest_load_buffer(bytes, size, file, &e->forests[i]);
  return mb__model_load_buffer(bytes, size, file, 1, &e->members[i]);
}

/* A forest reads bands and predicts one output: member i must agree with member 0 on the
 * output, its units and the band; member 0 is a graph network unless all are forests
 * (tools and bindings describe an ensemble by member 0). */
static mb_status check_forest_member(const mb_ensemble *e, int i, const char *file) {
  const mb__forest *f0 = e->forests[0], *fi = e->forests[i];
  if (f0 && !fi)
    return mb__error(MB_ERR_MODEL, "%s: member %d (%s) is a graph network but member 0 is a "
                     "descriptor forest: list the graph-network members first", e->path, i, file);
  const gnn_config *c0 = f0 ? NULL : &e->members[0]->cfg;
  if (c0 && (!(c0->band_flags || c0->pooling == GNN_POOL_MEAN_ATTENTION) || c0->ntargets != 1))
    return mb__error(MB_ERR_MODEL, "%s: member %d (%s) is a descriptor forest, which predicts "
                     "only '%s' of migration bands, so the graph-network members must be band "
                     "models with that one output; member 0 is a %s model with %d outputs",
                     e->path, i, file, fi->target,
                     c0->band_flags || c0->pooling == GNN_POOL_MEAN_ATTENTION ? "band"
                                                                               : "crystal",
                     c0->ntargets);
  const char *name0 = f0 ? f0->target : c0->targets[0];
  const char *units0 = f0 ? f0->units : c0->target_units[0];
  int img0 = f0 ? f0->desc.band_images : c0->band_images;
  if (strcmp(fi->target, name0) || strcmp(fi->units, units0))
    return mb__error(MB_ERR_MODEL, "%s: member %d (%s) predicts '%s' (%s) but member 0 '%s' "
                     "(%s) (outputs and their units must be the same)", e->path, i, file,
                     fi->target, fi->units, name0, units0);
  if (fi->desc.band_images != img0)
    return mb__error(MB_ERR_MODEL, "%s: member %d (%s) reads bands of %d images, member 0 "
                     "of %d", e->path, i, file, fi->desc.band_images, img0);
  return MB_OK;
}

/* All members predict the same outputs, in the same order, from the same kind of input. */
static mb_status check_member(const mb_ensemble *e, int i, const char *file) {
  if (e->forests[0] || e->forests[i]) return check_forest_member(e, i, file);
  const gnn_config *a = &e->members[0]->cfg, *b = &e->members[i]->cfg;
  int band_a = a->band_flags || a->pooling == GNN_POOL_MEAN_ATTENTION;
  int band_b = b->band_flags || b->pooling == GNN_POOL_MEAN_ATTENTION;
  if (band_a != band_b)
    return mb__error(MB_ERR_MODEL, "%s: member %d (%s) is a %s model, member 0 a %s model",
                     e->path, i, file, band_b ? "band" : "crystal", band_a ? "band" : "crystal");
  int same = a->ntargets == b->ntargets;
  for (int p = 0; same && p < a->ntargets; p++)
    same = !strcmp(a->targets[p], b->targets[p]) && !strcmp(a->target_units[p], b->target_units[p]);
  if (same) return MB_OK;
  char sa[256] = "", sb[256] = "";
  for (int p = 0; p < a->ntargets; p++)
    snprintf(sa + strlen(sa), sizeof sa - strlen(sa), "%s%s", p ? ", " : "", a->targets[p]);
  for (int p = 0; p < b->ntargets; p++)
    snprintf(sb + strlen(sb), sizeof sb - strlen(sb), "%s%s", p ? ", " : "", b->targets[p]);
  return mb__error(MB_ERR_MODEL, "%s: member %d (%s) predicts [%s] but member 0 predicts [%s] "
                   "(outputs and their units must be the same)", e->path, i, file, sb, sa);
}

/* "weights": one per member, each finite and >= 0, summing to 1. */
static mb_status parse_weights(mb_ensemble *e, const cJSON *w, int n, const char *path) {
  if (!w) return MB_OK;
  if (!cJSON_IsArray(w) || cJSON_GetArraySize(w) != n)
    return mb__error(MB_ERR_MODEL, "%s: ensemble manifest: 'weights' must be an array of one "
                     "number per member (%d members)", path, n);
  if (!(e->weights = mb__malloc((size_t)n, sizeof *e->weights))) return MB_ERR_NOMEM;
  double sum = 0;
  int i = 0;
  const cJSON *x;
  cJSON_ArrayForEach(x, w) {
    if (!cJSON_IsNumber(x) || !isfinite(x->valuedouble) || x->valuedouble < 0)
      return mb__error(MB_ERR_MODEL, "%s: ensemble manifest: 'weights' entry %d must be a "
                       "finite number >= 0", path, i);
    sum += e->weights[i++] = x->valuedouble;
  }
  if (!(fabs(sum - 1) <= ENS_WEIGHT_TOL))
    return mb__error(MB_ERR_MODEL, "%s: ensemble manifest: 'weights' must sum to 1 (within "
                     "%g); they sum to %.9g", path, ENS_WEIGHT_TOL, sum);
  return MB_OK;
}

static mb_status parse_manifest(mb_ensemble *e, const char *text, size_t size, const char *path) {
  const char *errp = NULL;
  cJSON *root = mb__json_parse(text, size, &errp);
  if (!root)
    return mb__parse_error(path, line_at(text, errp ? errp : text),
                           "ensemble manifest: JSON syntax error");
  mb_status st = MB_OK;
  char *file = NULL;
  if (!cJSON_IsObject(root)) {
    st = mb__error(MB_ERR_MODEL, "%s: ensemble manifest: expected a JSON object", path);
    goto done;
  }
  const cJSON *fmt = cJSON_GetObjectItemCaseSensitive(root, "format");
  const cJSON *ver = cJSON_GetObjectItemCaseSensitive(root, "version");
  const cJSON *mem = cJSON_GetObjectItemCaseSensitive(root, "members");
  const cJSON *scale = cJSON_GetObjectItemCaseSensitive(root, "std_scale");
  if (!cJSON_IsString(fmt) || strcmp(fmt->valuestring, ENS_FORMAT)) {
    st = bad(path, "format", "must be \"" ENS_FORMAT "\"");
    goto done;
  }
  if (!cJSON_IsNumber(ver) || !(ver->valuedouble == 1 || ver->valuedouble == ENS_VERSION_MAX)) {
    st = mb__error(MB_ERR_MODEL, "%s: ensemble manifest: 'version' must be 1 or %d (this "
                   "release reads manifests of versions 1 to %d)", path, ENS_VERSION_MAX,
                   ENS_VERSION_MAX);
    goto done;
  }
  int n = cJSON_IsArray(mem) ? cJSON_GetArraySize(mem) : 0;
  if (n < 1 || n > ENS_MAX_MEMBERS) {
    st = bad(path, "members", "must be an array of 1 to 1024 model file names");
    goto done;
  }
  e->std_scale = 1.0;
  if (scale) {
    if (!cJSON_IsNumber(scale) || !isfinite(scale->valuedouble) || scale->valuedouble <= 0) {
      st = bad(path, "std_scale", "must be a positive number");
      goto done;
    }
    e->std_scale = scale->valuedouble;
  }
  /* version 1 manifests keep any "tree_spread" as a model-card key, as before */
  const cJSON *ts = ver->valuedouble >= 2 ? cJSON_GetObjectItemCaseSensitive(root, "tree_spread")
                                          : NULL;
  if (ts) {
    if (!cJSON_IsNumber(ts) || !isfinite(ts->valuedouble) || ts->valuedouble < 0) {
      st = bad(path, "tree_spread", "must be a number >= 0");
      goto done;
    }
    e->tree_spread = ts->valuedouble;
  }
  if ((st = parse_domain(e, cJSON_GetObjectItemCaseSensitive(root, "domain"), path)) ||
      (st = parse_weights(e, cJSON_GetObjectItemCaseSensitive(root, "weights"), n, path)))
    goto done;
  if (!(e->members = mb__calloc((size_t)n, sizeof *e->members)) ||
      !(e->forests = mb__calloc((size_t)n, sizeof *e->forests))) {
    st = MB_ERR_NOMEM;
    goto done;
  }
  const cJSON *x;
  cJSON_ArrayForEach(x, mem) {
    int i = e->nmembers;
    if (!cJSON_IsString(x) || !x->valuestring[0]) {
      st = mb__error(MB_ERR_MODEL, "%s: ensemble manifest: member %d is not a file name",
                     path, i);
      goto done;
    }
    free(file);
    if (!(file = member_path(path, x->valuestring))) {
      st = MB_ERR_NOMEM;
      goto done;
    }
    char *bytes = NULL;
    size_t nbytes = 0;
    if ((st = mb__st_read_file(file, 0, &bytes, &nbytes)) ||
        (st = load_member(e, i, bytes, nbytes, file))) {
      free(bytes);
      mb__error_prefix("%s: member %d", path, i);
      goto done;
    }
    free(bytes);
    e->nmembers++;
    if ((st = check_member(e, i, file))) goto done;
  }
  char *printed = cJSON_PrintUnformatted(root);
  if (printed) {
    e->manifest = mb__strdup(printed);
    cJSON_free(printed);
  }
  if (!e->manifest) st = mb__error(MB_ERR_NOMEM, "%s: out of memory", path);
done:
  free(file);
  cJSON_Delete(root);
  return st;
}

/* A manifest starts with '{' (after blanks); a safetensors file with the 8-byte
 * little-endian length of its header, which then cannot exceed the file (the ASCII
 * bytes of a JSON text make a length of over 2^56). */
static int is_manifest(const char *data, size_t size) {
  const char *p = data;
  while (p < data + size && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')) p++;
  if (p == data + size || *p != '{') return 0;
  if (p > data || size < 8) return 1;
  uint64_t len = 0;
  for (int k = 7; k >= 0; k--) len = len << 8 | (unsigned char)data[k];
  return len > size - 8;
}

MB_API void mb_ensemble_free(mb_ensemble *e) {
  if (!e) return;
  for (int i = 0; i < e->nmembers; i++) {
    mb_model_free(e->members[i]);
    mb__forest_free(e->forests[i]);
  }
  free(e->members);
  free(e->forests);
  free(e->weights);
  free(e->manifest);
  free(e->path);
  free(e);
}

MB_API mb_status mb_ensemble_load(const char *path, mb_ensemble **out) {
  if (!path || !out) return mb__error(MB_ERR_INVALID_ARG, "mb_ensemble_load: NULL argument");
  char *data = NULL;
  size_t size = 0;
  mb_status st = mb__st_read_file(path, 1, &data, &size);
  if (st) return st;
  mb_ensemble *e = mb__calloc(1, sizeof *e);
  if (!e || !(e->path = mb__strdup(path))) {
    st = MB_ERR_NOMEM;
    goto done;
  }
  if (is_manifest(data, size)) {
    st = parse_manifest(e, data, size, path);
  } else {
    /* a single model: an ensemble of one, its metadata as the manifest */
    e->std_scale = 1.0;
    if (!(e->members = mb__calloc(1, sizeof *e->members)) ||
        !(e->forests = mb__calloc(1, sizeof *e->forests))) {
      st = MB_ERR_NOMEM;
      goto done;
    }
    st = load_member(e, 0, data, size, path);
    if (!st) {
      e->nmembers = 1;
      if (e->forests[0]) {
        if (!(e->manifest = mb__strdup(e->forests[0]->metadata))) st = MB_ERR_NOMEM;
      } else {
        st = mb_model_metadata(e->members[0], &e->manifest);
      }
    }
  }
  if (!st) e->noutputs = e->forests[0] ? 1 : e->members[0]->cfg.ntargets;
done:
  free(data);
  if (st) mb_ensemble_free(e);
  else *out = e;
  return st;
}

MB_API mb_status mb_ensemble_size(const mb_ensemble *e, int *nmembers) {
  if (!e || !nmembers) return mb__error(MB_ERR_INVALID_ARG, "mb_ensemble_size: NULL argument");
  *nmembers = e->nmembers;
  return MB_OK;
}

MB_API mb_status mb_ensemble_member(const mb_ensemble *e, int i, const mb_model **member) {
  if (!e || !member) return mb__error(MB_ERR_INVALID_ARG, "mb_ensemble_member: NULL argument");
  if (i < 0 || i >= e->nmembers)
    return mb__error(MB_ERR_RANGE, "mb_ensemble_member: member %d outside 0..%d", i,
                     e->nmembers - 1);
  if (!e->members[i])
    return mb__error(MB_ERR_INVALID_ARG, "mb_ensemble_member: member %d is a descriptor forest, "
                     "not a graph-network model", i);
  *member = e->members[i];
  return MB_OK;
}

MB_API mb_status mb_ensemble_manifest(const mb_ensemble *e, char **json) {
  if (!e || !json) return mb__error(MB_ERR_INVALID_ARG, "mb_ensemble_manifest: NULL argument");
  char *copy = mb__strdup(e->manifest);
  if (!copy) return MB_ERR_NOMEM;
  *json = copy;
  return MB_OK;
}

/* ---- predictions --------------------------------------------------------------------- */

/* Mean and scaled sample standard deviation of K member outputs y[k*P + p]; with weights,
 * their weighted forms (the same numbers for equal weights, up to rounding), the spread
 * over each forest's trees s[k] (P = 1 with forests) added in quadrature, times
 * tree_spread. */
static void reduce(const mb_ensemble *e, int P, const double *y, const double *s,
                   double *mean, double *std) {
  int K = e->nmembers;
  const double *w = e->weights;
  double trees = 0;
  for (int k = 0; e->tree_spread > 0 && k < K; k++)
    if (e->forests[k]) trees += e->tree_spread * e->tree_spread * s[k] * s[k];
  for (int p = 0; w && p < P; p++) {
    double m = 0, ss = 0;
    for (int k = 0; k < K; k++) m += w[k] * y[(size_t)k * P + p];
    for (int k = 0; k < K; k++)
      ss += w[k] * (y[(size_t)k * P + p] - m) * (y[(size_t)k * P + p] - m);
    mean[p] = m;
    std[p] = sqrt((K > 1 ? (double)K / (K - 1) * ss : 0.0) + trees) * e->std_scale;
  }
  for (int p = 0; !w && p < P; p++) {
    double sum = 0, ss = 0;
    for (int k = 0; k < K; k++) sum += y[(size_t)k * P + p];
    double m = sum / K;
    for (int k = 0; k < K; k++) ss += (y[(size_t)k * P + p] - m) * (y[(size_t)k * P + p] - m);
    mean[p] = m;
    std[p] = sqrt((K > 1 ? ss / (K - 1) : 0.0) + trees) * e->std_scale;
  }
}

/* n structures times K members: task t is structure t / K with member t % K. */
typedef struct pool {
  const mb_ensemble *e;
  const mb_structure *const *in;
  const int *nband;
  const mb_structure *final; /* non-NULL: one hop s[0] -> final of ion */
  int ion;
  int ntasks, P;
  double *y;                 /* ntasks * P */
  double *s;                 /* ntasks: the spread over a forest member's trees */
  pthread_mutex_t lock;
  int next, err_task;        /* next task to take; lowest failing task, or ntasks */
  mb_status err_status;
  char err_msg[512];
} pool;

static void *worker(void *arg) {
  pool *b = arg;
  int K = b->e->nmembers;
  for (;;) {
    pthread_mutex_lock(&b->lock);
    int t = b->next < b->ntasks && b->next < b->err_task ? b->next++ : -1;
    pthread_mutex_unlock(&b->lock);
    if (t < 0) break;
    int i = t / K, k = t % K;
    const mb_model *m = b->e->members[k];
    const mb__forest *f = b->e->forests[k];
    double *y = &b->y[(size_t)t * b->P], *s = &b->s[t];
    int nb = b->nband ? b->nband[i] : 0;
    mb_status st;
    if (f)
      st = b->final ? mb__forest_predict_hop(f, b->in[0], b->final, b->ion, y, s)
                    : mb__forest_predict_structure(f, b->in[i], nb, y, s);
    else
      st = b->final ? mb_model_predict_band(m, b->in[0], b->final, b->ion, y)
                    : mb_model_predict_structure(m, b->in[i], nb, y);
    if (st) {
      /* mb_last_error is per thread: keep the message for the caller. */
      pthread_mutex_lock(&b->lock);
      if (t < b->err_task) {
        b->err_task = t;
        b->err_status = st;
        snprintf(b->err_msg, sizeof b->err_msg, "%s", mb_last_error());
      }
      pthread_mutex_unlock(&b->lock);
    }
  }
  return NULL;
}

/* Run the pool on nthreads threads (the caller's included); on success y holds every
 * member's outputs. */
static mb_status run_pool(pool *b, int nthreads, const char *what) {
  if (nthreads == 0) {
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    nthreads = cores > 0 && cores < 4096 ? (int)cores : 1;
  }
  if (nthreads > b->ntasks) nthreads = b->ntasks;
  pthread_t *tid = NULL;
  int started = 0;
  pthread_mutex_init(&b->lock, NULL);
  if (nthreads > 1 && (tid = malloc(sizeof *tid * (size_t)(nthreads - 1))))
    for (; started < nthreads - 1; started++)
      if (pthread_create(&tid[started], NULL, worker, b)) break;
  worker(b);
  for (int i = 0; i < started; i++) pthread_join(tid[i], NULL);
  free(tid);
  pthread_mutex_destroy(&b->lock);
  if (b->err_task >= b->ntasks) return MB_OK;
  int K = b->e->nmembers;
  if (b->final)
    return mb__error(b->err_status, "%s: member %d: %s", what, b->err_task % K, b->err_msg);
  return mb__error(b->err_status, "%s: structure %d (member %d): %s", what, b->err_task / K,
                   b->err_task % K, b->err_msg);
}

MB_API mb_status mb_ensemble_predict_band(const mb_ensemble *e, const mb_structure *initial,
                                          const mb_structure *final, int ion, double *mean,
                                          double *std) {
  if (!e || !initial || !final || !mean || !std)
    return mb__error(MB_ERR_INVALID_ARG, "mb_ensemble_predict_band: NULL argument");
  int K = e->nmembers, P = e->noutputs;
  const mb_structure *list[1] = {initial};
  pool b = {.e = e, .in = list, .final = final, .ion = ion, .ntasks = K, .P = P, .err_task = K};
  if (!(b.y = mb__malloc((size_t)K * P, sizeof *b.y)) ||
      !(b.s = mb__calloc((size_t)K, sizeof *b.s))) {
    free(b.y);
    return MB_ERR_NOMEM;
  }
  /* One thread, as mb_model_predict_band: threads over hops are the caller's (or
   * mb_ensemble_predict_batch's) to choose. */
  mb_status st = run_pool(&b, 1, "ensemble predict band");
  if (!st) reduce(e, P, b.y, b.s, mean, std);
  free(b.y);
  free(b.s);
  return st;
}

MB_API mb_status mb_ensemble_predict_batch(const mb_ensemble *e, int n,
                                           const mb_structure *const *structures,
                                           const int *nband, int nthreads, double *mean,
                                           double *std) {
  if (!e || n < 0 || (n > 0 && (!structures || !mean || !std)) || nthreads < 0)
    return mb__error(MB_ERR_INVALID_ARG, "mb_ensemble_predict_batch: bad argument");
  for (int i = 0; i < n; i++)
    if (!structures[i])
      return mb__error(MB_ERR_INVALID_ARG, "mb_ensemble_predict_batch: structure %d is NULL", i);
  if (n == 0) return MB_OK;
  int K = e->nmembers, P = e->noutputs;
  if (n > INT_MAX / K)
    return mb__error(MB_ERR_RANGE, "mb_ensemble_predict_batch: %d structures x %d members is "
                     "too many for one call", n, K);
  pool b = {.e = e, .in = structures, .nband = nband, .ntasks = n * K, .P = P,
            .err_task = n * K};
  if (!(b.y = mb__malloc((size_t)n * K * P, sizeof *b.y)) ||
      !(b.s = mb__calloc((size_t)n * K, sizeof *b.s))) {
    free(b.y);
    return MB_ERR_NOMEM;
  }
  mb_status st = run_pool(&b, nthreads, "ensemble predict batch");
  if (!st)
    for (int i = 0; i < n; i++)
      reduce(e, P, &b.y[(size_t)i * K * P], &b.s[(size_t)i * K], &mean[(size_t)i * P],
             &std[(size_t)i * P]);
  free(b.y);
  free(b.s);
  return st;
}

/* ---- what the training data does not cover ------------------------------------------- */

MB_API mb_status mb_ensemble_check_hop(const mb_ensemble *e, const mb_structure *initial,
                                       const mb_structure *final, int ion, char **warnings) {
  if (!e || !initial || !final || !warnings)
    return mb__error(MB_ERR_INVALID_ARG, "mb_ensemble_check_hop: NULL argument");
  mb_status st = mb__gnn_hop_ion(initial, final, &ion, "check hop");
  if (st) return st;
  mb_strbuf sb = {0};
  if (e->has_elements) {
    unsigned char seen[ENS_NELEMENTS] = {0};
    char list[ENS_NELEMENTS * 5] = "";
    int nout = 0;
    for (int i = 0; i < initial->natoms; i++) {
      int z = initial->numbers[i];
      if (z <= 0 || z >= ENS_NELEMENTS || e->in_domain[z] || seen[z]) continue;
      seen[z] = 1;
      const char *sym = "?";
      mb_element_symbol(z, &sym);
      size_t at = strlen(list);
      snprintf(list + at, sizeof list - at, "%s%s", nout++ ? ", " : "", sym);
    }
    if (nout)
      mb__sb_printf(&sb, "%s %s %s absent from the training data of this model; the "
                    "prediction is an extrapolation\n", nout == 1 ? "element" : "elements",
                    list, nout == 1 ? "is" : "are");
  }
  if (e->max_hop > 0) {
    double d[3];
    mb__gnn_hop_displacement(initial, final, ion, d);
    double len = mb__norm3(d);
    if (len > e->max_hop)
      mb__sb_printf(&sb, "the hop of ion %d is %.2f A long, longer than any in the training "
                    "data (%.2f A); the prediction is an extrapolation\n", ion, len, e->max_hop);
  }
  if (sb.len == 0 && !sb.failed) {
    mb__sb_free(&sb);
    *warnings = NULL;
    return MB_OK;
  }
  return mb__sb_finish(&sb, warnings, NULL);
}
