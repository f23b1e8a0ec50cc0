/* Ensembles of models (mb_ensemble). References:
 *  - the members themselves: mean and spread must equal what this test computes from
 *    mb_model_predict_* on each member, one by one, with its own arithmetic (mean, sample
 *    standard deviation with K - 1, times std_scale);
 *  - the PyTorch pipeline: tests/data/gnn/ensemble/reference.json holds the outputs of the
 *    three members of ensemble.json on three em bands, computed in float64 by
 *    train/migbar_train, and their mean and std (ddof 1) times std_scale = 1.5 by numpy
 *    (written by tests/data/gnn/ensemble/make_members.py); tolerance 1e-4 eV.
 * Then one-member ensembles (spread 0), std_scale, hops, domain warnings, thread-count
 * independence and the manifest errors. */
#define _XOPEN_SOURCE 700 /* mkdtemp, realpath */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../testutil.h"

/* ---- a minimal scan of ensemble/reference.json ---------------------------------------- */

typedef struct ref_input {
  const char *text; /* the input object */
  size_t len;
  double outputs[3]; /* the three members, P = 1 */
  double mean, std;
} ref_input;

static char *ref_text;
static ref_input refs[8];
static int nrefs;


/* The number after "key": (its first element, for an array; skipping nested '[') */
static const char *after_key(const ref_input *r, const char *key) {
  char k[64];
  snprintf(k, sizeof k, "\"%s\":", key);
  const char *p = strstr(r->text, k);
  ck_assert_msg(p && p < r->text + r->len, "reference input lacks '%s'", key);
  p += strlen(k);
  while (*p == '[' || *p == ' ') p++;
  return p;
}

static void load_refs(void) {
  if (ref_text) return;
  char path[1024];
  ref_text = mb_test_slurp(mb_test_data("gnn/ensemble/reference.json", path, sizeof path));
  const char *p = strstr(ref_text, "\"inputs\":");
  ck_assert_ptr_nonnull(p);
  p = strchr(p, '[') + 1;
  while (*p == '{' && nrefs < 8) {
    ref_input *r = &refs[nrefs++];
    const char *end = mb_test_json_skip(p);
    r->text = p;
    r->len = (size_t)(end - p);
    char *q;
    const char *o = after_key(r, "outputs");
    for (int k = 0; k < 3; k++) {
      r->outputs[k] = strtod(o, &q);
      o = q;
      while (*o == ']' || *o == ',' || *o == '[') o++;
    }
    r->mean = strtod(after_key(r, "mean"), NULL);
    r->std = strtod(after_key(r, "std"), NULL);
    p = end;
    while (*p == ',') p++;
  }
  ck_assert_int_eq(nrefs, 3);
}

static mb_structure *ref_structure(const ref_input *r) {
  mb_structure *s = NULL;
  MB_OK_OR_FAIL(mb_structure_read_buffer(r->text, r->len, MB_FORMAT_JSON, "reference.json", 0,
                                         &s));
  return s;
}

static mb_ensemble *load(const char *name) {
  char path[1024];
  mb_ensemble *e = NULL;
  MB_OK_OR_FAIL(mb_ensemble_load(mb_test_data(name, path, sizeof path), &e));
  return e;
}

/* Mean and sample standard deviation (K - 1) of K numbers, as this test computes them. */
static void mean_std(const double *y, int K, double *mean, double *std) {
  double s = 0, ss = 0;
  for (int k = 0; k < K; k++) s += y[k];
  *mean = s / K;
  for (int k = 0; k < K; k++) ss += (y[k] - *mean) * (y[k] - *mean);
  *std = K > 1 ? sqrt(ss / (K - 1)) : 0;
}

/* ---- temporary manifests -------------------------------------------------------------- */

static char tmpdir[256];

static const char *data_dir(void) {
  static char dir[1024];
  char rel[1024];
  mb_test_data("gnn", rel, sizeof rel);
  ck_assert_msg(realpath(rel, dir) != NULL, "cannot resolve %s", rel);
  return dir;
}

/* Write text (with %s replaced by the absolute tests/data/gnn path) to tmpdir/name. */
static const char *write_manifest(const char *name, const char *text) {
  static char path[1300];
  snprintf(path, sizeof path, "%s/%s", tmpdir, name);
  FILE *f = fopen(path, "w");
  ck_assert_ptr_nonnull(f);
  const char *dir = data_dir();
  for (const char *p = text; *p; p++) {
    if (p[0] == '%' && p[1] == 's') {
      fputs(dir, f);
      p++;
    } else {
      fputc(*p, f);
    }
  }
  fclose(f);
  return path;
}

/* ---- tests ------------------------------------------------------------------------------ */

START_TEST(mean_and_std_of_members) {
  load_refs();
  mb_ensemble *e = load("gnn/ensemble/ensemble.json");
  int K;
  MB_OK_OR_FAIL(mb_ensemble_size(e, &K));
  ck_assert_int_eq(K, 3);
  const mb_structure *list[3];
  mb_structure *own[3];
  int nb[3] = {5, 5, 5};
  for (int i = 0; i < nrefs; i++) list[i] = own[i] = ref_structure(&refs[i]);
  double mean[3], std[3];
  MB_OK_OR_FAIL(mb_ensemble_predict_batch(e, nrefs, list, nb, 1, mean, std));
  double worst = 0;
  for (int i = 0; i < nrefs; i++) {
    double y[3], m, s;
    for (int k = 0; k < K; k++) {
      const mb_model *member;
      MB_OK_OR_FAIL(mb_ensemble_member(e, k, &member));
      MB_OK_OR_FAIL(mb_model_predict_structure(member, list[i], 5, &y[k]));
      ck_assert_msg(fabs(y[k] - refs[i].outputs[k]) <= 1e-4, "input %d member %d: %.9f vs "
                    "PyTorch %.9f", i, k, y[k], refs[i].outputs[k]);
    }
    mean_std(y, K, &m, &s);
    ck_assert_double_eq_tol(mean[i], m, 1e-12);
    ck_assert_double_eq_tol(std[i], 1.5 * s, 1e-12); /* std_scale of ensemble.json */
    ck_assert_msg(fabs(mean[i] - refs[i].mean) <= 1e-4 && fabs(std[i] - refs[i].std) <= 1e-4,
                  "input %d: mean %.9f std %.9f, PyTorch/numpy %.9f %.9f", i, mean[i], std[i],
                  refs[i].mean, refs[i].std);
    ck_assert_double_gt(std[i], 0.01); /* the members do disagree */
    worst = fmax(worst, fmax(fabs(mean[i] - refs[i].mean), fabs(std[i] - refs[i].std)));
  }
  printf("ensemble: %d inputs, max |C - PyTorch| over mean and std = %.3g eV\n", nrefs, worst);
  for (int i = 0; i < nrefs; i++) mb_structure_free(own[i]);
  mb_ensemble_free(e);
}
END_TEST

START_TEST(one_member_has_no_spread) {
  load_refs();
  mb_structure *s = ref_structure(&refs[0]);
  const mb_structure *list[1] = {s};
  int nb = 5;
  /* a single safetensors file */
  mb_ensemble *e = load("gnn/tiny_band.safetensors");
  int K;
  MB_OK_OR_FAIL(mb_ensemble_size(e, &K));
  ck_assert_int_eq(K, 1);
  double mean = 0, std = -1, y = 0;
  const mb_model *m;
  MB_OK_OR_FAIL(mb_ensemble_member(e, 0, &m));
  MB_OK_OR_FAIL(mb_model_predict_structure(m, s, 5, &y));
  MB_OK_OR_FAIL(mb_ensemble_predict_batch(e, 1, list, &nb, 1, &mean, &std));
  ck_assert_double_eq(mean, y);
  ck_assert_double_eq(std, 0);
  ck_assert_double_eq_tol(mean, refs[0].outputs[0], 1e-4);
  char *json = NULL;
  MB_OK_OR_FAIL(mb_ensemble_manifest(e, &json));
  ck_assert_ptr_nonnull(strstr(json, "migbar.config")); /* the model's metadata */
  mb_free(json);
  mb_ensemble_free(e);
  /* a manifest of one member, with a std_scale that has nothing to scale */
  const char *path = write_manifest("one.json", "{\"format\": \"migbar-ensemble\", \"version\": 1,"
                                    " \"members\": [\"%s/tiny_band.safetensors\"],"
                                    " \"std_scale\": 3}");
  MB_OK_OR_FAIL(mb_ensemble_load(path, &e));
  std = -1;
  MB_OK_OR_FAIL(mb_ensemble_predict_batch(e, 1, list, &nb, 1, &mean, &std));
  ck_assert_double_eq(mean, y);
  ck_assert_double_eq(std, 0);
  mb_ensemble_free(e);
  mb_structure_free(s);
}
END_TEST

START_TEST(std_scale_is_applied) {
  load_refs();
  mb_structure *s = ref_structure(&refs[1]);
  const mb_structure *list[1] = {s};
  int nb = 5;
  /* the fixture's members, by absolute paths, without std_scale (1) and with 4 */
  const char *plain = write_manifest("plain.json",
      "{\"format\": \"migbar-ensemble\", \"version\": 1, \"members\": "
      "[\"%s/tiny_band.safetensors\", \"%s/ensemble/member1.safetensors\", "
      "\"%s/ensemble/member2.safetensors\"], \"card\": {\"any\": [\"keys\"]}}");
  mb_ensemble *e1 = NULL, *e4 = NULL, *fx = load("gnn/ensemble/ensemble.json");
  MB_OK_OR_FAIL(mb_ensemble_load(plain, &e1));
  const char *scaled = write_manifest("scaled.json",
      "{\"format\": \"migbar-ensemble\", \"version\": 1, \"std_scale\": 4.0, \"members\": "
      "[\"%s/tiny_band.safetensors\", \"%s/ensemble/member1.safetensors\", "
      "\"%s/ensemble/member2.safetensors\"]}");
  MB_OK_OR_FAIL(mb_ensemble_load(scaled, &e4));
  double m1, s1, m4, s4, mf, sf;
  MB_OK_OR_FAIL(mb_ensemble_predict_batch(e1, 1, list, &nb, 1, &m1, &s1));
  MB_OK_OR_FAIL(mb_ensemble_predict_batch(e4, 1, list, &nb, 1, &m4, &s4));
  MB_OK_OR_FAIL(mb_ensemble_predict_batch(fx, 1, list, &nb, 1, &mf, &sf));
  ck_assert_double_eq(m1, m4);
  ck_assert_double_eq(m1, mf);
  ck_assert_double_eq_tol(s4, 4.0 * s1, 1e-12);
  ck_assert_double_eq_tol(sf, 1.5 * s1, 1e-12);
  ck_assert_double_eq_tol(s1, refs[1].std / 1.5, 1e-4);
  /* the manifest comes back as JSON, other keys (the model card) included */
  char *json = NULL;
  MB_OK_OR_FAIL(mb_ensemble_manifest(e1, &json));
  ck_assert_ptr_nonnull(strstr(json, "\"migbar-ensemble\""));
  ck_assert_ptr_nonnull(strstr(json, "\"card\""));
  mb_free(json);
  mb_ensemble_free(e1), mb_ensemble_free(e4), mb_ensemble_free(fx);
  mb_structure_free(s);
}
END_TEST

START_TEST(hop_prediction) {
  load_refs();
  mb_ensemble *e = load("gnn/ensemble/ensemble.json");
  mb_structure *s = ref_structure(&refs[2]), *a = NULL, *b = NULL;
  mb_test_band_end_points(s, &a, &b);
  double mean, std, y[3], m, sd;
  MB_OK_OR_FAIL(mb_ensemble_predict_band(e, a, b, -1, &mean, &std));
  for (int k = 0; k < 3; k++) {
    const mb_model *member;
    MB_OK_OR_FAIL(mb_ensemble_member(e, k, &member));
    MB_OK_OR_FAIL(mb_model_predict_band(member, a, b, -1, &y[k]));
  }
  mean_std(y, 3, &m, &sd);
  ck_assert_double_eq_tol(mean, m, 1e-12);
  ck_assert_double_eq_tol(std, 1.5 * sd, 1e-12);
  /* the band built from the end points is the reference band */
  ck_assert_double_eq_tol(mean, refs[2].mean, 1e-4);
  ck_assert_double_eq_tol(std, refs[2].std, 1e-4);
  double mi, si;
  MB_OK_OR_FAIL(mb_ensemble_predict_band(e, a, b, 0, &mi, &si));
  ck_assert_double_eq(mi, mean);
  ck_assert_double_eq(si, std);
  /* errors of mb_model_predict_band, outputs untouched */
  double keep = 7, keep2 = 7;
  ck_assert_int_eq(mb_ensemble_predict_band(e, a, a, -1, &keep, &keep2), MB_ERR_GEOMETRY);
  ck_assert_ptr_nonnull(strstr(mb_last_error(), "no atom moves"));
  ck_assert_int_eq(mb_ensemble_predict_band(e, a, b, 3, &keep, &keep2), MB_ERR_GEOMETRY);
  ck_assert_int_eq(mb_ensemble_predict_band(e, a, b, -2, &keep, &keep2), MB_ERR_RANGE);
  ck_assert_int_eq(mb_ensemble_predict_band(e, a, s, -1, &keep, &keep2), MB_ERR_INVALID_ARG);
  ck_assert_int_eq(mb_ensemble_predict_band(NULL, a, b, -1, &keep, &keep2), MB_ERR_INVALID_ARG);
  ck_assert_double_eq(keep, 7);
  ck_assert_double_eq(keep2, 7);
  /* a crystal model cannot read a hop */
  mb_ensemble *c = load("gnn/tiny_mpt.safetensors");
  double y3[3], s3[3];
  ck_assert_int_eq(mb_ensemble_predict_band(c, a, b, -1, y3, s3), MB_ERR_INVALID_ARG);
  mb_ensemble_free(c);
  mb_structure_free(s), mb_structure_free(a), mb_structure_free(b);
  mb_ensemble_free(e);
}
END_TEST

/* A 12 A cubic cell: a Li hops along x by dx (fractional) among host atoms of Z host. */
static void toy_hop(int host, double dx, mb_structure **a, mb_structure **b) {
  const double lat[9] = {12, 0, 0, 0, 12, 0, 0, 0, 12};
  double f[12] = {0.1, 0.2, 0.2, 0.5, 0.5, 0.5, 0.6, 0.9, 0.1, 0.3, 0.7, 0.8};
  int z[4] = {3, 8, host, 8};
  MB_OK_OR_FAIL(mb_structure_create(lat, 4, f, MB_COORDS_FRACTIONAL, z, a));
  f[0] += dx;
  MB_OK_OR_FAIL(mb_structure_create(lat, 4, f, MB_COORDS_FRACTIONAL, z, b));
}

START_TEST(domain_warnings) {
  mb_ensemble *e = load("gnn/ensemble/ensemble.json"); /* Li Na Mg O F P S Mn Fe Co Ni, 5 A */
  mb_structure *a, *b;
  char *w = (char *)"untouched";
  /* all in the domain, a 3 A hop: nothing to say */
  toy_hop(26, 0.25, &a, &b);
  MB_OK_OR_FAIL(mb_ensemble_check_hop(e, a, b, -1, &w));
  ck_assert_ptr_null(w);
  mb_structure_free(a), mb_structure_free(b);
  /* Xe is not in the domain */
  toy_hop(54, 0.25, &a, &b);
  MB_OK_OR_FAIL(mb_ensemble_check_hop(e, a, b, -1, &w));
  ck_assert_ptr_nonnull(w);
  ck_assert_msg(strstr(w, "element Xe is absent from the training data"), "%s", w);
  ck_assert_ptr_null(strstr(w, "hop"));
  mb_free(w);
  mb_structure_free(a), mb_structure_free(b);
  /* a 0.45 * 12 = 5.40 A hop (the minimum image), longer than 5 A; and Xe */
  toy_hop(54, 0.45, &a, &b);
  MB_OK_OR_FAIL(mb_ensemble_check_hop(e, a, b, 0, &w));
  ck_assert_msg(strstr(w, "element Xe is absent") && strstr(w, "is 5.40 A long") &&
                strstr(w, "(5.00 A)"), "%s", w);
  ck_assert_int_eq(w[strlen(w) - 1], '\n');
  mb_free(w);
  mb_structure_free(a), mb_structure_free(b);
  /* 0.7 of the cell is a 0.3 * 12 = 3.6 A hop the other way (minimum image): no warning */
  toy_hop(26, 0.7, &a, &b);
  MB_OK_OR_FAIL(mb_ensemble_check_hop(e, a, b, -1, &w));
  ck_assert_ptr_null(w);
  /* the hop itself must be valid */
  w = (char *)"untouched";
  ck_assert_int_eq(mb_ensemble_check_hop(e, a, a, -1, &w), MB_ERR_GEOMETRY);
  ck_assert_int_eq(mb_ensemble_check_hop(e, a, b, 1, &w), MB_ERR_GEOMETRY);
  ck_assert_int_eq(mb_ensemble_check_hop(e, a, b, 4, &w), MB_ERR_RANGE);
  ck_assert_str_eq(w, "untouched");
  mb_structure_free(a), mb_structure_free(b);
  toy_hop(54, 0.25, &a, &b);
  mb_structure *c = NULL, *d = NULL;
  toy_hop(26, 0.25, &c, &d);
  ck_assert_int_eq(mb_ensemble_check_hop(e, a, d, -1, &w), MB_ERR_INVALID_ARG);
  ck_assert_ptr_nonnull(strstr(mb_last_error(), "(Z = 26) in final but Xe (Z = 54) in initial"));
  /* a single model has no domain: no warnings, even for Xe */
  mb_ensemble *one = load("gnn/tiny_band.safetensors");
  MB_OK_OR_FAIL(mb_ensemble_check_hop(one, a, b, -1, &w));
  ck_assert_ptr_null(w);
  mb_ensemble_free(one);
  mb_structure_free(a), mb_structure_free(b), mb_structure_free(c), mb_structure_free(d);
  mb_ensemble_free(e);
}
END_TEST

START_TEST(threads_do_not_change_results) {
  load_refs();
  mb_ensemble *e = load("gnn/ensemble/ensemble.json");
  const mb_structure *list[6];
  mb_structure *own[3];
  int nb[6];
  for (int i = 0; i < 3; i++) own[i] = ref_structure(&refs[i]);
  for (int i = 0; i < 6; i++) list[i] = own[(i * 2) % 3], nb[i] = 5;
  double m1[6], s1[6], m2[6], s2[6], m3[6], s3[6], m0[6], s0[6];
  MB_OK_OR_FAIL(mb_ensemble_predict_batch(e, 6, list, nb, 1, m1, s1));
  MB_OK_OR_FAIL(mb_ensemble_predict_batch(e, 6, list, nb, 2, m2, s2));
  MB_OK_OR_FAIL(mb_ensemble_predict_batch(e, 6, list, nb, 3, m3, s3));
  MB_OK_OR_FAIL(mb_ensemble_predict_batch(e, 6, list, nb, 0, m0, s0));
  ck_assert_mem_eq(m1, m2, sizeof m1);
  ck_assert_mem_eq(s1, s2, sizeof s1);
  ck_assert_mem_eq(m1, m3, sizeof m1);
  ck_assert_mem_eq(s1, s3, sizeof s1);
  ck_assert_mem_eq(m1, m0, sizeof m1);
  ck_assert_mem_eq(s1, s0, sizeof s1);
  ck_assert_double_eq(m1[0], m1[3]); /* the same structure twice */
  /* the lowest failing structure is named, outputs untouched */
  nb[4] = 0;
  nb[2] = 0;
  double keep[6] = {7, 7, 7, 7, 7, 7}, keep2[6] = {7, 7, 7, 7, 7, 7};
  ck_assert_int_eq(mb_ensemble_predict_batch(e, 6, list, nb, 2, keep, keep2), MB_ERR_INVALID_ARG);
  ck_assert_msg(strstr(mb_last_error(), "structure 2 (member 0)"), "%s", mb_last_error());
  ck_assert_double_eq(keep[0], 7);
  ck_assert_double_eq(keep2[5], 7);
  ck_assert_int_eq(mb_ensemble_predict_batch(e, 6, list, NULL, 1, keep, keep2),
                   MB_ERR_INVALID_ARG);
  ck_assert_int_eq(mb_ensemble_predict_batch(e, 6, list, nb, -1, keep, keep2),
                   MB_ERR_INVALID_ARG);
  list[1] = NULL;
  ck_assert_int_eq(mb_ensemble_predict_batch(e, 6, list, nb, 1, keep, keep2), MB_ERR_INVALID_ARG);
  ck_assert_ptr_nonnull(strstr(mb_last_error(), "structure 1 is NULL"));
  MB_OK_OR_FAIL(mb_ensemble_predict_batch(e, 0, NULL, NULL, 1, NULL, NULL));
  for (int i = 0; i < 3; i++) mb_structure_free(own[i]);
  mb_ensemble_free(e);
}
END_TEST

/* Loading path must fail with status and a message holding every string of want. */
static void expect_load_error(const char *path, mb_status status, const char *want1,
                              const char *want2) {
  mb_ensemble *e = (mb_ensemble *)&e; /* must stay untouched */
  mb_ensemble *before = e;
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

START_TEST(bad_manifests) {
  const char *p;
  p = write_manifest("missing-member.json", "{\"format\": \"migbar-ensemble\", \"version\": 1,"
                     " \"members\": [\"%s/tiny_band.safetensors\", \"nope.safetensors\"]}");
  expect_load_error(p, MB_ERR_IO, "missing-member.json: member 1", "/nope.safetensors");
  char nofile[1400];
  snprintf(nofile, sizeof nofile, "%s/no-such-manifest.json", tmpdir);
  expect_load_error(nofile, MB_ERR_IO, "no-such-manifest.json", NULL);
  p = write_manifest("format.json", "{\"format\": \"migbar-ensembles\", \"version\": 1,"
                     " \"members\": [\"%s/tiny_band.safetensors\"]}");
  expect_load_error(p, MB_ERR_MODEL, "format.json", "'format' must be \"migbar-ensemble\"");
  p = write_manifest("noformat.json", "{\"version\": 1, \"members\": [\"a.safetensors\"]}");
  expect_load_error(p, MB_ERR_MODEL, "'format'", NULL);
  p = write_manifest("version.json", "{\"format\": \"migbar-ensemble\", \"version\": 3,"
                     " \"members\": [\"%s/tiny_band.safetensors\"]}");
  expect_load_error(p, MB_ERR_MODEL, "'version' must be 1 or 2", NULL);
  p = write_manifest("empty.json", "{\"format\": \"migbar-ensemble\", \"version\": 1,"
                     " \"members\": []}");
  expect_load_error(p, MB_ERR_MODEL, "empty.json", "'members'");
  p = write_manifest("outputs.json", "{\"format\": \"migbar-ensemble\", \"version\": 1,"
                     " \"members\": [\"%s/tiny_band.safetensors\", \"%s/tiny_band.safetensors\","
                     " \"%s/tiny_mpt.safetensors\"]}");
  expect_load_error(p, MB_ERR_MODEL, "member 2", "tiny_mpt.safetensors");
  p = write_manifest("scale.json", "{\"format\": \"migbar-ensemble\", \"version\": 1,"
                     " \"members\": [\"%s/tiny_band.safetensors\"], \"std_scale\": -1}");
  expect_load_error(p, MB_ERR_MODEL, "'std_scale'", NULL);
  p = write_manifest("element.json", "{\"format\": \"migbar-ensemble\", \"version\": 1,"
                     " \"members\": [\"%s/tiny_band.safetensors\"],"
                     " \"domain\": {\"elements\": [\"Li\", \"Qq\"]}}");
  expect_load_error(p, MB_ERR_MODEL, "'domain.elements' holds 'Qq'", NULL);
  p = write_manifest("hop.json", "{\"format\": \"migbar-ensemble\", \"version\": 1,"
                     " \"members\": [\"%s/tiny_band.safetensors\"],"
                     " \"domain\": {\"max_hop_length\": \"far\"}}");
  expect_load_error(p, MB_ERR_MODEL, "'domain.max_hop_length'", NULL);
  p = write_manifest("syntax.json", "{\"format\": \"migbar-ensemble\",\n \"version\": 1,\n"
                     " \"members\": [\"a\" \"b\"]}");
  expect_load_error(p, MB_ERR_PARSE, "syntax.json:3:", "JSON syntax error");
  p = write_manifest("array.json", "[1, 2]");
  expect_load_error(p, MB_ERR_MODEL, "array.json", NULL); /* neither manifest nor model */
  p = write_manifest("notmodel.json", "{\"format\": \"migbar-ensemble\", \"version\": 1,"
                     " \"members\": [\"%s/ensemble/ensemble.json\"]}");
  expect_load_error(p, MB_ERR_MODEL, "member 0", NULL); /* a manifest is not a member */
  /* members are found relative to the manifest: the fixture loads from any directory */
  mb_ensemble *e = load("gnn/ensemble/ensemble.json");
  const mb_model *m = NULL;
  ck_assert_int_eq(mb_ensemble_member(e, 3, &m), MB_ERR_RANGE);
  ck_assert_int_eq(mb_ensemble_member(e, -1, &m), MB_ERR_RANGE);
  ck_assert_ptr_null(m);
  ck_assert_int_eq(mb_ensemble_load(NULL, &e), MB_ERR_INVALID_ARG);
  ck_assert_int_eq(mb_ensemble_size(NULL, NULL), MB_ERR_INVALID_ARG);
  ck_assert_int_eq(mb_ensemble_manifest(e, NULL), MB_ERR_INVALID_ARG);
  mb_ensemble_free(e);
  mb_ensemble_free(NULL);
}
END_TEST

int main(void) {
  if (mb_test_make_tmpdir(tmpdir, sizeof tmpdir, "mb-ensemble")) return EXIT_FAILURE;
  Suite *s = suite_create("gnn ensemble");
  TCase *tc = tcase_create("ensemble");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, mean_and_std_of_members);
  tcase_add_test(tc, one_member_has_no_spread);
  tcase_add_test(tc, std_scale_is_applied);
  tcase_add_test(tc, hop_prediction);
  tcase_add_test(tc, domain_warnings);
  tcase_add_test(tc, threads_do_not_change_results);
  tcase_add_test(tc, bad_manifests);
  suite_add_tcase(s, tc);
  int rc = mb_run_suite(s);
  free(ref_text);
  mb_test_remove_tmpdir(tmpdir);
  return rc;
}
