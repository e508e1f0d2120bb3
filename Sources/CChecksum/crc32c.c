// CRC-32C with SSE4.2's CRC32 instruction (see include/distill_crc32c.h). The instruction
// computes exactly the reflected Castagnoli CRC, so the result equals the table-driven one.
#include "distill_crc32c.h"
#include "distill_largest.h"

#include <cpuid.h>
#include <nmmintrin.h>
#include <pthread.h>
#include <string.h>

int distill_crc32c_available(void) {
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
    return (c & bit_SSE4_2) != 0;
}

// The CRC32 instruction has a latency of three cycles but accepts a new one every cycle, so
// one dependent chain uses a third of it. Large inputs are cut into blocks of three strands
// of `strand` bytes, checksummed as three independent chains, then joined: the register after
// A followed by B is shift(register after A, |B|) XOR (register after B started from 0), where
// shift(r, n) is the register after n zero bytes starting from r, a linear map of r that
// `shift_tables` holds for n = strand (one 256-entry table per byte of r).
enum { strand = 4096 };
static uint32_t shift_tables[4][256];
static pthread_once_t shift_tables_once = PTHREAD_ONCE_INIT;

// Fills shift_tables in software (bit at a time), so it runs on any CPU.
static void fill_shift_tables(void) {
    uint32_t basis[32];
    for (int bit = 0; bit < 32; bit++) {
        uint32_t r = 1u << bit;
        for (int step = 0; step < strand * 8; step++) r = (r >> 1) ^ (0x82F63B78u & (0u - (r & 1u)));
        basis[bit] = r;
    }
    for (int k = 0; k < 4; k++) {
        for (int b = 0; b < 256; b++) {
            uint32_t r = 0;
            for (int j = 0; j < 8; j++) if (b & (1 << j)) r ^= basis[8 * k + j];
            shift_tables[k][b] = r;
        }
    }
}

static inline uint32_t shift_by_strand(uint32_t r) {
    return shift_tables[0][r & 0xFF] ^ shift_tables[1][(r >> 8) & 0xFF] ^ shift_tables[2][(r >> 16) & 0xFF]
        ^ shift_tables[3][r >> 24];
}

// The larger of `largest` and the largest of `words` words from `p` with the top bit cleared.
static inline uint32_t largest_word(const unsigned char *p, size_t words, uint32_t largest) {
    uint32_t block = distill_largest_magnitude(p, words);
    return block > largest ? block : largest;
}

// The CRC of `count` bytes from `state`; with `largest`, each block's words are measured right
// after the block is checksummed.
__attribute__((target("sse4.2")))
static inline uint32_t crc32c_blocks(uint32_t state, const unsigned char *p, size_t count, uint32_t *largest) {
    uint64_t crc = state;
    if (count >= 3 * strand) {
        pthread_once(&shift_tables_once, fill_shift_tables);
        while (count >= 3 * strand) {
            uint64_t a = crc, b = 0, c = 0;
            for (size_t i = 0; i < strand; i += 8) {
                uint64_t wa, wb, wc;
                memcpy(&wa, p + i, 8);
                memcpy(&wb, p + strand + i, 8);
                memcpy(&wc, p + 2 * strand + i, 8);
                a = _mm_crc32_u64(a, wa);
                b = _mm_crc32_u64(b, wb);
                c = _mm_crc32_u64(c, wc);
            }
            crc = shift_by_strand(shift_by_strand((uint32_t)a) ^ (uint32_t)b) ^ (uint32_t)c;
            if (largest) *largest = largest_word(p, 3 * strand / 4, *largest);
            p += 3 * strand;
            count -= 3 * strand;
        }
    }
    if (largest) *largest = largest_word(p, count / 4, *largest);
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

__attribute__((target("sse4.2")))
uint32_t distill_crc32c_update(uint32_t state, const void *bytes, size_t count) {
    return crc32c_blocks(state, bytes, count, NULL);
}

__attribute__((target("sse4.2")))
uint32_t distill_crc32c_update_largest(uint32_t state, const void *bytes, size_t count, uint32_t *largest) {
    return crc32c_blocks(state, bytes, count, largest);
}
