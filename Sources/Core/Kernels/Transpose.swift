import CGEMM

/// `destination[c, r] = source[r, c]` for a row-major `rows × columns` source and a row-major
/// `columns × rows` destination: 16 × 16 blocks transposed in registers where the CPU has
/// AVX-512F (`distill_transpose`), else 16 × 16 blocks element by element. Values move
/// unchanged, so both give the same bits.
func transpose(_ source: UnsafePointer<Float>, rows: Int, columns: Int, into destination: UnsafeMutablePointer<Float>) {
    if distill_transpose(rows, columns, source, columns, destination, rows) == 0 { return }
    transposeElementwise(source, rows: rows, columns: columns, into: destination)
}

/// ``transpose(_:rows:columns:into:)`` without vector instructions.
func transposeElementwise(_ source: UnsafePointer<Float>, rows: Int, columns: Int, into destination: UnsafeMutablePointer<Float>) {
    let block = 16
    for r0 in stride(from: 0, to: rows, by: block) {
        let r1 = min(r0 + block, rows)
        for c0 in stride(from: 0, to: columns, by: block) {
            let c1 = min(c0 + block, columns)
            for r in r0..<r1 {
                let from = source + r * columns
                for c in c0..<c1 { destination[c * rows + r] = from[c] }
            }
        }
    }
}
