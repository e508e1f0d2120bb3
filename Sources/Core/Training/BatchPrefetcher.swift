import Dispatch

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
final class BatchPrefetcher: @unchecked Sendable {
    private let setup: TrainingSetup
    private let queue = DispatchQueue(label: "distill-batch-prefetch")
    /// Touched only on `queue`.
    private var order: (epoch: Int, indices: [Int]) = (-1, [])
    private var images: [UInt8]
    private var ahead: (step: Int, work: DispatchWorkItem, slot: Slot)?

    /// Holds a batch handed from the prefetch thread to the caller (`DispatchWorkItem.wait` orders the accesses).
    private final class Slot: @unchecked Sendable { var batch: PreparedBatch? }

    init(setup: TrainingSetup) {
        self.setup = setup
        images = [UInt8](repeating: 0, count: setup.batchSize * setup.train.imageBytes)
    }

    /// The batch of `step`, prepared ahead if it was asked for last, else now; then starts on `step + 1`
    /// when the run has it.
    func batch(step: Int) -> PreparedBatch {
        let batch: PreparedBatch
        if let ahead, ahead.step == step {
            ahead.work.wait()
            batch = ahead.slot.batch!
        } else {
            ahead?.work.wait()
            batch = queue.sync { prepare(step: step) }
        }
        ahead = nil
        if step + 1 < setup.totalSteps {
            let slot = Slot()
            let work = DispatchWorkItem { [weak self] in slot.batch = self?.prepare(step: step + 1) }
            queue.async(execute: work)
            ahead = (step + 1, work, slot)
        }
        return batch
    }

    /// Draws and augments the batch of `step` (on `queue`).
    private func prepare(step: Int) -> PreparedBatch {
        let s = setup
        let epoch = step / s.stepsPerEpoch
        let seed = UInt64(s.config.int("seed"))
        if order.epoch != epoch {
            order = (epoch, EpochOrder.permutation(count: s.train.count, seed: seed, epoch: epoch))
        }
        let first = (step % s.stepsPerEpoch) * s.batchSize
        let samples = Array(order.indices[first..<min(first + s.batchSize, s.train.count)])
        images.withUnsafeMutableBufferPointer { buffer in
            augmentBatch(dataset: s.train, indices: samples, augmentation: s.augmentation, seed: seed,
                         epoch: s.augmentationRound(epoch: epoch), into: buffer)
        }
        let tasks = ShardPlan(batchSize: samples.count, shards: s.shards)
            .tasks(images: images, labels: samples.map { s.train.labels[$0] },
                   height: s.train.height, width: s.train.width, channels: s.train.channels)
        return PreparedBatch(step: step, epoch: epoch, samples: samples, tasks: tasks)
    }
}
