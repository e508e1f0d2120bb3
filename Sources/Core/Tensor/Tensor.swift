/// A dense, contiguous, row-major Float32 tensor.
///
/// Image tensors use the channels-last layout **NHWC** (`[batch, height, width, channels]`):
/// a convolution becomes one im2col + `cblas_sgemm` whose output is already NHWC, and the
/// channel dimension is contiguous for BatchNorm and bias loops. See `docs/MODELS.md`.
///
/// `Tensor` is a reference type so that layers can keep reusable workspaces: ``resize(to:)``
/// only reallocates when the new shape needs more room than the tensor has ever held.
public final class Tensor {
    /// The dimensions, outermost first.
    public private(set) var shape: [Int]
    /// The elements, `count` of them, in row-major order.
    public private(set) var storage: UnsafeMutableBufferPointer<Float>
    private var capacity: Int

    /// A zero-filled tensor of the given shape.
    public init(shape: [Int]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative dimension in \(shape)")
        let count = shape.reduce(1, *)
        self.shape = shape
        self.capacity = Swift.max(count, 1)
        let base = UnsafeMutablePointer<Float>.allocate(capacity: capacity)
        base.initialize(repeating: 0, count: capacity)
        self.storage = UnsafeMutableBufferPointer(start: base, count: count)
    }

    /// A tensor holding `values` with the given shape; the counts must agree.
    public convenience init(shape: [Int], values: [Float]) {
        self.init(shape: shape)
        precondition(values.count == count, "\(values.count) values for shape \(shape)")
        for i in 0..<values.count { storage[i] = values[i] }
    }

    deinit { storage.baseAddress?.deallocate() }

    /// Number of elements.
    @inlinable public var count: Int { storage.count }

    /// Pointer to the first element (valid while the tensor lives and is not resized).
    @inlinable public var pointer: UnsafeMutablePointer<Float> { storage.baseAddress! }

    /// Gives the tensor a new shape, reusing its memory when it is large enough.
    /// Contents are unspecified afterwards unless the element count is unchanged.
    public func resize(to newShape: [Int]) {
        let newCount = newShape.reduce(1, *)
        if newCount > capacity {
            storage.baseAddress?.deallocate()
            capacity = newCount
            let base = UnsafeMutablePointer<Float>.allocate(capacity: capacity)
            base.initialize(repeating: 0, count: capacity)
            storage = UnsafeMutableBufferPointer(start: base, count: newCount)
        } else {
            storage = UnsafeMutableBufferPointer(start: storage.baseAddress!, count: newCount)
        }
        shape = newShape
    }

    /// Gives the tensor the shape `[batch] + item`, like ``resize(to:)`` but without building the
    /// shape array (an allocation) when the tensor already has that shape: a layer's workspaces
    /// then allocate nothing once the batch size has been seen.
    public func resize(batch: Int, item: [Int]) {
        if shape.count == item.count + 1, shape[0] == batch {
            var same = true
            for i in 0..<item.count where shape[i + 1] != item[i] { same = false }
            if same { return }
        }
        resize(to: [batch] + item)
    }

    /// Sets every element to zero.
    public func zero() { storage.update(repeating: 0) }

    /// Copies shape and contents of `other` into this tensor.
    public func copy(from other: Tensor) {
        resize(to: other.shape)
        storage.baseAddress!.update(from: other.pointer, count: other.count)
    }

    /// The elements as an array (for tests and serialisation, not hot paths).
    public var array: [Float] { Array(storage) }

    /// Size of the leading (batch) dimension.
    @inlinable public var batch: Int { shape[0] }

    /// Elements per item of the leading dimension.
    @inlinable public var itemCount: Int { shape.count > 1 ? count / shape[0] : 1 }
}
