#ifndef DISTILL_OPTIMIZER_H
#define DISTILL_OPTIMIZER_H

/// Element-wise passes of the optimisers' steps over the `count` elements from `first`. They
/// read the mean of shards' gradients, element i's being `m = ((g[0][i] + g[1][i]) + …) · scale`,
/// summed left to right in shard order (one shard and scale 1: the gradient itself), and compute
/// it as the step uses it, so the mean is never written out and read back. Each `g[s]` points at
/// element 0; `p`, `v` and `out` point at element `first`, and `x[i]` below means that element.
/// Each function is compiled for AVX-512F, AVX2 and baseline x86-64 and picked at load time;
/// floating-point contraction is off, so every variant computes the same bits as the plain
/// loops written in each comment.

/// `out[i] = m`.
void distill_gradient_mean(const float *const *g, long shards, long first, long count, float scale, float *out);

/// SGD without momentum: `p[i] −= lr·(m + decay·p[i])`.
void distill_sgd_plain(float *p, const float *const *g, long shards, long first, long count, float scale, float lr,
                       float decay);

/// SGD with momentum: `v[i] = μ·v[i] + m + decay·p[i]`, then `p[i] −= lr·v[i]`.
void distill_sgd_momentum(float *p, float *v, const float *const *g, long shards, long first, long count, float scale,
                          float lr, float momentum, float decay);

/// SGD with Nesterov momentum: `d = m + decay·p[i]`, `v[i] = μ·v[i] + d`, then `p[i] −= lr·(d + μ·v[i])`.
void distill_sgd_nesterov(float *p, float *v, const float *const *g, long shards, long first, long count, float scale,
                          float lr, float momentum, float decay);

#endif
