import XCTest
@testable import Core

/// Backward passes write every parameter gradient (Layer's contract), so nobody clears the
/// gradient buffer between steps: a buffer full of NaN before the pass must end with the very
/// bits of a cleared one. A slot no layer writes stays NaN; a slot added to turns NaN.
final class GradientWriteTests: XCTestCase {
    func testEveryPresetWritesEveryGradientWhateverTheBufferHeld() throws {
        let models: [(ModelSpec, [Int])] = ModelPresets.names.map { name in
            (ModelPresets.named(name)!, name.hasPrefix("hinton") ? [28, 28, 1] : [32, 32, 3])
        } + [(tinyStudent, [6, 6, 2]), (tinyTeacher, [6, 6, 2])]
        for (spec, inputShape) in models {
            let network = try Network(spec: spec, inputShape: inputShape, classes: 10)
            let parameters = ModelParameters(layout: network.layout)
            parameters.initialize(seed: 5)
            let count = network.layout.parameterCount
            let batch = 3
            let x = Tensor(shape: [batch] + inputShape,
                           values: GradientCheck.randomValues(batch * inputShape.reduce(1, *), seed: 6))
            let dLogits = Tensor(shape: [batch, 10], values: GradientCheck.randomValues(batch * 10, seed: 7))
            func gradients(startingFrom fill: Float) -> [UInt32] {
                var buffer = [Float](repeating: fill, count: count)
                return buffer.withUnsafeMutableBufferPointer { g in
                    network.bind(parameters, gradients: g.baseAddress!)
                    _ = network.forward(x, mode: .training(random: KeyedRandom(seed: 8), sampleOffset: 0))
                    network.backward(dLogits)
                    return g.map(\.bitPattern)
                }
            }
            let fromNaN = gradients(startingFrom: .nan)
            let fromZero = gradients(startingFrom: 0)
            XCTAssertEqual(fromNaN.count, count, spec.name)
            if let i = fromNaN.indices.first(where: { fromNaN[$0] != fromZero[$0] }) {
                XCTFail("\(spec.name): gradient \(i) of \(count) is \(Float(bitPattern: fromNaN[i])) from a NaN buffer, "
                        + "\(Float(bitPattern: fromZero[i])) from a cleared one")
            }
            XCTAssertFalse(fromZero.contains { Float(bitPattern: $0).isNaN }, spec.name)
        }
    }
}
