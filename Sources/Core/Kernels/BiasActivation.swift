/// The activation an inference-only ``Conv2D`` or ``Dense`` applies where it adds the bias, as
/// its GEMM or Winograd output transform stores the output (set by ``Network/foldedForInference()``).
public enum FusedActivation: Sendable, Equatable {
    /// `y = x + b`.
    case identity
    /// `y = max(x + b, 0)` (as ``ReLU``: `x > 0 ? x : 0·x`).
    case relu
    /// `y = x + b > 0 ? x + b : alpha·(x + b)` (as ``LeakyReLU``).
    case leakyReLU(alpha: Float)

    /// The slope applied to non-positive values: 1 for the identity.
    var negativeSlope: Float {
        switch self {
        case .identity: return 1
        case .relu: return 0
        case let .leakyReLU(alpha): return alpha
        }
    }
}

/// `y[r, c] = act(y[r, c] + bias[c])` in place for `rows` rows of `columns` floats (`bias` nil:
/// no bias): the pass after an OpenBLAS product (Distill's kernel does it as it stores C).
func addBiasActivation(_ y: UnsafeMutablePointer<Float>, rows: Int, columns: Int,
                       bias: UnsafePointer<Float>?, activation: FusedActivation) {
    // y: [rows, columns], bias: [columns]
    let slope = activation.negativeSlope
    if let bias {
        for r in 0..<rows {
            let row = y + r * columns
            for c in 0..<columns {
                let v = row[c] + bias[c]
                row[c] = v > 0 ? v : slope * v
            }
        }
    } else if activation != .identity {
        for i in 0..<(rows * columns) {
            let v = y[i]
            y[i] = v > 0 ? v : slope * v
        }
    }
}
