import XCTest
@testable import Core

final class DataSourceTests: XCTestCase {
    /// A data set whose files hold no records is an error naming the folder and the split
    /// (an empty training split would divide by zero steps per epoch).
    func testEmptySplitsAreErrors() throws {
        let dir = ScratchDirectory()
        let f = DataSource.idxFiles
        func write(images: Int, labels: Int, prefix: (String, String)) {
            dir.write(prefix.0, [0, 0, 8, 3] + bigEndian(images) + bigEndian(2) + bigEndian(2) + [UInt8](repeating: 1, count: 4 * images))
            dir.write(prefix.1, [0, 0, 8, 1] + bigEndian(labels) + [UInt8](repeating: 1, count: labels))
        }
        write(images: 0, labels: 0, prefix: (f.trainImages, f.trainLabels))
        write(images: 2, labels: 2, prefix: (f.testImages, f.testLabels))
        var config = RunConfig()
        try config.set("data.source", text: "idx")
        try config.set("data.path", text: dir.path)
        assertDataError(.empty(file: dir.path, split: "training"), message: "\(dir.path): the training split holds no images") {
            try DataSource.load(config)
        }
        write(images: 2, labels: 2, prefix: (f.trainImages, f.trainLabels))
        write(images: 0, labels: 0, prefix: (f.testImages, f.testLabels))
        assertDataError(.empty(file: dir.path, split: "test"), message: "\(dir.path): the test split holds no images") {
            try DataSource.load(config)
        }
    }
}
