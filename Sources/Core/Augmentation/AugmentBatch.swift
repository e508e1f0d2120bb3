/// Writes the augmented images of `dataset` at `indices` into `output`, NHWC, in the order of
/// `indices` (`[indices.count, H, W, C]` bytes).
///
/// Sample `i` is augmented with `KeyedRandom(seed: seed, 1, epoch, i)`, so an augmented sample is
/// the same whichever process computes it and whichever batch it falls in. With `augment.views`
/// K ≥ 1 the trainer passes the view `epoch mod K` as `epoch` (``TrainingSetup/augmentationRound(epoch:)``),
/// so K views never repeat within K epochs and K ≥ the epoch count equals fresh augmentation.
public func augmentBatch(
    dataset: Dataset, indices: [Int], augmentation: Augmentation, seed: UInt64, epoch: Int,
    into output: UnsafeMutableBufferPointer<UInt8>
) {
    let bytes = dataset.imageBytes
    precondition(output.count >= indices.count * bytes, "output holds \(output.count) bytes, batch needs \(indices.count * bytes)")
    let augmenter = Augmenter(augmentation, height: dataset.height, width: dataset.width, channels: dataset.channels)
    dataset.images.withUnsafeBufferPointer { images in
        for (slot, sample) in indices.enumerated() {
            augmenter.apply(
                source: images.baseAddress! + sample * bytes, destination: output.baseAddress! + slot * bytes,
                random: KeyedRandom(seed: seed, RandomStream.augmentation, UInt64(epoch), UInt64(sample)))
        }
    }
}
