/* A strict reader of the safetensors container (8-byte little-endian header length,
 * JSON header, tensor data), as libmigbar's models use it: F32 tensors only. */
#ifndef MB_SAFETENSORS_H
#define MB_SAFETENSORS_H

#include <stddef.h>
#include <stdint.h>

#include "../core/core.h"

#define ST_MAX_DIMS 8
/* Headers larger than this are refused (a model's header is a few hundred kB). */
#define ST_MAX_HEADER (64u << 20)

typedef struct st_tensor {
  char *name;
  int ndim;
  int64_t shape[ST_MAX_DIMS];
  size_t count;              /* elements */
  size_t begin, end;         /* byte offsets in the data section */
  const unsigned char *data; /* into the buffer given to st_parse (maybe unaligned) */
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
mb_status st_parse(const unsigned char *buf, size_t size, const char *name, st_file *out);
void st_free(st_file *f);
/* The tensor called name, or NULL. */
const st_tensor *st_find(const st_file *f, const char *name);
/* A metadata value, or NULL. */
const char *st_meta(const st_file *f, const char *key);
/* Copy a tensor's little-endian F32 data into dst (count floats). */
void st_copy_f32(const st_tensor *t, float *dst);

#endif
