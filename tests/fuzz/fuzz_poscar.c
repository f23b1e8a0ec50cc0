/* libFuzzer harness for the POSCAR reader and writer (body in fuzz_roundtrip.h).
 * Built and run by `make fuzz FUZZ_TARGETS=poscar`; seeds in tests/fuzz/corpus/poscar/. */
#define FUZZ_FORMAT MB_FORMAT_POSCAR
#define FUZZ_READER mb__read_poscar
#include "fuzz_roundtrip.h"
