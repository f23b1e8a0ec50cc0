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

long mb__lines_left(const mb_lines *it) {
  long n = 0;
  const char *p = it->cursor, *end = it->end;
  while (p < end) {
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    n++;
    if (!nl) break;
    p = nl + 1;
  }
  return n;
}

int mb__is_blank(char c) { return c == '\0' || isspace((unsigned char)c); }

int mb__next_token(const char **p, const char *end, const char **tok, size_t *len) {
  const char *q = *p;
  while (q < end && mb__is_blank(*q)) q++;
  if (q >= end) return 0;
  *tok = q;
  while (q < end && !mb__is_blank(*q)) q++;
  *len = (size_t)(q - *tok);
  *p = q;
  return 1;
}

long mb__count_tokens(const char *line, size_t len) {
  const char *p = line, *tok;
  size_t n;
  long count = 0;
  while (mb__next_token(&p, line + len, &tok, &n)) count++;
  return count;
}

int mb__token_double(const char *tok, size_t len, double *value) {
  char buf[512]; /* room for any finite double printed with %f */
  if (len >= sizeof buf) return 0;
  memcpy(buf, tok, len);
  buf[len] = '\0';
  return mb__parse_double(buf, value);
}

int mb__token_long(const char *tok, size_t len, long *value) {
  char buf[32];
  if (len >= sizeof buf) return 0;
  memcpy(buf, tok, len);
  buf[len] = '\0';
  return mb__parse_int(buf, value);
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
