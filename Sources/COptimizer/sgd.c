// The optimisers' element-wise passes (see include/distill_optimizer.h).
#include "distill_optimizer.h"

#pragma clang fp contract(off)

#define VARIANTS __attribute__((target_clones("avx512f", "avx2", "default")))
#define INLINE static inline __attribute__((always_inline))

/// Elements handled together: one AVX-512 register, or a whole number of narrower ones. Every
/// operation below is element-wise, so the bits of an element do not depend on its group.
#define LANES 16
typedef float group __attribute__((ext_vector_type(LANES)));

// Groups pass through pointers: a vector argument's ABI would differ between the variants.

/// `*r` = `n` (at most LANES) floats from `x`, the lanes past `n` 0.
INLINE void load(group *r, const float *x, long n) {
    *r = 0;
    __builtin_memcpy(r, x, (unsigned long)n * sizeof(float));
}

/// The first `n` lanes of `*r` to `x`.
INLINE void store(float *x, const group *r, long n) { __builtin_memcpy(x, r, (unsigned long)n * sizeof(float)); }

/// `*m` = the mean gradient of the `n` elements from `i` (`g`'s element `first + i`).
INLINE void mean(group *m, const float *const *g, long shards, long first, long i, long n, float scale) {
    group x;
    load(m, g[0] + first + i, n);
    for (long s = 1; s < shards; s++) {
        load(&x, g[s] + first + i, n);
        *m += x;
    }
    *m *= scale;
}

/// Calls `step(i, n)` for each group of LANES elements, then for the tail: a constant n in the
/// main loop lets each variant keep a group in registers.
#define FOR_EACH_GROUP(step) \
    long i = 0; \
    for (; i + LANES <= count; i += LANES) step(i, LANES); \
    if (i < count) step(i, count - i);

VARIANTS
void distill_gradient_mean(const float *const *g, long shards, long first, long count, float scale,
                           float *restrict out) {
#define MEAN(i, n) \
    do { \
        group m; \
        mean(&m, g, shards, first, i, n, scale); \
        store(out + i, &m, n); \
    } while (0)
    FOR_EACH_GROUP(MEAN)
}

VARIANTS
void distill_sgd_plain(float *restrict p, const float *const *g, long shards, long first, long count, float scale,
                       float lr, float decay) {
#define PLAIN(i, n) \
    do { \
        group m, w; \
        mean(&m, g, shards, first, i, n, scale); \
        load(&w, p + i, n); \
        w -= lr * (m + decay * w); \
        store(p + i, &w, n); \
    } while (0)
    FOR_EACH_GROUP(PLAIN)
}

/// One group's step with momentum: `update` computes the new velocity `u` and parameters `w` from
/// the mean gradient `m` and the old `u` and `w`, which are then stored.
#define VELOCITY_STEP(i, n, update) \
    do { \
        group m, w, u; \
        mean(&m, g, shards, first, i, n, scale); \
        load(&w, p + i, n); \
        load(&u, v + i, n); \
        update; \
        store(v + i, &u, n); \
        store(p + i, &w, n); \
    } while (0)

VARIANTS
void distill_sgd_momentum(float *restrict p, float *restrict v, const float *const *g, long shards, long first,
                          long count, float scale, float lr, float momentum, float decay) {
#define MOMENTUM(i, n) VELOCITY_STEP(i, n, u = momentum * u + m + decay * w; w -= lr * u)
    FOR_EACH_GROUP(MOMENTUM)
}

VARIANTS
void distill_sgd_nesterov(float *restrict p, float *restrict v, const float *const *g, long shards, long first,
                          long count, float scale, float lr, float momentum, float decay) {
#define NESTEROV(i, n) VELOCITY_STEP(i, n, group d = m + decay * w; u = momentum * u + d; w -= lr * (d + momentum * u))
    FOR_EACH_GROUP(NESTEROV)
}
