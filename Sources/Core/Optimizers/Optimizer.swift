/// A first-order optimiser updating a model's flat parameter buffer in place.
///
/// An instance is built for a fixed parameter count and keeps its own per-element buffers
/// (momentum, moments), so `step` allocates nothing.
///
/// A step is element-wise: ``step(parameters:gradients:learningRate:)`` is ``beginStep(learningRate:)``
/// followed by ``update(_:parameters:gradient:)`` over ranges covering every element once, which
/// lets ``StepReducer`` hand the optimiser the shards' gradients, whose mean it computes as it
/// reads them (``MeanGradient``). How the elements are split never changes a bit.
public protocol Optimizer: AnyObject {
    /// Applies one update: `parameters` and `gradients` have the optimiser's parameter count;
    /// `learningRate` is the rate for this step (see ``LearningRateSchedule``).
    func step(parameters: UnsafeMutableBufferPointer<Float>, gradients: UnsafeBufferPointer<Float>, learningRate: Float)
    /// Starts a step at `learningRate` (counts it and fixes its scalars) without changing an
    /// element; ``update(_:parameters:gradient:)`` then applies it.
    func beginStep(learningRate: Float)
    /// Applies the step begun last to the elements in `range` (within the parameter count), with
    /// `gradient`'s mean as their gradient: `parameters` is the whole buffer. Concurrent calls
    /// must cover disjoint ranges.
    func update(_ range: Range<Int>, parameters: UnsafeMutablePointer<Float>, gradient: MeanGradient)
    /// A snapshot of the step count and buffers, for checkpoints.
    var state: OptimizerState { get }
    /// Replaces the step count and buffers with a snapshot taken from an optimiser of the
    /// same kind and parameter count. Throws ``OptimizerError`` otherwise, leaving this one unchanged.
    func restore(_ state: OptimizerState) throws
}

extension Optimizer {
    /// ``step(parameters:gradients:learningRate:)`` as ``beginStep(learningRate:)`` and
    /// ``update(_:parameters:gradient:)`` over `parallelism`'s ranges, `gradients` being the
    /// mean gradient itself.
    func applyStep(parameters: UnsafeMutableBufferPointer<Float>, gradients: UnsafeBufferPointer<Float>, learningRate: Float,
                   parallelism: ElementwiseParallelism) {
        beginStep(learningRate: learningRate)
        guard let p = parameters.baseAddress, let g = gradients.baseAddress else { return }
        withUnsafePointer(to: Optional(g)) { g in
            let gradient = MeanGradient(shards: UnsafeBufferPointer(start: g, count: 1), scale: 1)
            parallelism.forEachRange(count: parameters.count) { range in
                update(range, parameters: p, gradient: gradient)
            }
        }
    }
}

/// A checkpointable snapshot of an optimiser.
public struct OptimizerState: Codable, Sendable, Equatable {
    /// Which optimiser wrote it: `"SGD"`, `"Adam"` or `"AdamW"`.
    public var kind: String
    /// Number of completed steps.
    public var step: Int
    /// Per-element buffers by name (`"velocity"`; `"firstMoment"`, `"secondMoment"`), each of
    /// the parameter count.
    public var buffers: [String: [Float]]

    public init(kind: String, step: Int, buffers: [String: [Float]]) {
        self.kind = kind
        self.step = step
        self.buffers = buffers
    }
}

/// Why an ``OptimizerState`` cannot be restored.
public enum OptimizerError: Error, Equatable, CustomStringConvertible {
    /// The state was written by another kind of optimiser.
    case wrongKind(expected: String, found: String)
    /// A buffer the optimiser needs is absent from the state.
    case missingBuffer(kind: String, name: String)
    /// A buffer the optimiser does not know is present in the state.
    case unexpectedBuffer(kind: String, name: String)
    /// A buffer has the wrong number of elements.
    case wrongBufferLength(kind: String, name: String, expected: Int, found: Int)
    /// The step count is negative.
    case negativeStep(kind: String, step: Int)

    public var description: String {
        switch self {
        case let .wrongKind(expected, found):
            return "optimizer state is for \(found), expected \(expected)"
        case let .missingBuffer(kind, name):
            return "\(kind) optimizer state lacks buffer '\(name)'"
        case let .unexpectedBuffer(kind, name):
            return "\(kind) optimizer state has unexpected buffer '\(name)'"
        case let .wrongBufferLength(kind, name, expected, found):
            return "\(kind) optimizer buffer '\(name)' has \(found) elements, expected \(expected)"
        case let .negativeStep(kind, step):
            return "\(kind) optimizer state has negative step \(step)"
        }
    }
}
