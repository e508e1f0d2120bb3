/// Named per-element buffers of an optimiser, allocated once, with the state snapshot and
/// validated restore that every optimiser shares.
final class OptimizerBuffers {
    let kind: String
    let parameterCount: Int
    let names: [String]
    /// One pointer per name, each to `parameterCount` zero-initialised floats.
    let pointers: [UnsafeMutablePointer<Float>]
    /// Number of completed steps.
    var step = 0

    init(kind: String, parameterCount: Int, names: [String]) {
        precondition(parameterCount >= 0, "\(kind): negative parameter count \(parameterCount)")
        self.kind = kind
        self.parameterCount = parameterCount
        self.names = names
        pointers = names.map { _ in
            let p = UnsafeMutablePointer<Float>.allocate(capacity: max(parameterCount, 1))
            p.initialize(repeating: 0, count: max(parameterCount, 1))
            return p
        }
    }

    deinit { for p in pointers { p.deallocate() } }

    var state: OptimizerState {
        var buffers: [String: [Float]] = [:]
        for (name, p) in zip(names, pointers) {
            buffers[name] = Array(UnsafeBufferPointer(start: p, count: parameterCount))
        }
        return OptimizerState(kind: kind, step: step, buffers: buffers)
    }

    /// Checks everything before changing anything.
    func restore(_ state: OptimizerState) throws {
        guard state.kind == kind else { throw OptimizerError.wrongKind(expected: kind, found: state.kind) }
        guard state.step >= 0 else { throw OptimizerError.negativeStep(kind: kind, step: state.step) }
        for name in names {
            guard let values = state.buffers[name] else { throw OptimizerError.missingBuffer(kind: kind, name: name) }
            guard values.count == parameterCount else {
                throw OptimizerError.wrongBufferLength(kind: kind, name: name, expected: parameterCount, found: values.count)
            }
        }
        if let extra = state.buffers.keys.sorted().first(where: { !names.contains($0) }) {
            throw OptimizerError.unexpectedBuffer(kind: kind, name: extra)
        }
        for (name, p) in zip(names, pointers) {
            state.buffers[name]!.withUnsafeBufferPointer { p.update(from: $0.baseAddress!, count: parameterCount) }
        }
        step = state.step
    }

    /// Checks the lengths passed to `step`.
    func checkLengths(_ parameters: UnsafeMutableBufferPointer<Float>, _ gradients: UnsafeBufferPointer<Float>) {
        precondition(parameters.count == parameterCount && gradients.count == parameterCount,
                     "\(kind): \(parameters.count) parameters and \(gradients.count) gradients for an optimizer of \(parameterCount)")
    }
}
