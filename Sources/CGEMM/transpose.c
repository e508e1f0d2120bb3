// Out-of-place transpose of a float matrix, in 16 x 16 blocks transposed in zmm registers
// (see include/distill_gemm.h). Moves values only, so its result has exactly the input's bits.
#include "distill_gemm.h"

#include <immintrin.h>

// Transposes the 16 x 16 block at src (row stride lds) into dst (row stride ldd): four rounds
// of interleaving (32-bit pairs, 64-bit pairs, 128-bit lanes, 256-bit halves).
__attribute__((target("avx512f")))
static void block16(const float *src, long lds, float *dst, long ldd) {
    __m512 r[16], t[16];
    for (int i = 0; i < 16; i++) r[i] = _mm512_loadu_ps(src + i * lds);
    for (int i = 0; i < 16; i += 2) {
        t[i] = _mm512_unpacklo_ps(r[i], r[i + 1]);
        t[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]);
    }
    for (int i = 0; i < 16; i += 4) {
        for (int j = 0; j < 2; j++) {
            __m512d lo = _mm512_castps_pd(t[i + j]), hi = _mm512_castps_pd(t[i + j + 2]);
            r[i + 2 * j] = _mm512_castpd_ps(_mm512_unpacklo_pd(lo, hi));
            r[i + 2 * j + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(lo, hi));
        }
    }
    // r[4q + m] now holds, in each 128-bit lane l, the four elements of column 4l + m of rows
    // 4q ..< 4q + 4. Gather the lanes: first pairs of row groups, then the two halves.
    for (int i = 0; i < 16; i += 8) {
        for (int m = 0; m < 4; m++) {
            t[i + m] = _mm512_shuffle_f32x4(r[i + m], r[i + 4 + m], 0x88);
            t[i + 4 + m] = _mm512_shuffle_f32x4(r[i + m], r[i + 4 + m], 0xdd);
        }
    }
    for (int m = 0; m < 8; m++) {
        r[m] = _mm512_shuffle_f32x4(t[m], t[8 + m], 0x88);
        r[8 + m] = _mm512_shuffle_f32x4(t[m], t[8 + m], 0xdd);
    }
    for (int i = 0; i < 16; i++) _mm512_storeu_ps(dst + i * ldd, r[i]);
}

__attribute__((target("avx512f")))
static void transpose_avx512(long rows, long cols, const float *src, long lds, float *dst, long ldd) {
    long fullRows = rows / 16 * 16, fullCols = cols / 16 * 16;
    for (long r0 = 0; r0 < fullRows; r0 += 16)
        for (long c0 = 0; c0 < fullCols; c0 += 16) block16(src + r0 * lds + c0, lds, dst + c0 * ldd + r0, ldd);
    // The edges: columns past the last full block of every row, then rows past the last full block.
    for (long r = 0; r < fullRows; r++)
        for (long c = fullCols; c < cols; c++) dst[c * ldd + r] = src[r * lds + c];
    for (long r = fullRows; r < rows; r++)
        for (long c = 0; c < cols; c++) dst[c * ldd + r] = src[r * lds + c];
}

int distill_transpose(long rows, long cols, const float *src, long lds, float *dst, long ldd) {
    if (!distill_gemm_available()) return -1;
    transpose_avx512(rows, cols, src, lds, dst, ldd);
    return 0;
}
