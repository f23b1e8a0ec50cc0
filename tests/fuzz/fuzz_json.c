/* libFuzzer harness for the JSON reader: count, read the first and last entry, write
 * what was read and check that it reads back bit for bit. Built and run by
 * `make fuzz FUZZ_TARGETS=json`. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "structure/io.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *copy = malloc(size + 1);
  if (!copy) return 0;
  memcpy(copy, data, size);
  copy[size] = '\0';
  int count = 0;
  if (mb__read_json(copy, size, "fuzz", 0, NULL, &count) != MB_OK) count = 0;
  free(copy);
  mb_structure *s = NULL;
  if (count > 1 &&
      mb_structure_read_buffer((const char *)data, size, MB_FORMAT_JSON, "fuzz", count - 1, &s) ==
          MB_OK)
    mb_structure_free(s);
  s = NULL;
  mb_status st = mb_structure_read_buffer((const char *)data, size, MB_FORMAT_JSON, "fuzz", 0, &s);
  if (st != MB_OK) {
    if (s) abort(); /* a failed read must leave *out alone */
    return 0;
  }
  if (count < 1) abort();
  char *text;
  size_t len;
  if (mb_structure_write_buffer(s, MB_FORMAT_JSON, &text, &len) == MB_OK) {
    mb_structure *r = NULL;
    if (mb_structure_read_buffer(text, len, MB_FORMAT_JSON, "fuzz-out", 0, &r) != MB_OK) abort();
    if (r->natoms != s->natoms || memcmp(r->lattice, s->lattice, sizeof s->lattice) ||
        memcmp(r->frac, s->frac, sizeof(double) * 3 * (size_t)s->natoms) ||
        memcmp(r->numbers, s->numbers, sizeof(int) * (size_t)s->natoms))
      abort(); /* JSON round trips are exact */
    mb_structure_free(r);
    mb_free(text);
  }
  mb_structure_free(s);
  return 0;
}
