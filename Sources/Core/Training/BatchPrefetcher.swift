import Foundation

/// One step's global batch, drawn and augmented: the dataset indices of its samples and its
/// shard tasks.
public struct PreparedBatch: Sendable {
    /// The global step.
    public let step: Int
    /// The epoch the step belongs to.
    public let epoch: Int
    /// Dataset indices of the batch's samples, in batch order.
    public let samples: [Int]
    /// The batch cut into shards (``ShardPlan``), without teacher logits.
    public let tasks: [ShardTask]
}

/// Draws and augments batches on a thread of its own, one step ahead: while the shards of step
/// k are computed, step k + 1 is prepared. Batches are pure functions of the configuration and
/// the step (keyed order and augmentation), so preparing ahead changes no result; at most one
/// batch waits beside the one in use, so memory stays bounded.
///
/// The thread is started once and the batches alternate between two sets of arrays that are
/// refilled in place: once the caller lets go of the batch of step k − 1 (by asking for step k),
/// preparing step k + 1 allocates nothing. A caller that keeps a batch longer keeps valid values:
/// copy-on-write then gives the refill arrays of its own.
final class BatchPrefetcher: @unchecked Sendable {
    private let producer: Producer

    init(setup: TrainingSetup) {
        producer = Producer(setup: setup)
        let thread = Thread { [producer] in producer.serve() }
        thread.name = "distill-batch-prefetch"
        thread.start()
    }

    deinit { producer.stop() }

    /// The batch of `step`, prepared ahead if it was asked for last, else now; then starts on
    /// `step + 1` when the run has it.
    func batch(step: Int) -> PreparedBatch { producer.batch(step: step) }
}

/// The prefetch thread's state and work. `condition` guards the hand-over fields; the rest is
/// touched by the prefetch thread alone.
private final class Producer: @unchecked Sendable {
    private let setup: TrainingSetup
    private let condition = NSCondition()
    /// The step the thread is to prepare next, the one it is preparing, the last one it finished.
    private var wanted: Int?
    private var preparing: Int?
    private var ready: PreparedBatch?
    private var stopped = false

    /// The arrays a batch is built in: two sets, used by even and odd steps.
    private struct Arrays {
        var samples: [Int] = []
        var tasks: [ShardTask] = []
    }

    private var arrays = [Arrays(), Arrays()]
    private var order: (epoch: Int, indices: [Int]) = (-1, [])
    private var images: [UInt8]
    private var labels: [Int32] = []
    private var plan: ShardPlan?

    init(setup: TrainingSetup) {
        self.setup = setup
        images = [UInt8](repeating: 0, count: setup.batchSize * setup.train.imageBytes)
    }

    func stop() {
        condition.lock()
        stopped = true
        condition.broadcast()
        condition.unlock()
    }

    func batch(step: Int) -> PreparedBatch {
        condition.lock()
        defer { condition.unlock() }
        while ready?.step != step {
            if preparing != step, wanted != step {
                ready = nil
                wanted = step
                condition.broadcast()
            }
            condition.wait()
        }
        let batch = ready!
        ready = nil
        if step + 1 < setup.totalSteps {
            wanted = step + 1
            condition.broadcast()
        }
        return batch
    }

    /// The prefetch thread: prepares each wanted step until ``stop()``.
    func serve() {
        condition.lock()
        while true {
            while !stopped, wanted == nil { condition.wait() }
            if stopped { break }
            let step = wanted!
            wanted = nil
            preparing = step
            condition.unlock()
            let batch = prepare(step: step)
            condition.lock()
            preparing = nil
            ready = batch
            condition.broadcast()
        }
        condition.unlock()
    }

    /// Draws and augments the batch of `step` into the arrays of its parity.
    private func prepare(step: Int) -> PreparedBatch {
        let s = setup
        let epoch = step / s.stepsPerEpoch
        let seed = UInt64(s.config.int("seed"))
        if order.epoch != epoch {
            order.epoch = epoch
            EpochOrder.fill(&order.indices, count: s.train.count, seed: seed, epoch: epoch)
        }
        let first = (step % s.stepsPerEpoch) * s.batchSize
        let batchSamples = order.indices[first..<min(first + s.batchSize, s.train.count)]
        let slot = step % 2
        arrays[slot].samples.removeAll(keepingCapacity: true)
        arrays[slot].samples.append(contentsOf: batchSamples)
        labels.removeAll(keepingCapacity: true)
        for sample in batchSamples { labels.append(s.train.labels[sample]) }
        images.withUnsafeMutableBufferPointer { buffer in
            augmentBatch(dataset: s.train, indices: arrays[slot].samples, augmentation: s.augmentation, seed: seed,
                         epoch: s.augmentationRound(epoch: epoch), into: buffer)
        }
        if plan?.batchSize != batchSamples.count { plan = ShardPlan(batchSize: batchSamples.count, shards: s.shards) }
        plan!.fill(&arrays[slot].tasks, images: images, labels: labels,
                   height: s.train.height, width: s.train.width, channels: s.train.channels)
        return PreparedBatch(step: step, epoch: epoch, samples: arrays[slot].samples, tasks: arrays[slot].tasks)
    }
}
