/* Line iteration and strict token parsing for the file readers. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"

void mb__lines_init(mb_lines *it, const char *data, size_t size) {
  it->data = it->cursor = data;
  it->end = data + size;
  it->lineno = 0;
}

const char *mb__lines_next(mb_lines *it, size_t *len) {
  if (it->cursor >= it->end) return NULL;
  const char *start = it->cursor;
  const char *nl = memchr(start, '\n', (size_t)(it->end - start));
  const char *stop = nl ? nl : it->end;
  it->cursor = nl ? nl + 1 : it->end;
  if (stop > start && stop[-1] == '\r') stop--;
  it->lineno++;
  *len = (size_t)(stop - start);
  return start;
}

int mb__tokenize(const char *line, size_t len, char *buf, size_t bufsize, char **tokens,
                 int max) {
  size_t pos = 0, used = 0;
  int n = 0;
  while (pos < len) {
    while (pos < len && (isspace((unsigned char)line[pos]) || line[pos] == '\0')) pos++;
    if (pos >= len) break;
    size_t start = pos;
    while (pos < len && !isspace((unsigned char)line[pos]) && line[pos] != '\0') pos++;
    size_t tlen = pos - start;
    if (n < max) {
      if (used + tlen + 1 > bufsize) return -1;
      memcpy(buf + used, line + start, tlen);
      buf[used + tlen] = '\0';
      tokens[n] = buf + used;
      used += tlen + 1;
    }
    n++;
  }
  return n;
}

int mb__parse_double(const char *token, double *value) {
  if (!token || !*token) return 0;
  char *end;
  errno = 0;
  double v = strtod(token, &end);
  if (end == token || *end != '\0' || errno == ERANGE || !isfinite(v)) return 0;
  *value = v;
  return 1;
}

int mb__parse_int(const char *token, long *value) {
  if (!token || !*token) return 0;
  char *end;
  errno = 0;
  long v = strtol(token, &end, 10);
  if (end == token || *end != '\0' || errno == ERANGE) return 0;
  *value = v;
  return 1;
}
