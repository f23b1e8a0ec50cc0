/* mb_structure_read/write: pick the format, then hand over to its reader/writer. */
#include <ctype.h>
#include <limits.h>
#include <locale.h>
#include <string.h>
#include <stdlib.h>
#include <strings.h>

#include "io.h"

static const struct {
  mb_format format;
  const char *name;
  mb_reader_fn read;
  mb_writer_fn write;
} formats[] = {
    {MB_FORMAT_POSCAR, "poscar", mb__read_poscar, mb__write_poscar},
    {MB_FORMAT_XYZ, "xyz", mb__read_xyz, mb__write_xyz},
    {MB_FORMAT_CIF, "cif", mb__read_cif, mb__write_cif},
    {MB_FORMAT_JSON, "json", mb__read_json, mb__write_json},
};
#define NFORMATS (sizeof formats / sizeof formats[0])

static int ends_with(const char *s, const char *suffix) {
  size_t n = strlen(s), m = strlen(suffix);
  return n >= m && strcasecmp(s + n - m, suffix) == 0;
}

MB_API mb_status mb_format_from_path(const char *path, mb_format *format) {
  if (!path || !format) return mb__error(MB_ERR_INVALID_ARG, "mb_format_from_path: NULL argument");
  const char *base = strrchr(path, '/');
  base = base ? base + 1 : path;
  mb_format f = MB_FORMAT_AUTO;
  if (ends_with(base, ".vasp") || ends_with(base, ".poscar") ||
      strncmp(base, "POSCAR", 6) == 0 || strncmp(base, "CONTCAR", 7) == 0)
    f = MB_FORMAT_POSCAR;
  else if (ends_with(base, ".xyz") || ends_with(base, ".extxyz"))
    f = MB_FORMAT_XYZ;
  else if (ends_with(base, ".cif"))
    f = MB_FORMAT_CIF;
  else if (ends_with(base, ".json"))
    f = MB_FORMAT_JSON;
  if (f == MB_FORMAT_AUTO)
    return mb__error(MB_ERR_UNSUPPORTED,
                     "%s: cannot tell the file format from the name (known: *.vasp, POSCAR*, "
                     "CONTCAR*, *.xyz, *.extxyz, *.cif, *.json); name it explicitly",
                     path);
  *format = f;
  return MB_OK;
}

MB_API mb_status mb_format_from_name(const char *name, mb_format *format) {
  if (!name || !format) return mb__error(MB_ERR_INVALID_ARG, "mb_format_from_name: NULL argument");
  for (size_t k = 0; k < NFORMATS; k++)
    if (strcasecmp(name, formats[k].name) == 0) {
      *format = formats[k].format;
      return MB_OK;
    }
  if (strcasecmp(name, "vasp") == 0 || strcasecmp(name, "contcar") == 0) {
    *format = MB_FORMAT_POSCAR;
    return MB_OK;
  }
  if (strcasecmp(name, "extxyz") == 0) {
    *format = MB_FORMAT_XYZ;
    return MB_OK;
  }
  return mb__error(MB_ERR_UNSUPPORTED, "unknown format '%.40s' (known: poscar, xyz, cif, json)", name);
}

/* Guess from content when the name does not tell: JSON starts with { or [,
 * CIF has a data_ block, extended XYZ starts with an atom count. */
static mb_format sniff(const char *data, size_t size) {
  size_t k = 0;
  while (k < size && isspace((unsigned char)data[k])) k++;
  if (k < size && (data[k] == '{' || data[k] == '[')) return MB_FORMAT_JSON;
  if (size >= 5 && (strncmp(data + k, "data_", 5) == 0 || strstr(data, "\ndata_")))
    return MB_FORMAT_CIF;
  size_t j = k;
  while (j < size && isdigit((unsigned char)data[j])) j++;
  if (j > k) {
    while (j < size && (data[j] == ' ' || data[j] == '\t' || data[j] == '\r')) j++;
    if (j == size || data[j] == '\n') return MB_FORMAT_XYZ;
  }
  return MB_FORMAT_POSCAR;
}

static mb_status resolve(mb_format *format, const char *name, const char *data, size_t size) {
  if (*format == MB_FORMAT_AUTO) {
    if (name && mb_format_from_path(name, format) == MB_OK) return MB_OK;
    *format = sniff(data, size);
    return MB_OK;
  }
  for (size_t k = 0; k < NFORMATS; k++)
    if (formats[k].format == *format) return MB_OK;
  return mb__error(MB_ERR_INVALID_ARG, "unknown format code %d", (int)*format);
}

/* Text formats use '.' as the decimal mark whatever locale the host program
 * set: readers and writers run under the C locale, switched for this thread
 * only (uselocale), so other threads are not affected. */
typedef struct c_locale {
  locale_t c, old;
} c_locale;

static void c_locale_enter(c_locale *l) {
  l->c = newlocale(LC_ALL_MASK, "C", (locale_t)0);
  l->old = l->c ? uselocale(l->c) : (locale_t)0;
}

static void c_locale_leave(c_locale *l) {
  if (!l->c) return;
  uselocale(l->old);
  freelocale(l->c);
}

static mb_status run_reader(mb_format format, const char *data, size_t size, const char *name,
                            int index, mb_structure **out, int *count);

static size_t slot(mb_format f) {
  for (size_t k = 0; k < NFORMATS; k++)
    if (formats[k].format == f) return k;
  return 0;
}

static mb_status run_reader(mb_format format, const char *data, size_t size, const char *name,
                            int index, mb_structure **out, int *count) {
  c_locale loc;
  c_locale_enter(&loc);
  mb_status st = formats[slot(format)].read(data, size, name, index, out, count);
  c_locale_leave(&loc);
  return st;
}

MB_API mb_status mb_structure_read_buffer(const char *data, size_t size,
                                          mb_format format, const char *name, int index,
                                          mb_structure **out) {
  if (!data || !out) return mb__error(MB_ERR_INVALID_ARG, "mb_structure_read_buffer: NULL argument");
  if (index < 0) return mb__error(MB_ERR_RANGE, "structure index %d is negative", index);
  if (!name) name = "<buffer>";
  /* Readers rely on a NUL after the data; copy when the caller's buffer may lack it. */
  char *copy = mb__malloc(size + 1, 1);
  if (!copy) return MB_ERR_NOMEM;
  memcpy(copy, data, size);
  copy[size] = '\0';
  mb_status st = resolve(&format, name, copy, size);
  if (!st) st = run_reader(format, copy, size, name, index, out, NULL);
  free(copy);
  return st;
}

static mb_status read_path(const char *path, mb_format format, int index,
                           mb_structure **out, int *count) {
  if (!path) return mb__error(MB_ERR_INVALID_ARG, "file name is NULL");
  char *data;
  size_t size;
  mb_status st = mb__read_file(path, &data, &size);
  if (st) return st;
  st = resolve(&format, path, data, size);
  if (!st) st = run_reader(format, data, size, path, index, out, count);
  free(data);
  return st;
}

MB_API mb_status mb_structure_read(const char *path, mb_format format, mb_structure **out) {
  return mb_structure_read_frame(path, format, 0, out);
}

MB_API mb_status mb_structure_read_frame(const char *path, mb_format format, int index,
                                         mb_structure **out) {
  if (!out) return mb__error(MB_ERR_INVALID_ARG, "mb_structure_read: NULL output");
  if (index < 0) return mb__error(MB_ERR_RANGE, "structure index %d is negative", index);
  return read_path(path, format, index, out, NULL);
}

MB_API mb_status mb_structure_count_frames(const char *path, mb_format format, int *count) {
  if (!count) return mb__error(MB_ERR_INVALID_ARG, "mb_structure_count_frames: NULL output");
  return read_path(path, format, 0, NULL, count);
}

MB_API mb_status mb_structure_write_buffer(const mb_structure *s, mb_format format,
                                           char **data, size_t *size) {
  if (!s || !data) return mb__error(MB_ERR_INVALID_ARG, "mb_structure_write_buffer: NULL argument");
  if (format == MB_FORMAT_AUTO)
    return mb__error(MB_ERR_INVALID_ARG, "writing to a buffer needs an explicit format");
  mb_status st = resolve(&format, NULL, "", 0);
  if (st) return st;
  mb_strbuf sb = {0};
  c_locale loc;
  c_locale_enter(&loc);
  st = formats[slot(format)].write(s, &sb);
  c_locale_leave(&loc);
  if (st) {
    mb__sb_free(&sb);
    return st;
  }
  return mb__sb_finish(&sb, data, size);
}

MB_API mb_status mb_structure_write(const mb_structure *s, const char *path,
                                    mb_format format) {
  if (!s || !path) return mb__error(MB_ERR_INVALID_ARG, "mb_structure_write: NULL argument");
  if (format == MB_FORMAT_AUTO) {
    mb_status st = mb_format_from_path(path, &format);
    if (st) return st;
  }
  char *data;
  size_t size;
  mb_status st = mb_structure_write_buffer(s, format, &data, &size);
  if (st) return st;
  st = mb__write_file(path, data, size);
  free(data);
  return st;
}
