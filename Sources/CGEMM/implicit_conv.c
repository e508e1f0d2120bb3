// Convolution as an implicit GEMM for layers with few input channels (the first layer's 3):
// the 14 x 32 GEMM kernel's arithmetic, reading each output pixel's patch in place from a
// zero-padded copy of the image instead of from an im2col row (see include/distill_gemm.h).
#include "distill_gemm.h"

#include <immintrin.h>
#include <string.h>

// A register tile: PX output pixels of one row x 32 output channels (24 zmm accumulators).
enum { PX = 12, NR = 32, KC = 256 };

// Output row `oy` of one image, pixels ox0 ..< ox0 + pixels, channels co0 ..< co0 + cols:
// acc = Σ_tap xpad[oy + ki, ox + kj, c] * w[tap, co] as one FMA chain in tap order (ki, kj, c),
// then + bias and the rectifier, as the GEMM kernel's epilogue does.
__attribute__((target("avx512f")))
static void tile(const float *xpad, long paddedWidth, long channels, long kernel, const float *w, long filters,
                 long co0, long cols, long pixels, const float *bias, float slope, float *y) {
    __mmask16 m0 = cols >= 16 ? 0xffff : (__mmask16)((1u << cols) - 1);
    __mmask16 m1 = cols >= 32 ? 0xffff : cols > 16 ? (__mmask16)((1u << (cols - 16)) - 1) : 0;
    long offset[PX];
    for (int i = 0; i < PX; i++) offset[i] = (i < pixels ? i : pixels - 1) * channels;  // extra lanes repeat the last pixel
    __m512 acc[PX][2];
#pragma unroll
    for (int i = 0; i < PX; i++) { acc[i][0] = _mm512_setzero_ps(); acc[i][1] = _mm512_setzero_ps(); }
    const float *wt = w + co0;
    for (long ki = 0; ki < kernel; ki++) {
        for (long kj = 0; kj < kernel; kj++) {
            const float *patch = xpad + (ki * paddedWidth + kj) * channels;
            for (long c = 0; c < channels; c++, wt += filters) {
                __m512 b0 = _mm512_maskz_loadu_ps(m0, wt), b1 = _mm512_maskz_loadu_ps(m1, wt + 16);
#pragma unroll
                for (int i = 0; i < PX; i++) {
                    __m512 xi = _mm512_set1_ps(patch[offset[i] + c]);
                    acc[i][0] = _mm512_fmadd_ps(xi, b0, acc[i][0]);
                    acc[i][1] = _mm512_fmadd_ps(xi, b1, acc[i][1]);
                }
            }
        }
    }
    __m512 zero = _mm512_setzero_ps(), vslope = _mm512_set1_ps(slope);
    __m512 bias0 = zero, bias1 = zero;
    if (bias) { bias0 = _mm512_maskz_loadu_ps(m0, bias + co0); bias1 = _mm512_maskz_loadu_ps(m1, bias + co0 + 16); }
#pragma unroll
    for (int i = 0; i < PX; i++) {
        if (i >= pixels) break;
        __m512 r0 = acc[i][0], r1 = acc[i][1];
        if (bias) { r0 = _mm512_add_ps(r0, bias0); r1 = _mm512_add_ps(r1, bias1); }
        r0 = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(r0, zero, _CMP_GT_OQ), _mm512_mul_ps(vslope, r0), r0);
        r1 = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(r1, zero, _CMP_GT_OQ), _mm512_mul_ps(vslope, r1), r1);
        _mm512_mask_storeu_ps(y + i * filters + co0, m0, r0);
        _mm512_mask_storeu_ps(y + i * filters + co0 + 16, m1, r1);
    }
}

int distill_conv_implicit(long samples, long height, long width, long channels, long kernel, long pad_top, long pad_left,
                          long out_height, long out_width, const float *x, const float *w, long filters,
                          const float *bias, float slope, float *padded, float *y) {
    if (!distill_gemm_available() || kernel * kernel * channels > KC) return -1;
    long paddedHeight = out_height + kernel - 1, paddedWidth = out_width + kernel - 1;
    for (long n = 0; n < samples; n++) {
        // padded[r, q] = x[r - pad_top, q - pad_left], zero outside the image.
        const float *image = x + n * height * width * channels;
        memset(padded, 0, sizeof(float) * (size_t)(paddedHeight * paddedWidth * channels));
        for (long r = 0; r < paddedHeight; r++) {
            long row = r - pad_top;
            if (row < 0 || row >= height) continue;
            long first = pad_left > 0 ? pad_left : 0, source = first - pad_left;
            long count = width - source < paddedWidth - first ? width - source : paddedWidth - first;
            if (count > 0) memcpy(padded + (r * paddedWidth + first) * channels, image + (row * width + source) * channels,
                                  sizeof(float) * (size_t)(count * channels));
        }
        float *out = y + n * out_height * out_width * filters;
        for (long oy = 0; oy < out_height; oy++) {
            for (long ox = 0; ox < out_width; ox += PX) {
                long pixels = out_width - ox < PX ? out_width - ox : PX;
                const float *xpad = padded + (oy * paddedWidth + ox) * channels;
                for (long co = 0; co < filters; co += NR) {
                    long cols = filters - co < NR ? filters - co : NR;
                    tile(xpad, paddedWidth, channels, kernel, w, filters, co, cols, pixels, bias, slope,
                         out + (oy * out_width + ox) * filters);
                }
            }
        }
    }
    return 0;
}
