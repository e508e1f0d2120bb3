import Foundation

/// "Nice" axis ticks: about `target` evenly spaced values at 1, 2 or 5 × 10ᵏ that cover a range.
public struct AxisTicks: Equatable {
    /// The axis range, widened to whole ticks.
    public let lower: Double
    public let upper: Double
    /// The tick values from `lower` to `upper`.
    public let values: [Double]
    /// The spacing between ticks.
    public let step: Double

    /// Ticks covering `minimum...maximum` (a single value gets a unit-wide range around it).
    public init(minimum: Double, maximum: Double, target: Int = 5) {
        var (lo, hi) = (minimum.isFinite ? minimum : 0, maximum.isFinite ? maximum : 1)
        if hi < lo { swap(&lo, &hi) }
        if hi - lo < 1e-12 { (lo, hi) = (lo - max(abs(lo) * 0.1, 0.5), hi + max(abs(hi) * 0.1, 0.5)) }
        let raw = (hi - lo) / Double(max(target, 1))
        let magnitude = pow(10, floor(log10(raw)))
        let step = [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? 10 * magnitude
        let first = floor(lo / step) * step
        let last = ceil(hi / step) * step
        let count = Int(((last - first) / step).rounded())
        (lower, upper, self.step) = (first, last, step)
        values = (0...count).map { first + Double($0) * step }
    }

    /// `value` as a tick label: as few decimals as the step needs.
    public func label(_ value: Double, percent: Bool = false) -> String {
        let exact = abs(value) < step * 1e-9 ? 0 : value
        let shown = percent ? exact * 100 : exact
        let decimals = max(0, -Int(floor(log10(percent ? step * 100 : step))))
        return String(format: "%.\(decimals)f", shown) + (percent ? "%" : "")
    }
}
