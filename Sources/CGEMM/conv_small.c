// Direct convolutions for inputs with few channels (see include/distill_conv.h).
//
// Both kernels read a zero-padded copy of the samples (`scratch`), so padding taps are real
// zeros, as im2col writes them, and every tap of every window is at a fixed offset from the
// window's first element (`taps`). The forward computes PIXELS output pixels of one output row
// at once, all filters in VECTORS zmm registers each; the kernel gradient computes GROUP taps
// of the kernel at once over a slice of output pixels. Each accumulator is one FMA chain in the
// order of gemm.c's micro-kernel, and the stores apply the same epilogue, so the bits are those
// of im2col + distill_sgemm.
#include "distill_conv.h"
#include "distill_gemm.h"

#include <immintrin.h>
#include <string.h>

enum { SLICE = 256, MAX_TAPS = 256, MAX_FILTERS = 64 };

static long padded_height(const struct distill_conv_geometry *g) { return (g->out_height - 1) * g->stride + g->kernel; }
static long padded_width(const struct distill_conv_geometry *g) { return (g->out_width - 1) * g->stride + g->kernel; }

long distill_conv_small_scratch(const struct distill_conv_geometry *g, long samples) {
    return samples * padded_height(g) * padded_width(g) * g->channels;
}

static int supported(const struct distill_conv_geometry *g, long filters) {
    long taps = g->kernel * g->kernel * g->channels;
    return distill_gemm_available() && filters >= 1 && filters <= MAX_FILTERS && taps >= 1 && taps <= MAX_TAPS
        && g->stride >= 1 && g->out_height >= 1 && g->out_width >= 1;
}

// Copies `samples` samples of x into `out` with the padding as zeros: rows -pad_top ..< and
// columns -pad_left ..< of each sample, padded_height x padded_width pixels.
static void pad(const struct distill_conv_geometry *g, const float *x, long samples, float *out) {
    long hp = padded_height(g), wp = padded_width(g), c = g->channels;
    long columns = g->width < wp - g->pad_left ? g->width : wp - g->pad_left;
    for (long n = 0; n < samples; n++) {
        const float *sample = x + n * g->height * g->width * c;
        for (long py = 0; py < hp; py++, out += wp * c) {
            long iy = py - g->pad_top;
            memset(out, 0, sizeof(float) * (size_t)(wp * c));
            if (iy >= 0 && iy < g->height && columns > 0) memcpy(out + g->pad_left * c, sample + iy * g->width * c, sizeof(float) * (size_t)(columns * c));
        }
    }
}

// The offset of each tap (row, column, channel order: an HWIO kernel's rows) from its window's
// first element in the padded copy.
static void tap_offsets(const struct distill_conv_geometry *g, long *taps) {
    long wp = padded_width(g), c = g->channels, t = 0;
    for (long ky = 0; ky < g->kernel; ky++)
        for (long kx = 0; kx < g->kernel; kx++)
            for (long ch = 0; ch < c; ch++) taps[t++] = (ky * wp + kx) * c + ch;
}

// Mask of the last of `vectors` 16-float vectors covering `filters` floats.
static __mmask16 last_mask(long filters, int vectors) {
    long rest = filters - 16 * (vectors - 1);
    return rest >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << rest) - 1);
}

// The mask of vector `v` of `vectors` covering the filters: all lanes but in the last one.
static inline __mmask16 vector_mask(int v, int vectors, __mmask16 last) { return v == vectors - 1 ? last : (__mmask16)0xffff; }

// Up to PIXELS output pixels (`count`; the others repeat the last one and are not stored) whose
// windows start at `window[p]`, into `out[p]`.
__attribute__((target("avx512f"), always_inline))
static inline void forward_pixels(const int VECTORS, const int PIXELS, long taps, const long *offsets, const float *w, long filters,
                                  __mmask16 last, const float *const *window, float *const *out, long count, const float *bias,
                                  float slope) {
    __m512 acc[24][4];
#pragma unroll
    for (int p = 0; p < PIXELS; p++)
#pragma unroll
        for (int v = 0; v < VECTORS; v++) acc[p][v] = _mm512_setzero_ps();
    for (long t = 0; t < taps; t++, w += filters) {
        __m512 wv[4];
#pragma unroll
        for (int v = 0; v < VECTORS; v++) wv[v] = _mm512_maskz_loadu_ps(vector_mask(v, VECTORS, last), w + 16 * v);
        long offset = offsets[t];
#pragma unroll
        for (int p = 0; p < PIXELS; p++) {
            __m512 a = _mm512_set1_ps(window[p][offset]);
#pragma unroll
            for (int v = 0; v < VECTORS; v++) acc[p][v] = _mm512_fmadd_ps(a, wv[v], acc[p][v]);
        }
    }
    __m512 zero = _mm512_setzero_ps(), vslope = _mm512_set1_ps(slope), vbias[4];
#pragma unroll
    for (int v = 0; v < VECTORS; v++) vbias[v] = bias ? _mm512_maskz_loadu_ps(vector_mask(v, VECTORS, last), bias + 16 * v) : zero;
#pragma unroll
    for (int p = 0; p < PIXELS; p++) {
        if (p >= count) break;
#pragma unroll
        for (int v = 0; v < VECTORS; v++) {
            // gemm.c's epilogue: + bias, then r > 0 ? r : slope * r.
            __m512 r = acc[p][v];
            if (bias) r = _mm512_add_ps(r, vbias[v]);
            r = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(r, zero, _CMP_GT_OQ), _mm512_mul_ps(vslope, r), r);
            _mm512_mask_storeu_ps(out[p] + 16 * v, vector_mask(v, VECTORS, last), r);
        }
    }
}

// One padded sample's output rows, PIXELS pixels at a time.
__attribute__((target("avx512f"), always_inline))
static inline void forward_sample(const int VECTORS, const int PIXELS, const struct distill_conv_geometry *g, const float *padded,
                                  long taps, const long *offsets, const float *w, long filters, const float *bias, float slope, float *y) {
    long wp = padded_width(g), c = g->channels, s = g->stride;
    __mmask16 last = last_mask(filters, VECTORS);
    for (long oy = 0; oy < g->out_height; oy++) {
        const float *row = padded + oy * s * wp * c;
        float *yrow = y + oy * g->out_width * filters;
        for (long ox = 0; ox < g->out_width; ox += PIXELS) {
            long count = g->out_width - ox < PIXELS ? g->out_width - ox : PIXELS;
            const float *window[24];
            float *out[24];
#pragma unroll
            for (int p = 0; p < PIXELS; p++) {
                long q = ox + (p < count ? p : count - 1);
                window[p] = row + q * s * c;
                out[p] = yrow + q * filters;
            }
            forward_pixels(VECTORS, PIXELS, taps, offsets, w, filters, last, window, out, count, bias, slope);
        }
    }
}

// One entry per filter vector count, each specialised: 24 accumulators in all.
#define FORWARD(VECTORS, PIXELS)                                                                                          \
    __attribute__((target("avx512f"))) static void forward_##VECTORS(                                                      \
        const struct distill_conv_geometry *g, const float *padded, long taps, const long *offsets, const float *w,         \
        long filters, const float *bias, float slope, float *y) {                                                           \
        forward_sample(VECTORS, PIXELS, g, padded, taps, offsets, w, filters, bias, slope, y);                              \
    }
FORWARD(1, 24)
FORWARD(2, 12)
FORWARD(3, 8)
FORWARD(4, 6)

int distill_conv_small_forward(const struct distill_conv_geometry *g, const float *x, long samples, const float *w,
                               long filters, const float *bias, float slope, float *y, float *scratch) {
    if (!supported(g, filters)) return -1;
    long taps = g->kernel * g->kernel * g->channels, offsets[MAX_TAPS];
    tap_offsets(g, offsets);
    int vectors = (int)((filters + 15) / 16);
    for (long n = 0; n < samples; n++) {
        pad(g, x + n * g->height * g->width * g->channels, 1, scratch);
        float *yn = y + n * g->out_height * g->out_width * filters;
        switch (vectors) {
        case 1: forward_1(g, scratch, taps, offsets, w, filters, bias, slope, yn); break;
        case 2: forward_2(g, scratch, taps, offsets, w, filters, bias, slope, yn); break;
        case 3: forward_3(g, scratch, taps, offsets, w, filters, bias, slope, yn); break;
        default: forward_4(g, scratch, taps, offsets, w, filters, bias, slope, yn); break;
        }
    }
    return 0;
}

// dw rows first ..< first + count (count <= GROUP) += Σ over `rows` output pixels, from pixel
// `start` (sample-local index `pixel` of padded sample `sample`) on, of window value · dy row.
__attribute__((target("avx512f"), always_inline))
static inline void gradient_group(const int VECTORS, const int GROUP, const struct distill_conv_geometry *g, const float *padded,
                                  long sample, long pixel, long rows, const long *offsets, long first, long count,
                                  const float *dy, long filters, float *dw) {
    long wp = padded_width(g), c = g->channels, s = g->stride, sampleFloats = padded_height(g) * wp * c;
    long oy = pixel / g->out_width, ox = pixel % g->out_width;
    __mmask16 last = last_mask(filters, VECTORS);
    long tap[28];
#pragma unroll
    for (int i = 0; i < GROUP; i++) tap[i] = offsets[first + (i < count ? i : count - 1)];
    __m512 acc[28][4];
#pragma unroll
    for (int i = 0; i < GROUP; i++)
#pragma unroll
        for (int v = 0; v < VECTORS; v++) acc[i][v] = _mm512_setzero_ps();
    for (long r = 0; r < rows; r++, dy += filters) {
        const float *window = padded + sample * sampleFloats + (oy * s * wp + ox * s) * c;
        __m512 d[4];
#pragma unroll
        for (int v = 0; v < VECTORS; v++) d[v] = _mm512_maskz_loadu_ps(vector_mask(v, VECTORS, last), dy + 16 * v);
#pragma unroll
        for (int i = 0; i < GROUP; i++) {
            __m512 a = _mm512_set1_ps(window[tap[i]]);
#pragma unroll
            for (int v = 0; v < VECTORS; v++) acc[i][v] = _mm512_fmadd_ps(a, d[v], acc[i][v]);
        }
        if (++ox == g->out_width) {
            ox = 0;
            if (++oy == g->out_height) { oy = 0; sample++; }
        }
    }
#pragma unroll
    for (int i = 0; i < GROUP; i++) {
        if (i >= count) break;
        float *row = dw + (first + i) * filters;
#pragma unroll
        for (int v = 0; v < VECTORS; v++) {
            __mmask16 m = vector_mask(v, VECTORS, last);
            // gemm.c's beta-1 store: C + acc.
            _mm512_mask_storeu_ps(row + 16 * v, m, _mm512_add_ps(_mm512_maskz_loadu_ps(m, row + 16 * v), acc[i][v]));
        }
    }
}

#define GRADIENT(VECTORS, GROUP)                                                                                          \
    __attribute__((target("avx512f"))) static void gradient_##VECTORS(                                                     \
        const struct distill_conv_geometry *g, const float *padded, long sample, long pixel, long rows, const long *offsets, \
        long first, long count, const float *dy, long filters, float *dw) {                                                 \
        gradient_group(VECTORS, GROUP, g, padded, sample, pixel, rows, offsets, first, count, dy, filters, dw);             \
    }
GRADIENT(1, 28)
GRADIENT(2, 14)
GRADIENT(3, 9)
GRADIENT(4, 7)

int distill_conv_small_kernel_gradient(const struct distill_conv_geometry *g, const float *x, long samples, long chunk_samples,
                                       const float *dy, long filters, float *dw, float *scratch) {
    if (!supported(g, filters) || chunk_samples < 1) return -1;
    long taps = g->kernel * g->kernel * g->channels, offsets[MAX_TAPS];
    tap_offsets(g, offsets);
    int vectors = (int)((filters + 15) / 16);
    static const int groups[5] = { 0, 28, 14, 9, 7 };
    int group = groups[vectors];
    long pixels = g->out_height * g->out_width, sampleFloats = g->height * g->width * g->channels;
    for (long start = 0; start < samples; start += chunk_samples) {
        long chunk = samples - start < chunk_samples ? samples - start : chunk_samples, rows = chunk * pixels;
        pad(g, x + start * sampleFloats, chunk, scratch);
        const float *dyChunk = dy + start * pixels * filters;
        // As distill_sgemm runs this chunk's product: slices of SLICE rows, each added to dw.
        for (long slice = 0; slice < rows; slice += SLICE) {
            long count = rows - slice < SLICE ? rows - slice : SLICE;
            long sample = slice / pixels, pixel = slice % pixels;
            for (long first = 0; first < taps; first += group) {
                long n = taps - first < group ? taps - first : group;
                const float *d = dyChunk + slice * filters;
                switch (vectors) {
                case 1: gradient_1(g, scratch, sample, pixel, count, offsets, first, n, d, filters, dw); break;
                case 2: gradient_2(g, scratch, sample, pixel, count, offsets, first, n, d, filters, dw); break;
                case 3: gradient_3(g, scratch, sample, pixel, count, offsets, first, n, d, filters, dw); break;
                default: gradient_4(g, scratch, sample, pixel, count, offsets, first, n, d, filters, dw); break;
                }
            }
        }
    }
    return 0;
}
