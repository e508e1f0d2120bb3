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
