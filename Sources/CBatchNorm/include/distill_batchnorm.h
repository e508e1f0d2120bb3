#ifndef DISTILL_BATCHNORM_H
#define DISTILL_BATCHNORM_H

/// The passes of batch normalisation over `rows` positions of `channels` contiguous floats
/// (channels innermost, NHWC), for `BatchNorm`. Each loop runs over a row's channels, so it
/// vectorises across them while every channel's sum still runs over the rows in order. Each
/// function is compiled for AVX-512F, AVX2 and baseline x86-64 and picked at load time;
/// floating-point contraction is off, so every variant computes the same bits as the plain loops
/// written in each comment.

/// `sums[j] = Σ_r (double) x[r][j]`.
void distill_batchnorm_sums(const float *x, long rows, long channels, double *sums);

/// `squares[j] = Σ_r d·d` with `d = (double) x[r][j] − mean[j]`.
void distill_batchnorm_centred_squares(const float *x, long rows, long channels, const double *mean, double *squares);

/// `h = (x[r][j] − mean[j]) · inverse_std[j]`, `normalized[r][j] = h`, `y[r][j] = gamma[j]·h + beta[j]`.
void distill_batchnorm_normalize(const float *x, long rows, long channels, const float *mean, const float *inverse_std,
                                 const float *gamma, const float *beta, float *normalized, float *y);

/// `sums[j] = Σ_r (double) dy[r][j]`, `products[j] = Σ_r (double) dy[r][j] · (double) normalized[r][j]`.
void distill_batchnorm_gradient_sums(const float *dy, const float *normalized, long rows, long channels, double *sums,
                                     double *products);

/// `dx[r][j] = k[j]·(dy[r][j] − a[j] − normalized[r][j]·b[j])`.
void distill_batchnorm_input_gradient(const float *dy, const float *normalized, long rows, long channels, const float *k,
                                      const float *a, const float *b, float *dx);

/// `y[r][j] = x[r][j]·scale[j] + shift[j]`.
void distill_batchnorm_affine(const float *x, long rows, long channels, const float *scale, const float *shift, float *y);

#endif
