/// A shard's gradients, written by a student replica and read in place by whoever takes the
/// result: the trainer's reducer, or the worker's socket, which sends the bytes from here
/// (``Frame``'s zero-copy send). The ``FrameStorage`` contract, bytes unchanged while any
/// frame holds them, holds because ``GradientBuffers`` lets a student write only into a
/// buffer nothing else references.
final class GradientBuffer: FrameStorage, @unchecked Sendable {
    let values: UnsafeMutableBufferPointer<Float>

    /// `count` zero floats.
    init(count: Int) {
        let memory = UnsafeMutablePointer<Float>.allocate(capacity: Swift.max(count, 1))
        memory.initialize(repeating: 0, count: Swift.max(count, 1))
        values = UnsafeMutableBufferPointer(start: memory, count: count)
        super.init(base: UnsafeRawPointer(memory), count: count * MemoryLayout<Float>.stride)
    }

    deinit { values.baseAddress!.deallocate() }
}

/// The gradient buffers of one executor's student: the one it writes into, and those that
/// results still hold. A step finds a buffer no result holds any more (in the trainer, the one
/// of the step before: results are dropped after each step; in a worker, whichever the socket
/// has sent), so a step allocates nothing and copies no gradient; only while more than
/// ``kept`` results are held at once does it allocate a fresh buffer.
struct GradientBuffers {
    /// Buffers kept for reuse.
    static let kept = 3

    private let count: Int
    private var buffers: [GradientBuffer]
    /// The buffer the student is bound to.
    private var current = 0

    /// One buffer of `count` floats, for `student` (bound to `parameters`) to write into.
    init(count: Int, student: Network, parameters: ModelParameters) {
        self.count = count
        buffers = [GradientBuffer(count: count)]
        student.bind(parameters, gradients: buffers[0].values.baseAddress!)
    }

    /// The buffer `student` is bound to, after binding it to another one if a result still
    /// holds the current one.
    mutating func writable(for student: Network, parameters: ModelParameters) -> GradientBuffer {
        if isKnownUniquelyReferenced(&buffers[current]) { return buffers[current] }
        if let free = buffers.indices.first(where: { isKnownUniquelyReferenced(&buffers[$0]) }) {
            current = free
        } else if buffers.count < Self.kept {
            buffers.append(GradientBuffer(count: count))
            current = buffers.count - 1
        } else {
            buffers[current] = GradientBuffer(count: count)  // the results keep the old one alive
        }
        student.bind(parameters, gradients: buffers[current].values.baseAddress!)
        return buffers[current]
    }
}
