/* libFuzzer harness for the pseudopotential readers (psp8, HGH and UPF, lib/dft/psp*.c):
 * any input must read or fail with a status, never crash, leak or trip the sanitizers;
 * what reads is evaluated at a few q, in the table and beyond it (direct quadrature),
 * the pseudo-atomic orbitals of a UPF file (psp_orbital.c) as well.
 * Built and run by `make fuzz FUZZ_TARGETS=psp`; seeds in tests/fuzz/corpus/psp/
 * (written by tests/data/dft/psp/make_error_files.py). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "dft/dft.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  mb__psp *p = NULL;
  mb_status st = mb__psp_read_buffer((const char *)data, size, "fuzz.psp", &p);
  if (st != MB_OK) {
    if (p) abort(); /* *out must stay NULL on failure */
    return 0;
  }
  const double qs[4] = {0.0, 0.013, 7.3, mb__psp_qmax(p) < 100 ? mb__psp_qmax(p) + 1.5 : 50.0};
  volatile double sink = 0;
  for (int k = 0; k < 4; k++) {
    sink += mb__psp_vloc_short(p, qs[k]) + mb__psp_core(p, qs[k]);
    for (int l = 0; l <= MB_PSP_LMAX; l++)
      for (int i = 0; i < p->nproj[l]; i++) sink += mb__psp_projector(p, l, i, qs[k]);
    for (int i = 0; i < p->norb; i++) sink += mb__psp_orbital_ff(p, i, qs[k] * 0.7);
  }
  for (int l = 0; l <= MB_PSP_LMAX; l++) sink += mb__psp_orbital_of_l(p, l);
  for (int i = 0; i < p->norb; i++) sink += mb__psp_orbital_norm(p, i);
  (void)sink;
  mb__psp_free(p);
  return 0;
}
