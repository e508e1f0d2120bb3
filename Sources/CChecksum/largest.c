// The largest float magnitude of a buffer (see include/distill_largest.h).
#include "distill_largest.h"

#include <string.h>

__attribute__((target_clones("avx512f", "avx2", "default")))
uint32_t distill_largest_magnitude(const void *bytes, size_t words) {
    // Integer maxima of the patterns: no branch, no floating-point compare, so it vectorises.
    const unsigned char *p = bytes;
    uint32_t largest = 0;
    for (size_t i = 0; i < words; i++) {
        uint32_t w;
        memcpy(&w, p + 4 * i, sizeof w);
        w &= 0x7FFFFFFFu;
        largest = w > largest ? w : largest;
    }
    return largest;
}

__attribute__((target_clones("avx512f", "avx2", "default")))
uint32_t distill_copy_largest_magnitude(void *destination, const void *source, size_t words) {
    const unsigned char *p = source;
    unsigned char *q = destination;
    uint32_t largest = 0;
    for (size_t i = 0; i < words; i++) {
        uint32_t w;
        memcpy(&w, p + 4 * i, sizeof w);
        memcpy(q + 4 * i, &w, sizeof w);
        w &= 0x7FFFFFFFu;
        largest = w > largest ? w : largest;
    }
    return largest;
}
