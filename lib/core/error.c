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

MB_API const char *mb_last_error(void) { return last_error; }

MB_API void mb_clear_error(void) { last_error[0] = '\0'; }

mb_status mb__error(mb_status status, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(last_error, sizeof last_error, fmt, ap);
  va_end(ap);
  return status;
}

mb_status mb__parse_error(const char *file, long line, const char *fmt, ...) {
  char msg[MB_ERROR_SIZE];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (!file) file = "<buffer>";
  if (line > 0)
    snprintf(last_error, sizeof last_error, "%s:%ld: %s", file, line, msg);
  else
    snprintf(last_error, sizeof last_error, "%s: %s", file, msg);
  return MB_ERR_PARSE;
}

void mb__error_prefix(const char *fmt, ...) {
  char prefix[MB_ERROR_SIZE], old[MB_ERROR_SIZE];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(prefix, sizeof prefix, fmt, ap);
  va_end(ap);
  memcpy(old, last_error, sizeof old);
  snprintf(last_error, sizeof last_error, "%s: %s", prefix, old);
}
