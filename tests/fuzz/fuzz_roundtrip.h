/* The body of the libFuzzer harnesses of the POSCAR and extended-XYZ readers and
 * writers (fuzz_poscar.c and fuzz_xyz.c define FUZZ_FORMAT and FUZZ_READER, then
 * include this): read structures 0 and 1, count the structures, write every
 * structure read and read the text back. Built by `make fuzz`
 * (which compiles the library sources in, so the internal reader is callable); seeds in
 * tests/fuzz/corpus/<format>/. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "migbar.h"
#include "structure/io.h"

/* A cell far from the singularity test and moderate numbers: then the written text must
 * read back to the same atoms, species and flags. */
static int well_conditioned(const mb_structure *s) {
  double lat[9], scale = 0;
  mb_structure_lattice(s, lat);
  for (int k = 0; k < 9; k++) scale = fmax(scale, fabs(lat[k]));
  if (!(scale < 1e6) || fabs(mb__det3(lat)) < 1e-6 * scale * scale * scale) return 0;
  for (int i = 0; i < 3 * s->natoms; i++)
    if (!(fabs(s->frac[i]) < 1e6)) return 0;
  return 1;
}

static void round_trip(const mb_structure *s) {
  char *text;
  size_t size;
  if (mb_structure_write_buffer(s, FUZZ_FORMAT, &text, &size) != MB_OK) abort();
  mb_structure *t = NULL;
  mb_status st = mb_structure_read_buffer(text, size, FUZZ_FORMAT, "rt", 0, &t);
  if (st != MB_OK && well_conditioned(s)) abort();
  if (st == MB_OK) {
    int n = s->natoms;
    if (t->natoms != n || memcmp(s->numbers, t->numbers, (size_t)n * sizeof(int)) != 0)
      abort();
    if (!s->selective != !t->selective) abort();
    if (s->selective && memcmp(s->selective, t->selective, (size_t)n * 3 * sizeof(int)) != 0)
      abort();
  }
  mb_structure_free(t);
  mb_free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  for (int index = 0; index < 2; index++) {
    mb_structure *s = NULL;
    if (mb_structure_read_buffer((const char *)data, size, FUZZ_FORMAT, "fuzz", index,
                                 &s) == MB_OK) {
      round_trip(s);
      mb_structure_free(s);
    }
  }
  /* The counting path (mb_structure_count_frames) on a NUL-terminated copy. */
  char *copy = malloc(size + 1);
  if (!copy) return 0;
  memcpy(copy, data, size);
  copy[size] = '\0';
  int count = -1;
  if (FUZZ_READER(copy, size, "fuzz", 0, NULL, &count) == MB_OK && count < 1) abort();
  free(copy);
  return 0;
}
