/* libFuzzer harness for the XYZ reader and writer (body in fuzz_roundtrip.h).
 * Built and run by `make fuzz FUZZ_TARGETS=xyz`; seeds in tests/fuzz/corpus/xyz/. */
#define FUZZ_FORMAT MB_FORMAT_XYZ
#define FUZZ_READER mb__read_xyz
#include "fuzz_roundtrip.h"
