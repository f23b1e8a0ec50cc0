/* A strict reader of the safetensors container (8-byte little-endian header length,
 * JSON header, tensor data), as libmigbar's models use it: F32 tensors only for graph
 * networks (mb__st_parse); the random forests of lib/desc also hold F64 and I32 tensors
 * (mb__st_parse_dtypes). */
#ifndef MB_SAFETENSORS_H
#define MB_SAFETENSORS_H

#include <stddef.h>
#include <stdint.h>

#include "../core/core.h"

#define ST_MAX_DIMS 8
/* Headers larger than this are refused (a model's header is a few hundred kB). */
#define ST_MAX_HEADER (64u << 20)

/* Tensor element types; ST_DTYPE(x) is the bit of x in an allowed-types mask. */
enum { ST_F32 = 0, ST_F64 = 1, ST_I32 = 2 };
#define ST_DTYPE(x) (1u << (x))

typedef struct st_tensor {
  char *name;
  int dtype;                 /* ST_F32, ST_F64 or ST_I32 */
  int ndim;
  int64_t shape[ST_MAX_DIMS];
  size_t count;              /* elements */
  size_t begin, end;         /* byte offsets in the data section */
  const unsigned char *data; /* into the buffer given to mb__st_parse (maybe unaligned) */
} st_tensor;

typedef struct st_file {
  size_t ntensors;
  st_tensor *tensors;        /* in header order */
  char **meta_keys, **meta_values; /* __metadata__, nmeta string pairs */
  size_t nmeta;
} st_file;

/* Parse buf (size bytes, the whole file); name is used in every message ("name:
 * tensor 'x': ..."). Every error is MB_ERR_MODEL (or MB_ERR_NOMEM). The tensors'
 * data pointers point into buf. */
mb_status mb__st_parse(const unsigned char *buf, size_t size, const char *name, st_file *out);
/* The same, accepting the dtypes in the mask (ST_DTYPE(ST_F32) | ...). */
mb_status mb__st_parse_dtypes(const unsigned char *buf, size_t size, const char *name,
                          unsigned dtypes, st_file *out);
/* 1 when buf is a safetensors file whose __metadata__ has the key (nothing else is
 * checked), else 0. */
int mb__st_has_meta(const unsigned char *buf, size_t size, const char *key);
void mb__st_free(st_file *f);
/* Read a model file whole, header first: the 8-byte length and the JSON header are
 * checked (against the file's size when it is a regular file) before the tensors are
 * read, and no more than the header describes is read, at most MB_MODEL_FILE_LIMIT
 * bytes: a sparse 20 GB file, /dev/zero or an endless FIFO is refused at once. With
 * text_ok, a JSON text (an ensemble manifest: blank or '{' first) is read instead, as
 * a text file (MB_TEXT_FILE_LIMIT). NUL-terminated; release with free(). */
mb_status mb__st_read_file(const char *path, int text_ok, char **data, size_t *size);
/* The tensor called name, or NULL. */
const st_tensor *mb__st_find(const st_file *f, const char *name);
/* A metadata value, or NULL. */
const char *mb__st_meta(const st_file *f, const char *key);
/* Copy a tensor's little-endian F32 data into dst (count floats). */
void mb__st_copy_f32(const st_tensor *t, float *dst);
/* The same for F64 and I32 tensors. */
void mb__st_copy_f64(const st_tensor *t, double *dst);
void mb__st_copy_i32(const st_tensor *t, int32_t *dst);

#endif
