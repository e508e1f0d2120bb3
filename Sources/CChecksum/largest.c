// The largest float magnitude of a buffer (see include/distill_largest.h).
#include "distill_largest.h"

#include <string.h>

__attribute__((target_clones("avx512f", "avx2", "default")))
uint32_t distill_largest_magnitude(const float *x, size_t count) {
    // Integer maxima of the patterns: no branch, no floating-point compare, so it vectorises.
    uint32_t largest = 0;
    for (size_t i = 0; i < count; i++) {
        uint32_t w;
        memcpy(&w, x + i, sizeof w);
        w &= 0x7FFFFFFFu;
        largest = w > largest ? w : largest;
    }
    return largest;
}
