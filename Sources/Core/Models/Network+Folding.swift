extension Network {
    /// An inference-only copy of this (bound) network for a frozen teacher: every BatchNorm that
    /// directly follows a ``Conv2D`` or ``Dense`` is folded into that layer's kernel and bias,
    ///
    ///     scale = gamma / sqrt(running_variance + epsilon)
    ///     kernel'[..., c] = kernel[..., c] · scale[c]
    ///     bias'[c] = bias[c] · scale[c] + (beta[c] − running_mean[c] · scale[c])
    ///
    /// a ``ReLU`` or ``LeakyReLU`` right after it is fused into the pass that adds the bias
    /// after the GEMM (``FusedActivation``), and ``Dropout`` (the identity in inference) and
    /// ``Flatten`` (``Dense`` reads any `[N, ...]` tensor as `[N, features]`) are dropped, so
    /// no layer copies its input. Other layers (pooling, ``BasicBlock``, a BatchNorm after
    /// anything else) are kept and share their objects with this network, which must not be
    /// used afterwards. The folded values live in new parameters computed once, here, from
    /// the bound ones: the same teacher gives the same folded teacher in every process.
    /// Forward in training mode is a precondition failure; backward does nothing.
    public func foldedForInference() -> Network {
        guard let parameters else { preconditionFailure("foldedForInference of an unbound network") }
        let typeNames = spec.layers.map(\.typeName)
        // Each layer's parameter and state arrays, in binding order.
        var p = 0, s = 0
        let arrays = layers.map { layer -> (values: [[Float]], state: [[Float]]) in
            let values = layer.parameterSpecs.map { spec -> [Float] in
                defer { p += spec.count }
                return Array(parameters.values[p..<(p + spec.count)])
            }
            let state = layer.stateSpecs.map { spec -> [Float] in
                defer { s += spec.count }
                return Array(parameters.state[s..<(s + spec.count)])
            }
            return (values, state)
        }
        let keptIndices = layers.indices.filter { !(layers[$0] is Dropout) }
        func kept(at position: Int) -> Layer? { position < keptIndices.count ? layers[keptIndices[position]] : nil }
        var folded: [Layer] = [], names: [String] = [], values: [[Float]] = [], state: [[Float]] = []
        var position = 0
        while let layer = kept(at: position) {
            let i = keptIndices[position]
            if layer is Flatten, kept(at: position + 1) is Dense {
                position += 1
                continue
            }
            guard layer is Conv2D || layer is Dense else {
                folded.append(layer)
                names.append(typeNames[i])
                values += arrays[i].values
                state += arrays[i].state
                position += 1
                continue
            }
            let units = layer.outputShape[layer.outputShape.count - 1]
            var kernel = arrays[i].values[0]
            var bias = arrays[i].values.count > 1 ? arrays[i].values[1] : [Float](repeating: 0, count: units)
            var next = position + 1
            if let bn = kept(at: next) as? BatchNorm {
                let (gamma, beta) = (arrays[keptIndices[next]].values[0], arrays[keptIndices[next]].values[1])
                let (mean, variance) = (arrays[keptIndices[next]].state[0], arrays[keptIndices[next]].state[1])
                for c in 0..<units {
                    let scale = gamma[c] / (variance[c] + bn.epsilon).squareRoot()
                    for r in Swift.stride(from: c, to: kernel.count, by: units) { kernel[r] *= scale }
                    bias[c] = bias[c] * scale + (beta[c] - mean[c] * scale)
                }
                next += 1
            }
            var activation = FusedActivation.identity
            if kept(at: next) is ReLU {
                activation = .relu
                next += 1
            } else if let leaky = kept(at: next) as? LeakyReLU {
                activation = .leakyReLU(alpha: leaky.alpha)
                next += 1
            }
            if let conv = layer as? Conv2D {
                let replacement = Conv2D(inputShape: conv.inputShape, filters: conv.filters, kernelSize: conv.kernelSize,
                                         stride: conv.stride, padding: conv.padding, useBias: true, weightInit: conv.weightInit)
                replacement.fusedActivation = activation
                folded.append(replacement)
            } else if let dense = layer as? Dense {
                let replacement = Dense(inputFeatures: dense.inputFeatures, units: dense.units, useBias: true, weightInit: dense.weightInit)
                replacement.fusedActivation = activation
                folded.append(replacement)
            }
            names.append(typeNames[i])
            values += [kernel, bias]
            position = next
        }
        let network = Network(spec: spec, inputShape: inputShape, classes: classes, layers: folded, typeNames: names)
        let foldedParameters = ModelParameters(layout: network.layout)
        for (entry, array) in zip(network.layout.parameters, values) {
            (foldedParameters.values.baseAddress! + entry.offset).update(from: array, count: entry.count)
        }
        for (entry, array) in zip(network.layout.state, state) {
            (foldedParameters.state.baseAddress! + entry.offset).update(from: array, count: entry.count)
        }
        network.bind(foldedParameters, gradients: nil)
        return network
    }

    /// Makes this folded teacher read `sibling`'s folded values and packed ``Dense`` kernels
    /// instead of its own, which it lets go: `sibling` was folded from the same teacher, so
    /// they hold the same bits. The threads of a process then keep one copy of the teacher in
    /// memory and in the caches, however many replicas they run; each replica keeps its own
    /// activations. Nothing changes when the layouts differ.
    func shareFoldedWeights(with sibling: Network) {
        guard let shared = sibling.parameters, shared.layout == layout, shared !== parameters else { return }
        bind(shared, gradients: nil)
        for case let (mine as Dense, theirs as Dense) in zip(layers, sibling.layers) { mine.sharePackedKernel(of: theirs) }
    }
}
