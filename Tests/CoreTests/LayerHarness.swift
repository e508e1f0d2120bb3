import XCTest
@testable import Core

/// A layer bound to freshly allocated, deterministic random parameters for tests.
final class BoundLayer {
    let layer: Layer
    let parameters: UnsafeMutableBufferPointer<Float>
    let gradients: UnsafeMutableBufferPointer<Float>
    let state: UnsafeMutableBufferPointer<Float>

    init(_ layer: Layer, seed: UInt64 = 1, scale: Float = 0.5) {
        self.layer = layer
        let p = layer.parameterSpecs.reduce(0) { $0 + $1.count }
        let s = layer.stateSpecs.reduce(0) { $0 + $1.count }
        parameters = .allocate(capacity: max(p, 1))
        gradients = .allocate(capacity: max(p, 1))
        state = .allocate(capacity: max(s, 1))
        let values = GradientCheck.randomValues(max(p, 1), seed: seed, scale: scale)
        for i in 0..<parameters.count { parameters[i] = values[i] }
        gradients.initialize(repeating: 0)
        state.initialize(repeating: 0)
        var offset = 0
        var views: [ParameterView] = []
        for spec in layer.parameterSpecs {
            // Give `ones`-initialised arrays (BatchNorm gamma, running variance) values near 1.
            if spec.initializer == .ones { for i in 0..<spec.count { parameters[offset + i] += 1 } }
            views.append(ParameterView(value: parameters.baseAddress! + offset, gradient: gradients.baseAddress! + offset, count: spec.count))
            offset += spec.count
        }
        var stateViews: [ParameterView] = []
        offset = 0
        for spec in layer.stateSpecs {
            if spec.initializer == .ones { for i in 0..<spec.count { state[offset + i] = 1 } }
            stateViews.append(ParameterView(value: state.baseAddress! + offset, gradient: nil, count: spec.count))
            offset += spec.count
        }
        layer.bind(parameters: views, state: stateViews)
    }

    deinit {
        parameters.deallocate()
        gradients.deallocate()
        state.deallocate()
    }
}

/// Checks a layer's input and parameter gradients against central differences (in Double)
/// of the scalar loss `Σ y ⊙ w` for a fixed random `w`.
func checkLayerGradients(
    _ layer: Layer, batch: Int, seed: UInt64 = 1, mode: ForwardMode? = nil,
    inputScale: Float = 1, h: Float = 1e-2, tolerance: Double, floor: Double = 1e-3,
    file: StaticString = #filePath, line: UInt = #line
) {
    let mode = mode ?? .training(random: KeyedRandom(seed: seed), sampleOffset: 0)
    let bound = BoundLayer(layer, seed: seed &+ 100)
    let xShape = [batch] + layer.inputShape
    let x = Tensor(shape: xShape, values: GradientCheck.randomValues(xShape.reduce(1, *), seed: seed, scale: inputScale))
    let yCount = batch * layer.outputShape.reduce(1, *)
    let w = GradientCheck.randomValues(yCount, seed: seed &+ 7)

    func loss() -> Double {
        let y = layer.forward(x, mode: mode)
        var s = 0.0
        for i in 0..<y.count { s += Double(y.storage[i]) * Double(w[i]) }
        return s
    }
    _ = loss()
    let dy = Tensor(shape: [batch] + layer.outputShape, values: w)
    bound.gradients.update(repeating: 0)
    let dx = layer.backward(dy).array
    let paramGrads = Array(bound.gradients)

    GradientCheck.check("\(type(of: layer)) input", f: loss, x: x.pointer, analytic: dx,
                        indices: GradientCheck.sampleIndices(count: x.count), h: h, tolerance: tolerance, floor: floor,
                        file: file, line: line)
    if !layer.parameterSpecs.isEmpty {
        GradientCheck.check("\(type(of: layer)) parameters", f: loss, x: bound.parameters.baseAddress!, analytic: paramGrads,
                            indices: GradientCheck.sampleIndices(count: paramGrads.count), h: h, tolerance: tolerance, floor: floor,
                            file: file, line: line)
    }
}
