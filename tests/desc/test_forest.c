/* The random-forest member (lib/desc/forest.c) and its place in ensembles. References:
 *  - sklearn: tests/data/desc/reference.json holds the mean and sample std over the 20
 *    trees of forest20.safetensors (exp of each tree's log E_m) on 32 bands, computed by
 *    sklearn itself (make_reference.py there); the C forest must agree within 1e-9
 *    relative;
 *  - sklearn again: extra21.safetensors, 21 extremely randomized trees whose value is
 *    the median of the trees (forest format 2), against the median and std of sklearn's
 *    own trees on the same 32 bands and on 80 rows on its thresholds;
 *  - the members themselves: a weighted ensemble of two graph-network band models and the
 *    forest must give sum w_k y_k and std_scale * sqrt(K/(K-1) sum w_k (y_k - mean)^2
 *    + c^2 s^2) of the members' own predictions and the forest's tree spread s (c the
 *    manifest's tree_spread, 0 unless given), for bands and for hops, on any number of
 *    threads.
 * Then malformed forest files (each byte-patched from forest20.safetensors) and
 * manifests, which must fail with MB_ERR_MODEL and a message naming the culprit. */
#define _XOPEN_SOURCE 700 /* mkdtemp, realpath */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "descutil.h"

static char tmpdir[256];

static const char *data_path(const char *name) {
  static char path[2][1024];
  static int which;
  char rel[1024];
  which ^= 1;
  mb_test_data(name, rel, sizeof rel);
  ck_assert_msg(realpath(rel, path[which]) != NULL, "cannot resolve %s", rel);
  return path[which];
}

/* Write a manifest to tmpdir/name: text with %F replaced by the absolute path of the
 * forest, %G by that of tests/data/gnn. */
static const char *write_manifest(const char *name, const char *text) {
  static char path[1300];
  snprintf(path, sizeof path, "%s/%s", tmpdir, name);
  FILE *f = fopen(path, "w");
  ck_assert_ptr_nonnull(f);
  for (const char *p = text; *p; p++) {
    if (p[0] == '%' && (p[1] == 'F' || p[1] == 'G')) {
      fputs(data_path(p[1] == 'F' ? "desc/forest20.safetensors" : "gnn"), f);
      p++;
    } else {
      fputc(*p, f);
    }
  }
  fclose(f);
  return path;
}

static mb_ensemble *load(const char *path) {
  mb_ensemble *e = NULL;
  MB_OK_OR_FAIL(mb_ensemble_load(path, &e));
  return e;
}

/* ---- the forest against sklearn ----------------------------------------------------- */

START_TEST(sklearn_parity) {
  desc_load_refs();
  mb__forest *f = desc_load_forest();
  ck_assert_int_eq(f->ntrees, 20);
  ck_assert(f->log_target);
  ck_assert_str_eq(f->target, "em");
  ck_assert_str_eq(f->units, "eV");
  double worst_mean = 0, worst_std = 0;
  for (int i = 0; i < desc_nrefs; i++) {
    const desc_ref *r = &desc_refs[i];
    mb_structure *s = desc_structure(r);
    double m, sd, m2, sd2;
    MB_OK_OR_FAIL(mb__forest_predict_structure(f, s, 5, &m, &sd));
    ck_assert_msg(fabs(m - r->mean) <= 1e-9 * r->mean && fabs(sd - r->std) <= 1e-9 * r->mean,
                  "input %d: C %.17g +- %.17g, sklearn %.17g +- %.17g", i, m, sd, r->mean,
                  r->std);
    worst_mean = fmax(worst_mean, fabs(m - r->mean) / r->mean);
    worst_std = fmax(worst_std, fabs(sd - r->std) / r->mean);
    /* from numpy's descriptors: the same numbers */
    mb__forest_eval(f, r->x, &m2, &sd2);
    ck_assert_double_eq(m2, m);
    ck_assert_double_eq(sd2, sd);
    ck_assert_double_gt(m, 0);
    mb_structure_free(s);
  }
  printf("forest: %d bands, max relative |C - sklearn| = %.3g (mean), %.3g (std)\n",
         desc_nrefs, worst_mean, worst_std);
  mb__forest_free(f);
}
END_TEST

/* Features on a threshold, on its float32 rounding and one float32 step either side: the
 * branch taken must be sklearn's (a wrong one changes the mean by far more than 1e-9). */
START_TEST(thresholds_as_sklearn) {
  desc_load_refs();
  mb__forest *f = desc_load_forest();
  double worst = 0;
  for (int i = 0; i < desc_nprobes; i++) {
    const desc_ref *r = &desc_probes[i];
    double m, sd;
    ck_assert_int_eq(r->nfeatures, f->desc.nfeatures);
    mb__forest_eval(f, r->x, &m, &sd);
    ck_assert_msg(fabs(m - r->mean) <= 1e-9 * r->mean && fabs(sd - r->std) <= 1e-9 * r->mean,
                  "probe %d: C %.17g +- %.17g, sklearn %.17g +- %.17g", i, m, sd, r->mean,
                  r->std);
    worst = fmax(worst, fabs(m - r->mean) / r->mean);
  }
  printf("forest: %d threshold probes, max relative |C - sklearn| = %.3g\n", desc_nprobes,
         worst);
  mb__forest_free(f);
}
END_TEST

/* The extra trees of format 2: the value is the median of the trees (here 21: the 11th
 * smallest), the spread their sample std, both as numpy computes them from sklearn's
 * trees; on the bands and on rows on the trees' own thresholds. */
START_TEST(extra_trees_median_as_sklearn) {
  desc_load_refs();
  mb__forest *f = desc_load_extra_trees();
  ck_assert_int_eq(f->ntrees, 21);
  ck_assert_int_eq(f->median, 1);
  ck_assert(f->log_target);
  double worst = 0;
  int differs = 0;
  for (int i = 0; i < desc_nrefs + desc_net_probes; i++) {
    const desc_ref *r = i < desc_nrefs ? &desc_refs[i] : &desc_et_probes[i - desc_nrefs];
    double want = i < desc_nrefs ? r->et_value : r->mean;
    double want_std = i < desc_nrefs ? r->et_std : r->std;
    double v, sd, mean, sd2;
    ck_assert_int_eq(r->nfeatures, f->desc.nfeatures);
    MB_OK_OR_FAIL(mb__forest_eval(f, r->x, &v, &sd));
    ck_assert_msg(fabs(v - want) <= 1e-9 * want && fabs(sd - want_std) <= 1e-9 * want,
                  "row %d: C %.17g +- %.17g, sklearn %.17g +- %.17g", i, v, sd, want, want_std);
    worst = fmax(worst, fabs(v - want) / want);
    if (i < desc_nrefs) {
      mb_structure *s = desc_structure(r);
      MB_OK_OR_FAIL(mb__forest_predict_structure(f, s, 5, &v, &sd2));
      ck_assert_double_eq(sd2, sd);
      mb_structure_free(s);
    }
    /* the median is not the mean: the same trees averaged give another number */
    f->median = 0;
    MB_OK_OR_FAIL(mb__forest_eval(f, r->x, &mean, &sd2));
    f->median = 1;
    differs += fabs(mean - v) > 1e-6 * v;
    ck_assert_double_eq(sd2, sd);
  }
  ck_assert_int_gt(differs, (desc_nrefs + desc_net_probes) / 2);
  printf("extra trees (median of 21): %d bands and %d threshold probes, max relative "
         "|C - sklearn| = %.3g\n", desc_nrefs, desc_net_probes, worst);
  mb__forest_free(f);
}
END_TEST

/* A forest file alone is an ensemble of one; it is not a graph-network model. */
START_TEST(forest_alone) {
  desc_load_refs();
  const char *path = data_path("desc/forest20.safetensors");
  mb_ensemble *e = load(path);
  int K, nb[2] = {5, 5};
  MB_OK_OR_FAIL(mb_ensemble_size(e, &K));
  ck_assert_int_eq(K, 1);
  mb_structure *s0 = desc_structure(&desc_refs[0]), *s1 = desc_structure(&desc_refs[30]);
  const mb_structure *list[2] = {s0, s1};
  double mean[2], std[2] = {-1, -1};
  MB_OK_OR_FAIL(mb_ensemble_predict_batch(e, 2, list, nb, 1, mean, std));
  ck_assert_double_eq_tol(mean[0], desc_refs[0].mean, 1e-9 * desc_refs[0].mean);
  ck_assert_double_eq_tol(mean[1], desc_refs[30].mean, 1e-9 * desc_refs[30].mean);
  ck_assert_double_eq(std[0], 0);
  char *json = NULL;
  MB_OK_OR_FAIL(mb_ensemble_manifest(e, &json));
  ck_assert_ptr_nonnull(strstr(json, "\"migbar.forest\":{\"format_version\":1"));
  ck_assert_ptr_nonnull(strstr(json, "\"migbar.training\":{"));
  mb_free(json);
  const mb_model *m = NULL;
  ck_assert_int_eq(mb_ensemble_member(e, 0, &m), MB_ERR_INVALID_ARG);
  ck_assert_ptr_nonnull(strstr(mb_last_error(), "descriptor forest"));
  ck_assert_ptr_null(m);
  /* a forest reads bands of 5 images only */
  nb[1] = 0;
  ck_assert_int_eq(mb_ensemble_predict_batch(e, 2, list, nb, 1, mean, std), MB_ERR_INVALID_ARG);
  ck_assert_msg(strstr(mb_last_error(), "structure 1 (member 0)") &&
                strstr(mb_last_error(), "nband = 0"), "%s", mb_last_error());
  mb_ensemble_free(e);
  /* the graph-network loader still takes F32 tensors only */
  mb_model *g = NULL;
  ck_assert_int_eq(mb_model_load(path, &g), MB_ERR_MODEL);
  ck_assert_msg(strstr(mb_last_error(), "dtype I32, expected F32"), "%s", mb_last_error());
  mb_structure_free(s0), mb_structure_free(s1);
}
END_TEST

/* ---- weighted ensembles with a forest ------------------------------------------------- */

#define MIXED "{\"format\": \"migbar-ensemble\", \"version\": 1, \"std_scale\": 2.0, " \
  "\"members\": [\"%G/tiny_band.safetensors\", \"%G/ensemble/member1.safetensors\", \"%F\"], "
static const double W[3] = {0.5, 0.2, 0.3};

/* sum w y and std_scale * sqrt(K/(K-1) sum w (y - mean)^2), as this test computes them */
static void weighted(const double *y, const double *w, int K, double scale, double *mean,
                     double *std) {
  double m = 0, ss = 0;
  for (int k = 0; k < K; k++) m += w[k] * y[k];
  for (int k = 0; k < K; k++) ss += w[k] * (y[k] - m) * (y[k] - m);
  *mean = m;
  *std = scale * sqrt((double)K / (K - 1) * ss);
}

START_TEST(weighted_mean_and_std) {
  desc_load_refs();
  mb_ensemble *e = load(write_manifest("mixed.json", MIXED "\"weights\": [0.5, 0.2, 0.3]}"));
  mb__forest *f = desc_load_forest();
  int K;
  MB_OK_OR_FAIL(mb_ensemble_size(e, &K));
  ck_assert_int_eq(K, 3);
  const mb_model *g[2];
  MB_OK_OR_FAIL(mb_ensemble_member(e, 0, &g[0]));
  MB_OK_OR_FAIL(mb_ensemble_member(e, 1, &g[1]));
  ck_assert_int_eq(mb_ensemble_member(e, 2, &g[0]), MB_ERR_INVALID_ARG);
  enum { N = 4 };
  const int pick[N] = {2, 7, 26, 27}; /* 33, 59, 131 and 13 atoms */
  const mb_structure *list[N];
  mb_structure *own[N];
  int nb[N] = {5, 5, 5, 5};
  for (int i = 0; i < N; i++) list[i] = own[i] = desc_structure(&desc_refs[pick[i]]);
  double mean[N], std[N];
  MB_OK_OR_FAIL(mb_ensemble_predict_batch(e, N, list, nb, 1, mean, std));
  for (int i = 0; i < N; i++) {
    double y[3], m, s;
    MB_OK_OR_FAIL(mb_model_predict_structure(g[0], list[i], 5, &y[0]));
    MB_OK_OR_FAIL(mb_model_predict_structure(g[1], list[i], 5, &y[1]));
    MB_OK_OR_FAIL(mb__forest_predict_structure(f, list[i], 5, &y[2], NULL));
    ck_assert_double_eq_tol(y[2], desc_refs[pick[i]].mean, 1e-9 * y[2]);
    weighted(y, W, 3, 2.0, &m, &s);
    ck_assert_double_eq_tol(mean[i], m, 1e-12);
    ck_assert_double_eq_tol(std[i], s, 1e-12);
    ck_assert_double_gt(std[i], 0.01);
  }
  /* a hop: the forest reads the band the graph networks read */
  mb_structure *a = NULL, *b = NULL;
  mb_test_band_end_points(list[1], &a, &b);
  double hm, hs, y[3], m, s;
  MB_OK_OR_FAIL(mb_ensemble_predict_band(e, a, b, -1, &hm, &hs));
  MB_OK_OR_FAIL(mb_model_predict_band(g[0], a, b, -1, &y[0]));
  MB_OK_OR_FAIL(mb_model_predict_band(g[1], a, b, -1, &y[1]));
  MB_OK_OR_FAIL(mb__forest_predict_hop(f, a, b, -1, &y[2], NULL));
  ck_assert_double_eq_tol(y[2], desc_refs[pick[1]].mean, 1e-9 * y[2]);
  weighted(y, W, 3, 2.0, &m, &s);
  ck_assert_double_eq_tol(hm, m, 1e-12);
  ck_assert_double_eq_tol(hs, s, 1e-12);
  ck_assert_double_eq_tol(hm, mean[1], 1e-4);
  double keep = 7, keep2 = 7;
  ck_assert_int_eq(mb_ensemble_predict_band(e, a, a, -1, &keep, &keep2), MB_ERR_GEOMETRY);
  ck_assert_double_eq(keep, 7);
  mb_structure_free(a), mb_structure_free(b);
  /* equal weights are the plain mean and sample std, up to rounding */
  mb_ensemble *eq = load(write_manifest("uneven.json", MIXED "\"weights\": [0.25, 0.25, 0.5]}"));
  mb_ensemble *plain = load(write_manifest("plain.json", MIXED "\"card\": 1}"));
  mb_ensemble *third = load(write_manifest("third.json",
      MIXED "\"weights\": [0.3333333333333333, 0.3333333333333333, 0.3333333333333334]}"));
  double m1, s1, m3, s3, m4, s4;
  MB_OK_OR_FAIL(mb_ensemble_predict_batch(plain, 1, list, nb, 1, &m1, &s1));
  MB_OK_OR_FAIL(mb_ensemble_predict_batch(third, 1, list, nb, 1, &m3, &s3));
  MB_OK_OR_FAIL(mb_ensemble_predict_batch(eq, 1, list, nb, 1, &m4, &s4));
  ck_assert_double_eq_tol(m3, m1, 1e-12);
  ck_assert_double_eq_tol(s3, s1, 1e-12);
  ck_assert_double_ne(m4, m1);
  for (int i = 0; i < N; i++) mb_structure_free(own[i]);
  mb_ensemble_free(e), mb_ensemble_free(eq), mb_ensemble_free(plain), mb_ensemble_free(third);
  mb__forest_free(f);
}
END_TEST

/* Manifest version 2: "tree_spread" c adds the forest's spread over its trees s in
 * quadrature, std = std_scale * sqrt(K/(K-1) sum w (y - mean)^2 + c^2 s^2); the mean does
 * not change; version 1 keeps the key as a model-card entry, as before. */
#define MIXED2 "{\"format\": \"migbar-ensemble\", \"version\": 2, \"std_scale\": 2.0, " \
  "\"members\": [\"%G/tiny_band.safetensors\", \"%G/ensemble/member1.safetensors\", \"%F\"], " \
  "\"weights\": [0.5, 0.2, 0.3], "
START_TEST(tree_spread_in_the_spread) {
  desc_load_refs();
  mb_ensemble *e = load(write_manifest("v2.json", MIXED2 "\"tree_spread\": 1.5}"));
  mb_ensemble *e0 = load(write_manifest("v2zero.json", MIXED2 "\"card\": 1}"));
  mb_ensemble *e1 = load(write_manifest("v1.json", MIXED "\"weights\": [0.5, 0.2, 0.3], "
                                        "\"tree_spread\": 1.5}"));
  mb__forest *f = desc_load_forest();
  const mb_model *g[2];
  MB_OK_OR_FAIL(mb_ensemble_member(e, 0, &g[0]));
  MB_OK_OR_FAIL(mb_ensemble_member(e, 1, &g[1]));
  enum { N = 3 };
  const int pick[N] = {2, 7, 26};
  const mb_structure *list[N];
  mb_structure *own[N];
  int nb[N] = {5, 5, 5};
  for (int i = 0; i < N; i++) list[i] = own[i] = desc_structure(&desc_refs[pick[i]]);
  double mean[N], std[N], mean0[N], std0[N], mean1[N], std1[N];
  MB_OK_OR_FAIL(mb_ensemble_predict_batch(e, N, list, nb, 2, mean, std));
  MB_OK_OR_FAIL(mb_ensemble_predict_batch(e0, N, list, nb, 1, mean0, std0));
  MB_OK_OR_FAIL(mb_ensemble_predict_batch(e1, N, list, nb, 1, mean1, std1));
  for (int i = 0; i < N; i++) {
    double y[3], m, sm, sf;
    MB_OK_OR_FAIL(mb_model_predict_structure(g[0], list[i], 5, &y[0]));
    MB_OK_OR_FAIL(mb_model_predict_structure(g[1], list[i], 5, &y[1]));
    MB_OK_OR_FAIL(mb__forest_predict_structure(f, list[i], 5, &y[2], &sf));
    ck_assert_double_eq_tol(sf, desc_refs[pick[i]].std, 1e-9 * y[2]);
    weighted(y, W, 3, 2.0, &m, &sm); /* 2 sqrt(member variance) */
    double want = 2.0 * sqrt(sm * sm / 4.0 + 1.5 * 1.5 * sf * sf);
    ck_assert_double_eq_tol(mean[i], m, 1e-12);
    ck_assert_double_eq_tol(std[i], want, 1e-12);
    ck_assert_double_gt(std[i] - sm, 0.01);
    ck_assert_double_eq(mean0[i], mean[i]);
    ck_assert_double_eq_tol(std0[i], sm, 1e-12);
    ck_assert_double_eq(mean1[i], mean[i]);
    ck_assert_double_eq(std1[i], std0[i]);
  }
  /* a hop */
  mb_structure *a = NULL, *b = NULL;
  mb_test_band_end_points(list[1], &a, &b);
  double hm, hs;
  MB_OK_OR_FAIL(mb_ensemble_predict_band(e, a, b, -1, &hm, &hs));
  ck_assert_double_eq_tol(hm, mean[1], 1e-4);
  ck_assert_double_eq_tol(hs, std[1], 1e-4);
  mb_structure_free(a), mb_structure_free(b);
  /* bad values */
  mb_ensemble *bad = (mb_ensemble *)&bad;
  ck_assert_int_eq(mb_ensemble_load(write_manifest("neg.json", MIXED2 "\"tree_spread\": -1}"),
                                    &bad), MB_ERR_MODEL);
  ck_assert_msg(strstr(mb_last_error(), "'tree_spread' must be a number >= 0"), "%s",
                mb_last_error());
  ck_assert_int_eq(mb_ensemble_load(write_manifest("str.json", MIXED2 "\"tree_spread\": \"1\"}"),
                                    &bad), MB_ERR_MODEL);
  for (int i = 0; i < N; i++) mb_structure_free(own[i]);
  mb_ensemble_free(e), mb_ensemble_free(e0), mb_ensemble_free(e1);
  mb__forest_free(f);
}
END_TEST

START_TEST(threads_do_not_change_results) {
  desc_load_refs();
  mb_ensemble *e = load(write_manifest("mixed.json", MIXED "\"weights\": [0.5, 0.2, 0.3]}"));
  enum { N = 7 };
  const mb_structure *list[N];
  mb_structure *own[N];
  int nb[N];
  for (int i = 0; i < N; i++) list[i] = own[i] = desc_structure(&desc_refs[2 + 4 * i]), nb[i] = 5;
  double m[4][N], s[4][N];
  const int threads[4] = {1, 2, 3, 0};
  for (int t = 0; t < 4; t++)
    MB_OK_OR_FAIL(mb_ensemble_predict_batch(e, N, list, nb, threads[t], m[t], s[t]));
  for (int t = 1; t < 4; t++) {
    ck_assert_mem_eq(m[t], m[0], sizeof m[0]);
    ck_assert_mem_eq(s[t], s[0], sizeof s[0]);
  }
  for (int i = 0; i < N; i++) mb_structure_free(own[i]);
  mb_ensemble_free(e);
}
END_TEST

/* ---- malformed files and manifests ---------------------------------------------------- */

/* Loading path must fail with status and a message holding want1 and want2. */
static void expect_error(const char *path, mb_status status, const char *want1,
                         const char *want2) {
  mb_ensemble *e = (mb_ensemble *)&e, *before = e;
  mb_status st = mb_ensemble_load(path, &e);
  ck_assert_msg(st == status, "%s: status %d, expected %d (%s)", path, (int)st, (int)status,
                mb_last_error());
  ck_assert_ptr_eq(e, before);
  ck_assert_msg(strstr(mb_last_error(), want1), "%s: message '%s' lacks '%s'", path,
                mb_last_error(), want1);
  if (want2)
    ck_assert_msg(strstr(mb_last_error(), want2), "%s: message '%s' lacks '%s'", path,
                  mb_last_error(), want2);
}

static unsigned char *pristine;
static size_t pristine_size;

/* Offset in the file of element i of tensor name (esize bytes each). */
static size_t tensor_at(const char *name, size_t i, size_t esize) {
  char key[64];
  snprintf(key, sizeof key, "\"%s\":{", name);
  const char *h = (const char *)pristine + 8, *p = strstr(h, key);
  ck_assert_ptr_nonnull(p);
  p = strstr(p, "\"data_offsets\":[");
  ck_assert_ptr_nonnull(p);
  size_t begin = strtoul(p + 16, NULL, 10), hlen = 0;
  for (int k = 7; k >= 0; k--) hlen = hlen << 8 | pristine[k];
  return 8 + hlen + begin + i * esize;
}

static int32_t get_i32(const char *name, size_t i) {
  int32_t v;
  memcpy(&v, pristine + tensor_at(name, i, 4), 4); /* little-endian host */
  return v;
}

/* A copy of forest20.safetensors with 4 or 8 bytes of one tensor replaced, or with the
 * header text 'from' replaced by 'to' (same length), written to tmpdir/name. */
static const char *patched(const char *name, const char *tensor, size_t i, const void *v,
                           size_t vsize, const char *from, const char *to) {
  static char path[1300];
  unsigned char *copy = malloc(pristine_size);
  memcpy(copy, pristine, pristine_size);
  if (tensor) memcpy(copy + tensor_at(tensor, i, vsize), v, vsize);
  if (from) {
    ck_assert_uint_eq(strlen(from), strlen(to));
    char *p = strstr((char *)copy + 8, from);
    ck_assert_msg(p != NULL, "header lacks %s", from);
    memcpy(p, to, strlen(to));
  }
  snprintf(path, sizeof path, "%s/%s", tmpdir, name);
  FILE *f = fopen(path, "wb");
  ck_assert_ptr_nonnull(f);
  ck_assert_uint_eq(fwrite(copy, 1, pristine_size, f), pristine_size);
  fclose(f);
  free(copy);
  return path;
}

static const char *patch_i32(const char *name, const char *tensor, size_t i, int32_t v) {
  return patched(name, tensor, i, &v, 4, NULL, NULL);
}

static const char *patch_f64(const char *name, const char *tensor, size_t i, double v) {
  return patched(name, tensor, i, &v, 8, NULL, NULL);
}

static const char *patch_text(const char *name, const char *from, const char *to) {
  return patched(name, NULL, 0, NULL, 0, from, to);
}

START_TEST(bad_forests) {
  char path[1024];
  pristine = desc_read_bytes(mb_test_data("desc/forest20.safetensors", path, sizeof path),
                             &pristine_size);
  /* the shape of tree 0: root 0 splits into 1 and r; 1 splits into 2 and ...; a leaf */
  int32_t r = get_i32("right", 0), l1 = get_i32("left", 1);
  ck_assert_int_gt(r, 2);
  ck_assert_int_eq(get_i32("left", 0), 1);
  ck_assert_int_eq(l1, 2);
  size_t leaf = 0;
  while (get_i32("left", leaf) != -1) leaf++;
  const char *p;
  p = patch_i32("cycle.safetensors", "left", 0, 0);
  expect_error(p, MB_ERR_MODEL, "cycle.safetensors: tensor 'left': node 0 of tree 0: child 0",
               "after the node");
  p = patch_i32("outside.safetensors", "right", 0, 100000);
  expect_error(p, MB_ERR_MODEL, "tensor 'right': node 0 of tree 0: child 100000",
               "inside the tree");
  p = patch_i32("same.safetensors", "right", 0, 1);
  expect_error(p, MB_ERR_MODEL, "tensor 'right': node 0 of tree 0", "distinct");
  p = patch_i32("parents.safetensors", "right", 0, 2);
  expect_error(p, MB_ERR_MODEL, "tensor 'left': node 1 of tree 0: child 2 has another parent",
               NULL);
  p = patch_i32("halfleaf.safetensors", "right", leaf, 3);
  expect_error(p, MB_ERR_MODEL, "tensor 'right': node", "-1 on both sides");
  p = patch_i32("feature.safetensors", "feature", 0, 90);
  expect_error(p, MB_ERR_MODEL, "tensor 'feature': node 0 of tree 0 splits on feature 90, "
               "outside 0..89", NULL);
  p = patch_i32("negfeature.safetensors", "feature", 0, -2);
  expect_error(p, MB_ERR_MODEL, "tensor 'feature'", "feature -2");
  p = patch_f64("nan.safetensors", "threshold", 0, NAN);
  expect_error(p, MB_ERR_MODEL, "nan.safetensors: tensor 'threshold': node 0 of tree 0",
               "not finite");
  p = patch_f64("inf.safetensors", "value", leaf, INFINITY);
  expect_error(p, MB_ERR_MODEL, "tensor 'value'", "leaf value inf");
  p = patch_f64("huge.safetensors", "value", leaf, 1000);
  expect_error(p, MB_ERR_MODEL, "tensor 'value'", "finite log target");
  p = patch_i32("offset.safetensors", "tree_offset", 1, 0);
  expect_error(p, MB_ERR_MODEL, "tensor 'tree_offset': entry 1 (0) must be greater", NULL);
  p = patch_i32("offset2.safetensors", "tree_offset", 20, 4703);
  expect_error(p, MB_ERR_MODEL, "tensor 'tree_offset': the trees hold 4703 nodes", NULL);
  p = patch_text("dtype.safetensors", "\"threshold\":{\"dtype\":\"F64\"",
                 "\"threshold\":{\"dtype\":\"F16\"");
  expect_error(p, MB_ERR_MODEL, "tensor 'threshold': dtype F16, expected F64 or I32", NULL);
  p = patch_text("dtype2.safetensors", "\"threshold\":{\"dtype\":\"F64\"",
                 "\"threshold\":{\"dtype\":\"I32\"");
  expect_error(p, MB_ERR_MODEL, "tensor 'threshold'", NULL); /* 4704 I32 in 37632 bytes */
  p = patch_text("extra.safetensors", "\"value\":{", "\"valuf\":{");
  expect_error(p, MB_ERR_MODEL, "tensor 'valuf': not part of a forest", NULL);
  p = patch_text("name.safetensors", "hop_length", "hop_lengtX");
  expect_error(p, MB_ERR_MODEL, "'features' entry 67 is 'hop_lengtX', expected 'hop_length'",
               NULL);
  p = patch_text("const.safetensors", "n_nearest", "n_neArest");
  expect_error(p, MB_ERR_MODEL, "unknown key 'constants.n_neArest'", NULL);
  p = patch_text("version.safetensors", "format_version\\\": 1", "format_version\\\": 3");
  expect_error(p, MB_ERR_MODEL, "'format_version' must be 1 or 2", NULL);
  p = patch_text("ntrees.safetensors", "ntrees\\\": 20", "ntrees\\\": 21");
  expect_error(p, MB_ERR_MODEL, "tensor 'tree_offset': must be 1-D of ntrees + 1 entries", NULL);
  p = patch_text("ion.safetensors", "\\\"Rb\\\", \\\"Mg", "\\\"Qq\\\", \\\"Mg");
  expect_error(p, MB_ERR_MODEL, "'ions' entry 3 is not an element symbol", NULL);
  /* as a member, the manifest and the member are named */
  p = patch_i32("cycle.safetensors", "left", 0, 0);
  p = write_manifest("badmember.json", "{\"format\": \"migbar-ensemble\", \"version\": 1, "
                     "\"members\": [\"%G/tiny_band.safetensors\", \"cycle.safetensors\"]}");
  expect_error(p, MB_ERR_MODEL, "badmember.json: member 1: ", "cycle.safetensors: tensor 'left'");
  free(pristine);
  /* format 2 keys */
  pristine = desc_read_bytes(mb_test_data("desc/extra21.safetensors", path, sizeof path),
                             &pristine_size);
  p = patch_text("aggregate.safetensors", "aggregate\\\": \\\"median",
                 "aggregate\\\": \\\"medium");
  expect_error(p, MB_ERR_MODEL, "'aggregate' must be \"mean\" or \"median\"", NULL);
  p = patch_text("v1kind.safetensors", "format_version\\\": 2", "format_version\\\": 1");
  expect_error(p, MB_ERR_MODEL, "'kind' must be \"random-forest\" in format 1", NULL);
  p = patch_text("kind.safetensors", "kind\\\": \\\"extra-trees", "kind\\\": \\\"extra-treez");
  expect_error(p, MB_ERR_MODEL, "'kind' must be \"random-forest\" or \"extra-trees\"", NULL);
  free(pristine);
}
END_TEST

START_TEST(bad_manifests) {
  char path[1024];
  pristine = desc_read_bytes(mb_test_data("desc/forest20.safetensors", path, sizeof path),
                             &pristine_size);
  const char *p;
  p = write_manifest("sum.json", MIXED "\"weights\": [0.5, 0.2, 0.2]}");
  expect_error(p, MB_ERR_MODEL, "sum.json: ensemble manifest: 'weights' must sum to 1",
               "sum to 0.9");
  p = write_manifest("negative.json", MIXED "\"weights\": [1.2, -0.2, 0.0]}");
  expect_error(p, MB_ERR_MODEL, "'weights' entry 1 must be a finite number >= 0", NULL);
  p = write_manifest("count.json", MIXED "\"weights\": [0.5, 0.5]}");
  expect_error(p, MB_ERR_MODEL, "'weights' must be an array of one number per member (3 members)",
               NULL);
  p = write_manifest("string.json", MIXED "\"weights\": [0.5, \"0.2\", 0.3]}");
  expect_error(p, MB_ERR_MODEL, "'weights' entry 1", NULL);
  p = write_manifest("infinite.json", MIXED "\"weights\": [1e999, 0.2, 0.3]}");
  expect_error(p, MB_ERR_MODEL, "'weights' entry 0", NULL);
  p = write_manifest("object.json", MIXED "\"weights\": {\"a\": 1}}");
  expect_error(p, MB_ERR_MODEL, "'weights'", NULL);
  /* a forest needs band models of its one output beside it */
  p = write_manifest("crystal.json", "{\"format\": \"migbar-ensemble\", \"version\": 1, "
                     "\"members\": [\"%G/tiny_mpt.safetensors\", \"%F\"]}");
  expect_error(p, MB_ERR_MODEL, "member 1 (", "crystal model with 3 outputs");
  p = write_manifest("first.json", "{\"format\": \"migbar-ensemble\", \"version\": 1, "
                     "\"members\": [\"%F\", \"%G/tiny_band.safetensors\"]}");
  expect_error(p, MB_ERR_MODEL, "member 1 (", "list the graph-network members first");
  const char *kj = patch_text("kj.safetensors", "units\\\": \\\"eV", "units\\\": \\\"kJ");
  p = write_manifest("units.json", "{\"format\": \"migbar-ensemble\", \"version\": 1, "
                     "\"members\": [\"%G/tiny_band.safetensors\", \"kj.safetensors\"]}");
  expect_error(p, MB_ERR_MODEL, "kj.safetensors) predicts 'em' (kJ) but member 0 'em' (eV)",
               NULL);
  p = write_manifest("forests.json", "{\"format\": \"migbar-ensemble\", \"version\": 1, "
                     "\"members\": [\"%F\", \"kj.safetensors\"]}");
  expect_error(p, MB_ERR_MODEL, "predicts 'em' (kJ) but member 0 'em' (eV)", NULL);
  (void)kj;
  /* two forests agree: a forest-only ensemble */
  p = write_manifest("two.json", "{\"format\": \"migbar-ensemble\", \"version\": 1, "
                     "\"members\": [\"%F\", \"%F\"], \"weights\": [0.75, 0.25]}");
  mb_ensemble *e = load(p);
  mb_ensemble_free(e);
  free(pristine);
}
END_TEST

int main(void) {
  if (mb_test_make_tmpdir(tmpdir, sizeof tmpdir, "mb-forest")) return EXIT_FAILURE;
  Suite *s = suite_create("forest");
  TCase *tc = tcase_create("forest");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, sklearn_parity);
  tcase_add_test(tc, thresholds_as_sklearn);
  tcase_add_test(tc, extra_trees_median_as_sklearn);
  tcase_add_test(tc, forest_alone);
  tcase_add_test(tc, weighted_mean_and_std);
  tcase_add_test(tc, tree_spread_in_the_spread);
  tcase_add_test(tc, threads_do_not_change_results);
  tcase_add_test(tc, bad_forests);
  tcase_add_test(tc, bad_manifests);
  suite_add_tcase(s, tc);
  int rc = mb_run_suite(s);
  free(desc_text);
  mb_test_remove_tmpdir(tmpdir);
  return rc;
}
