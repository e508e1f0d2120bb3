// CRC-32C with SSE4.2's CRC32 instruction (see include/distill_crc32c.h). The instruction
// computes exactly the reflected Castagnoli CRC, so the result equals the table-driven one.
#include "distill_crc32c.h"

#include <cpuid.h>
#include <nmmintrin.h>
#include <string.h>

int distill_crc32c_available(void) {
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
    return (c & bit_SSE4_2) != 0;
}

__attribute__((target("sse4.2")))
uint32_t distill_crc32c_update(uint32_t state, const void *bytes, size_t count) {
    const unsigned char *p = bytes;
    uint64_t crc = state;
    while (count >= 8) {
        uint64_t word;
        memcpy(&word, p, 8);
        crc = _mm_crc32_u64(crc, word);
        p += 8;
        count -= 8;
    }
    uint32_t tail = (uint32_t)crc;
    while (count > 0) {
        tail = _mm_crc32_u8(tail, *p++);
        count--;
    }
    return tail;
}
