#ifndef DISTILL_CRC32C_H
#define DISTILL_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/// 1 when this CPU has SSE4.2's CRC32 instruction (CPUID), else 0.
int distill_crc32c_available(void);

/// Continues a CRC-32C (Castagnoli, reflected) over `count` bytes from the raw register state
/// `state` (the caller applies the initial value and final XOR) with SSE4.2's CRC32 instruction,
/// eight bytes at a time, in three interleaved strands for inputs of 12 KiB or more. Thread-safe.
/// Call only when distill_crc32c_available() is 1.
uint32_t distill_crc32c_update(uint32_t state, const void *bytes, size_t count);

/// distill_crc32c_update that also folds into `*largest` the largest of the input's whole
/// little-endian 32-bit words with the top bit cleared, read in the same pass (each block again
/// while it is in L1): for float32 data, the largest magnitude's bit pattern (above 0x7F800000
/// a NaN, equal to it an infinity). A last partial word takes no part. Thread-safe. Call only
/// when distill_crc32c_available() is 1.
uint32_t distill_crc32c_update_largest(uint32_t state, const void *bytes, size_t count, uint32_t *largest);

#endif
