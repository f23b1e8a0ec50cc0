/* Placeholder until the json reader/writer lands. */
#include "io.h"

mb_status mb__read_json(const char *data, size_t size, const char *name, int index,
                      mb_structure **out, int *count) {
  (void)data; (void)size; (void)index; (void)out; (void)count;
  return mb__error(MB_ERR_UNSUPPORTED, "%s: json reading is not implemented yet", name);
}

mb_status mb__write_json(const mb_structure *s, mb_strbuf *sb) {
  (void)s; (void)sb;
  return mb__error(MB_ERR_UNSUPPORTED, "json writing is not implemented yet");
}
