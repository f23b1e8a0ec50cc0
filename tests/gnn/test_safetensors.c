/* The safetensors loader and the migbar.config checks (docs/model.md, section 5), on
 * files this test writes itself: a valid tiny model loads and reports its metadata;
 * every malformed variant is refused with MB_ERR_MODEL and a message naming the
 * problem (the tensor or key). */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../testutil.h"

typedef struct tentry {
  char name[64];
  int ndim;
  long shape[2];
  const char *dtype; /* NULL: "F32" */
} tentry;

typedef struct tmodel {
  tentry t[256];
  int n;
} tmodel;

static void put(tmodel *m, const char *name, int ndim, long d0, long d1) {
  tentry *e = &m->t[m->n++];
  snprintf(e->name, sizeof e->name, "%s", name);
  e->ndim = ndim;
  e->shape[0] = d0;
  e->shape[1] = d1;
  e->dtype = NULL;
}

static void put_lin(tmodel *m, const char *p, long out, long in) {
  char b[64];
  snprintf(b, sizeof b, "%s.weight", p);
  put(m, b, 2, out, in);
  snprintf(b, sizeof b, "%s.bias", p);
  put(m, b, 1, out, 0);
}

static void put_mlp(tmodel *m, const char *p, long out, long in) {
  char b[64];
  snprintf(b, sizeof b, "%s.linear", p);
  put_lin(m, b, out, in);
  snprintf(b, sizeof b, "%s.norm.weight", p);
  put(m, b, 1, out, 0);
  snprintf(b, sizeof b, "%s.norm.bias", p);
  put(m, b, 1, out, 0);
}

static void put_eggc(tmodel *m, const char *p, long H) {
  static const char *const g[5] = {"src_gate", "dst_gate", "edge_gate", "src_update", "dst_update"};
  char b[64];
  for (int i = 0; i < 5; i++) {
    snprintf(b, sizeof b, "%s.%s", p, g[i]);
    put_lin(m, b, H, H);
  }
  snprintf(b, sizeof b, "%s.norm_nodes.weight", p), put(m, b, 1, H, 0);
  snprintf(b, sizeof b, "%s.norm_nodes.bias", p), put(m, b, 1, H, 0);
  snprintf(b, sizeof b, "%s.norm_edges.weight", p), put(m, b, 1, H, 0);
  snprintf(b, sizeof b, "%s.norm_edges.bias", p), put(m, b, 1, H, 0);
}

/* E = 3, H = 4, one ALIGNN and one GCN layer, band flags, attention, 2 targets. */
static const char *cfg_ok =
    "{\"format_version\": 1, \"k\": 12, \"embedding\": 3, \"hidden\": 4, \"alignn_layers\": 1, "
    "\"gcn_layers\": 1, \"norm\": \"affine\", \"band_flags\": true, \"pooling\": "
    "\"mean+attention\", \"band_images\": 5, \"edge_rbf\": [0.0, 8.0, 80], \"angle_rbf\": "
    "[-1.0, 1.0, 40], \"targets\": [\"em\", \"x\"], \"target_mean\": [0.9, 0], \"target_std\": "
    "[0.7, 1], \"target_units\": [\"eV\", \"\"]}";

static void tiny(tmodel *m) {
  m->n = 0;
  put(m, "embedding.weight", 2, 119, 3);
  put_mlp(m, "atom_mlp", 4, 4);
  put_mlp(m, "edge_mlp.0", 3, 80);
  put_mlp(m, "edge_mlp.1", 4, 3);
  put_mlp(m, "angle_mlp.0", 3, 40);
  put_mlp(m, "angle_mlp.1", 4, 3);
  put_eggc(m, "alignn.0.line", 4);
  put_eggc(m, "alignn.0.atom", 4);
  put_eggc(m, "gcn.0", 4);
  put_lin(m, "attention", 1, 4);
  put_lin(m, "head", 2, 8);
}

/* JSON-escape a string into out. */
static void escape(const char *s, char *out) {
  while (*s) {
    if (*s == '"' || *s == '\\') *out++ = '\\';
    *out++ = *s++;
  }
  *out = 0;
}

/* Serialize: header (with shift added to the begin offset of tensor `shifted`), then
 * data (deterministic values). Returns a malloc'ed buffer. */
static unsigned char *serialize(const tmodel *m, const char *cfg, int shifted, long shift,
                                size_t *size) {
  static char hdr[1 << 16], esc[4096];
  size_t at = 0, off = 0;
  escape(cfg, esc);
  at += (size_t)snprintf(hdr + at, sizeof hdr - at,
                         "{\"__metadata__\": {\"migbar.config\": \"%s\", \"migbar.created\": "
                         "\"2025-01-01\"}", esc);
  for (int i = 0; i < m->n; i++) {
    const tentry *e = &m->t[i];
    long count = e->ndim == 1 ? e->shape[0] : e->shape[0] * e->shape[1];
    long b = (long)off + (i == shifted ? shift : 0);
    at += (size_t)snprintf(hdr + at, sizeof hdr - at, ", \"%s\": {\"dtype\": \"%s\", \"shape\": [%ld",
                           e->name, e->dtype ? e->dtype : "F32", e->shape[0]);
    if (e->ndim == 2) at += (size_t)snprintf(hdr + at, sizeof hdr - at, ", %ld", e->shape[1]);
    at += (size_t)snprintf(hdr + at, sizeof hdr - at, "], \"data_offsets\": [%ld, %ld]}", b,
                           b + 4 * count);
    off += 4 * (size_t)count;
  }
  at += (size_t)snprintf(hdr + at, sizeof hdr - at, "}");
  while (at % 8) hdr[at++] = ' ';
  unsigned char *buf = malloc(8 + at + off);
  for (int i = 0; i < 8; i++) buf[i] = (unsigned char)((uint64_t)at >> (8 * i));
  memcpy(buf + 8, hdr, at);
  for (size_t i = 0; i < off / 4; i++) {
    float v = (float)sin(0.37 * (double)i);
    memcpy(buf + 8 + at + 4 * i, &v, 4); /* little-endian host */
  }
  *size = 8 + at + off;
  return buf;
}

static char path[256];

static void write_file(const unsigned char *buf, size_t size) {
  snprintf(path, sizeof path, "/tmp/mb_test_st_%ld.safetensors", (long)getpid());
  FILE *f = fopen(path, "wb");
  ck_assert_ptr_nonnull(f);
  ck_assert_uint_eq(fwrite(buf, 1, size, f), size);
  fclose(f);
}

/* Load buf; expect failure with MB_ERR_MODEL and a message containing want. */
static void expect_refused(const unsigned char *buf, size_t size, const char *want) {
  write_file(buf, size);
  mb_model *m = NULL;
  mb_status st = mb_model_load(path, &m);
  ck_assert_msg(st == MB_ERR_MODEL, "status %d (%s), expected MB_ERR_MODEL for '%s'", st,
                mb_last_error(), want);
  ck_assert_ptr_null(m);
  ck_assert_msg(strstr(mb_last_error(), want) != NULL, "message '%s' lacks '%s'",
                mb_last_error(), want);
  ck_assert_msg(strstr(mb_last_error(), path) != NULL, "message '%s' lacks the file name",
                mb_last_error());
  unlink(path);
}

static void expect_model(const tmodel *t, const char *cfg, const char *want) {
  size_t size;
  unsigned char *buf = serialize(t, cfg, -1, 0, &size);
  expect_refused(buf, size, want);
  free(buf);
}

START_TEST(valid_file_round_trip) {
  tmodel t;
  tiny(&t);
  size_t size;
  unsigned char *buf = serialize(&t, cfg_ok, -1, 0, &size);
  write_file(buf, size);
  free(buf);
  mb_model *m = NULL;
  MB_OK_OR_FAIL(mb_model_load(path, &m));
  unlink(path);
  int p, band;
  const char *name;
  MB_OK_OR_FAIL(mb_model_noutputs(m, &p));
  ck_assert_int_eq(p, 2);
  MB_OK_OR_FAIL(mb_model_output_name(m, 1, &name));
  ck_assert_str_eq(name, "x");
  ck_assert_int_eq(mb_model_output_name(m, 2, &name), MB_ERR_RANGE);
  const char *units;
  MB_OK_OR_FAIL(mb_model_output_units(m, 0, &units));
  ck_assert_str_eq(units, "eV");
  MB_OK_OR_FAIL(mb_model_output_units(m, 1, &units));
  ck_assert_str_eq(units, "");
  ck_assert_int_eq(mb_model_output_units(m, -1, &units), MB_ERR_RANGE);
  MB_OK_OR_FAIL(mb_model_is_band_model(m, &band));
  ck_assert_int_eq(band, 1);
  char *json = NULL;
  MB_OK_OR_FAIL(mb_model_metadata(m, &json));
  ck_assert_ptr_nonnull(strstr(json, "\"migbar.config\":{\"format_version\":1"));
  ck_assert_ptr_nonnull(strstr(json, "\"migbar.created\":\"2025-01-01\""));
  mb_free(json);
  /* It predicts something finite on a small band. */
  const double lat[9] = {5, 0, 0, 0, 5, 0, 0, 0, 5};
  const double frac[21] = {0, 0, 0, .1, 0, 0, .2, 0, 0, .3, 0, 0, .4, 0, 0, .5, .5, .5, .2, .6, .3};
  const int z[7] = {3, 3, 3, 3, 3, 8, 26};
  mb_structure *s = NULL;
  MB_OK_OR_FAIL(mb_structure_create(lat, 7, frac, MB_COORDS_FRACTIONAL, z, &s));
  double y[2] = {NAN, NAN};
  MB_OK_OR_FAIL(mb_model_predict_structure(m, s, 5, y));
  ck_assert(isfinite(y[0]) && isfinite(y[1]));
  mb_structure_free(s);
  mb_model_free(m);
  mb_model_free(NULL);
}
END_TEST

START_TEST(container_errors) {
  tmodel t;
  tiny(&t);
  size_t size;
  unsigned char *buf = serialize(&t, cfg_ok, -1, 0, &size);
  expect_refused(buf, 5, "too short");                      /* truncated length */
  unsigned char *copy = malloc(size);
  memcpy(copy, buf, size);
  copy[5] = 0x10; /* header length far beyond the file */
  expect_refused(copy, size, "header length");
  memcpy(copy, buf, size);
  uint64_t hl = 0;
  for (int i = 7; i >= 0; i--) hl = hl << 8 | copy[i];
  copy[8 + 17] = ']'; /* {"__metadata__": ]... */
  expect_refused(copy, size, "invalid JSON");
  memcpy(copy, buf, size);
  copy[0] = (unsigned char)(hl + 1); /* header runs one byte into the data */
  expect_refused(copy, size, "header");
  expect_refused(buf, size - 4, "data section"); /* truncated data */
  free(copy);
  free(buf);
  /* data_offsets out of range, overlapping, leaving a hole */
  buf = serialize(&t, cfg_ok, t.n - 1, 1000000, &size);
  expect_refused(buf, size, "tensor 'head.bias': data_offsets");
  free(buf);
  buf = serialize(&t, cfg_ok, 3, -4, &size);
  expect_refused(buf, size, "overlaps");
  free(buf);
  buf = serialize(&t, cfg_ok, 3, 4, &size);
  expect_refused(buf, size, "tensor 'atom_mlp.norm.weight'");
  free(buf);
  /* wrong dtype */
  t.t[5].dtype = "F16";
  expect_model(&t, cfg_ok, "tensor 'edge_mlp.0.linear.weight': dtype F16, expected F32");
}
END_TEST

static void with_value(char *out, size_t size, const char *key, const char *value);

START_TEST(tensor_set_errors) {
  tmodel t;
  tiny(&t);
  /* missing */
  t.t[7] = t.t[--t.n];
  expect_model(&t, cfg_ok, "tensor 'edge_mlp.0.norm.weight': missing");
  /* extra */
  tiny(&t);
  put(&t, "gcn.1.src_gate.weight", 2, 4, 4);
  expect_model(&t, cfg_ok, "tensor 'gcn.1.src_gate.weight': not part of this architecture");
  /* misshapen: transposed, wrong rank */
  tiny(&t);
  t.t[1].shape[0] = 4, t.t[1].shape[1] = 5;
  expect_model(&t, cfg_ok, "tensor 'atom_mlp.linear.weight': shape [4, 5], expected [4, 4]");
  tiny(&t);
  t.t[t.n - 1].ndim = 2, t.t[t.n - 1].shape[1] = 1;
  expect_model(&t, cfg_ok, "tensor 'head.bias': shape [2, 1], expected [2]");
  /* duplicate name */
  tiny(&t);
  t.t[t.n++] = t.t[0];
  expect_model(&t, cfg_ok, "tensor 'embedding.weight': appears twice");
  /* without attention pooling the attention tensors are extra */
  tiny(&t);
  char cfg[2048];
  with_value(cfg, sizeof cfg, "pooling", "\"mean\"");
  expect_model(&t, cfg, "tensor 'head.weight': shape [2, 8], expected [2, 4]");
}
END_TEST

/* Replace the text of key's value in cfg_ok by value. */
static void with_value(char *out, size_t size, const char *key, const char *value) {
  char k[64];
  snprintf(k, sizeof k, "\"%s\": ", key);
  const char *at = strstr(cfg_ok, k);
  ck_assert_ptr_nonnull(at);
  at += strlen(k);
  const char *end = at;
  int depth = 0;
  while (*end && (depth || (*end != ',' && *end != '}'))) {
    if (*end == '[') depth++;
    if (*end == ']') depth--;
    end++;
  }
  snprintf(out, size, "%.*s%s%s", (int)(at - cfg_ok), cfg_ok, value, end);
}

START_TEST(config_errors) {
  tmodel t;
  tiny(&t);
  char cfg[2048];
  static const struct {
    const char *key, *value, *want;
  } cases[] = {
      {"format_version", "2", "format_version 2 is not known"},
      {"format_version", "\"1\"", "'format_version' must be an integer"},
      {"k", "0", "'k' must be an integer in 1..1000"},
      {"k", "12.5", "'k' must be an integer"},
      {"hidden", "-4", "'hidden' must be an integer"},
      {"norm", "\"batch\"", "'norm' must be \"affine\" or \"layernorm\""},
      {"pooling", "\"max\"", "'pooling' must be"},
      {"band_flags", "1", "'band_flags' must be true or false"},
      {"band_images", "1", "'band_images' must be an integer in 2..1000"},
      {"edge_rbf", "[8.0, 0.0, 80]", "'edge_rbf' must be [lo, hi, n] with finite lo < hi"},
      {"angle_rbf", "[-1, 1, 1]", "'angle_rbf' must have an integer count"},
      {"angle_rbf", "[-1, 1]", "'angle_rbf' must be [lo, hi, n]"},
      {"targets", "[]", "'targets' must hold 1 to 4096 entries"},
      {"targets", "[\"em\", \"em\"]", "target 'em' appears twice"},
      {"target_mean", "[0.9]", "'target_mean' has 1 entries, 'targets' has 2"},
      {"target_std", "[0.7, 0]", "'target_std' entry 1 is not > 0"},
      {"target_units", "[\"eV\", 3]", "'target_units' entry 1 is not a string"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    with_value(cfg, sizeof cfg, cases[i].key, cases[i].value);
    expect_model(&t, cfg, cases[i].want);
  }
  snprintf(cfg, sizeof cfg, "{\"colour\": 1, %s", cfg_ok + 1);
  expect_model(&t, cfg, "unknown key 'colour'");
  snprintf(cfg, sizeof cfg, "%s", cfg_ok);
  strstr(cfg, "\"k\"")[1] = 'K'; /* keys are case-sensitive */
  expect_model(&t, cfg, "unknown key 'K'");
  expect_model(&t, "{\"format_version\": 1", "migbar.config is not valid JSON");
  /* a file without migbar.config */
  size_t size;
  unsigned char *buf = serialize(&t, cfg_ok, -1, 0, &size);
  unsigned char *p = (unsigned char *)strstr((char *)buf + 8, "migbar.config");
  p[0] = 'n';
  expect_refused(buf, size, "no 'migbar.config'");
  free(buf);
}
END_TEST

/* Byte offset of tensor `name`'s data in a file made by serialize. */
static size_t data_offset(const unsigned char *buf, const char *name) {
  uint64_t hl = 0;
  for (int i = 7; i >= 0; i--) hl = hl << 8 | buf[i];
  char key[96];
  snprintf(key, sizeof key, "\"%s\": {", name);
  const char *at = strstr((const char *)buf + 8, key);
  ck_assert_ptr_nonnull(at);
  at = strstr(at, "\"data_offsets\": [");
  ck_assert_ptr_nonnull(at);
  return 8 + (size_t)hl + (size_t)strtoul(at + 17, NULL, 10);
}

/* Issue 12: one NaN weight made every prediction NaN, printed with exit 0. */
START_TEST(non_finite_weights) {
  tmodel t;
  tiny(&t);
  size_t size;
  unsigned char *buf = serialize(&t, cfg_ok, -1, 0, &size);
  const float bad[3] = {NAN, INFINITY, -INFINITY};
  const char *want[3] = {"tensor 'gcn.0.dst_gate.weight': element 5 is NaN",
                         "tensor 'gcn.0.dst_gate.weight': element 5 is infinite",
                         "tensor 'gcn.0.dst_gate.weight': element 5 is infinite"};
  for (int k = 0; k < 3; k++) {
    unsigned char *copy = malloc(size);
    memcpy(copy, buf, size);
    memcpy(copy + data_offset(buf, "gcn.0.dst_gate.weight") + 4 * 5, &bad[k], 4);
    expect_refused(copy, size, want[k]);
    free(copy);
  }
  free(buf);
}
END_TEST

static double seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Load path, expect status and a message with want, in well under a second. */
static void expect_load(const char *file, mb_status want_status, const char *want) {
  mb_model *m = NULL;
  double t0 = seconds();
  mb_status st = mb_model_load(file, &m);
  double took = seconds() - t0;
  ck_assert_msg(st == want_status, "%s: status %d (%s), expected %d", file, st, mb_last_error(),
                want_status);
  if (want) {
    ck_assert_ptr_null(m);
    ck_assert_msg(strstr(mb_last_error(), want) != NULL, "message '%s' lacks '%s'",
                  mb_last_error(), want);
    ck_assert_msg(strstr(mb_last_error(), file) != NULL, "message '%s' lacks the file name",
                  mb_last_error());
  }
  ck_assert_msg(took < 5.0, "%s: took %.1f s (read whole?)", file, took);
  mb_model_free(m);
}

/* Issue 12: a 20 GB sparse file was read whole before its 8-byte header was looked
 * at. The header is read first and checked against the file's size. */
START_TEST(header_first_sparse) {
  tmodel t;
  tiny(&t);
  size_t size;
  unsigned char *buf = serialize(&t, cfg_ok, -1, 0, &size);
  const off_t big = (off_t)20 << 30;
  /* zeros: header length 0 */
  write_file(buf, 0);
  if (truncate(path, big) != 0) { /* a file system without sparse files */
    unlink(path);
    free(buf);
    return;
  }
  expect_load(path, MB_ERR_MODEL, "header length 0 is not sane");
  /* a valid model followed by 20 GB of holes: more than the header describes */
  write_file(buf, size);
  ck_assert_int_eq(truncate(path, big), 0);
  expect_load(path, MB_ERR_MODEL, "but its header describes");
  unlink(path);
  free(buf);
}
END_TEST

typedef struct feeder {
  const char *fifo;
  const unsigned char *buf;
  size_t size;
  int endless; /* then zeros until the reader goes */
} feeder;

static void *feed(void *arg) {
  const feeder *f = arg;
  int fd = open(f->fifo, O_WRONLY);
  if (fd < 0) return NULL;
  size_t done = 0;
  while (done < f->size) {
    ssize_t n = write(fd, f->buf + done, f->size - done);
    if (n <= 0) break;
    done += (size_t)n;
  }
  static const unsigned char zeros[65536];
  while (f->endless && write(fd, zeros, sizeof zeros) > 0) {
  }
  close(fd);
  return NULL;
}

static void load_through_fifo(const unsigned char *buf, size_t size, int endless,
                              mb_status want_status, const char *want) {
  char fifo[256];
  snprintf(fifo, sizeof fifo, "/tmp/mb_test_st_fifo_%ld.safetensors", (long)getpid());
  unlink(fifo);
  ck_assert_int_eq(mkfifo(fifo, 0600), 0);
  feeder f = {fifo, buf, size, endless};
  pthread_t th;
  ck_assert_int_eq(pthread_create(&th, NULL, feed, &f), 0);
  expect_load(fifo, want_status, want); /* opens the FIFO, so the writer's open returns */
  pthread_join(th, NULL); /* its writes fail (EPIPE) once the reader has gone */
  unlink(fifo);
}

/* Streams: no size to check, so no more is read than the header describes. */
START_TEST(header_first_streams) {
  signal(SIGPIPE, SIG_IGN);
  expect_load("/dev/zero", MB_ERR_MODEL, "header length 0 is not sane");
  tmodel t;
  tiny(&t);
  size_t size;
  unsigned char *buf = serialize(&t, cfg_ok, -1, 0, &size);
  load_through_fifo(buf, size, 0, MB_OK, NULL);          /* a model through a pipe loads */
  load_through_fifo(buf, size, 1, MB_ERR_MODEL, "more data after"); /* then endless zeros */
  load_through_fifo(buf, size - 4, 0, MB_ERR_MODEL, "data section"); /* cut short */
  /* a header describing a tensor beyond the limit for model files */
  unsigned char hdr[256];
  int n = snprintf((char *)hdr + 8, sizeof hdr - 8,
                   "{\"w\": {\"dtype\": \"F32\", \"shape\": [1099511627776], "
                   "\"data_offsets\": [0, 4398046511104]}}");
  for (int i = 0; i < 8; i++) hdr[i] = (unsigned char)((uint64_t)n >> (8 * i));
  load_through_fifo(hdr, 8 + (size_t)n, 1, MB_ERR_RANGE, "larger than the limit");
  free(buf);
}
END_TEST

START_TEST(bad_arguments) {
  mb_model *m = NULL;
  ck_assert_int_eq(mb_model_load(NULL, &m), MB_ERR_INVALID_ARG);
  ck_assert_int_eq(mb_model_load("/nonexistent/model.safetensors", &m), MB_ERR_IO);
  ck_assert_ptr_null(m);
  int p;
  ck_assert_int_eq(mb_model_noutputs(NULL, &p), MB_ERR_INVALID_ARG);
}
END_TEST

int main(void) {
  Suite *s = suite_create("gnn safetensors");
  TCase *tc = tcase_create("loader");
  tcase_add_test(tc, valid_file_round_trip);
  tcase_add_test(tc, container_errors);
  tcase_add_test(tc, tensor_set_errors);
  tcase_add_test(tc, config_errors);
  tcase_add_test(tc, non_finite_weights);
  tcase_add_test(tc, header_first_sparse);
  tcase_add_test(tc, header_first_streams);
  tcase_add_test(tc, bad_arguments);
  suite_add_tcase(s, tc);
  return mb_run_suite(s);
}
