/* Checked allocation, growable strings and whole-file I/O. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core.h"

MB_API void mb_free(void *ptr) { free(ptr); }

static int mul_overflows(size_t a, size_t b) { return b && a > SIZE_MAX / b; }

void *mb__calloc(size_t count, size_t size) {
  if (mul_overflows(count, size)) {
    mb__error(MB_ERR_NOMEM, "allocation of %zu x %zu bytes overflows", count, size);
    return NULL;
  }
  void *p = calloc(count ? count : 1, size ? size : 1);
  if (!p) mb__error(MB_ERR_NOMEM, "out of memory allocating %zu x %zu bytes", count, size);
  return p;
}

void *mb__malloc(size_t count, size_t size) {
  if (mul_overflows(count, size)) {
    mb__error(MB_ERR_NOMEM, "allocation of %zu x %zu bytes overflows", count, size);
    return NULL;
  }
  void *p = malloc(count && size ? count * size : 1);
  if (!p) mb__error(MB_ERR_NOMEM, "out of memory allocating %zu bytes", count * size);
  return p;
}

void *mb__realloc(void *ptr, size_t count, size_t size) {
  if (mul_overflows(count, size)) {
    mb__error(MB_ERR_NOMEM, "allocation of %zu x %zu bytes overflows", count, size);
    return NULL;
  }
  void *p = realloc(ptr, count && size ? count * size : 1);
  if (!p) mb__error(MB_ERR_NOMEM, "out of memory allocating %zu bytes", count * size);
  return p;
}

char *mb__strdup(const char *s) {
  size_t n = strlen(s) + 1;
  char *p = mb__malloc(n, 1);
  if (p) memcpy(p, s, n);
  return p;
}

static int sb_reserve(mb_strbuf *sb, size_t extra) {
  if (sb->failed) return 0;
  if (sb->len + extra + 1 <= sb->cap) return 1;
  size_t cap = sb->cap ? sb->cap : 256;
  while (cap < sb->len + extra + 1) cap *= 2;
  char *p = realloc(sb->data, cap);
  if (!p) { sb->failed = 1; return 0; }
  sb->data = p;
  sb->cap = cap;
  return 1;
}

void mb__sb_printf(mb_strbuf *sb, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (n < 0 || !sb_reserve(sb, (size_t)n)) { sb->failed = 1; return; }
  va_start(ap, fmt);
  vsnprintf(sb->data + sb->len, (size_t)n + 1, fmt, ap);
  va_end(ap);
  sb->len += (size_t)n;
}

void mb__sb_puts(mb_strbuf *sb, const char *s) {
  size_t n = strlen(s);
  if (!sb_reserve(sb, n)) return;
  memcpy(sb->data + sb->len, s, n + 1);
  sb->len += n;
}

mb_status mb__sb_finish(mb_strbuf *sb, char **data, size_t *size) {
  if (!sb_reserve(sb, 0)) {
    mb__sb_free(sb);
    return mb__error(MB_ERR_NOMEM, "out of memory while formatting output");
  }
  sb->data[sb->len] = '\0';
  *data = sb->data;
  if (size) *size = sb->len;
  sb->data = NULL;
  sb->len = sb->cap = 0;
  return MB_OK;
}

void mb__sb_free(mb_strbuf *sb) {
  free(sb->data);
  sb->data = NULL;
  sb->len = sb->cap = 0;
  sb->failed = 0;
}

/* Bytes of a count, for messages: "300 MiB" or "1234 bytes". */
static void size_text(unsigned long long n, char *buf, size_t len) {
  if (n >= (1ull << 20) && n % (1ull << 20) == 0)
    snprintf(buf, len, "%llu MiB", n >> 20);
  else
    snprintf(buf, len, "%llu bytes", n);
}

/* Line (1-based) of byte at in data. */
static long line_of(const char *data, size_t at) {
  long line = 1;
  for (const char *p = data; (p = memchr(p, '\n', (size_t)(data + at - p))) != NULL; p++) line++;
  return line;
}

mb_status mb__read_fd(int fd, const char *name, size_t limit, unsigned flags, char **data,
                      size_t *size) {
  char lim[32];
  size_text(limit, lim, sizeof lim);
  struct stat sb;
  int regular = fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode);
  if (!regular && (flags & MB_READ_REGULAR_ONLY))
    return mb__error(MB_ERR_IO, "%s: not a regular file", name);
  /* A regular file is judged by its size before a byte is read (a 20 GB sparse file
   * costs nothing); a stream (pipe, FIFO, device) as it comes. */
  if (regular && (unsigned long long)sb.st_size > limit)
    return mb__error(MB_ERR_RANGE, "%s: %lld bytes, larger than the limit of %s for this "
                     "kind of file", name, (long long)sb.st_size, lim);
  size_t cap = regular ? (size_t)sb.st_size + 1 : (size_t)1 << 16, len = 0;
  if (cap > limit + 1) cap = limit + 1;
  if (cap < 4096) cap = 4096;
  char *buf = malloc(cap + 1);
  if (!buf) return mb__error(MB_ERR_NOMEM, "%s: out of memory", name);
  mb_status st = MB_OK;
  for (;;) {
    if (len == cap) {
      if (cap > limit) {
        st = mb__error(MB_ERR_RANGE, "%s: more than %s, the limit for this kind of file; "
                       "not read further", name, lim);
        goto fail;
      }
      size_t grown = cap <= limit / 2 ? 2 * cap : limit + 1;
      char *p = realloc(buf, grown + 1);
      if (!p) {
        st = mb__error(MB_ERR_NOMEM, "%s: out of memory after %zu bytes", name, len);
        goto fail;
      }
      buf = p;
      cap = grown;
    }
    ssize_t got = read(fd, buf + len, cap - len);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) {
      st = mb__error(MB_ERR_IO, "%s: read error: %s", name, strerror(errno));
      goto fail;
    }
    if (got == 0) break;
    /* A text never holds a NUL: stop at once on binary data (or /dev/zero). */
    const char *nul = (flags & MB_READ_TEXT) ? memchr(buf + len, '\0', (size_t)got) : NULL;
    if (nul) {
      size_t at = (size_t)(nul - buf);
      st = mb__parse_error(name, line_of(buf, at), "a NUL byte at byte %zu: binary data, not "
                           "a text file", at);
      goto fail;
    }
    len += (size_t)got;
  }
  if (len > limit) {
    st = mb__error(MB_ERR_RANGE, "%s: more than %s, the limit for this kind of file", name, lim);
    goto fail;
  }
  buf[len] = '\0';
  *data = buf;
  if (size) *size = len;
  return MB_OK;
fail:
  free(buf);
  return st;
}

mb_status mb__read_file_limit(const char *path, size_t limit, unsigned flags, char **data,
                              size_t *size) {
  if (!path) return mb__error(MB_ERR_INVALID_ARG, "file name is NULL");
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return mb__error(MB_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
  mb_status st = mb__read_fd(fd, path, limit, flags, data, size);
  close(fd);
  return st;
}

mb_status mb__read_file(const char *path, char **data, size_t *size) {
  return mb__read_file_limit(path, MB_TEXT_FILE_LIMIT, MB_READ_TEXT, data, size);
}

/* Write straight into path (devices, FIFOs: what cannot be replaced by rename). */
static mb_status write_direct(const char *path, const char *data, size_t size) {
  FILE *f = fopen(path, "wb");
  if (!f) return mb__error(MB_ERR_IO, "%s: cannot open for writing: %s", path, strerror(errno));
  size_t put = fwrite(data, 1, size, f);
  int err = (put != size) | (fclose(f) != 0);
  if (err) return mb__error(MB_ERR_IO, "%s: write error: %s", path, strerror(errno));
  return MB_OK;
}

/* A regular file (or a new one) is written whole or not at all: the data goes to
 * path.PID.K.tmp in the same directory (same file system), created exclusively so
 * that threads or processes writing the same path never share one, is synced and
 * renamed over path. A crash or a full disk leaves the previous file intact (a
 * checkpoint is never half written). The new file's mode is 0666 less the umask. */
mb_status mb__write_file(const char *path, const char *data, size_t size) {
  if (!path) return mb__error(MB_ERR_INVALID_ARG, "file name is NULL");
  struct stat sbuf;
  if (stat(path, &sbuf) == 0 && !S_ISREG(sbuf.st_mode)) return write_direct(path, data, size);
  size_t len = strlen(path);
  char *tmp = mb__malloc(len + 48, 1);
  if (!tmp) return MB_ERR_NOMEM;
  mb_status st = MB_OK;
  int fd = -1;
  for (int k = 0; k < 1000 && fd < 0; k++) {
    snprintf(tmp, len + 48, "%s.%ld.%d.tmp", path, (long)getpid(), k);
    fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd < 0 && errno != EEXIST) break;
  }
  if (fd < 0) {
    st = mb__error(MB_ERR_IO, "%s: cannot create a file there: %s", path, strerror(errno));
    goto cleanup;
  }
  for (size_t done = 0; done < size;) {
    ssize_t put = write(fd, data + done, size - done);
    if (put < 0 && errno == EINTR) continue;
    if (put <= 0) {
      st = mb__error(MB_ERR_IO, "%s: write error: %s", path, put < 0 ? strerror(errno) : "");
      break;
    }
    done += (size_t)put;
  }
  if (!st && fsync(fd) != 0 && errno != EINVAL && errno != EROFS)
    st = mb__error(MB_ERR_IO, "%s: write error: %s", path, strerror(errno));
  if (close(fd) != 0 && !st)
    st = mb__error(MB_ERR_IO, "%s: write error: %s", path, strerror(errno));
  if (!st && rename(tmp, path) != 0)
    st = mb__error(MB_ERR_IO, "%s: cannot replace the file: %s", path, strerror(errno));
  if (st) unlink(tmp);
cleanup:
  free(tmp);
  return st;
}
