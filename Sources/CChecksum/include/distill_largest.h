#ifndef DISTILL_LARGEST_H
#define DISTILL_LARGEST_H

#include <stddef.h>
#include <stdint.h>

/// The largest of `words` little-endian 32-bit words from `bytes` (any alignment) with the top
/// bit cleared: for float32 data, the largest magnitude's bit pattern (above 0x7F800000 a NaN,
/// equal to it an infinity). 0 for no words. The pass that checks every float a peer sends
/// (`MagnitudeScan`, and the CRC's measuring pass), compiled for AVX-512F, AVX2 and baseline
/// x86-64 and picked at load time. Thread-safe.
uint32_t distill_largest_magnitude(const void *bytes, size_t words);

/// Copies `words` 32-bit words from `source` to `destination` (not overlapping) and returns what
/// distill_largest_magnitude(source, words) returns, in the same single read of `source`: a
/// worker applying parameters it reads in shared memory checks them as it copies them.
uint32_t distill_copy_largest_magnitude(void *destination, const void *source, size_t words);

#endif
