import ArgumentParser
import Core
import Foundation

/// `distill-coordinator bench layers`: where a model's time goes, layer by layer, on one thread
/// (one shard): each layer's time per call, its GFLOP/s counted as direct convolution, and its
/// fraction of the one-thread sgemm peak measured in the same run.
struct BenchLayers: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "layers",
        abstract: "Time and GFLOP/s of each layer of a model on one thread, against the one-thread sgemm peak.",
        discussion: """
            Inference runs the folded network (BatchNorm folded, activations fused), as the teacher \
            does; training runs each layer's training forward and backward, as the student does.

            Examples:
              distill-coordinator bench layers --model vgg8-teacher
              distill-coordinator bench layers --model seed-student --mode training
            """)

    @Option(help: "Model (preset or spec file).") var model = "vgg8-teacher"
    @Option(help: ArgumentHelp("Input image shape, height x width x channels.", valueName: "HxWxC")) var input = "32x32x3"
    @Option(help: "Samples per call (one shard).") var batch = 64
    @Option(help: "Measured calls per layer, after one warm-up call.") var steps = 20
    @Option(help: "inference (the folded network) or training (forward and backward).") var mode = "inference"
    @Option(help: "Side of the square sgemm measuring the one-thread peak (0: skip the peak).") var peakSize = 1024

    func validate() throws {
        if batch < 1 || steps < 1 { throw ValidationError("--batch and --steps must be positive") }
        if KDStep.parseShape(input) == nil { throw ValidationError("--input takes a shape such as 32x32x3 or 28x28x1") }
        if !["inference", "training"].contains(mode) { throw ValidationError("--mode takes inference or training") }
        if peakSize < 0 { throw ValidationError("--peak-size must not be negative") }
    }

    func run() throws {
        try reportingErrors {
            let shape = KDStep.parseShape(input)!, training = mode == "training"
            let peak = peakSize > 0 ? BLAS.measurePeakGFLOPS(threads: 1, size: peakSize) : nil
            let network = try Network(spec: try ModelSpec.load(model), inputShape: shape, classes: 10)
            let parameters = ModelParameters(layout: network.layout)
            parameters.initialize(seed: 1)
            let gradients = UnsafeMutablePointer<Float>.allocate(capacity: max(network.layout.parameterCount, 1))
            defer { gradients.deallocate() }
            gradients.initialize(repeating: 0, count: max(network.layout.parameterCount, 1))
            network.bind(parameters, gradients: training ? gradients : nil)
            // The folded network owns the folded weights its layers point into: keep it.
            let measured = training ? network : network.foldedForInference()
            let layers = measured.layers
            let random = KeyedRandom(seed: 7)
            let forwardMode: ForwardMode = training ? .training(random: random, sampleOffset: 0) : .inference
            var x = Tensor(shape: [batch] + shape, values: (0..<(batch * shape.reduce(1, *))).map { random.uniform(UInt64($0)) })
            print("Layers of \(model) (\(mode)), input \(input), batch \(batch), 1 thread, sgemm kernel \(BLAS.kernelName)"
                + (peak.map { ", one-thread peak \(String(format: "%.1f", $0)) GFLOP/s" } ?? ""))
            print("   #  layer            output            ms/call    GFLOP/s   of peak")
            var rows: [[String: Any]] = []
            var total = 0.0
            for (index, layer) in layers.enumerated() {
                let dy = Tensor(shape: [batch] + layer.outputShape,
                                values: (0..<(batch * layer.outputShape.reduce(1, *))).map { random.uniform(UInt64($0) + 1 << 40) - 0.5 })
                func call() -> Tensor {
                    let y = layer.forward(x, mode: forwardMode)
                    if training { _ = layer.backward(dy) }
                    return y
                }
                let y = call()
                let started = MonotonicClock.now()
                for _ in 0..<steps { _ = call() }
                let seconds = (MonotonicClock.now() - started) / Double(steps)
                let flops = Double(batch) * FlopCount.forward([layer]) * (training ? BenchLayers.trainingFactor(layer) : 1)
                let gflops = flops / seconds / 1e9
                let fraction = peak.map { flops > 0 ? gflops / $0 : 0 }
                total += seconds
                let name = String(describing: type(of: layer)), output = layer.outputShape.map(String.init).joined(separator: "×")
                func padded(_ text: String) -> String { text.padding(toLength: 15, withPad: " ", startingAt: 0) }
                print(String(format: "  %2d  ", index) + padded(name) + "  " + padded(output)
                    + String(format: "  %9.3f  %9.1f  ", 1000 * seconds, gflops) + (fraction.map { String(format: "%8.3f", $0) } ?? "       -"))
                var row: [String: Any] = ["index": index, "layer": name, "output_shape": layer.outputShape, "ms": 1000 * seconds, "gflops": gflops]
                if let fraction { row["fraction_of_peak"] = fraction }
                rows.append(row)
                x = Tensor(shape: y.shape, values: y.array)
            }
            withExtendedLifetime(measured) {}
            print(String(format: "  total %.3f ms per call", 1000 * total))
            var json: [String: Any] = ["benchmark": "layers", "model": model, "mode": mode, "input": input, "batch": batch,
                                       "sgemm_kernel": BLAS.kernelName, "layers": rows, "total_ms": 1000 * total]
            if let peak { json["one_thread_peak_gflops"] = peak }
            let data = try JSONSerialization.data(withJSONObject: json, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        }
    }

    /// FLOPs of a training call over its forward FLOPs: forward, weight gradient, and the input
    /// gradient unless the layer skips it (the first layer).
    static func trainingFactor(_ layer: Layer) -> Double {
        if let conv = layer as? Conv2D { return conv.computesInputGradient ? 3 : 2 }
        if let dense = layer as? Dense { return dense.computesInputGradient ? 3 : 2 }
        return 3
    }
}
