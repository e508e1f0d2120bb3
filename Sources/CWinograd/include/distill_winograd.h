#ifndef DISTILL_WINOGRAD_H
#define DISTILL_WINOGRAD_H

/// The three transforms of Winograd's minimal filtering F(4x4, 3x3) (Lavin & Gray 2016) over
/// NHWC channel rows: every function works on all `channels` of one tile (or kernel tap) at
/// once, so its inner loops run over contiguous floats. The GEMMs between the transforms are the
/// caller's. Each function is compiled for AVX-512F, AVX2 and baseline x86-64 and picked at load
/// time; floating-point contraction is off, so every variant computes the same bits.
///
/// With 1-D matrices
///   G  = [[1/4, 0, 0], [-1/6, -1/6, -1/6], [-1/6, 1/6, -1/6], [1/24, 1/12, 1/6], [1/24, -1/12, 1/6], [0, 0, 1]]
///   Bt = [[4, 0, -5, 0, 1, 0], [0, -4, -4, 1, 1, 0], [0, 4, -4, -1, 1, 0],
///         [0, -2, -1, 2, 1, 0], [0, 2, -1, -2, 1, 0], [0, 4, 0, -5, 0, 1]]
///   At = [[1, 1, 1, 1, 1, 0], [0, 1, -1, 2, -2, 0], [0, 1, 1, 4, 4, 0], [0, 1, -1, 8, -8, 1]]
/// a 4x4 output tile of the cross-correlation of a 6x6 input tile d with a 3x3 kernel g is
/// At [(G g Gt) .* (Bt d B)] A. The 36 elements of a transformed tile are numbered
/// xi = 6 * row + column and stored `plane` floats apart.

/// `u[xi * pairs + p] = (G g_p Gt)[xi]` for the `pairs` kernels of an HWIO 3x3 kernel:
/// tap (r, c) of kernel p is `g[(3 * r + c) * pairs + p]`.
void distill_winograd_kernel(const float *g, long pairs, float *u);

/// `v[xi * plane + c] = (Bt d_c B)[xi]` for one 6x6 input tile: pixel (r, c) of the tile starts
/// at `d + r * row_stride + c * pixel_stride` and holds `channels` floats.
void distill_winograd_input(const float *d, long row_stride, long pixel_stride, long channels,
                            float *v, long plane);

/// One 4x4 output tile from its 36 products `m[xi * plane + c]`: `y = At m A`, then
/// `y + bias[c]` (bias may be NULL), then `y > 0 ? y : slope * y` (slope 1: identity). Only
/// the first `rows` x `columns` outputs are written (fewer than 4 at an odd image edge); output
/// (r, c) starts at `y + r * row_stride + c * channels`.
void distill_winograd_output(const float *m, long plane, long channels, const float *bias,
                             float slope, float *y, long row_stride, int rows, int columns);

#endif
