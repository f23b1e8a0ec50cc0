/* Private helpers shared by all modules: error reporting, allocation, logging,
 * small 3x3 linear algebra. Not installed. */
#ifndef MB_CORE_H
#define MB_CORE_H

#include <stdarg.h>
#include <stddef.h>

#include "migbar.h"

#if defined(__GNUC__)
#define MB_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define MB_PRINTF(a, b)
#endif

/* Record a message for mb_last_error() on this thread and return status. */
mb_status mb__error(mb_status status, const char *fmt, ...) MB_PRINTF(2, 3);
/* The same for parsers: "file:line: message". line <= 0 omits the line. */
mb_status mb__parse_error(const char *file, long line, const char *fmt, ...)
    MB_PRINTF(3, 4);
/* Prefix the current thread's message with "what: ". */
void mb__error_prefix(const char *fmt, ...) MB_PRINTF(1, 2);
/* Copy in to out (size bytes, NUL-terminated, cut at a whole character) with
 * control bytes and bytes that are not UTF-8 written as \xNN. Every message
 * (mb__error, mb__parse_error, mb__log) passes through it: they quote input. */
void mb__escape_text(const char *in, char *out, size_t size);

/* Allocation that records MB_ERR_NOMEM on failure; count*size overflow checked. */
void *mb__calloc(size_t count, size_t size);
void *mb__malloc(size_t count, size_t size);
void *mb__realloc(void *ptr, size_t count, size_t size);
char *mb__strdup(const char *s);

/* A logger as handles keep it: a callback, its user pointer and a level. */
typedef struct mb_logger {
  mb_log_fn fn;
  void *user;
  mb_log_level level;
} mb_logger;
void mb__log(const mb_logger *logger, mb_log_level level, const char *fmt, ...)
    MB_PRINTF(3, 4);

/* Growable text buffer used by the writers. */
typedef struct mb_strbuf {
  char *data;
  size_t len, cap;
  int failed; /* an allocation failed; data is incomplete */
} mb_strbuf;
void mb__sb_printf(mb_strbuf *sb, const char *fmt, ...) MB_PRINTF(2, 3);
void mb__sb_puts(mb_strbuf *sb, const char *s);
/* Hand the buffer over (NUL-terminated) or report MB_ERR_NOMEM. */
mb_status mb__sb_finish(mb_strbuf *sb, char **data, size_t *size);
void mb__sb_free(mb_strbuf *sb);

/* Read a whole text file into a NUL-terminated buffer: at most MB_TEXT_FILE_LIMIT
 * bytes (MB_ERR_RANGE beyond, before reading when the file is regular), no NUL
 * byte (MB_ERR_PARSE with file:line, at the first block that holds one). */
mb_status mb__read_file(const char *path, char **data, size_t *size);
/* The same with a limit and flags: */
enum {
  MB_READ_TEXT = 1,        /* refuse a NUL byte */
  MB_READ_REGULAR_ONLY = 2 /* refuse a FIFO, device or socket (MB_ERR_IO) */
};
mb_status mb__read_file_limit(const char *path, size_t limit, unsigned flags, char **data,
                              size_t *size);
/* ... from an open descriptor (not closed); name is used in messages. */
mb_status mb__read_fd(int fd, const char *name, size_t limit, unsigned flags, char **data,
                      size_t *size);
/* Write a buffer to a file: a regular file is replaced atomically (temporary file,
 * fsync, rename), so a failed write leaves the old file intact. */
mb_status mb__write_file(const char *path, const char *data, size_t size);

/* 3x3 row-major matrices. */
double mb__det3(const double m[9]);
/* Inverse; returns nonzero when |det| is below tol * scale^3. */
int mb__inv3(const double m[9], double inv[9]);
/* out = v (row vector) * m */
void mb__vecmat3(const double v[3], const double m[9], double out[3]);
void mb__cross3(const double a[3], const double b[3], double out[3]);
double mb__dot3(const double a[3], const double b[3]);
double mb__norm3(const double a[3]);
/* Perpendicular heights of the cell (distance between opposite faces). */
void mb__cell_heights(const double lattice[9], double heights[3]);

#endif
