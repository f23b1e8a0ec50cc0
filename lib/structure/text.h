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

/* Split line[0..len) on blanks into at most max tokens (copied into buf,
 * NUL-terminated, buf of size bufsize); returns the number of tokens found,
 * which may exceed max (then only max are stored), or -1 if buf is too small. */
int mb__tokenize(const char *line, size_t len, char *buf, size_t bufsize,
                 char **tokens, int max);

/* Strict number parsing: the whole token must be a finite number. */
int mb__parse_double(const char *token, double *value);
int mb__parse_int(const char *token, long *value);

#endif
