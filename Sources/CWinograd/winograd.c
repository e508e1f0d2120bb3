// Winograd F(4x4, 3x3) transforms (see include/distill_winograd.h).
//
// Each 2-D transform is two passes of the 1-D one over a block of up to BLOCK channels: first
// down the tile's columns into a 6x6xBLOCK scratch on the stack (L1), then along its rows. The
// innermost loops run over channels, so each variant vectorises them at its own width; with
// contraction off the per-element arithmetic is the same in every variant.
#include "distill_winograd.h"

#include <stddef.h>

#pragma clang fp contract(off)

#define VARIANTS __attribute__((target_clones("avx512f", "avx2", "default")))

enum { BLOCK = 64 };

// The 1-D kernel transform G g of one kernel row or column (g0, g1, g2).
struct six { float v0, v1, v2, v3, v4, v5; };
static inline __attribute__((always_inline))
struct six kernel_1d(float g0, float g1, float g2) {
    return (struct six){
        0.25f * g0,
        -(g0 + g1 + g2) / 6.0f,
        -(g0 - g1 + g2) / 6.0f,
        g0 / 24.0f + g1 / 12.0f + g2 / 6.0f,
        g0 / 24.0f - g1 / 12.0f + g2 / 6.0f,
        g2,
    };
}

// Row r of G g Gt from the three transformed kernel columns, stored `pairs` floats apart.
static inline __attribute__((always_inline))
void kernel_row(float g0, float g1, float g2, float *restrict u, long pairs) {
    struct six row = kernel_1d(g0, g1, g2);
    u[0] = row.v0; u[pairs] = row.v1; u[2 * pairs] = row.v2;
    u[3 * pairs] = row.v3; u[4 * pairs] = row.v4; u[5 * pairs] = row.v5;
}

VARIANTS
void distill_winograd_kernel(const float *restrict g, long pairs, float *restrict u) {
    // G g Gt: first down the kernel's three columns, then along the six rows of the result. The
    // loop over kernels p runs over contiguous floats, and its 36 output planes never overlap.
#pragma clang loop vectorize(assume_safety)
    for (long p = 0; p < pairs; p++) {
        struct six c0 = kernel_1d(g[p], g[3 * pairs + p], g[6 * pairs + p]);
        struct six c1 = kernel_1d(g[pairs + p], g[4 * pairs + p], g[7 * pairs + p]);
        struct six c2 = kernel_1d(g[2 * pairs + p], g[5 * pairs + p], g[8 * pairs + p]);
        kernel_row(c0.v0, c1.v0, c2.v0, u + p, pairs);
        kernel_row(c0.v1, c1.v1, c2.v1, u + 6 * pairs + p, pairs);
        kernel_row(c0.v2, c1.v2, c2.v2, u + 12 * pairs + p, pairs);
        kernel_row(c0.v3, c1.v3, c2.v3, u + 18 * pairs + p, pairs);
        kernel_row(c0.v4, c1.v4, c2.v4, u + 24 * pairs + p, pairs);
        kernel_row(c0.v5, c1.v5, c2.v5, u + 30 * pairs + p, pairs);
    }
}

// The 1-D input transform Bt d of one tile column or row (d0 ... d5).
static inline __attribute__((always_inline))
struct six input_1d(float d0, float d1, float d2, float d3, float d4, float d5) {
    return (struct six){
        4.0f * d0 - 5.0f * d2 + d4,
        (d3 + d4) - 4.0f * (d1 + d2),
        (d4 - d3) + 4.0f * (d1 - d2),
        (d4 - d2) + 2.0f * (d3 - d1),
        (d4 - d2) + 2.0f * (d1 - d3),
        4.0f * d1 - 5.0f * d3 + d5,
    };
}

VARIANTS
void distill_winograd_input(const float *d, long row_stride, long pixel_stride, long channels,
                            float *v, long plane) {
    float t[6][6][BLOCK];  // Bt d: t[row][column][channel]
    for (long c0 = 0; c0 < channels; c0 += BLOCK) {
        long width = channels - c0 < BLOCK ? channels - c0 : BLOCK;
        for (int j = 0; j < 6; j++) {
            const float *p = d + j * pixel_stride + c0;
            for (long c = 0; c < width; c++) {
                struct six r = input_1d(p[c], p[row_stride + c], p[2 * row_stride + c],
                                        p[3 * row_stride + c], p[4 * row_stride + c], p[5 * row_stride + c]);
                t[0][j][c] = r.v0; t[1][j][c] = r.v1; t[2][j][c] = r.v2;
                t[3][j][c] = r.v3; t[4][j][c] = r.v4; t[5][j][c] = r.v5;
            }
        }
        for (int i = 0; i < 6; i++) {
            float *out = v + 6 * i * plane + c0;
            for (long c = 0; c < width; c++) {
                struct six r = input_1d(t[i][0][c], t[i][1][c], t[i][2][c], t[i][3][c], t[i][4][c], t[i][5][c]);
                out[c] = r.v0; out[plane + c] = r.v1; out[2 * plane + c] = r.v2;
                out[3 * plane + c] = r.v3; out[4 * plane + c] = r.v4; out[5 * plane + c] = r.v5;
            }
        }
    }
}

// The 1-D output transform At m of one product column or row (m0 ... m5).
struct four { float v0, v1, v2, v3; };
static inline __attribute__((always_inline))
struct four output_1d(float m0, float m1, float m2, float m3, float m4, float m5) {
    float sum12 = m1 + m2, difference12 = m1 - m2, sum34 = m3 + m4, difference34 = m3 - m4;
    return (struct four){
        m0 + sum12 + sum34,
        difference12 + 2.0f * difference34,
        sum12 + 4.0f * sum34,
        difference12 + 8.0f * difference34 + m5,
    };
}

// Row r of a tile's output (At m A) for one channel block: `t` holds At m. `add_bias` and
// `columns` are constants at each call, so each copy is a branch-free loop over channels.
static inline __attribute__((always_inline))
void output_row(const float t[6][BLOCK], long width, const float *bias, int add_bias, float slope,
                float *out, long channels, int columns) {
    for (long c = 0; c < width; c++) {
        struct four o = output_1d(t[0][c], t[1][c], t[2][c], t[3][c], t[4][c], t[5][c]);
        float b = add_bias ? bias[c] : 0.0f;
        float o0 = o.v0, o1 = o.v1, o2 = o.v2, o3 = o.v3;
        if (add_bias) { o0 += b; o1 += b; o2 += b; o3 += b; }
        out[c] = o0 > 0.0f ? o0 : slope * o0;
        if (columns > 1) out[channels + c] = o1 > 0.0f ? o1 : slope * o1;
        if (columns > 2) out[2 * channels + c] = o2 > 0.0f ? o2 : slope * o2;
        if (columns > 3) out[3 * channels + c] = o3 > 0.0f ? o3 : slope * o3;
    }
}

VARIANTS
void distill_winograd_output(const float *m, long plane, long channels, const float *bias,
                             float slope, float *y, long row_stride, int rows, int columns) {
    float t[4][6][BLOCK];  // At m: t[row][column][channel]
    for (long c0 = 0; c0 < channels; c0 += BLOCK) {
        long width = channels - c0 < BLOCK ? channels - c0 : BLOCK;
        for (int j = 0; j < 6; j++) {
            const float *p = m + j * plane + c0;
            for (long c = 0; c < width; c++) {
                struct four o = output_1d(p[c], p[6 * plane + c], p[12 * plane + c],
                                          p[18 * plane + c], p[24 * plane + c], p[30 * plane + c]);
                t[0][j][c] = o.v0; t[1][j][c] = o.v1; t[2][j][c] = o.v2; t[3][j][c] = o.v3;
            }
        }
        for (int r = 0; r < rows; r++) {
            float *out = y + r * row_stride + c0;
            if (bias && columns == 4) output_row(t[r], width, bias + c0, 1, slope, out, channels, 4);
            else if (columns == 4) output_row(t[r], width, NULL, 0, slope, out, channels, 4);
            else if (bias) output_row(t[r], width, bias + c0, 1, slope, out, channels, columns);
            else output_row(t[r], width, NULL, 0, slope, out, channels, columns);
        }
    }
}
