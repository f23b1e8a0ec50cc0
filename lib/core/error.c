/* Status strings and the per-thread last-error message. */
#include <stdio.h>
#include <string.h>

#include "core.h"

#define MB_ERROR_SIZE 1024
/* Messages are cut at MB_ERROR_SIZE; the compiler's truncation warnings are expected. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wformat-truncation"
#endif

/* Thread-local, so concurrent calls on different handles never share it. */
static _Thread_local char last_error[MB_ERROR_SIZE];

MB_API const char *mb_strerror(mb_status status) {
  switch (status) {
    case MB_OK: return "success";
    case MB_ERR_NOMEM: return "out of memory";
    case MB_ERR_INVALID_ARG: return "invalid argument";
    case MB_ERR_IO: return "input/output error";
    case MB_ERR_PARSE: return "malformed input";
    case MB_ERR_UNSUPPORTED: return "unsupported input or operation";
    case MB_ERR_RANGE: return "value or index out of range";
    case MB_ERR_GEOMETRY: return "degenerate geometry";
    case MB_ERR_SYMMETRY: return "symmetry search failed";
    case MB_ERR_NOT_CONVERGED: return "not converged";
    case MB_ERR_MODEL: return "invalid or mismatched model";
    case MB_ERR_BUFFER_TOO_SMALL: return "buffer too small";
    case MB_ERR_CALLBACK: return "a user callback failed";
    case MB_ERR_INTERNAL: return "internal error (please report it)";
    case MB_ERR_STOPPED: return "stopped by its step callback";
  }
  return "unknown status code";
}

/* Length of the valid UTF-8 sequence at s (at most avail bytes), 0 when it is not
 * one: a stray continuation byte, an overlong form, a surrogate, beyond U+10FFFF. */
static size_t utf8_length(const unsigned char *s, size_t avail) {
  unsigned c = s[0], cp;
  size_t n;
  if (c < 0x80) return 1;
  if (c >= 0xC2 && c <= 0xDF)
    n = 2;
  else if ((c & 0xF0) == 0xE0)
    n = 3;
  else if (c >= 0xF0 && c <= 0xF4)
    n = 4;
  else
    return 0;
  if (n > avail) return 0;
  for (size_t k = 1; k < n; k++)
    if ((s[k] & 0xC0) != 0x80) return 0;
  if (n == 3) {
    cp = ((c & 0x0Fu) << 12) | ((s[1] & 0x3Fu) << 6) | (s[2] & 0x3Fu);
    if (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  } else if (n == 4) {
    cp = ((c & 0x07u) << 18) | ((s[1] & 0x3Fu) << 12) | ((s[2] & 0x3Fu) << 6) | (s[3] & 0x3Fu);
    if (cp < 0x10000 || cp > 0x10FFFF) return 0;
  }
  return n;
}

void mb__escape_text(const char *in, char *out, size_t size) {
  if (!size) return;
  const unsigned char *s = (const unsigned char *)in;
  size_t len = strlen(in), at = 0;
  for (size_t k = 0; k < len;) {
    size_t n = s[k] < 0x20 || s[k] == 0x7f ? 0 : utf8_length(s + k, len - k);
    if (n == 0) { /* a control byte or one that is not UTF-8: \xNN */
      if (at + 4 >= size) break;
      snprintf(out + at, 5, "\\x%02x", s[k]);
      at += 4;
      k++;
    } else {
      if (at + n >= size) break;
      memcpy(out + at, s + k, n);
      at += n;
      k += n;
    }
  }
  out[at] = '\0';
}

/* Messages quote file content (tokens, labels, names): escape it where the message
 * is made, so no terminal control sequence (ESC ] 0 ; ... BEL) leaves the library. */
static void set_last_error(const char *msg) {
  mb__escape_text(msg, last_error, sizeof last_error);
}

MB_API const char *mb_last_error(void) { return last_error; }

MB_API void mb_clear_error(void) { last_error[0] = '\0'; }

mb_status mb__error(mb_status status, const char *fmt, ...) {
  char msg[MB_ERROR_SIZE];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  set_last_error(msg);
  return status;
}

mb_status mb__parse_error(const char *file, long line, const char *fmt, ...) {
  char msg[MB_ERROR_SIZE];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (!file) file = "<buffer>";
  char full[MB_ERROR_SIZE];
  if (line > 0)
    snprintf(full, sizeof full, "%s:%ld: %s", file, line, msg);
  else
    snprintf(full, sizeof full, "%s: %s", file, msg);
  set_last_error(full);
  return MB_ERR_PARSE;
}

void mb__error_prefix(const char *fmt, ...) {
  char prefix[MB_ERROR_SIZE], old[MB_ERROR_SIZE];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(prefix, sizeof prefix, fmt, ap);
  va_end(ap);
  char full[MB_ERROR_SIZE];
  memcpy(old, last_error, sizeof old);
  snprintf(full, sizeof full, "%s: %s", prefix, old);
  set_last_error(full);
}
