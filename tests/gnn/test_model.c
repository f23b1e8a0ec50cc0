/* The graph network against the PyTorch pipeline: every input of
 * tests/data/gnn/reference.json (outputs of train/migbar_train in float64 on the float32
 * weights, see tests/data/gnn/README.md) must give the same graph sizes and outputs
 * within 1e-4 in target units. Then invariances that hold exactly in exact arithmetic
 * (atom order, translation, rotation, supercell; checked to 1e-5), the band builder,
 * batch determinism and the error paths. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../testutil.h"

/* ---- a minimal scan of reference.json (the test links only libmigbar) ---------------- */

typedef struct ref_entry {
  char model[64];
  const char *text; /* the entry object */
  size_t len;
  int nband, natoms;
  long nedges, ntriplets;
  int nout;
  double output[8];
} ref_entry;

static char *ref_text;
static ref_entry refs[256];
static int nrefs;


static const char *field(const ref_entry *e, const char *key) {
  char k[64];
  snprintf(k, sizeof k, "\"%s\":", key);
  const char *p = strstr(e->text, k);
  ck_assert_msg(p && p < e->text + e->len, "reference entry lacks '%s'", key);
  p += strlen(k);
  while (*p == ' ') p++;
  return p;
}

static void load_refs(void) {
  if (ref_text) return;
  char path[1024];
  ref_text = mb_test_slurp(mb_test_data("gnn/reference.json", path, sizeof path));
  const char *p = strstr(ref_text, "\"inputs\":");
  ck_assert_ptr_nonnull(p);
  p = strchr(p, '[') + 1;
  for (;;) {
    while (*p == ' ' || *p == '\n' || *p == ',') p++;
    if (*p != '{') break;
    ref_entry *e = &refs[nrefs++];
    const char *end = mb_test_json_skip(p);
    e->text = p;
    e->len = (size_t)(end - p);
    ck_assert_int_eq(sscanf(field(e, "model"), "\"%63[^\"]\"", e->model), 1);
    e->nband = atoi(field(e, "nband"));
    e->natoms = atoi(field(e, "natoms"));
    e->nedges = atol(field(e, "nedges"));
    e->ntriplets = atol(field(e, "ntriplets"));
    const char *o = field(e, "output") + 1;
    for (e->nout = 0; *o != ']'; e->nout++) {
      char *next;
      e->output[e->nout] = strtod(o, &next);
      o = next;
      while (*o == ',' || *o == ' ') o++;
    }
    p = end;
  }
  ck_assert_int_ge(nrefs, 1);
}

static mb_structure *ref_structure(const ref_entry *e) {
  mb_structure *s = NULL;
  MB_OK_OR_FAIL(mb_structure_read_buffer(e->text, e->len, MB_FORMAT_JSON, "reference.json", 0, &s));
  return s;
}

static mb_model *load_model(const char *name) {
  char path[1024], file[128];
  snprintf(file, sizeof file, "gnn/%s", name);
  mb_model *m = NULL;
  MB_OK_OR_FAIL(mb_model_load(mb_test_data(file, path, sizeof path), &m));
  return m;
}

/* First reference entry of a model with natoms in [lo, hi]. */
static const ref_entry *pick(const char *model, int nband, int lo, int hi) {
  load_refs();
  for (int i = 0; i < nrefs; i++)
    if (!strcmp(refs[i].model, model) && refs[i].nband == nband && refs[i].natoms >= lo &&
        refs[i].natoms <= hi)
      return &refs[i];
  ck_abort_msg("no reference entry of %s with nband %d and %d..%d atoms", model, nband, lo, hi);
  return NULL;
}

START_TEST(parity_with_pytorch) {
  /* tiny_band and tiny_mpt use the full line graph; tiny_bandlg (the shape of the
   * shipped CPU model) and tiny_crystal_bandlg (no band atoms, so no triplets) the band
   * line graph of docs/model.md section 1.4. The graph sizes checked here are those of
   * mb_graph_create (full line graph) in every case. */
  static const char *const names[] = {"tiny_band.safetensors", "tiny_mpt.safetensors",
                                      "tiny_bandlg.safetensors",
                                      "tiny_crystal_bandlg.safetensors"};
  enum { NMODELS = sizeof names / sizeof names[0] };
  load_refs();
  mb_model *models[NMODELS];
  int seen[NMODELS] = {0};
  for (int j = 0; j < NMODELS; j++) models[j] = load_model(names[j]);
  double worst = 0;
  int worst_i = -1;
  for (int i = 0; i < nrefs; i++) {
    const ref_entry *e = &refs[i];
    int j = 0;
    while (j < NMODELS && strcmp(e->model, names[j])) j++;
    ck_assert_msg(j < NMODELS, "model %s", e->model);
    mb_model *m = models[j];
    seen[j]++;
    mb_structure *s = ref_structure(e);
    mb_graph *g = NULL;
    MB_OK_OR_FAIL(mb_graph_create(s, 12, e->nband, &g));
    int n;
    size_t ne, nt;
    MB_OK_OR_FAIL(mb_graph_sizes(g, &n, &ne, &nt));
    ck_assert_int_eq(n, e->natoms);
    ck_assert_msg(ne == (size_t)e->nedges && nt == (size_t)e->ntriplets,
                  "input %d: %zu edges, %zu triplets; reference %ld, %ld", i, ne, nt, e->nedges,
                  e->ntriplets);
    mb_graph_free(g);
    int p;
    MB_OK_OR_FAIL(mb_model_noutputs(m, &p));
    ck_assert_int_eq(p, e->nout);
    double y[8];
    MB_OK_OR_FAIL(mb_model_predict_structure(m, s, e->nband, y));
    for (int k = 0; k < p; k++) {
      double d = fabs(y[k] - e->output[k]);
      ck_assert_msg(d <= 1e-4, "input %d (%s, %d atoms) output %d: %.9f, reference %.9f", i,
                    e->model, e->natoms, k, y[k], e->output[k]);
      if (d > worst) worst = d, worst_i = i;
    }
    mb_structure_free(s);
  }
  for (int j = 0; j < NMODELS; j++) {
    ck_assert_msg(seen[j] >= 3, "only %d reference inputs for %s", seen[j], names[j]);
    mb_model_free(models[j]);
  }
  printf("parity: %d inputs, max |C - PyTorch float64| = %.3g (input %d)\n", nrefs, worst,
         worst_i);
}
END_TEST

/* A copy of s with atoms reordered: new atom i is old atom perm[i]. */
static mb_structure *permuted(const mb_structure *s, const int *perm) {
  int n;
  MB_OK_OR_FAIL(mb_structure_natoms(s, &n));
  double lat[9], *f = malloc(sizeof(double) * 3 * n), *pf = malloc(sizeof(double) * 3 * n);
  int *z = malloc(sizeof(int) * n), *pz = malloc(sizeof(int) * n);
  MB_OK_OR_FAIL(mb_structure_lattice(s, lat));
  MB_OK_OR_FAIL(mb_structure_positions(s, MB_COORDS_FRACTIONAL, f));
  MB_OK_OR_FAIL(mb_structure_numbers(s, z));
  for (int i = 0; i < n; i++) {
    memcpy(&pf[3 * i], &f[3 * perm[i]], 3 * sizeof(double));
    pz[i] = z[perm[i]];
  }
  mb_structure *p = NULL;
  MB_OK_OR_FAIL(mb_structure_create(lat, n, pf, MB_COORDS_FRACTIONAL, pz, &p));
  free(f), free(pf), free(z), free(pz);
  return p;
}

/* Shuffle perm[lo..hi-1]. */
static void shuffle(int *perm, int lo, int hi, unsigned long long *seed) {
  for (int i = hi - 1; i > lo; i--) {
    int j = lo + (int)(mb_test_rand(seed) * (i - lo + 1)), x = perm[i];
    perm[i] = perm[j];
    perm[j] = x;
  }
}

static void expect_same(const mb_model *m, const mb_structure *a, const mb_structure *b,
                        int nband, const char *what) {
  double ya[8], yb[8];
  int p;
  MB_OK_OR_FAIL(mb_model_noutputs(m, &p));
  MB_OK_OR_FAIL(mb_model_predict_structure(m, a, nband, ya));
  MB_OK_OR_FAIL(mb_model_predict_structure(m, b, nband, yb));
  for (int k = 0; k < p; k++)
    ck_assert_msg(fabs(ya[k] - yb[k]) <= 1e-5, "%s: output %d: %.9f vs %.9f", what, k, ya[k],
                  yb[k]);
}

/* Rigid motions: translate all atoms by t, then rotate lattice and atoms. */
static mb_structure *moved(const mb_structure *s, const double t[3], double angle) {
  int n;
  MB_OK_OR_FAIL(mb_structure_natoms(s, &n));
  double lat[9], rl[9], *r = malloc(sizeof(double) * 3 * n);
  int *z = malloc(sizeof(int) * n);
  MB_OK_OR_FAIL(mb_structure_lattice(s, lat));
  MB_OK_OR_FAIL(mb_structure_positions(s, MB_COORDS_CARTESIAN, r));
  MB_OK_OR_FAIL(mb_structure_numbers(s, z));
  /* rotation by angle about the axis (1, 2, 2)/3 (Rodrigues) */
  const double u[3] = {1 / 3.0, 2 / 3.0, 2 / 3.0};
  double c = cos(angle), sn = sin(angle), R[9];
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 3; j++) R[3 * i + j] = (i == j ? c : 0) + (1 - c) * u[i] * u[j];
  R[1] -= sn * u[2], R[2] += sn * u[1], R[3] += sn * u[2];
  R[5] -= sn * u[0], R[6] -= sn * u[1], R[7] += sn * u[0];
  for (int row = 0; row < 3; row++)
    for (int i = 0; i < 3; i++)
      rl[3 * row + i] = R[3 * i] * lat[3 * row] + R[3 * i + 1] * lat[3 * row + 1] +
                        R[3 * i + 2] * lat[3 * row + 2];
  for (int a = 0; a < n; a++) {
    double v[3] = {r[3 * a] + t[0], r[3 * a + 1] + t[1], r[3 * a + 2] + t[2]};
    for (int i = 0; i < 3; i++)
      r[3 * a + i] = R[3 * i] * v[0] + R[3 * i + 1] * v[1] + R[3 * i + 2] * v[2];
  }
  mb_structure *o = NULL;
  MB_OK_OR_FAIL(mb_structure_create(rl, n, r, MB_COORDS_CARTESIAN, z, &o));
  free(r), free(z);
  return o;
}

START_TEST(crystal_invariances) {
  mb_model *m = load_model("tiny_mpt.safetensors");
  const ref_entry *e = pick("tiny_mpt.safetensors", 0, 6, 40);
  mb_structure *s = ref_structure(e);
  int n = e->natoms, perm[64];
  unsigned long long seed = 11;
  for (int i = 0; i < n; i++) perm[i] = i;
  shuffle(perm, 0, n, &seed);
  mb_structure *p = permuted(s, perm);
  expect_same(m, s, p, 0, "atom order");
  const double t[3] = {0.37, -1.2, 2.9}, zero[3] = {0, 0, 0};
  mb_structure *tr = moved(s, t, 0), *rot = moved(s, zero, 0.7);
  expect_same(m, s, tr, 0, "translation");
  expect_same(m, s, rot, 0, "rotation");
  const int P[9] = {2, 0, 0, 0, 1, 0, 0, 0, 1};
  mb_structure *sc = NULL;
  MB_OK_OR_FAIL(mb_structure_supercell(s, P, &sc));
  expect_same(m, s, sc, 0, "2x1x1 supercell");
  mb_structure_free(s), mb_structure_free(p), mb_structure_free(tr), mb_structure_free(rot);
  mb_structure_free(sc);
  mb_model_free(m);
}
END_TEST

START_TEST(band_invariances) {
  mb_model *m = load_model("tiny_band.safetensors");
  const ref_entry *e = pick("tiny_band.safetensors", 5, 30, 120);
  mb_structure *s = ref_structure(e);
  int n = e->natoms, *perm = malloc(sizeof(int) * n);
  unsigned long long seed = 12;
  for (int i = 0; i < n; i++) perm[i] = i;
  shuffle(perm, 5, n, &seed); /* host atoms */
  mb_structure *p = permuted(s, perm);
  expect_same(m, s, p, 5, "host atom order");
  mb_structure_free(p);
  shuffle(perm, 0, 5, &seed); /* and the band atoms among themselves */
  p = permuted(s, perm);
  expect_same(m, s, p, 5, "band atom order");
  const double t[3] = {-0.8, 0.3, 1.7}, zero[3] = {0, 0, 0};
  mb_structure *tr = moved(s, t, 0), *rot = moved(s, zero, -1.1);
  expect_same(m, s, tr, 5, "translation");
  expect_same(m, s, rot, 5, "rotation");
  /* The same periodic band in another choice of cell: a unimodular basis change
   * (a' = a + b, c' = c - a; det 1) with every atom wrapped into the new cell. */
  const int U[9] = {1, 1, 0, 0, 1, 0, -1, 0, 1};
  mb_structure *cell = NULL;
  MB_OK_OR_FAIL(mb_structure_supercell(s, U, &cell));
  MB_OK_OR_FAIL(mb_structure_wrap(cell));
  expect_same(m, s, cell, 5, "equivalent cell (unimodular basis change, wrapped)");
  mb_structure_free(cell);
  mb_structure_free(s), mb_structure_free(p), mb_structure_free(tr), mb_structure_free(rot);
  free(perm);
  mb_model_free(m);
}
END_TEST

START_TEST(band_from_end_points) {
  mb_model *m = load_model("tiny_band.safetensors");
  const ref_entry *e = pick("tiny_band.safetensors", 5, 30, 120);
  mb_structure *s = ref_structure(e), *a = NULL, *b = NULL;
  mb_test_band_end_points(s, &a, &b);
  double y0, y1, y2;
  MB_OK_OR_FAIL(mb_model_predict_structure(m, s, 5, &y0));
  MB_OK_OR_FAIL(mb_model_predict_band(m, a, b, -1, &y1));
  MB_OK_OR_FAIL(mb_model_predict_band(m, a, b, 0, &y2));
  ck_assert_double_eq_tol(y1, y0, 1e-5);
  ck_assert_double_eq(y2, y1); /* an explicit ion gives the same band */
  ck_assert_double_eq_tol(y0, e->output[0], 1e-4);
  /* errors: bad ion index, an ion that does not move, two moving atoms, a crystal model */
  double y = 12345;
  ck_assert_int_eq(mb_model_predict_band(m, a, b, e->natoms - 4, &y), MB_ERR_RANGE);
  ck_assert_int_eq(mb_model_predict_band(m, a, b, -2, &y), MB_ERR_RANGE);
  ck_assert_int_eq(mb_model_predict_band(m, a, b, 3, &y), MB_ERR_GEOMETRY);
  ck_assert_ptr_nonnull(strstr(mb_last_error(), "atom 0 moves"));
  ck_assert_int_eq(mb_model_predict_band(m, a, a, -1, &y), MB_ERR_GEOMETRY);
  ck_assert_ptr_nonnull(strstr(mb_last_error(), "no atom moves"));
  int n;
  MB_OK_OR_FAIL(mb_structure_natoms(b, &n));
  double *c = malloc(sizeof(double) * 3 * n);
  MB_OK_OR_FAIL(mb_structure_positions(b, MB_COORDS_CARTESIAN, c));
  c[3 * 7] += 0.5; /* a host atom moves too */
  mb_structure *b2 = NULL;
  MB_OK_OR_FAIL(mb_structure_copy(b, &b2));
  MB_OK_OR_FAIL(mb_structure_set_positions(b2, c, MB_COORDS_CARTESIAN));
  ck_assert_int_eq(mb_model_predict_band(m, a, b2, -1, &y), MB_ERR_GEOMETRY);
  ck_assert_ptr_nonnull(strstr(mb_last_error(), "2 atoms move"));
  ck_assert_int_eq(mb_model_predict_band(m, a, b2, 0, &y), MB_ERR_GEOMETRY);
  double lat[9];
  MB_OK_OR_FAIL(mb_structure_lattice(b, lat));
  lat[0] *= 1.01;
  MB_OK_OR_FAIL(mb_structure_set_lattice(b2, lat, 1));
  ck_assert_int_eq(mb_model_predict_band(m, a, b2, -1, &y), MB_ERR_INVALID_ARG);
  ck_assert_ptr_nonnull(strstr(mb_last_error(), "the lattices of final and initial differ"));
  ck_assert_int_eq(mb_model_predict_structure(m, s, 0, &y), MB_ERR_INVALID_ARG);
  ck_assert_int_eq(mb_model_predict_structure(m, s, e->natoms + 1, &y), MB_ERR_INVALID_ARG);
  ck_assert_double_eq(y, 12345);
  mb_model *crystal = load_model("tiny_mpt.safetensors");
  double y3[3];
  ck_assert_int_eq(mb_model_predict_band(crystal, a, b, -1, y3), MB_ERR_INVALID_ARG);
  mb_model_free(crystal);
  free(c);
  mb_structure_free(s), mb_structure_free(a), mb_structure_free(b), mb_structure_free(b2);
  mb_model_free(m);
}
END_TEST

START_TEST(batch_is_deterministic) {
  load_refs();
  mb_model *m = load_model("tiny_band.safetensors");
  const mb_structure *list[8];
  mb_structure *own[8];
  int nb[8], n = 0;
  for (int i = 0; i < nrefs && n < 8; i++)
    if (!strcmp(refs[i].model, "tiny_band.safetensors") && refs[i].natoms < 400) {
      own[n] = ref_structure(&refs[i]);
      list[n] = own[n];
      nb[n++] = refs[i].nband;
    }
  ck_assert_int_ge(n, 3);
  double one[8], b1[8], b2[8], b0[8];
  for (int i = 0; i < n; i++) MB_OK_OR_FAIL(mb_model_predict_structure(m, list[i], nb[i], &one[i]));
  MB_OK_OR_FAIL(mb_model_predict_batch(m, n, list, nb, 1, b1));
  MB_OK_OR_FAIL(mb_model_predict_batch(m, n, list, nb, 2, b2));
  MB_OK_OR_FAIL(mb_model_predict_batch(m, n, list, nb, 0, b0));
  ck_assert_mem_eq(one, b1, sizeof(double) * n);
  ck_assert_mem_eq(one, b2, sizeof(double) * n);
  ck_assert_mem_eq(one, b0, sizeof(double) * n);
  /* the lowest failing structure is reported, outputs untouched */
  nb[2] = 0;
  double keep[8] = {7, 7, 7, 7, 7, 7, 7, 7};
  ck_assert_int_eq(mb_model_predict_batch(m, n, list, nb, 2, keep), MB_ERR_INVALID_ARG);
  ck_assert_ptr_nonnull(strstr(mb_last_error(), "structure 2"));
  ck_assert_double_eq(keep[0], 7);
  ck_assert_int_eq(mb_model_predict_batch(m, n, list, NULL, 1, keep), MB_ERR_INVALID_ARG);
  MB_OK_OR_FAIL(mb_model_predict_batch(m, 0, NULL, NULL, 1, NULL));
  for (int i = 0; i < n; i++) mb_structure_free(own[i]);
  mb_model_free(m);
}
END_TEST

int main(void) {
  Suite *s = suite_create("gnn model");
  TCase *tc = tcase_create("model");
  tcase_set_timeout(tc, 300);
  tcase_add_test(tc, parity_with_pytorch);
  tcase_add_test(tc, crystal_invariances);
  tcase_add_test(tc, band_invariances);
  tcase_add_test(tc, band_from_end_points);
  tcase_add_test(tc, batch_is_deterministic);
  suite_add_tcase(s, tc);
  int rc = mb_run_suite(s);
  free(ref_text);
  return rc;
}
