#ifndef DISTILL_LARGEST_H
#define DISTILL_LARGEST_H

#include <stddef.h>
#include <stdint.h>

/// The largest of the bit patterns of `count` floats from `x` with the sign bit cleared: the
/// largest magnitude's pattern (above 0x7F800000 a NaN, equal to it an infinity). 0 for no
/// floats. The pass that checks every float a peer sends (`MagnitudeScan`), compiled for
/// AVX-512F, AVX2 and baseline x86-64 and picked at load time. Thread-safe.
uint32_t distill_largest_magnitude(const float *x, size_t count);

#endif
