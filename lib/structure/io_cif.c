/* Placeholder until the cif reader/writer lands. */
#include "io.h"

mb_status mb__read_cif(const char *data, size_t size, const char *name, int index,
                      mb_structure **out, int *count) {
  (void)data; (void)size; (void)index; (void)out; (void)count;
  return mb__error(MB_ERR_UNSUPPORTED, "%s: cif reading is not implemented yet", name);
}

mb_status mb__write_cif(const mb_structure *s, mb_strbuf *sb) {
  (void)s; (void)sb;
  return mb__error(MB_ERR_UNSUPPORTED, "cif writing is not implemented yet");
}
