import CGEMM

/// A fully connected layer: `y = x · W + b`.
///
/// Per-sample shapes: input `[inputFeatures]`, output `[units]` (put a ``Flatten`` in front
/// of image tensors). Parameters, in binding order: `kernel` `[inputFeatures, units]` and, when
/// `useBias`, `bias` `[units]`, initialised by ``weightInit`` (fan-in `inputFeatures`, fan-out `units`).
/// Both passes are single `BLAS.gemm` calls on the whole batch.
public final class Dense: Layer {
    /// Features per input sample.
    public let inputFeatures: Int
    /// Features per output sample.
    public let units: Int
    /// Whether the layer adds a bias.
    public let useBias: Bool
    /// How ``kernel`` and ``bias`` are initialised.
    public let weightInit: WeightInit
    /// When false, ``backward(_:)`` skips `dx = dy · Wᵀ` (for a first layer, whose input
    /// gradient nobody reads) and returns a zero-filled tensor of the input's shape.
    public var computesInputGradient: Bool = true
    /// When true, ``backward(_:)`` leaves `dW = xᵀ · dy` to its caller and records its operands in
    /// ``deferredKernelGradient``: ``LocalShardPool`` then sums the shards' products in one
    /// product per layer (``KernelGradientFold``).
    var defersKernelGradient = false
    /// The operands of the kernel gradient the last ``backward(_:)`` left to its caller (with
    /// ``defersKernelGradient``): `x` `[rows, inputFeatures]` and `dy` `[rows, units]`, valid until
    /// the next forward or backward, and the kernel's gradient `[inputFeatures, units]`.
    private(set) var deferredKernelGradient: (x: UnsafePointer<Float>, dy: UnsafePointer<Float>, rows: Int,
                                              gradient: UnsafeMutablePointer<Float>)?
    /// Inference only (a folded teacher, ``Network/foldedForInference()``): when set, forward
    /// adds the bias and applies this activation as the GEMM stores its output. The
    /// weights must not change while it is set: the GEMM reads a copy packed at the first forward.
    public var fusedActivation: FusedActivation? { didSet { packedKernel = nil } }

    public let inputShape: [Int]
    public let outputShape: [Int]

    public var parameterSpecs: [ParameterSpec] {
        let kernel = ParameterSpec(name: "kernel", shape: [inputFeatures, units],
                                   initializer: weightInit.kernel(fanIn: inputFeatures, fanOut: units))
        guard useBias else { return [kernel] }
        return [kernel, ParameterSpec(name: "bias", shape: [units], initializer: weightInit.bias(fanIn: inputFeatures))]
    }

    private var kernel: ParameterView?
    private var bias: ParameterView?
    /// The input of the last forward call, read by backward.
    private var input: Tensor?
    private let output: Tensor
    /// The kernel packed for the GEMM at the first fused forward: a folded layer's weights never
    /// change after folding (binding or setting ``fusedActivation`` drops it).
    private(set) var packedKernel: PackedMatrix?
    private let inputGradient: Tensor
    /// `dxᵀ` `[inputFeatures, N]`, which ``backward(_:)`` computes and then transposes into ``inputGradient``.
    private let inputGradientTransposed: Tensor

    /// A layer mapping `inputFeatures` features to `units` features.
    public init(inputFeatures: Int, units: Int, useBias: Bool = true, weightInit: WeightInit = .standard) {
        precondition(inputFeatures > 0 && units > 0, "Dense needs positive sizes, got \(inputFeatures) -> \(units)")
        self.inputFeatures = inputFeatures
        self.units = units
        self.useBias = useBias
        self.weightInit = weightInit
        inputShape = [inputFeatures]
        outputShape = [units]
        output = Tensor(shape: [0, units])
        inputGradient = Tensor(shape: [0, inputFeatures])
        inputGradientTransposed = Tensor(shape: [inputFeatures, 0])
    }

    public func bind(parameters: [ParameterView], state: [ParameterView]) {
        precondition(parameters.count == (useBias ? 2 : 1), "Dense binds \(useBias ? 2 : 1) arrays, got \(parameters.count)")
        precondition(parameters[0].count == inputFeatures * units, "Dense kernel view has \(parameters[0].count) elements")
        kernel = parameters[0]
        packedKernel = nil
        if useBias {
            precondition(parameters[1].count == units, "Dense bias view has \(parameters[1].count) elements")
            bias = parameters[1]
        }
    }

    /// The packed kernel of a fused layer, packed from `kernel` the first time.
    private func packedForInference(_ kernel: ParameterView) -> PackedMatrix {
        if let packedKernel { return packedKernel }
        let packed = PackedMatrix()
        packed.pack(kernel.value, transposed: false, k: inputFeatures, n: units, ldb: units)
        packedKernel = packed
        return packed
    }

    /// Makes this fused layer's GEMM read `sibling`'s packed kernel (packed now if it was not
    /// yet), which must hold the values this layer is bound to: one copy for both.
    func sharePackedKernel(of sibling: Dense) {
        guard fusedActivation != nil, sibling.fusedActivation != nil, let kernel = sibling.kernel else { return }
        packedKernel = sibling.packedForInference(kernel)
    }

    /// `x: [N, inputFeatures] -> y: [N, units]`. Keeps a reference to `x` for ``backward(_:)``.
    public func forward(_ x: Tensor, mode: ForwardMode) -> Tensor {
        // x: [N, F] · W: [F, U] (+ b: [U]) -> y: [N, U]
        precondition(x.itemCount == inputFeatures && (x.shape.count == 2 || fusedActivation != nil),
                     "Dense expects [N, \(inputFeatures)] (inference-only: [N, ...] of \(inputFeatures) per sample), got \(x.shape)")
        guard let kernel else { preconditionFailure("Dense used before bind") }
        let n = x.shape[0]
        input = x
        output.resize(batch: n, item: outputShape)
        let y = output.pointer
        if let fusedActivation {
            precondition(!mode.isTraining, "Dense with a fused activation is inference-only")
            BLAS.gemm(m: n, a: x.pointer, lda: inputFeatures, packedB: packedForInference(kernel), bias: bias.map { UnsafePointer($0.value) },
                      activation: fusedActivation, c: y)
            return output
        }
        if let bias {
            for row in 0..<n { (y + row * units).update(from: bias.value, count: units) }
        }
        BLAS.gemm(m: n, n: units, k: inputFeatures,
                  a: x.pointer, lda: inputFeatures, b: kernel.value, ldb: units,
                  beta: bias == nil ? 0 : 1, c: y, ldc: units)
        return output
    }

    /// `dy: [N, units] -> dx: [N, inputFeatures]`; `dW = xᵀ · dy`, `db = Σ_rows dy` (written, not
    /// accumulated: the product stores with beta 0, which has the bits of beta 1 on a cleared
    /// buffer, since an FMA chain started from +0 never yields −0).
    /// Parameter gradients are skipped for views bound without a gradient (frozen models).
    public func backward(_ dy: Tensor) -> Tensor {
        // dy: [N, U], x: [N, F] -> dW: [F, U], db: [U], dx: [N, F]
        guard let kernel, let x = input else { preconditionFailure("Dense.backward before forward") }
        let n = x.shape[0]
        precondition(dy.shape == [n, units], "Dense.backward expects dy [\(n), \(units)], got \(dy.shape)")
        deferredKernelGradient = nil
        if let dW = kernel.gradient, defersKernelGradient {
            deferredKernelGradient = (UnsafePointer(x.pointer), UnsafePointer(dy.pointer), n, dW)
        } else if let dW = kernel.gradient {
            BLAS.gemm(transposeA: true, m: inputFeatures, n: units, k: n,
                      a: x.pointer, lda: inputFeatures, b: dy.pointer, ldb: units,
                      c: dW, ldc: units)
        }
        if let db = bias?.gradient {
            let g = dy.pointer
            db.update(repeating: 0, count: units)
            for row in 0..<n {
                let r = g + row * units
                for j in 0..<units { db[j] += r[j] }
            }
        }
        inputGradient.resize(batch: n, item: inputShape)
        if computesInputGradient, BLAS.kernel == .distillAVX512 {
            // dxᵀ = W · dyᵀ, then one transpose: Distill's kernel sums the same products in the
            // same order along k as for dy · Wᵀ (the same bits), but packs dyᵀ ([units, N], a
            // shard's few rows) instead of gathering all of Wᵀ ([units, inputFeatures]) on every
            // call. OpenBLAS orders the two products differently, so it keeps dy · Wᵀ.
            inputGradientTransposed.resize(batch: inputFeatures, item: [n])
            BLAS.gemm(transposeB: true, m: inputFeatures, n: n, k: units,
                      a: kernel.value, lda: units, b: dy.pointer, ldb: units,
                      c: inputGradientTransposed.pointer, ldc: n)
            // Runs wherever Distill's kernel does (both need AVX-512F).
            _ = distill_transpose(inputFeatures, n, inputGradientTransposed.pointer, n, inputGradient.pointer, inputFeatures)
        } else if computesInputGradient {
            BLAS.gemm(transposeB: true, m: n, n: inputFeatures, k: units,
                      a: dy.pointer, lda: units, b: kernel.value, ldb: units,
                      c: inputGradient.pointer, ldc: inputFeatures)
        } else {
            inputGradient.zero()
        }
        return inputGradient
    }
}
