// Distill's single-precision GEMM for AVX-512F CPUs (see include/distill_gemm.h).
//
// Loop nest (BLIS order): for each NC-column block of op(B), for each KC-deep slice of k,
// pack op(B)[slice, block] into KC x 32 micro-panels (zero-padded; or read them from a buffer
// distill_sgemm_pack filled once, for a right-hand side used by many products); then for each 32-column
// micro-panel and each 14-row block of op(A) (blocked by MC rows for L2), the micro-kernel
// accumulates a 14 x 32 tile in 28 zmm registers (a block's last tile of 8 or 4 rows or fewer
// runs a loop of that height), reading op(A) in place when it is not transposed (a transposed
// A is packed per MC x KC block first), and writes it to C with alpha and beta (masked stores
// at the right edge). The first k slice applies the caller's beta, later slices add (beta 1):
// a fixed summation order.
#include "distill_gemm.h"

#include <cpuid.h>
#include <immintrin.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum { MR = 14, NR = 32, KC = 256, MC = 14 * 24, NC = 4096 };

static int cpu_has_avx512f(void) {
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
    if (!(c & bit_OSXSAVE) || !(c & bit_FMA)) return 0;
    unsigned lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    // XMM, YMM, opmask, ZMM_Hi256 and Hi16_ZMM state enabled by the OS.
    if ((lo & 0xe6) != 0xe6) return 0;
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return 0;
    return (b & bit_AVX512F) != 0;
}

static pthread_once_t detect_once = PTHREAD_ONCE_INIT;
static int detected;
static void detect(void) { detected = cpu_has_avx512f(); }

int distill_gemm_available(void) {
    pthread_once(&detect_once, detect);
    return detected;
}

// One grow-only, 64-byte aligned packing buffer per thread, freed when the thread ends.
static pthread_key_t buffer_key;
static pthread_once_t buffer_once = PTHREAD_ONCE_INIT;
struct pack_buffer { float *data; size_t capacity; };
static void free_buffer(void *p) {
    struct pack_buffer *buffer = p;
    free(buffer->data);
    free(buffer);
}
static void make_key(void) { pthread_key_create(&buffer_key, free_buffer); }

static float *pack_buffer(size_t floats) {
    pthread_once(&buffer_once, make_key);
    struct pack_buffer *buffer = pthread_getspecific(buffer_key);
    if (!buffer) {
        buffer = calloc(1, sizeof *buffer);
        if (!buffer || pthread_setspecific(buffer_key, buffer) != 0) { free(buffer); return NULL; }
    }
    if (buffer->capacity < floats) {
        float *data = aligned_alloc(64, (floats * sizeof(float) + 63) / 64 * 64);
        if (!data) return NULL;
        free(buffer->data);
        buffer->data = data;
        buffer->capacity = floats;
    }
    return buffer->data;
}

// Packs op(B)[p0 ..< p0+kc, j0 ..< j0+nc] into ceil(nc/NR) micro-panels of kc x NR floats.
__attribute__((target("avx512f")))
static void pack_b(int transpose_b, const float *b, long ldb, long p0, long j0, long kc, long nc, float *out) {
    if (!transpose_b) {
        // Row by row of op(B), so the reads run along memory (what the prefetchers follow best),
        // each row's 32-float pieces going to their micro-panels.
        long full = nc / NR * NR;
        for (long p = 0; p < kc; p++) {
            const float *src = b + (p0 + p) * ldb + j0;
            float *dst = out + p * NR;
            long jr = 0;
            for (; jr < full; jr += NR) {
                _mm512_store_ps(dst + jr * kc, _mm512_loadu_ps(src + jr));
                _mm512_store_ps(dst + jr * kc + 16, _mm512_loadu_ps(src + jr + 16));
            }
            if (jr < nc) {
                long cols = nc - jr;
                __mmask16 m0 = cols >= 16 ? 0xffff : (__mmask16)((1u << cols) - 1);
                __mmask16 m1 = cols > 16 ? (__mmask16)((1u << (cols - 16)) - 1) : 0;
                _mm512_store_ps(dst + jr * kc, _mm512_maskz_loadu_ps(m0, src + jr));
                _mm512_store_ps(dst + jr * kc + 16, _mm512_maskz_loadu_ps(m1, src + jr + 16));
            }
        }
        return;
    }
    for (long jr = 0; jr < nc; jr += NR) {
        long cols = nc - jr < NR ? nc - jr : NR;
        float *panel = out + jr * kc;
        if (!transpose_b) {
            __mmask16 m0 = cols >= 16 ? 0xffff : (__mmask16)((1u << cols) - 1);
            __mmask16 m1 = cols >= 32 ? 0xffff : cols > 16 ? (__mmask16)((1u << (cols - 16)) - 1) : 0;
            const float *src = b + p0 * ldb + j0 + jr;
            for (long p = 0; p < kc; p++, src += ldb) {
                _mm512_store_ps(panel + p * NR, _mm512_maskz_loadu_ps(m0, src));
                _mm512_store_ps(panel + p * NR + 16, _mm512_maskz_loadu_ps(m1, src + 16));
            }
        } else if (ldb <= INT32_MAX / NR) {
            // op(B) row p is column p of the stored B: gather it from the panel's 32 stored rows,
            // 16 at a time (rows past `cols` read as zero).
            __mmask16 m0 = cols >= 16 ? 0xffff : (__mmask16)((1u << cols) - 1);
            __mmask16 m1 = cols >= 32 ? 0xffff : cols > 16 ? (__mmask16)((1u << (cols - 16)) - 1) : 0;
            __m512i rows = _mm512_mullo_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                                              _mm512_set1_epi32((int)ldb));
            const float *src = b + (j0 + jr) * ldb + p0, *src16 = src + 16 * ldb;
            for (long p = 0; p < kc; p++) {
                _mm512_store_ps(panel + p * NR, _mm512_mask_i32gather_ps(_mm512_setzero_ps(), m0, rows, src + p, 4));
                _mm512_store_ps(panel + p * NR + 16,
                                m1 ? _mm512_mask_i32gather_ps(_mm512_setzero_ps(), m1, rows, src16 + p, 4) : _mm512_setzero_ps());
            }
        } else {
            if (cols < NR) memset(panel, 0, sizeof(float) * (size_t)(kc * NR));
            for (long j = 0; j < cols; j++) {
                const float *src = b + (j0 + jr + j) * ldb + p0;
                for (long p = 0; p < kc; p++) panel[p * NR + j] = src[p];
            }
        }
    }
}

// Packs op(A)[i0 ..< i0+mc, p0 ..< p0+kc] into ceil(mc/MR) micro-panels of kc x MR floats
// (rows past mc are zero).
static void pack_a(int transpose_a, const float *a, long lda, long i0, long p0, long mc, long kc, float *out) {
    for (long ir = 0; ir < mc; ir += MR) {
        long rows = mc - ir < MR ? mc - ir : MR;
        float *panel = out + ir * kc;
        if (transpose_a) {
            for (long p = 0; p < kc; p++) {
                const float *src = a + (p0 + p) * lda + i0 + ir;
                float *dst = panel + p * MR;
                long i = 0;
                for (; i < rows; i++) dst[i] = src[i];
                for (; i < MR; i++) dst[i] = 0;
            }
        } else {
            if (rows < MR) memset(panel, 0, sizeof(float) * (size_t)(kc * MR));
            for (long i = 0; i < rows; i++) {
                const float *src = a + (i0 + ir + i) * lda + p0;
                for (long p = 0; p < kc; p++) panel[p * MR + i] = src[p];
            }
        }
    }
}

// What the tile store applies after the last k slice: `bias` (NULL: none) for the tile's
// columns, then the leaky rectifier with `slope` (1: identity).
struct epilogue { const float *bias; float slope; };

// The mr x 32 micro-kernel (mr is 14, 8 or 4, a constant in each caller). Row i of the A block
// starts at a + i * rs, element p of a row at + p * cs; rows past `rows` repeat the last row
// (read but never stored, so no read past A).
// When `prefetching` (a constant in each caller, so the loop has no branch: clang spills
// accumulators to the stack around one), step p also asks for the 64-byte line at
// prefetch + 16 p: a hint, never a load, so it cannot change C or fault.
__attribute__((target("avx512f"), always_inline))
static inline void tile(const int mr, long kc, const float *a, long rs, long cs, const float *bp, int prefetching,
                        const float *prefetch, float *c, long ldc, long rows, long cols, float alpha, float beta,
                        const struct epilogue *e) {
    const float *row[MR];
#pragma unroll
    for (int i = 0; i < mr; i++) row[i] = a + (i < rows ? i : rows - 1) * rs;
    __m512 acc[MR][2];
#pragma unroll
    for (int i = 0; i < mr; i++) { acc[i][0] = _mm512_setzero_ps(); acc[i][1] = _mm512_setzero_ps(); }
    for (long p = 0; p < kc; p++) {
        __m512 b0 = _mm512_load_ps(bp), b1 = _mm512_load_ps(bp + 16);
        long offset = p * cs;
#pragma unroll
        for (int i = 0; i < mr; i++) {
            __m512 ai = _mm512_set1_ps(row[i][offset]);
            acc[i][0] = _mm512_fmadd_ps(ai, b0, acc[i][0]);
            acc[i][1] = _mm512_fmadd_ps(ai, b1, acc[i][1]);
        }
        if (prefetching) _mm_prefetch((const char *)(prefetch + p * 16), _MM_HINT_T0);
        bp += NR;
    }
    __mmask16 m0 = cols >= 16 ? 0xffff : (__mmask16)((1u << cols) - 1);
    __mmask16 m1 = cols >= 32 ? 0xffff : cols > 16 ? (__mmask16)((1u << (cols - 16)) - 1) : 0;
    __m512 va = _mm512_set1_ps(alpha), vb = _mm512_set1_ps(beta), zero = _mm512_setzero_ps();
    __m512 bias0 = zero, bias1 = zero, slope = _mm512_set1_ps(e ? e->slope : 1.0f);
    if (e && e->bias) { bias0 = _mm512_maskz_loadu_ps(m0, e->bias); bias1 = _mm512_maskz_loadu_ps(m1, e->bias + 16); }
#pragma unroll
    for (int i = 0; i < mr; i++) {
        if (i >= rows) break;
        float *ci = c + i * ldc;
        __m512 r0 = alpha == 1.0f ? acc[i][0] : _mm512_mul_ps(va, acc[i][0]);
        __m512 r1 = alpha == 1.0f ? acc[i][1] : _mm512_mul_ps(va, acc[i][1]);
        if (beta == 1.0f) {
            r0 = _mm512_add_ps(_mm512_maskz_loadu_ps(m0, ci), r0);
            r1 = _mm512_add_ps(_mm512_maskz_loadu_ps(m1, ci + 16), r1);
        } else if (beta != 0.0f) {
            r0 = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(m0, ci), r0);
            r1 = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(m1, ci + 16), r1);
        }
        if (e) {
            // r + bias, then r > 0 ? r : slope * r: the bits of a separate pass over the stored C.
            if (e->bias) { r0 = _mm512_add_ps(r0, bias0); r1 = _mm512_add_ps(r1, bias1); }
            r0 = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(r0, zero, _CMP_GT_OQ), _mm512_mul_ps(slope, r0), r0);
            r1 = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(r1, zero, _CMP_GT_OQ), _mm512_mul_ps(slope, r1), r1);
        }
        _mm512_mask_storeu_ps(ci, m0, r0);
        _mm512_mask_storeu_ps(ci + 16, m1, r1);
    }
}

// The tile loop for each way of reading A: in place along rows (column stride 1), from a packed
// micro-panel (row stride 1, column stride MR), or in place while prefetching; each has constant
// strides to address. Each comes in three heights: a block's last tile of `rows` < MR rows runs
// the 8- or 4-row loop when that holds it, so a 64-row shard (4 x 14 + 8) computes no row twice.
// Every C element is the same chain in each, so the height never changes a bit.
#define TILE_HEIGHTS(name, params, ...)                                                               \
    __attribute__((target("avx512f"))) static void name##_14 params { tile(MR, __VA_ARGS__); }       \
    __attribute__((target("avx512f"))) static void name##_8 params { tile(8, __VA_ARGS__); }         \
    __attribute__((target("avx512f"))) static void name##_4 params { tile(4, __VA_ARGS__); }
TILE_HEIGHTS(tile_rows, (long kc, const float *a, long rs, const float *bp, float *c, long ldc, long rows, long cols,
                         float alpha, float beta, const struct epilogue *e),
             kc, a, rs, 1, bp, 0, NULL, c, ldc, rows, cols, alpha, beta, e)
TILE_HEIGHTS(tile_packed, (long kc, const float *a, const float *bp, float *c, long ldc, long rows, long cols, float alpha,
                           float beta, const struct epilogue *e),
             kc, a, 1, MR, bp, 0, NULL, c, ldc, rows, cols, alpha, beta, e)
// A is never packed when B is prepacked, so only rows read in place prefetch.
TILE_HEIGHTS(tile_rows_prefetching, (long kc, const float *a, long rs, const float *bp, const float *prefetch, float *c,
                                     long ldc, long rows, long cols, float alpha, float beta, const struct epilogue *e),
             kc, a, rs, 1, bp, 1, prefetch, c, ldc, rows, cols, alpha, beta, e)
#undef TILE_HEIGHTS

// Calls the loop of the smallest height that holds `height` rows (passed on among the arguments).
#define BY_HEIGHT(height, name, ...) \
    ((height) > 8 ? name##_14(__VA_ARGS__) : (height) > 4 ? name##_8(__VA_ARGS__) : name##_4(__VA_ARGS__))

__attribute__((target("avx512f")))
static void scale(float *c, long ldc, long m, long n, float beta) {
    for (long i = 0; i < m; i++) {
        float *ci = c + i * ldc;
        if (beta == 0.0f) memset(ci, 0, sizeof(float) * (size_t)n);
        else for (long j = 0; j < n; j++) ci[j] *= beta;
    }
}

long distill_sgemm_slice_depth(void) { return KC; }

long distill_sgemm_packed_size(long n, long k) { return k * ((n + NR - 1) / NR * NR); }

// Prepacked op(B) holds, for each NC-column block j0 and each KC-deep slice p0, that slice's
// micro-panels (as pack_b writes them), blocks in j0 order and slices in p0 order: the slice
// (j0, p0) starts at j0 * k + p0 * round_up(nc, NR).
static const float *packed_slice(const float *packed, long j0, long p0, long k, long nc) {
    return packed + j0 * k + p0 * ((nc + NR - 1) / NR * NR);
}

// The epilogue over C alone (a product with k = 0): C + bias, then the rectifier.
static void finish(float *c, long ldc, long m, long n, const struct epilogue *e) {
    for (long i = 0; i < m; i++) {
        float *ci = c + i * ldc;
        for (long j = 0; j < n; j++) {
            float v = e->bias ? ci[j] + e->bias[j] : ci[j];
            ci[j] = v > 0.0f ? v : e->slope * v;
        }
    }
}

int distill_sgemm_pack(int transpose_b, long n, long k, const float *b, long ldb, float *packed) {
    if (!distill_gemm_available()) return -1;
    for (long j0 = 0; j0 < n; j0 += NC) {
        long nc = n - j0 < NC ? n - j0 : NC;
        for (long p0 = 0; p0 < k; p0 += KC) {
            long kc = k - p0 < KC ? k - p0 : KC;
            pack_b(transpose_b, b, ldb, p0, j0, kc, nc, (float *)packed_slice(packed, j0, p0, k, nc));
        }
    }
    return 0;
}

// The loop nest of both entry points: op(B) is packed per slice into the thread's buffer, or
// read from `prepacked` (then `b` is unused).
static int multiply(int transpose_a, int transpose_b, long m, long n, long k, float alpha,
                    const float *a, long lda, const float *b, long ldb, const float *prepacked,
                    float beta, float *c, long ldc, const struct epilogue *e) {
    if (!distill_gemm_available()) return -1;
    if (m <= 0 || n <= 0) return 0;
    if (k <= 0 || alpha == 0.0f) {
        if (beta != 1.0f) scale(c, ldc, m, n, beta);
        if (e) finish(c, ldc, m, n, e);
        return 0;
    }
    long ncMax = n < NC ? n : NC;
    long kcMax = k < KC ? k : KC;
    long mcMax = m < MC ? m : MC;
    // op(A) is read in place along rows; along columns (transposed) it is packed first, since
    // a 14-float column slice per k would touch a new cache line at every step.
    int packA = transpose_a;
    size_t bFloats = prepacked ? 0 : (size_t)(kcMax * ((ncMax + NR - 1) / NR * NR));
    size_t aFloats = packA ? (size_t)(kcMax * ((mcMax + MR - 1) / MR * MR)) : 0;
    float *packed = bFloats + aFloats > 0 ? pack_buffer(bFloats + aFloats) : NULL;
    if (bFloats + aFloats > 0 && !packed) return -1;
    float *packedA = packed + bFloats;
    for (long j0 = 0; j0 < n; j0 += NC) {
        long nc = n - j0 < NC ? n - j0 : NC;
        for (long p0 = 0; p0 < k; p0 += KC) {
            long kc = k - p0 < KC ? k - p0 : KC;
            float sliceBeta = p0 == 0 ? beta : 1.0f;
            const float *slice = prepacked ? packed_slice(prepacked, j0, p0, k, nc) : packed;
            if (!prepacked) pack_b(transpose_b, b, ldb, p0, j0, kc, nc, packed);
            for (long ic = 0; ic < m; ic += MC) {
                long mc = m - ic < MC ? m - ic : MC;
                if (packA) pack_a(transpose_a, a, lda, ic, p0, mc, kc, packedA);
                for (long jr = 0; jr < nc; jr += NR) {
                    long cols = nc - jr < NR ? nc - jr : NR;
                    const float *bp = slice + jr * kc;
                    // The epilogue goes with the last k slice only.
                    struct epilogue columns = { e && e->bias ? e->bias + j0 + jr : NULL, e ? e->slope : 1.0f };
                    const struct epilogue *last = e && p0 + kc >= k ? &columns : NULL;
                    // A prepacked B comes from memory, since nothing has touched it this call: the
                    // first two row tiles fetch the next micro-panel (kc x NR floats, 2 kc lines,
                    // stored right after this one), one line per k step, so the panel is in L1
                    // when its first tile starts instead of stalling that tile on every line.
                    // A panel packed this call is still in cache.
                    int lastPanel = p0 + kc >= k && jr + NR >= nc && j0 + nc >= n;
                    const float *next = prepacked && !lastPanel ? bp + NR * kc : NULL;
                    for (long ir = 0; ir < mc; ir += MR) {
                        long rows = mc - ir < MR ? mc - ir : MR;
                        float *cblock = c + (ic + ir) * ldc + j0 + jr;
                        const float *prefetch = next && ir < 2 * MR ? next + ir / MR * kc * 16 : NULL;
                        if (packA) BY_HEIGHT(rows, tile_packed, kc, packedA + ir * kc, bp, cblock, ldc, rows, cols, alpha, sliceBeta, last);
                        else if (prefetch)
                            BY_HEIGHT(rows, tile_rows_prefetching, kc, a + (ic + ir) * lda + p0, lda, bp, prefetch, cblock, ldc, rows, cols,
                                      alpha, sliceBeta, last);
                        else BY_HEIGHT(rows, tile_rows, kc, a + (ic + ir) * lda + p0, lda, bp, cblock, ldc, rows, cols, alpha, sliceBeta, last);
                    }
                }
            }
        }
    }
    return 0;
}

int distill_sgemm(int transpose_a, int transpose_b, long m, long n, long k, float alpha,
                  const float *a, long lda, const float *b, long ldb, float beta,
                  float *c, long ldc) {
    return multiply(transpose_a, transpose_b, m, n, k, alpha, a, lda, b, ldb, NULL, beta, c, ldc, NULL);
}

int distill_sgemm_packed(long m, long n, long k, const float *a, long lda, const float *packed_b,
                         const float *bias, float slope, float *c, long ldc) {
    // A is read in place and B is packed: no buffer, so this cannot fail once the kernel runs.
    struct epilogue e = { bias, slope };
    return multiply(0, 0, m, n, k, 1.0f, a, lda, NULL, 0, packed_b, 0.0f, c, ldc, &e);
}
