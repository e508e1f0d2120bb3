import CWinograd
#if canImport(Glibc)
import Glibc
#endif

/// The forward of a 3×3 stride-1 convolution by Winograd's minimal filtering F(4×4, 3×3)
/// (Lavin & Gray 2016): each 4×4 output tile comes from a 6×6 input tile with 36 multiplies per
/// (input channel, output channel) instead of 144, so the GEMM work falls by 4×.
///
/// With `V = Bᵀ d B` (input tile), `U = G g Gᵀ` (kernel) and `Y = Aᵀ M A`, the 36 products
/// `M[ξ] = V[ξ] · U[ξ]` are GEMMs of `[tiles, Cin] × [Cin, Cout]`. The transforms are C
/// (`CWinograd`, whose header gives the matrices) over NHWC rows, so their inner loops run over
/// contiguous channels; the output transform also adds the bias and applies the activation. The
/// kernel transform is kept with a copy of the kernel it came from and recomputed whenever the
/// kernel's bits differ (a frozen teacher transforms once, a training student once per step).
/// Rounding differs from im2col's (checked against ``ConvolutionReference`` in the tests); the
/// result depends only on the inputs, so every process computes the same bits.
struct Winograd3x3 {
    /// Output pixels per tile side, and input pixels per tile side (`tile + 2`).
    static let tile = 4, window = 6
    /// Elements of a transformed tile: 36 GEMMs per chunk.
    static let planes = window * window
    /// Target size of the transformed input and product buffers of one chunk, in floats (1 MiB,
    /// within one core's L2; the kernel is packed once per forward, so small chunks cost no
    /// extra packing, and 1–8 MiB measured alike); a chunk holds whole samples.
    static let chunkBudget = 1 << 18

    private let geometry: WindowGeometry
    private let filters: Int
    private let tilesDown: Int, tilesAcross: Int
    /// `[36, Cin, Cout]`: the transformed kernel.
    private let transformedKernel = Tensor(shape: [0])
    /// Its 36 planes packed for the GEMMs, once per kernel (not once per chunk).
    private let packedKernel = (0..<Winograd3x3.planes).map { _ in PackedMatrix() }
    /// `[3, 3, Cin, Cout]`: the kernel ``transformedKernel`` was computed from (empty before the first call).
    private let transformedFrom = Tensor(shape: [0])
    /// `[36, tiles, Cin]`: the transformed input of one chunk.
    private let transformedInput = Tensor(shape: [0])
    /// `[36, tiles, Cout]`: the 36 products of one chunk.
    private let products = Tensor(shape: [0])
    /// One border tile's 36 input pixels, zero-padded (`[36, Cin]`).
    private let tileScratch = Tensor(shape: [0])

    /// True for the convolutions this path computes: 3×3 windows at stride 1 with enough input
    /// channels (16) for the GEMMs to pay for the transforms.
    static func applies(to geometry: WindowGeometry) -> Bool {
        geometry.kernel == 3 && geometry.stride == 1 && geometry.channels >= 16
    }

    init(geometry: WindowGeometry, filters: Int) {
        self.geometry = geometry
        self.filters = filters
        tilesDown = (geometry.outHeight + Self.tile - 1) / Self.tile
        tilesAcross = (geometry.outWidth + Self.tile - 1) / Self.tile
    }

    private var tilesPerSample: Int { tilesDown * tilesAcross }

    /// `y [n, H', W', Cout] = conv(x [n, H, W, Cin], kernel [3, 3, Cin, Cout])`, then `bias` and
    /// `activation` (identity without bias: the plain convolution).
    func forward(_ x: UnsafePointer<Float>, samples n: Int, kernel: UnsafePointer<Float>,
                 bias: UnsafePointer<Float>?, activation: FusedActivation, into y: UnsafeMutablePointer<Float>) {
        let cin = geometry.channels, cout = filters, planes = Self.planes
        transformKernel(kernel)
        // Equal chunks (a short last chunk would pack each transformed kernel for few rows).
        let most = Swift.max(1, Winograd3x3.chunkBudget / (planes * tilesPerSample * (cin + cout)))
        let chunks = (n + most - 1) / most, chunk = (n + chunks - 1) / chunks
        let chunkTiles = Swift.min(chunk, n) * tilesPerSample
        transformedInput.resize(batch: planes * chunkTiles * cin, item: [])
        products.resize(batch: planes * chunkTiles * cout, item: [])
        tileScratch.resize(batch: planes * cin, item: [])
        for start in Swift.stride(from: 0, to: n, by: chunk) {
            let samples = Swift.min(chunk, n - start), tiles = samples * tilesPerSample
            transformInput(x + start * geometry.inputCount, samples: samples, tiles: tiles)
            let v = transformedInput.pointer, m = products.pointer
            for xi in 0..<planes {
                BLAS.gemm(m: tiles, a: v + xi * tiles * cin, lda: cin, packedB: packedKernel[xi], c: m + xi * tiles * cout)
            }
            transformOutput(samples: samples, tiles: tiles, bias: bias, activation: activation,
                            into: y + start * geometry.outputPixels * cout)
        }
    }

    /// `U[ξ] = (G g Gᵀ)[ξ]` for every (input, output) channel pair, packed plane by plane,
    /// unless ``transformedFrom`` already holds these kernel bits.
    private func transformKernel(_ g: UnsafePointer<Float>) {
        let pairs = geometry.channels * filters
        if transformedFrom.count == 9 * pairs, memcmp(transformedFrom.pointer, g, 9 * pairs * MemoryLayout<Float>.size) == 0 { return }
        transformedFrom.resize(batch: 9 * pairs, item: [])
        transformedFrom.pointer.update(from: g, count: 9 * pairs)
        transformedKernel.resize(batch: Self.planes * pairs, item: [])
        distill_winograd_kernel(g, pairs, transformedKernel.pointer)
        for (xi, packed) in packedKernel.enumerated() {
            packed.pack(transformedKernel.pointer + xi * pairs, transposed: false, k: geometry.channels, n: filters, ldb: filters)
        }
    }

    /// `V[ξ][tile][c] = (Bᵀ d B)[ξ]` for each 6×6 input tile `d` (zero outside the image).
    /// Interior tiles are read in place; border tiles are first gathered, zero-padded, into
    /// ``tileScratch``.
    private func transformInput(_ x: UnsafePointer<Float>, samples: Int, tiles: Int) {
        let g = geometry, cin = g.channels, window = Self.window
        let v = transformedInput.pointer, plane = tiles * cin
        let scratch = tileScratch.pointer
        var tile = 0
        for sample in 0..<samples {
            let image = x + sample * g.inputCount
            for ty in 0..<tilesDown {
                let top = Self.tile * ty - g.padTop
                for tx in 0..<tilesAcross {
                    let left = Self.tile * tx - g.padLeft
                    let out = v + tile * cin
                    if top >= 0 && top + window <= g.height && left >= 0 && left + window <= g.width {
                        distill_winograd_input(image + (top * g.width + left) * cin, g.width * cin, cin, cin, out, plane)
                    } else {
                        for r in 0..<window {
                            for c in 0..<window {
                                let row = top + r, column = left + c, dst = scratch + (r * window + c) * cin
                                if row >= 0 && row < g.height && column >= 0 && column < g.width {
                                    dst.update(from: image + (row * g.width + column) * cin, count: cin)
                                } else {
                                    dst.update(repeating: 0, count: cin)
                                }
                            }
                        }
                        distill_winograd_input(scratch, window * cin, cin, cin, out, plane)
                    }
                    tile += 1
                }
            }
        }
    }

    /// `y = act(Aᵀ M A + bias)` for each tile; outputs past the image's height or width (when it
    /// is not a multiple of 4) are dropped.
    private func transformOutput(samples: Int, tiles: Int, bias: UnsafePointer<Float>?,
                                 activation: FusedActivation, into y: UnsafeMutablePointer<Float>) {
        let g = geometry, cout = filters, plane = tiles * cout, slope = activation.negativeSlope
        var tile = 0
        for sample in 0..<samples {
            let image = y + sample * g.outputPixels * cout
            for ty in 0..<tilesDown {
                let rows = Swift.min(Self.tile, g.outHeight - Self.tile * ty)
                for tx in 0..<tilesAcross {
                    let columns = Swift.min(Self.tile, g.outWidth - Self.tile * tx)
                    distill_winograd_output(products.pointer + tile * cout, plane, cout, bias, slope,
                                            image + (Self.tile * ty * g.outWidth + Self.tile * tx) * cout,
                                            g.outWidth * cout, Int32(rows), Int32(columns))
                    tile += 1
                }
            }
        }
    }
}
