/* The one way the library parses JSON. cJSON records the position of its last syntax
 * error in a global variable on every parse, even when the caller asks for it through
 * return_parse_end, so two threads parsing at once race on it. Every parse goes
 * through here, under one lock. */
#include <pthread.h>

#include <cjson/cJSON.h>

#include "json.h"

static pthread_mutex_t parse_lock = PTHREAD_MUTEX_INITIALIZER;

cJSON *mb__json_parse(const char *text, size_t size, const char **end) {
  const char *e = NULL;
  pthread_mutex_lock(&parse_lock);
  cJSON *root = cJSON_ParseWithLengthOpts(text, size, &e, 0);
  pthread_mutex_unlock(&parse_lock);
  if (end) *end = e;
  return root;
}

cJSON *mb__json_parse_string(const char *text) {
  size_t n = 0;
  while (text[n]) n++;
  return mb__json_parse(text, n + 1, NULL); /* the NUL included, as cJSON_Parse */
}
