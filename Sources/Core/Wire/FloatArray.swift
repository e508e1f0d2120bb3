/// A float32 array with its shape, as carried by ``WelcomePayload`` (the teacher's
/// parameters and state). On the wire the shape sits in the fields frame and the values
/// travel as one raw little-endian float32 frame.
public struct FloatArray: Equatable, Sendable {
    /// Dimensions, outermost first; their product is `values.count`.
    public let shape: [Int]
    /// The elements in row-major order.
    public let values: [Float]

    /// An array of `shape` holding `values`; traps if the counts disagree.
    public init(shape: [Int], values: [Float]) {
        precondition(shape.allSatisfy { $0 >= 0 } && shape.reduce(1, *) == values.count,
                     "FloatArray: \(values.count) values for shape \(shape)")
        self.shape = shape
        self.values = values
    }

    /// A flat array of `values` (shape `[values.count]`).
    public init(_ values: [Float]) { self.init(shape: [values.count], values: values) }

    /// No values, shape `[0]` (e.g. no teacher).
    public static let empty = FloatArray([])
}
