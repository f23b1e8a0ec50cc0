/* The shipped E_m model (models/em, made by `make train-em`): the C runtime must give the
 * outputs that the training pipeline computed for it on a few training bands
 * (models/em/check.json, written by train/migbar_train/ship.py: PyTorch float64 on the
 * float32 weights of the graph networks, the forest in numpy, the blend of docs/model.md
 * section 7), to 1e-4 eV, for every member and for the ensemble's mean and spread; the
 * same bands given as end points (initial = host + image 0, final = host + image 4) must
 * give the same barrier. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "../testutil.h"

#define TOL 1e-4

static char dir[1024];

static const char *model_dir(void) {
  const char *src = getenv("MB_SRCDIR");
  snprintf(dir, sizeof dir, "%s/models/em", src && *src ? src : ".");
  return dir;
}

static cJSON *load_check(void) {
  char path[1200];
  snprintf(path, sizeof path, "%s/check.json", model_dir());
  char *text = mb_test_slurp(path);
  cJSON *root = cJSON_Parse(text);
  free(text);
  ck_assert_msg(root != NULL, "%s is not valid JSON", path);
  return root;
}

static mb_ensemble *load_shipped(void) {
  char path[1200];
  snprintf(path, sizeof path, "%s/ensemble.json", model_dir());
  mb_ensemble *e = NULL;
  MB_OK_OR_FAIL(mb_ensemble_load(path, &e));
  return e;
}

static mb_structure *entry_structure(const cJSON *entry) {
  char *text = cJSON_PrintUnformatted(entry);
  mb_structure *s = NULL;
  MB_OK_OR_FAIL(mb_structure_read_buffer(text, strlen(text), MB_FORMAT_JSON, "check.json", 0, &s));
  free(text);
  return s;
}

static double num(const cJSON *o, const char *key) {
  const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, key);
  ck_assert_msg(cJSON_IsNumber(x), "check.json: no number '%s'", key);
  return x->valuedouble;
}

START_TEST(shipped_model_matches_the_training_pipeline) {
  cJSON *check = load_check();
  mb_ensemble *e = load_shipped();
  const cJSON *entries = cJSON_GetObjectItemCaseSensitive(check, "entries");
  int n = cJSON_GetArraySize(entries);
  ck_assert_int_ge(n, 3);
  mb_structure **s = calloc((size_t)n, sizeof *s);
  int *nband = calloc((size_t)n, sizeof *nband);
  double *mean = calloc((size_t)n, sizeof *mean), *std = calloc((size_t)n, sizeof *std);
  for (int i = 0; i < n; i++) {
    s[i] = entry_structure(cJSON_GetArrayItem(entries, i));
    nband[i] = 5;
  }
  MB_OK_OR_FAIL(mb_ensemble_predict_batch(e, n, (const mb_structure *const *)s, nband, 2, mean,
                                          std));
  double worst = 0;
  for (int i = 0; i < n; i++) {
    const cJSON *x = cJSON_GetArrayItem(entries, i);
    double dm = fabs(mean[i] - num(x, "mean")), ds = fabs(std[i] - num(x, "std"));
    ck_assert_msg(dm <= TOL && ds <= TOL, "entry %d: E_m %.6f +/- %.6f, pipeline %.6f +/- %.6f",
                  i, mean[i], std[i], num(x, "mean"), num(x, "std"));
    worst = fmax(worst, fmax(dm, ds));
    ck_assert(std[i] > 0);
  }
  printf("shipped model: %d bands, max |C - pipeline| = %.3g eV (mean and std)\n", n, worst);
  for (int i = 0; i < n; i++) mb_structure_free(s[i]);
  free(s);
  free(nband);
  free(mean);
  free(std);
  mb_ensemble_free(e);
  cJSON_Delete(check);
}
END_TEST

/* The first band again, from its end points. */
START_TEST(shipped_model_from_end_points) {
  cJSON *check = load_check();
  mb_ensemble *e = load_shipped();
  const cJSON *x = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(check, "entries"), 0);
  mb_structure *band = entry_structure(x);
  mb_structure *si = NULL, *sf = NULL;
  mb_test_band_end_points(band, &si, &sf);
  double mean, std;
  MB_OK_OR_FAIL(mb_ensemble_predict_band(e, si, sf, 0, &mean, &std));
  /* the data's middle images are the interpolation to ~1e-6 A */
  ck_assert_msg(fabs(mean - num(x, "mean")) <= 1e-3, "from end points %.6f, band %.6f", mean,
                num(x, "mean"));
  ck_assert_msg(fabs(std - num(x, "std")) <= 1e-3, "spread %.6f, band %.6f", std, num(x, "std"));
  mb_structure_free(si);
  mb_structure_free(sf);
  mb_structure_free(band);
  mb_ensemble_free(e);
  cJSON_Delete(check);
}
END_TEST

int main(void) {
  Suite *suite = suite_create("shipped");
  TCase *tc = tcase_create("shipped");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, shipped_model_matches_the_training_pipeline);
  tcase_add_test(tc, shipped_model_from_end_points);
  suite_add_tcase(suite, tc);
  return mb_run_suite(suite);
}
