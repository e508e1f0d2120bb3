// Batch normalisation passes (see include/distill_batchnorm.h).
#include "distill_batchnorm.h"

#pragma clang fp contract(off)

#define VARIANTS __attribute__((target_clones("avx512f", "avx2", "default")))

VARIANTS
void distill_batchnorm_sums(const float *restrict x, long rows, long channels, double *restrict sums) {
    for (long j = 0; j < channels; j++) sums[j] = 0;
    for (long r = 0; r < rows; r++) {
        const float *row = x + r * channels;
#pragma clang loop vectorize(assume_safety)
        for (long j = 0; j < channels; j++) sums[j] += (double)row[j];
    }
}

VARIANTS
void distill_batchnorm_centred_squares(const float *restrict x, long rows, long channels, const double *restrict mean,
                                       double *restrict squares) {
    for (long j = 0; j < channels; j++) squares[j] = 0;
    for (long r = 0; r < rows; r++) {
        const float *row = x + r * channels;
#pragma clang loop vectorize(assume_safety)
        for (long j = 0; j < channels; j++) {
            double d = (double)row[j] - mean[j];
            squares[j] += d * d;
        }
    }
}

VARIANTS
void distill_batchnorm_normalize(const float *restrict x, long rows, long channels, const float *restrict mean,
                                 const float *restrict inverse_std, const float *restrict gamma, const float *restrict beta,
                                 float *restrict normalized, float *restrict y) {
    for (long r = 0; r < rows; r++) {
        const float *row = x + r * channels;
        float *h = normalized + r * channels, *out = y + r * channels;
#pragma clang loop vectorize(assume_safety)
        for (long j = 0; j < channels; j++) {
            float v = (row[j] - mean[j]) * inverse_std[j];
            h[j] = v;
            out[j] = gamma[j] * v + beta[j];
        }
    }
}

VARIANTS
void distill_batchnorm_gradient_sums(const float *restrict dy, const float *restrict normalized, long rows, long channels,
                                     double *restrict sums, double *restrict products) {
    for (long j = 0; j < channels; j++) { sums[j] = 0; products[j] = 0; }
    for (long r = 0; r < rows; r++) {
        const float *g = dy + r * channels, *h = normalized + r * channels;
#pragma clang loop vectorize(assume_safety)
        for (long j = 0; j < channels; j++) {
            double d = (double)g[j];
            sums[j] += d;
            products[j] += d * (double)h[j];
        }
    }
}

VARIANTS
void distill_batchnorm_input_gradient(const float *restrict dy, const float *restrict normalized, long rows, long channels,
                                      const float *restrict k, const float *restrict a, const float *restrict b,
                                      float *restrict dx) {
    for (long r = 0; r < rows; r++) {
        const float *g = dy + r * channels, *h = normalized + r * channels;
        float *out = dx + r * channels;
#pragma clang loop vectorize(assume_safety)
        for (long j = 0; j < channels; j++) out[j] = k[j] * (g[j] - a[j] - h[j] * b[j]);
    }
}

VARIANTS
void distill_batchnorm_affine(const float *restrict x, long rows, long channels, const float *restrict scale,
                              const float *restrict shift, float *restrict y) {
    for (long r = 0; r < rows; r++) {
        const float *row = x + r * channels;
        float *out = y + r * channels;
#pragma clang loop vectorize(assume_safety)
        for (long j = 0; j < channels; j++) out[j] = row[j] * scale[j] + shift[j];
    }
}
