/* Safetensors reader (https://huggingface.co/docs/safetensors): an unsigned 64-bit
 * little-endian header length n, n bytes of JSON (an object, possibly padded with
 * spaces), then the data section. Each header entry but "__metadata__" is
 * {"dtype": "F32", "shape": [...], "data_offsets": [begin, end]} with offsets relative
 * to the data section (F64 and I32 too where the caller allows them: the forests of
 * lib/desc). As the format requires, the tensors must cover the data
 * section exactly, without holes or overlaps. Nothing here trusts the input: every
 * size is checked before it is used. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "../core/json.h"

#include "safetensors.h"

static const char *const dtype_name[] = {"F32", "F64", "I32"};
static const size_t dtype_size[] = {4, 8, 4};
#define ST_NDTYPES 3

void mb__st_free(st_file *f) {
  if (!f) return;
  for (size_t i = 0; i < f->ntensors; i++) free(f->tensors[i].name);
  free(f->tensors);
  for (size_t i = 0; i < f->nmeta; i++) {
    free(f->meta_keys[i]);
    free(f->meta_values[i]);
  }
  free(f->meta_keys);
  free(f->meta_values);
  memset(f, 0, sizeof *f);
}

/* A JSON number that is an integer in [0, 2^53]. */
static int as_index(const cJSON *x, uint64_t *v) {
  if (!cJSON_IsNumber(x)) return 0;
  double d = x->valuedouble;
  if (!isfinite(d) || d < 0 || d > 9007199254740992.0 || floor(d) != d) return 0;
  *v = (uint64_t)d;
  return 1;
}

static mb_status parse_metadata(const cJSON *meta, const char *name, st_file *f) {
  if (!cJSON_IsObject(meta))
    return mb__error(MB_ERR_MODEL, "%s: header: '__metadata__' is not an object", name);
  size_t n = 0;
  const cJSON *x;
  cJSON_ArrayForEach(x, meta) n++;
  f->meta_keys = mb__calloc(n, sizeof *f->meta_keys);
  f->meta_values = mb__calloc(n, sizeof *f->meta_values);
  if (!f->meta_keys || !f->meta_values) return MB_ERR_NOMEM;
  cJSON_ArrayForEach(x, meta) {
    if (!cJSON_IsString(x) || !x->string)
      return mb__error(MB_ERR_MODEL, "%s: header: metadata '%s' is not a string", name,
                       x->string ? x->string : "?");
    for (size_t i = 0; i < f->nmeta; i++)
      if (!strcmp(f->meta_keys[i], x->string))
        return mb__error(MB_ERR_MODEL, "%s: header: metadata '%s' appears twice", name,
                         x->string);
    f->meta_keys[f->nmeta] = mb__strdup(x->string);
    f->meta_values[f->nmeta] = mb__strdup(x->valuestring);
    if (!f->meta_keys[f->nmeta] || !f->meta_values[f->nmeta]) return MB_ERR_NOMEM;
    f->nmeta++;
  }
  return MB_OK;
}

static mb_status parse_tensor(const cJSON *x, const char *name, size_t data_size,
                              unsigned dtypes, st_tensor *t) {
  const char *tn = t->name;
  if (!cJSON_IsObject(x))
    return mb__error(MB_ERR_MODEL, "%s: tensor '%s': entry is not an object", name, tn);
  const cJSON *dtype = NULL, *shape = NULL, *offs = NULL, *k;
  cJSON_ArrayForEach(k, x) {
    const char *key = k->string ? k->string : "";
    const cJSON **slot = !strcmp(key, "dtype") ? &dtype
                         : !strcmp(key, "shape") ? &shape
                         : !strcmp(key, "data_offsets") ? &offs : NULL;
    if (!slot) return mb__error(MB_ERR_MODEL, "%s: tensor '%s': unknown key '%s'", name, tn, key);
    if (*slot) return mb__error(MB_ERR_MODEL, "%s: tensor '%s': key '%s' twice", name, tn, key);
    *slot = k;
  }
  if (!dtype || !shape || !offs)
    return mb__error(MB_ERR_MODEL, "%s: tensor '%s': missing '%s'", name, tn,
                     !dtype ? "dtype" : !shape ? "shape" : "data_offsets");
  if (!cJSON_IsString(dtype))
    return mb__error(MB_ERR_MODEL, "%s: tensor '%s': dtype is not a string", name, tn);
  t->dtype = -1;
  for (int j = 0; j < ST_NDTYPES; j++)
    if ((dtypes & ST_DTYPE(j)) && !strcmp(dtype->valuestring, dtype_name[j])) t->dtype = j;
  if (t->dtype < 0) {
    char want[32] = "";
    for (int j = 0; j < ST_NDTYPES; j++)
      if (dtypes & ST_DTYPE(j))
        snprintf(want + strlen(want), sizeof want - strlen(want), "%s%s", want[0] ? " or " : "",
                 dtype_name[j]);
    return mb__error(MB_ERR_MODEL, "%s: tensor '%s': dtype %.20s, expected %s", name, tn,
                     dtype->valuestring, want);
  }
  size_t esize = dtype_size[t->dtype];
  if (!cJSON_IsArray(shape))
    return mb__error(MB_ERR_MODEL, "%s: tensor '%s': shape is not an array", name, tn);
  int nd = cJSON_GetArraySize(shape);
  if (nd > ST_MAX_DIMS)
    return mb__error(MB_ERR_MODEL, "%s: tensor '%s': %d dimensions (at most %d)", name, tn, nd,
                     ST_MAX_DIMS);
  t->ndim = nd;
  uint64_t count = 1;
  int d = 0;
  cJSON_ArrayForEach(k, shape) {
    uint64_t v;
    if (!as_index(k, &v))
      return mb__error(MB_ERR_MODEL, "%s: tensor '%s': shape entry %d is not a size", name, tn, d);
    t->shape[d++] = (int64_t)v;
    if (v && count > (UINT64_MAX / 8) / v)
      return mb__error(MB_ERR_MODEL, "%s: tensor '%s': shape too large", name, tn);
    count *= v;
  }
  if (!cJSON_IsArray(offs) || cJSON_GetArraySize(offs) != 2)
    return mb__error(MB_ERR_MODEL, "%s: tensor '%s': data_offsets is not [begin, end]", name, tn);
  uint64_t b, e;
  if (!as_index(cJSON_GetArrayItem(offs, 0), &b) || !as_index(cJSON_GetArrayItem(offs, 1), &e))
    return mb__error(MB_ERR_MODEL, "%s: tensor '%s': data_offsets are not byte offsets", name, tn);
  if (b > e || e > data_size)
    return mb__error(MB_ERR_MODEL,
                     "%s: tensor '%s': data_offsets [%llu, %llu] outside the data section "
                     "(%zu bytes)", name, tn, (unsigned long long)b, (unsigned long long)e,
                     data_size);
  if (e - b != esize * count)
    return mb__error(MB_ERR_MODEL,
                     "%s: tensor '%s': %llu bytes of data for %llu %s values", name, tn,
                     (unsigned long long)(e - b), (unsigned long long)count,
                     dtype_name[t->dtype]);
  t->count = (size_t)count;
  t->begin = (size_t)b;
  t->end = (size_t)e;
  return MB_OK;
}

static int by_name(const void *pa, const void *pb) {
  return strcmp((*(const st_tensor *const *)pa)->name, (*(const st_tensor *const *)pb)->name);
}

static int by_begin(const void *pa, const void *pb) {
  const st_tensor *a = *(const st_tensor *const *)pa, *b = *(const st_tensor *const *)pb;
  if (a->begin != b->begin) return a->begin < b->begin ? -1 : 1;
  return a->end < b->end ? -1 : a->end > b->end;
}

/* The tensors must tile the data section: sorted by offset, each starts where the
 * previous one ended. */
static mb_status check_layout(st_file *f, const char *name, size_t data_size) {
  st_tensor **order = mb__malloc(f->ntensors, sizeof *order);
  if (!order) return MB_ERR_NOMEM;
  for (size_t i = 0; i < f->ntensors; i++) order[i] = &f->tensors[i];
  mb_status st = MB_OK;
  qsort(order, f->ntensors, sizeof *order, by_name);
  for (size_t i = 1; i < f->ntensors && st == MB_OK; i++)
    if (!strcmp(order[i]->name, order[i - 1]->name))
      st = mb__error(MB_ERR_MODEL, "%s: tensor '%s': appears twice", name, order[i]->name);
  qsort(order, f->ntensors, sizeof *order, by_begin);
  size_t at = 0;
  for (size_t i = 0; i < f->ntensors && st == MB_OK; i++) {
    if (i > 0 && order[i]->begin < at)
      st = mb__error(MB_ERR_MODEL, "%s: tensor '%s': data [%zu, %zu] overlaps tensor '%s'", name,
                     order[i]->name, order[i]->begin, order[i]->end, order[i - 1]->name);
    else if (order[i]->begin > at)
      st = mb__error(MB_ERR_MODEL, "%s: tensor '%s': data starts at %zu, leaving a hole after %zu",
                     name, order[i]->name, order[i]->begin, at);
    at = order[i]->end;
  }
  if (st == MB_OK && at != data_size)
    st = mb__error(MB_ERR_MODEL, "%s: data section has %zu bytes, tensors use %zu", name,
                   data_size, at);
  free(order);
  return st;
}

static mb_status parse_header(const cJSON *root, const char *name, const unsigned char *data,
                              size_t data_size, unsigned dtypes, st_file *f) {
  if (!cJSON_IsObject(root))
    return mb__error(MB_ERR_MODEL, "%s: header: not a JSON object", name);
  size_t n = 0;
  const cJSON *x;
  cJSON_ArrayForEach(x, root) n++;
  f->tensors = mb__calloc(n, sizeof *f->tensors);
  if (!f->tensors) return MB_ERR_NOMEM;
  int seen_meta = 0;
  cJSON_ArrayForEach(x, root) {
    const char *key = x->string ? x->string : "";
    mb_status st;
    if (!strcmp(key, "__metadata__")) {
      if (seen_meta++)
        return mb__error(MB_ERR_MODEL, "%s: header: '__metadata__' appears twice", name);
      st = parse_metadata(x, name, f);
      if (st != MB_OK) return st;
      continue;
    }
    st_tensor *t = &f->tensors[f->ntensors];
    t->name = mb__strdup(key);
    if (!t->name) return MB_ERR_NOMEM;
    f->ntensors++;
    st = parse_tensor(x, name, data_size, dtypes, t);
    if (st != MB_OK) return st;
    t->data = data + t->begin;
  }
  return check_layout(f, name, data_size);
}

/* Quietly: a file that is not a forest is then read, and judged, as a graph network. */
int mb__st_has_meta(const unsigned char *buf, size_t size, const char *key) {
  if (!buf || size < 8) return 0;
  uint64_t n = 0;
  for (int i = 7; i >= 0; i--) n = (n << 8) | buf[i];
  if (n < 2 || n > ST_MAX_HEADER || n > size - 8) return 0;
  cJSON *root = mb__json_parse((const char *)buf + 8, (size_t)n, NULL);
  const cJSON *meta = cJSON_GetObjectItemCaseSensitive(root, "__metadata__");
  int has = cJSON_IsString(cJSON_GetObjectItemCaseSensitive(meta, key));
  cJSON_Delete(root);
  return has;
}

mb_status mb__st_parse(const unsigned char *buf, size_t size, const char *name, st_file *out) {
  return mb__st_parse_dtypes(buf, size, name, ST_DTYPE(ST_F32), out);
}

mb_status mb__st_parse_dtypes(const unsigned char *buf, size_t size, const char *name,
                          unsigned dtypes, st_file *out) {
  if (!name) name = "safetensors";
  if (!buf || size < 8)
    return mb__error(MB_ERR_MODEL, "%s: %zu bytes, too short for the 8-byte header length", name,
                     buf ? size : 0);
  uint64_t n = 0;
  for (int i = 7; i >= 0; i--) n = (n << 8) | buf[i];
  if (n < 2 || n > ST_MAX_HEADER)
    return mb__error(MB_ERR_MODEL, "%s: header length %llu is not sane (2 to %u bytes)", name,
                     (unsigned long long)n, ST_MAX_HEADER);
  if (n > size - 8)
    return mb__error(MB_ERR_MODEL, "%s: header length %llu runs beyond the end of the file "
                     "(%zu bytes)", name, (unsigned long long)n, size);
  const char *text = (const char *)buf + 8, *end = NULL;
  cJSON *root = mb__json_parse(text, (size_t)n, &end);
  if (!root) {
    size_t at = end && end >= text ? (size_t)(end - text) : 0;
    return mb__error(MB_ERR_MODEL, "%s: header: invalid JSON near byte %zu", name, at + 8);
  }
  for (const char *p = end; p < text + n; p++)
    if (*p != ' ' && *p != '\n' && *p != '\r' && *p != '\t') {
      cJSON_Delete(root);
      return mb__error(MB_ERR_MODEL, "%s: header: text after the JSON object at byte %zu", name,
                       (size_t)(p - text) + 8);
    }
  st_file f = {0};
  mb_status st = parse_header(root, name, buf + 8 + n, size - 8 - (size_t)n, dtypes, &f);
  cJSON_Delete(root);
  if (st != MB_OK) {
    mb__st_free(&f);
    return st;
  }
  *out = f;
  return MB_OK;
}

const st_tensor *mb__st_find(const st_file *f, const char *name) {
  for (size_t i = 0; i < f->ntensors; i++)
    if (!strcmp(f->tensors[i].name, name)) return &f->tensors[i];
  return NULL;
}

const char *mb__st_meta(const st_file *f, const char *key) {
  for (size_t i = 0; i < f->nmeta; i++)
    if (!strcmp(f->meta_keys[i], key)) return f->meta_values[i];
  return NULL;
}

void mb__st_copy_f32(const st_tensor *t, float *dst) {
  /* Assemble each value from its little-endian bytes: right on any host, and the data
   * need not be aligned. */
  for (size_t i = 0; i < t->count; i++) {
    const unsigned char *p = t->data + 4 * i;
    uint32_t u = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
                 (uint32_t)p[3] << 24;
    memcpy(&dst[i], &u, 4);
  }
}

void mb__st_copy_f64(const st_tensor *t, double *dst) {
  for (size_t i = 0; i < t->count; i++) {
    const unsigned char *p = t->data + 8 * i;
    uint64_t u = 0;
    for (int k = 7; k >= 0; k--) u = u << 8 | p[k];
    memcpy(&dst[i], &u, 8);
  }
}

void mb__st_copy_i32(const st_tensor *t, int32_t *dst) {
  for (size_t i = 0; i < t->count; i++) {
    const unsigned char *p = t->data + 4 * i;
    uint32_t u = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
                 (uint32_t)p[3] << 24;
    memcpy(&dst[i], &u, 4);
  }
}

/* ---- reading a file, header first ------------------------------------------------ */

/* Up to n bytes from fd (fewer only at the end of the data); -1 on a read error. */
static ssize_t read_full(int fd, unsigned char *buf, size_t n) {
  size_t got = 0;
  while (got < n) {
    ssize_t r = read(fd, buf + got, n - got);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return -1;
    if (r == 0) break;
    got += (size_t)r;
  }
  return (ssize_t)got;
}

/* The end of the data section the header describes: the largest end offset of its
 * tensors (entries that are not well formed count 0: mb__st_parse reports them). -1 when
 * the header is not a JSON object. */
static long long described_data(const unsigned char *header, size_t n) {
  cJSON *root = mb__json_parse((const char *)header, n, NULL);
  if (!cJSON_IsObject(root)) {
    cJSON_Delete(root);
    return -1;
  }
  uint64_t most = 0, e;
  const cJSON *x;
  cJSON_ArrayForEach(x, root) {
    const cJSON *offs = cJSON_GetObjectItemCaseSensitive(x, "data_offsets");
    if (cJSON_IsArray(offs) && as_index(cJSON_GetArrayItem(offs, 1), &e) && e > most) most = e;
  }
  cJSON_Delete(root);
  return (long long)most;
}

/* The rest of a text (an ensemble manifest) whose first got bytes are in head. */
static mb_status read_text_rest(int fd, const char *path, int regular, const unsigned char *head,
                                size_t got, char **data, size_t *size) {
  if (regular && lseek(fd, 0, SEEK_SET) == 0)
    return mb__read_fd(fd, path, MB_TEXT_FILE_LIMIT, MB_READ_TEXT, data, size);
  char *rest = NULL;
  size_t nrest = 0;
  mb_status st = mb__read_fd(fd, path, MB_TEXT_FILE_LIMIT - got, MB_READ_TEXT, &rest, &nrest);
  if (st) return st;
  char *buf = mb__malloc(got + nrest + 1, 1);
  if (!buf) {
    free(rest);
    return MB_ERR_NOMEM;
  }
  memcpy(buf, head, got);
  memcpy(buf + got, rest, nrest + 1);
  free(rest);
  if (memchr(buf, '\0', got)) {
    free(buf);
    return mb__error(MB_ERR_PARSE, "%s: binary data, not a text file", path);
  }
  *data = (char *)buf;
  *size = got + nrest;
  return MB_OK;
}

static int is_json_blank(unsigned char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

mb_status mb__st_read_file(const char *path, int text_ok, char **data, size_t *size) {
  if (!path) return mb__error(MB_ERR_INVALID_ARG, "file name is NULL");
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return mb__error(MB_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
  mb_status st = MB_OK;
  unsigned char head[8], *buf = NULL;
  struct stat sb;
  int regular = fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode);
  unsigned long long fsize = regular ? (unsigned long long)sb.st_size : 0;
  ssize_t got = read_full(fd, head, 8);
  if (got < 0) {
    st = mb__error(MB_ERR_IO, "%s: read error: %s", path, strerror(errno));
    goto done;
  }
  uint64_t n = 0;
  for (int i = 7; i >= 0; i--) n = (n << 8) | (i < got ? head[i] : 0);
  /* A JSON text: blank or '{' first, and its bytes make no sane header length (an
   * ASCII eighth byte alone makes n >= 2^56). */
  if (text_ok && got > 0 &&
      (is_json_blank(head[0]) ||
       (head[0] == '{' && (got < 8 || n > ST_MAX_HEADER || (regular && n > fsize - 8))))) {
    st = read_text_rest(fd, path, regular, head, (size_t)got, data, size);
    goto done;
  }
  if (got < 8) {
    st = mb__error(MB_ERR_MODEL, "%s: %zd bytes, too short for the 8-byte header length", path,
                   got);
    goto done;
  }
  if (n < 2 || n > ST_MAX_HEADER) {
    st = mb__error(MB_ERR_MODEL, "%s: header length %llu is not sane (2 to %u bytes): not a "
                   "safetensors file", path, (unsigned long long)n, ST_MAX_HEADER);
    goto done;
  }
  if (regular && n > fsize - 8) {
    st = mb__error(MB_ERR_MODEL, "%s: header length %llu runs beyond the end of the file (%llu "
                   "bytes)", path, (unsigned long long)n, fsize);
    goto done;
  }
  if (!(buf = mb__malloc(8 + (size_t)n + 1, 1))) {
    st = MB_ERR_NOMEM;
    goto done;
  }
  memcpy(buf, head, 8);
  got = read_full(fd, buf + 8, (size_t)n);
  if (got < 0 || (uint64_t)got < n) {
    st = got < 0 ? mb__error(MB_ERR_IO, "%s: read error: %s", path, strerror(errno))
                 : mb__error(MB_ERR_MODEL, "%s: ends inside its %llu-byte header", path,
                             (unsigned long long)n);
    goto done;
  }
  long long described = described_data(buf + 8, (size_t)n);
  if (described < 0) { /* let the parser say what is wrong with the header */
    st_file f = {0};
    st = mb__st_parse_dtypes(buf, 8 + (size_t)n, path, ST_DTYPE(ST_F32), &f);
    mb__st_free(&f);
    if (!st) st = mb__error(MB_ERR_MODEL, "%s: header is not a JSON object", path);
    goto done;
  }
  unsigned long long whole = 8 + n + (unsigned long long)described;
  if (regular && fsize > whole) {
    st = mb__error(MB_ERR_MODEL, "%s: %llu bytes, but its header describes %llu (header and "
                   "tensors): damaged, or not a safetensors file", path, fsize, whole);
    goto done;
  }
  if (regular) whole = fsize; /* shorter than described: the parser says which tensor */
  if (whole > MB_MODEL_FILE_LIMIT) {
    st = mb__error(MB_ERR_RANGE, "%s: %llu bytes, larger than the limit of %zu MiB for a model "
                   "file", path, whole, MB_MODEL_FILE_LIMIT >> 20);
    goto done;
  }
  unsigned char *grown = realloc(buf, (size_t)whole + 1);
  if (!grown) {
    st = mb__error(MB_ERR_NOMEM, "%s: out of memory for %llu bytes", path, whole);
    goto done;
  }
  buf = grown;
  size_t want = (size_t)(whole - 8 - n);
  got = read_full(fd, buf + 8 + n, want);
  if (got < 0) {
    st = mb__error(MB_ERR_IO, "%s: read error: %s", path, strerror(errno));
    goto done;
  }
  size_t len = 8 + (size_t)n + (size_t)got;
  unsigned char extra;
  if ((size_t)got == want && !regular && read_full(fd, &extra, 1) == 1) {
    st = mb__error(MB_ERR_MODEL, "%s: more data after the %llu bytes its header describes",
                   path, whole);
    goto done;
  }
  buf[len] = '\0';
  *data = (char *)buf;
  *size = len;
  buf = NULL;
done:
  free(buf);
  close(fd);
  return st;
}
