/* JSON parsing for every module (lib/core/json.c): cJSON under one lock. Private. */
#ifndef MB_JSON_H
#define MB_JSON_H

#include <stddef.h>

struct cJSON;

/* Parse size bytes at text (a document may be followed by anything: *end, if asked,
 * says where it stopped, or where the syntax error is when NULL is returned). */
struct cJSON *mb__json_parse(const char *text, size_t size, const char **end);
/* Parse a NUL-terminated string. */
struct cJSON *mb__json_parse_string(const char *text);

#endif
