// libFuzzer's driver entry point (compiler-rt, LLVM 11 and later). Only `DistillFuzz` built with
// `-sanitize=fuzzer` (see `make fuzz`) references it, so normal builds need no libFuzzer.
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));
