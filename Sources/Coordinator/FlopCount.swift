import Core

/// Multiply-add work of the KD step, counted from the layers (2 FLOPs per multiply-add):
/// teacher forward, student forward, and the student's backward (weight gradient, plus the
/// input gradient for every trainable layer but the first).
struct FlopCount {
    let teacherForward: Double
    let studentTraining: Double
    var stepPerSample: Double { teacherForward + studentTraining }

    init(setup: TrainingSetup) throws {
        let student = try Network(spec: setup.studentSpec, inputShape: setup.inputShape, classes: setup.classes)
        let forward = FlopCount.forward(student.layers)
        // The first trainable layer computes no input gradient.
        let first = student.layers.first { !$0.parameterSpecs.isEmpty }
        studentTraining = 3 * forward - FlopCount.forward(first.map { [$0] } ?? [])
        if let t = setup.teacher {
            teacherForward = FlopCount.forward(try Network(spec: t.spec, inputShape: setup.inputShape, classes: setup.classes).layers)
        } else {
            teacherForward = 0
        }
    }

    /// Forward FLOPs per sample of convolutions and dense layers (nested ones included).
    static func forward(_ layers: [Layer]) -> Double {
        layers.reduce(0.0) { total, layer in
            if let container = layer as? LayerContainer { return total + forward(container.sublayers) }
            if let conv = layer as? Conv2D {
                let out = conv.outputShape
                return total + 2 * Double(out[0] * out[1] * out[2] * conv.kernelSize * conv.kernelSize * conv.inputShape[2])
            }
            if layer is Dense { return total + 2 * Double(layer.inputShape[0] * layer.outputShape[0]) }
            return total
        }
    }
}
