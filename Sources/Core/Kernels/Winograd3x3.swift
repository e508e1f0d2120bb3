#if canImport(Glibc)
import Glibc
#endif

/// The forward of a 3×3 stride-1 convolution by Winograd's minimal filtering F(2×2, 3×3)
/// (Lavin & Gray 2016): each 2×2 output tile comes from a 4×4 input tile with 16 multiplies per
/// (input channel, output channel) instead of 36, so the GEMM work falls by 2.25×.
///
/// With `V = Bᵀ d B` (input tile), `U = G g Gᵀ` (kernel) and `Y = Aᵀ M A`, the 16 products
/// `M[ξ] = V[ξ] · U[ξ]` are GEMMs of `[tiles, Cin] × [Cin, Cout]`. All three transforms work on
/// NHWC rows, so their inner loops run over contiguous channels. The kernel transform is kept
/// with a copy of the kernel it came from and recomputed whenever the kernel's bits differ (a
/// frozen teacher transforms once, a training student once per step). Rounding differs from
/// im2col's by a few ulps (checked against ``ConvolutionReference`` in the tests); the result
/// depends only on the inputs, so every process computes the same bits.
struct Winograd3x3 {
    /// Target size of the transformed input and product buffers of one chunk, in floats
    /// (4 MiB); a chunk holds whole samples.
    static let chunkBudget = 1 << 20

    private let geometry: WindowGeometry
    private let filters: Int
    private let tilesDown: Int, tilesAcross: Int
    /// `[16, Cin, Cout]`: the transformed kernel.
    private let transformedKernel = Tensor(shape: [0])
    /// `[3, 3, Cin, Cout]`: the kernel ``transformedKernel`` was computed from (empty before the first call).
    private let transformedFrom = Tensor(shape: [0])
    /// `[16, tiles, Cin]`: the transformed input of one chunk.
    private let transformedInput = Tensor(shape: [0])
    /// `[16, tiles, Cout]`: the 16 products of one chunk.
    private let products = Tensor(shape: [0])
    /// One border tile's 16 input pixels, zero-padded (`[16, Cin]`).
    private let tileScratch = Tensor(shape: [0])

    /// True for the convolutions this path computes: 3×3 windows at stride 1 with enough input
    /// channels for the GEMMs to pay for the transforms (16) and output channels for one vector (8).
    static func applies(to geometry: WindowGeometry, filters: Int) -> Bool {
        geometry.kernel == 3 && geometry.stride == 1 && geometry.channels >= 16 && filters >= 8
    }

    init(geometry: WindowGeometry, filters: Int) {
        self.geometry = geometry
        self.filters = filters
        tilesDown = (geometry.outHeight + 1) / 2
        tilesAcross = (geometry.outWidth + 1) / 2
    }

    private var tilesPerSample: Int { tilesDown * tilesAcross }

    /// `y [n, H', W', Cout] = conv(x [n, H, W, Cin], kernel [3, 3, Cin, Cout])`, then `bias` and
    /// `activation` (identity without bias: the plain convolution).
    func forward(_ x: UnsafePointer<Float>, samples n: Int, kernel: UnsafePointer<Float>,
                 bias: UnsafePointer<Float>?, activation: FusedActivation, into y: UnsafeMutablePointer<Float>) {
        let cin = geometry.channels, cout = filters
        transformKernel(kernel)
        let chunk = Swift.max(1, Winograd3x3.chunkBudget / (16 * tilesPerSample * (cin + cout)))
        let chunkTiles = Swift.min(chunk, n) * tilesPerSample
        transformedInput.resize(batch: 16 * chunkTiles * cin, item: [])
        products.resize(batch: 16 * chunkTiles * cout, item: [])
        tileScratch.resize(batch: 16 * cin, item: [])
        for start in Swift.stride(from: 0, to: n, by: chunk) {
            let samples = Swift.min(chunk, n - start), tiles = samples * tilesPerSample
            transformInput(x + start * geometry.inputCount, samples: samples, tiles: tiles)
            let v = transformedInput.pointer, m = products.pointer, u = transformedKernel.pointer
            for xi in 0..<16 {
                BLAS.gemm(m: tiles, n: cout, k: cin, a: v + xi * tiles * cin, lda: cin,
                          b: u + xi * cin * cout, ldb: cout, c: m + xi * tiles * cout, ldc: cout)
            }
            let out = y + start * geometry.outputPixels * cout
            transformOutput(samples: samples, tiles: tiles, into: out)
            addBiasActivation(out, rows: samples * geometry.outputPixels, columns: cout, bias: bias, activation: activation)
        }
    }

    /// `U[ξ][ci][co] = (G g Gᵀ)[ξ]` for every kernel pair, with
    /// `G = [[1, 0, 0], [½, ½, ½], [½, −½, ½], [0, 0, 1]]`; the HWIO kernel's pairs are contiguous.
    private func transformKernel(_ g: UnsafePointer<Float>) {
        let pairs = geometry.channels * filters
        if transformedFrom.count == 9 * pairs, memcmp(transformedFrom.pointer, g, 9 * pairs * MemoryLayout<Float>.size) == 0 { return }
        transformedFrom.resize(batch: 9 * pairs, item: [])
        transformedFrom.pointer.update(from: g, count: 9 * pairs)
        transformedKernel.resize(batch: 16 * pairs, item: [])
        let u = transformedKernel.pointer
        for pair in 0..<pairs {
            @inline(__always) func tap(_ row: Int, _ column: Int) -> Float { g[(row * 3 + column) * pairs + pair] }
            // G·g is 4 × 3; its rows times Gᵀ give the 4 × 4 transform, row by row.
            for row in 0..<4 {
                var r = (Float(0), Float(0), Float(0))
                switch row {
                case 0: r = (tap(0, 0), tap(0, 1), tap(0, 2))
                case 1: r = (0.5 * (tap(0, 0) + tap(1, 0) + tap(2, 0)), 0.5 * (tap(0, 1) + tap(1, 1) + tap(2, 1)), 0.5 * (tap(0, 2) + tap(1, 2) + tap(2, 2)))
                case 2: r = (0.5 * (tap(0, 0) - tap(1, 0) + tap(2, 0)), 0.5 * (tap(0, 1) - tap(1, 1) + tap(2, 1)), 0.5 * (tap(0, 2) - tap(1, 2) + tap(2, 2)))
                default: r = (tap(2, 0), tap(2, 1), tap(2, 2))
                }
                u[(row * 4 + 0) * pairs + pair] = r.0
                u[(row * 4 + 1) * pairs + pair] = 0.5 * (r.0 + r.1 + r.2)
                u[(row * 4 + 2) * pairs + pair] = 0.5 * (r.0 - r.1 + r.2)
                u[(row * 4 + 3) * pairs + pair] = r.2
            }
        }
    }

    /// `V[ξ][tile][c] = (Bᵀ d B)[ξ]` for each 4×4 input tile `d` (zero outside the image), with
    /// `Bᵀ = [[1, 0, −1, 0], [0, 1, 1, 0], [0, −1, 1, 0], [0, 1, 0, −1]]`. Interior tiles are read
    /// in place; border tiles are first gathered, zero-padded, into ``tileScratch``.
    private func transformInput(_ x: UnsafePointer<Float>, samples: Int, tiles: Int) {
        let g = geometry, cin = g.channels
        let v = transformedInput.pointer
        let scratch = tileScratch.pointer
        var tile = 0
        for sample in 0..<samples {
            let image = x + sample * g.inputCount
            for ty in 0..<tilesDown {
                let top = 2 * ty - g.padTop
                for tx in 0..<tilesAcross {
                    let left = 2 * tx - g.padLeft
                    let out = v + tile * cin
                    if top >= 0 && top + 4 <= g.height && left >= 0 && left + 4 <= g.width {
                        transformInputTile(image + (top * g.width + left) * cin, rowStride: g.width * cin, into: out, plane: tiles * cin)
                    } else {
                        for r in 0..<4 {
                            for c in 0..<4 {
                                let row = top + r, column = left + c, dst = scratch + (r * 4 + c) * cin
                                if row >= 0 && row < g.height && column >= 0 && column < g.width {
                                    dst.update(from: image + (row * g.width + column) * cin, count: cin)
                                } else {
                                    dst.update(repeating: 0, count: cin)
                                }
                            }
                        }
                        transformInputTile(scratch, rowStride: 4 * cin, into: out, plane: tiles * cin)
                    }
                    tile += 1
                }
            }
        }
    }

    /// One tile's input transform, 8 channels at a time (the last group overlaps the one before
    /// when `Cin` is not a multiple of 8: it recomputes the same values). Pixel `(r, c)` of the
    /// tile starts at `d + r · rowStride + c · Cin`; `V[ξ]` goes to `v + ξ · plane`.
    @inline(__always)
    private func transformInputTile(_ d: UnsafePointer<Float>, rowStride: Int, into v: UnsafeMutablePointer<Float>, plane: Int) {
        let cin = geometry.channels
        var i = 0
        while true {
            let at = Swift.min(i, cin - 8)
            @inline(__always) func load(_ r: Int, _ c: Int) -> SIMD8<Float> {
                UnsafeRawPointer(d + r * rowStride + c * cin + at).loadUnaligned(as: SIMD8<Float>.self)
            }
            @inline(__always) func store(_ xi: Int, _ value: SIMD8<Float>) {
                UnsafeMutableRawPointer(v + xi * plane + at).storeBytes(of: value, as: SIMD8<Float>.self)
            }
            // Bᵀ d, column by column.
            let c0 = (load(0, 0) - load(2, 0), load(1, 0) + load(2, 0), load(2, 0) - load(1, 0), load(1, 0) - load(3, 0))
            let c1 = (load(0, 1) - load(2, 1), load(1, 1) + load(2, 1), load(2, 1) - load(1, 1), load(1, 1) - load(3, 1))
            let c2 = (load(0, 2) - load(2, 2), load(1, 2) + load(2, 2), load(2, 2) - load(1, 2), load(1, 2) - load(3, 2))
            let c3 = (load(0, 3) - load(2, 3), load(1, 3) + load(2, 3), load(2, 3) - load(1, 3), load(1, 3) - load(3, 3))
            // (Bᵀ d) B, row by row.
            @inline(__always) func row(_ r: Int, _ a0: SIMD8<Float>, _ a1: SIMD8<Float>, _ a2: SIMD8<Float>, _ a3: SIMD8<Float>) {
                store(4 * r, a0 - a2)
                store(4 * r + 1, a1 + a2)
                store(4 * r + 2, a2 - a1)
                store(4 * r + 3, a1 - a3)
            }
            row(0, c0.0, c1.0, c2.0, c3.0)
            row(1, c0.1, c1.1, c2.1, c3.1)
            row(2, c0.2, c1.2, c2.2, c3.2)
            row(3, c0.3, c1.3, c2.3, c3.3)
            if at == cin - 8 { break }
            i += 8
        }
    }

    /// `y = Aᵀ M A` for each tile, with `Aᵀ = [[1, 1, 1, 0], [0, 1, −1, −1]]`, 8 channels at a
    /// time as in the input transform; outputs past an odd output height or width are dropped.
    private func transformOutput(samples: Int, tiles: Int, into y: UnsafeMutablePointer<Float>) {
        let g = geometry, cout = filters, plane = tiles * cout
        var tile = 0
        for sample in 0..<samples {
            let image = y + sample * g.outputPixels * cout
            for ty in 0..<tilesDown {
                let rows = Swift.min(2, g.outHeight - 2 * ty)
                for tx in 0..<tilesAcross {
                    let columns = Swift.min(2, g.outWidth - 2 * tx)
                    let m = products.pointer + tile * cout
                    let out = image + (2 * ty * g.outWidth + 2 * tx) * cout
                    var i = 0
                    while true {
                        let at = Swift.min(i, cout - 8)
                        @inline(__always) func load(_ xi: Int) -> SIMD8<Float> {
                            UnsafeRawPointer(m + xi * plane + at).loadUnaligned(as: SIMD8<Float>.self)
                        }
                        @inline(__always) func store(_ r: Int, _ c: Int, _ value: SIMD8<Float>) {
                            UnsafeMutableRawPointer(out + (r * g.outWidth + c) * cout + at).storeBytes(of: value, as: SIMD8<Float>.self)
                        }
                        // Aᵀ M, column by column: rows 0 and 1.
                        let c0 = (load(0) + load(4) + load(8), load(4) - load(8) - load(12))
                        let c1 = (load(1) + load(5) + load(9), load(5) - load(9) - load(13))
                        let c2 = (load(2) + load(6) + load(10), load(6) - load(10) - load(14))
                        let c3 = (load(3) + load(7) + load(11), load(7) - load(11) - load(15))
                        store(0, 0, c0.0 + c1.0 + c2.0)
                        if columns == 2 { store(0, 1, c1.0 - c2.0 - c3.0) }
                        if rows == 2 {
                            store(1, 0, c0.1 + c1.1 + c2.1)
                            if columns == 2 { store(1, 1, c1.1 - c2.1 - c3.1) }
                        }
                        if at == cout - 8 { break }
                        i += 8
                    }
                    tile += 1
                }
            }
        }
    }
}
