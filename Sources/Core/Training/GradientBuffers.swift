/// A shard's gradients, written by a student replica and read in place by whoever takes the
/// result: the trainer's reducer, or the worker's socket, which sends the bytes from here
/// (``Frame``'s zero-copy send), or, in a local-mode worker, the coordinator itself, which
/// reads them from the worker's ``SharedMemoryRegion``. The ``FrameStorage`` contract, bytes
/// unchanged while any frame holds them, holds because ``GradientBuffers`` lets a student write
/// only into a buffer nothing else references (a worker keeps a shared buffer referenced until
/// the coordinator is done reading it).
final class GradientBuffer: FrameStorage, @unchecked Sendable {
    let values: UnsafeMutableBufferPointer<Float>
    /// The region holding the values, or nil for heap memory this buffer owns.
    private let region: SharedMemoryRegion?

    /// `count` zero floats on the heap.
    init(count: Int) {
        let memory = UnsafeMutablePointer<Float>.allocate(capacity: Swift.max(count, 1))
        memory.initialize(repeating: 0, count: Swift.max(count, 1))
        values = UnsafeMutableBufferPointer(start: memory, count: count)
        region = nil
        super.init(base: UnsafeRawPointer(memory), count: count * MemoryLayout<Float>.stride)
    }

    /// The `count` floats at `offset` of the writable `region`.
    init(region: SharedMemoryRegion, offset: Int, count: Int) {
        values = region.mutableFloats(offset: offset, count: count)
        self.region = region
        super.init(base: UnsafeRawPointer(values.baseAddress!), count: count * MemoryLayout<Float>.stride)
    }

    override var sharedOffset: Int? {
        guard let region else { return nil }
        return UnsafeRawPointer(values.baseAddress!) - UnsafeRawPointer(region.base)
    }

    deinit { if region == nil { values.baseAddress!.deallocate() } }
}

/// The gradient buffers of one executor's student: the one it writes into, and those that
/// results still hold. A step finds a buffer no result holds any more (in the trainer, the one
/// of the step before: results are dropped after each step; in a worker, whichever the socket
/// has sent, or the coordinator has read), so a step allocates nothing and copies no gradient;
/// only while all ``kept`` buffers are held does a shard get a fresh heap buffer of its own.
struct GradientBuffers {
    /// Buffers kept for reuse.
    static let kept = 3

    private let count: Int
    private var buffers: [GradientBuffer] = []
    /// Where kept buffers come from: `offsets` in a shared region (a local-mode worker's), else the heap.
    private let shared: (region: SharedMemoryRegion, offsets: [Int])?
    /// Index in `buffers` of the buffer the student is bound to, nil for a fresh one not kept.
    private var bound: Int? = 0

    /// One buffer of `count` floats, for `student` (bound to `parameters`) to write into; up
    /// to ``kept`` buffers at `shared`'s offsets when given.
    init(count: Int, student: Network, parameters: ModelParameters, shared: (region: SharedMemoryRegion, offsets: [Int])? = nil) {
        self.count = count
        self.shared = shared
        buffers = [makeKept(0)]
        student.bind(parameters, gradients: buffers[0].values.baseAddress!)
    }

    private func makeKept(_ index: Int) -> GradientBuffer {
        guard let shared, index < shared.offsets.count else { return GradientBuffer(count: count) }
        return GradientBuffer(region: shared.region, offset: shared.offsets[index], count: count)
    }

    /// The buffer `student` is bound to, after binding it to another one if a result still
    /// holds the current one.
    mutating func writable(for student: Network, parameters: ModelParameters) -> GradientBuffer {
        if let bound, isKnownUniquelyReferenced(&buffers[bound]) { return buffers[bound] }
        let buffer: GradientBuffer
        if let free = buffers.indices.first(where: { isKnownUniquelyReferenced(&buffers[$0]) }) {
            bound = free
            buffer = buffers[free]
        } else if buffers.count < Self.kept {
            buffers.append(makeKept(buffers.count))
            bound = buffers.count - 1
            buffer = buffers[buffers.count - 1]
        } else {
            bound = nil
            buffer = GradientBuffer(count: count)  // the result keeps it alive
        }
        student.bind(parameters, gradients: buffer.values.baseAddress!)
        return buffer
    }
}
