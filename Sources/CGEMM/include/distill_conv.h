#ifndef DISTILL_CONV_H
#define DISTILL_CONV_H

/// Direct convolutions for inputs with few channels (an image's first layer), on AVX-512F CPUs.
/// Each computes the very bits of im2col followed by Distill's sgemm (distill_gemm.h): every
/// output is one chain of FMAs over the window's taps in (row, column, channel) order, padding
/// taps included as zeros, so a network gives the same results with or without them. They read
/// the input in place from a zero-padded copy instead of building im2col rows of 27-odd floats
/// that the GEMM's micro-kernel would take in short, inefficient products.

/// The window of a convolution over NHWC samples of `height x width x channels`: a square
/// kernel of side `kernel`, `stride`, `pad_top` / `pad_left` rows and columns of zero padding
/// before the input, and an `out_height x out_width` output.
struct distill_conv_geometry {
    long height, width, channels, kernel, stride, pad_top, pad_left, out_height, out_width;
};

/// Floats of scratch distill_conv_small_forward and distill_conv_small_kernel_gradient need for
/// `samples` samples at once (a zero-padded copy of them).
long distill_conv_small_scratch(const struct distill_conv_geometry *g, long samples);

/// `y [samples, OH, OW, filters] = act(conv(x, w) + bias)`, with `w` the `[k, k, C, filters]`
/// kernel, `bias` NULL or `[filters]`, `act(v) = v > 0 ? v : slope * v` (slope 1: identity):
/// the bits of im2col + distill_sgemm_packed. `scratch`: distill_conv_small_scratch(g, 1) floats.
/// Needs filters <= 64 and k*k*C <= 256. Returns 0, or -1 when the kernel or the shape is not
/// supported (y unchanged).
int distill_conv_small_forward(const struct distill_conv_geometry *g, const float *x, long samples, const float *w,
                               long filters, const float *bias, float slope, float *y, float *scratch);

/// `dw [k*k*C, filters] += Σ col(x)ᵀ dy` over `samples` samples, summed as Conv2D's im2col
/// backward does: in chunks of `chunk_samples` samples, each in slices of 256 rows (output
/// pixels), each slice one FMA chain from zero added to dw: the bits of im2col +
/// distill_sgemm(transposed A, beta 1) per chunk. `scratch`: distill_conv_small_scratch(g,
/// chunk_samples) floats. Same limits and return value as distill_conv_small_forward.
int distill_conv_small_kernel_gradient(const struct distill_conv_geometry *g, const float *x, long samples, long chunk_samples,
                                       const float *dy, long filters, float *dw, float *scratch);

#endif
