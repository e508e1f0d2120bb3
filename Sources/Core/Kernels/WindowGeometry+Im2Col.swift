extension WindowGeometry {
    /// Unfolds `samples` input samples into one patch row per output pixel, zero where the
    /// window covers padding. A row is laid out `[ki, kj, c]`, matching an HWIO kernel, so
    /// each in-bounds window row is one contiguous run of `(hi - lo)·C` floats. The loops run
    /// output row, window row, output column, so the input row is fixed in the inner loop.
    ///
    /// `x: [samples, H, W, C] -> col: [samples·OH·OW, k·k·C]`
    func im2col(_ x: UnsafePointer<Float>, samples: Int, into col: UnsafeMutablePointer<Float>) {
        let c = channels, kc = kernel * channels, rowLength = patchCount
        for n in 0..<samples {
            let sample = x + n * inputCount
            for oh in 0..<outHeight {
                let r = rows(oh)
                let block = col + (n * outHeight + oh) * outWidth * rowLength
                for ki in 0..<kernel {
                    let ih = r.first + ki
                    var dst = block + ki * kc
                    if ih < r.lo || ih >= r.hi {
                        for _ in 0..<outWidth { dst.update(repeating: 0, count: kc); dst += rowLength }
                        continue
                    }
                    let source = sample + ih * width * c
                    for ow in 0..<outWidth {
                        let q = columns(ow)
                        let before = (q.lo - q.first) * c, run = (q.hi - q.lo) * c, after = kc - before - run
                        if before > 0 { dst.update(repeating: 0, count: before) }
                        copyRun(from: source + q.lo * c, to: dst + before, count: run)
                        if after > 0 { (dst + before + run).update(repeating: 0, count: after) }
                        dst += rowLength
                    }
                }
            }
        }
    }

    /// Folds patch rows back onto the input, adding every patch element to the input
    /// element it was copied from (padding positions are dropped). The adjoint of ``im2col``.
    ///
    /// `col: [samples·OH·OW, k·k·C] -> dx: [samples, H, W, C]` (accumulated with `+=`)
    func col2im(_ col: UnsafePointer<Float>, samples: Int, addingInto dx: UnsafeMutablePointer<Float>) {
        let c = channels, kc = kernel * channels, rowLength = patchCount
        for n in 0..<samples {
            let sample = dx + n * inputCount
            for oh in 0..<outHeight {
                let r = rows(oh)
                let block = col + (n * outHeight + oh) * outWidth * rowLength
                for ih in r.lo..<r.hi {
                    var src = block + (ih - r.first) * kc
                    let target = sample + ih * width * c
                    for ow in 0..<outWidth {
                        let q = columns(ow)
                        let s = src + (q.lo - q.first) * c, d = target + q.lo * c
                        for t in 0..<(q.hi - q.lo) * c { d[t] += s[t] }
                        src += rowLength
                    }
                }
            }
        }
    }
}

/// Copies `count` floats. Runs up to 32 floats (first layers with 1–4 channels: a window row is
/// `k·C` floats) use two overlapping unaligned vector moves instead of a `memcpy` call.
@inline(__always)
private func copyRun(from source: UnsafePointer<Float>, to destination: UnsafeMutablePointer<Float>, count: Int) {
    let s = UnsafeRawPointer(source), d = UnsafeMutableRawPointer(destination)
    @inline(__always) func move<V: SIMD>(_: V.Type) where V.Scalar == Float {
        let tail = (count - V.scalarCount) * MemoryLayout<Float>.stride
        let head = s.loadUnaligned(as: V.self), last = s.loadUnaligned(fromByteOffset: tail, as: V.self)
        d.storeBytes(of: head, as: V.self)
        d.storeBytes(of: last, toByteOffset: tail, as: V.self)
    }
    switch count {
    case 16...32: move(SIMD16<Float>.self)
    case 8..<16: move(SIMD8<Float>.self)
    case 4..<8: move(SIMD4<Float>.self)
    case 33...: destination.update(from: source, count: count)
    default: for t in 0..<count { destination[t] = source[t] }
    }
}
