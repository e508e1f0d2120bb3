import XCTest
@testable import Core

/// The prefetcher's batches are those of the keyed definition, in any request order, and a batch
/// a caller keeps is never changed by the refills that follow.
final class BatchPrefetcherTests: XCTestCase {
    /// 100 training images in batches of 32: three full batches and one of 4 per epoch, two shards.
    private func setup() throws -> TrainingSetup {
        let config = try RunConfig.load(path: nil, overrides: [
            "data.train_size=100", "data.validation=0", "data.test_size=16", "train.batch_size=32", "train.shards=2",
            "train.epochs=3", "augment.width_shift=0.2", "augment.pad_crop=2",
        ])
        return try TrainingSetup(config: config, parallelism: 1)
    }

    /// The batch of `step` computed directly: the epoch's keyed order, the keyed augmentation, the plan's shards.
    private func reference(_ s: TrainingSetup, step: Int) -> PreparedBatch {
        let epoch = step / s.stepsPerEpoch, seed = UInt64(s.config.int("seed"))
        let order = EpochOrder.permutation(count: s.train.count, seed: seed, epoch: epoch)
        let first = (step % s.stepsPerEpoch) * s.batchSize
        let samples = Array(order[first..<min(first + s.batchSize, s.train.count)])
        var images = [UInt8](repeating: 0, count: samples.count * s.train.imageBytes)
        images.withUnsafeMutableBufferPointer {
            augmentBatch(dataset: s.train, indices: samples, augmentation: s.augmentation, seed: seed,
                         epoch: s.augmentationRound(epoch: epoch), into: $0)
        }
        let tasks = ShardPlan(batchSize: samples.count, shards: s.shards)
            .tasks(images: images, labels: samples.map { s.train.labels[$0] }, height: s.train.height, width: s.train.width,
                   channels: s.train.channels)
        return PreparedBatch(step: step, epoch: epoch, samples: samples, tasks: tasks)
    }

    private func assertEqual(_ a: PreparedBatch, _ b: PreparedBatch, _ message: String) {
        XCTAssertEqual(a.step, b.step, message)
        XCTAssertEqual(a.epoch, b.epoch, message)
        XCTAssertEqual(a.samples, b.samples, message)
        XCTAssertEqual(a.tasks, b.tasks, message)
    }

    func testBatchesInOrderAndOutOfOrderAreTheKeyedOnes() throws {
        let s = try setup()
        XCTAssertEqual(s.stepsPerEpoch, 4)
        XCTAssertEqual(s.totalSteps, 12)
        let prefetcher = BatchPrefetcher(setup: s)
        for step in 0..<s.totalSteps { assertEqual(prefetcher.batch(step: step), reference(s, step: step), "step \(step) in order") }
        let jumping = BatchPrefetcher(setup: s)
        for step in [5, 2, 3, 11, 0, 7, 7, 8] {
            assertEqual(jumping.batch(step: step), reference(s, step: step), "step \(step) out of order")
        }
    }

    func testAKeptBatchIsNotChangedByLaterRefills() throws {
        let s = try setup()
        let prefetcher = BatchPrefetcher(setup: s)
        let kept = prefetcher.batch(step: 0)
        let keptImages = kept.tasks.map(\.images)
        for step in 1..<s.totalSteps { _ = prefetcher.batch(step: step) }
        assertEqual(kept, reference(s, step: 0), "kept batch")
        XCTAssertEqual(kept.tasks.map(\.images), keptImages)
    }

    func testAPlanRefillsMatchingShardsInPlaceAndRebuildsOthers() {
        let plan = ShardPlan(batchSize: 5, shards: 2)
        let images = (0..<10).map { UInt8($0) }, labels: [Int32] = [0, 1, 2, 3, 4]
        var tasks: [ShardTask] = []
        plan.fill(&tasks, images: images, labels: labels, height: 1, width: 2, channels: 1)
        XCTAssertEqual(tasks, plan.tasks(images: images, labels: labels, height: 1, width: 2, channels: 1))
        let storage = tasks[1].images.withUnsafeBufferPointer { $0.baseAddress }
        let other = images.map { $0 + 100 }, otherLabels: [Int32] = [5, 6, 7, 8, 9]
        plan.fill(&tasks, images: other, labels: otherLabels, height: 1, width: 2, channels: 1)
        XCTAssertEqual(tasks, plan.tasks(images: other, labels: otherLabels, height: 1, width: 2, channels: 1))
        XCTAssertEqual(tasks[1].images.withUnsafeBufferPointer { $0.baseAddress }, storage, "refilled in place")
        let short = ShardPlan(batchSize: 3, shards: 2)
        short.fill(&tasks, images: images, labels: labels, height: 1, width: 2, channels: 1)
        XCTAssertEqual(tasks, short.tasks(images: images, labels: labels, height: 1, width: 2, channels: 1), "another plan: rebuilt")
    }
}
