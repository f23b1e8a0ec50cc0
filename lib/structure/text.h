/* Line-oriented reading of text buffers with line numbers, for the parsers. */
#ifndef MB_TEXT_H
#define MB_TEXT_H

#include <stddef.h>

typedef struct mb_lines {
  const char *data, *end, *cursor;
  long lineno;          /* number of the line last returned (1-based) */
} mb_lines;

void mb__lines_init(mb_lines *it, const char *data, size_t size);
/* Next line without its end-of-line ("\n", "\r\n"); *len set. Returns NULL at
 * the end of the buffer. Lines may contain NUL bytes; callers use len. */
const char *mb__lines_next(mb_lines *it, size_t *len);
/* Lines after the current one (an upper bound on the records a file can still
 * hold, checked before allocating for a count the file claims). */
long mb__lines_left(const mb_lines *it);

/* Blank-separated tokens of [*p, end) without copying; NUL bytes count as
 * blanks (files may contain any byte). mb__next_token returns 0 at the end. */
int mb__is_blank(char c);
int mb__next_token(const char **p, const char *end, const char **tok, size_t *len);
long mb__count_tokens(const char *line, size_t len);
/* Strict parsing of a token [tok, tok+len): the whole token must be a number. */
int mb__token_double(const char *tok, size_t len, double *value);
int mb__token_long(const char *tok, size_t len, long *value);

/* Strict number parsing: the whole token must be a finite number. */
int mb__parse_double(const char *token, double *value);
int mb__parse_int(const char *token, long *value);

#endif
