import Core
import Foundation

/// The benchmark's data set: uniformly random uint8 images of any shape with random labels,
/// written as `.npy` files (`data.source: npy`) into a private temporary folder, so `bench kd-step`
/// runs every model on the input it needs and the peers in `bench/peers/` see the same kind of data.
struct BenchData {
    /// The folder holding `train_images.npy`, `train_labels.npy`, `test_images.npy`, `test_labels.npy`.
    let folder: String

    /// Writes `trainCount` training and `testCount` test images of `shape` (`[H, W, C]`) with
    /// labels in `0..<classes`, drawn from a generator with a fresh random seed.
    init(shape: [Int], trainCount: Int, testCount: Int, classes: Int) throws {
        folder = NSTemporaryDirectory() + "/distill-bench-data-\(getpid())"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        let random = KeyedRandom(seed: UInt64.random(in: 0...UInt64.max))
        for (index, (split, count)) in [("train", trainCount), ("test", testCount)].enumerated() {
            let stream = random.child(UInt64(index))
            let images = (0..<count * shape.reduce(1, *)).map { UInt8(truncatingIfNeeded: stream.bits(UInt64($0))) }
            let labels = (0..<count).map { Int32(stream.index(UInt64($0) | 1 << 63, below: classes)) }
            try BenchData.npy(descr: "|u1", shape: [count] + shape, body: Data(images)).write(to: URL(fileURLWithPath: "\(folder)/\(split)_images.npy"))
            try BenchData.npy(descr: "<i4", shape: [count], body: labels.withUnsafeBytes { Data($0) })
                .write(to: URL(fileURLWithPath: "\(folder)/\(split)_labels.npy"))
        }
    }

    /// Removes the folder.
    func remove() { try? FileManager.default.removeItem(atPath: folder) }

    /// An NPY 1.0 file: magic, version, header length, the header dictionary padded to 64 bytes, `body`.
    static func npy(descr: String, shape: [Int], body: Data) -> Data {
        let dims = shape.map(String.init).joined(separator: ", ") + (shape.count == 1 ? "," : "")
        var header = "{'descr': '\(descr)', 'fortran_order': False, 'shape': (\(dims)), }"
        while (10 + header.utf8.count + 1) % 64 != 0 { header += " " }
        header += "\n"
        var data = Data([0x93] + Array("NUMPY".utf8) + [1, 0])
        let length = UInt16(header.utf8.count)
        data.append(contentsOf: [UInt8(length & 0xFF), UInt8(length >> 8)])
        data.append(contentsOf: Array(header.utf8))
        data.append(body)
        return data
    }
}
