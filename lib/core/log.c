/* Per-handle logging: format one line and hand it to the user's callback. */
#include <stdio.h>

#include "core.h"

void mb__log(const mb_logger *logger, mb_log_level level, const char *fmt, ...) {
  if (!logger || !logger->fn || level > logger->level) return;
  char line[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  char safe[sizeof line];
  mb__escape_text(line, safe, sizeof safe);
  logger->fn(level, safe, logger->user);
}
