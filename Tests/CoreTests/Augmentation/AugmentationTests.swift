import Foundation
import XCTest
@testable import Core

final class AugmentationTests: XCTestCase {
    private func decode(_ json: String) throws -> Augmentation {
        try JSONDecoder().decode(Augmentation.self, from: Data(json.utf8))
    }

    func testRoundTrip() throws {
        for config in [Augmentation.none, Augmentation(widthShift: 0.1, heightShift: 0.2, fill: .constant(7), horizontalFlip: true, padCrop: 4)] {
            XCTAssertEqual(try JSONDecoder().decode(Augmentation.self, from: JSONEncoder().encode(config)), config)
        }
    }

    func testKeysAndDefaults() throws {
        XCTAssertEqual(try decode("{}"), .none)
        XCTAssertEqual(try decode(#"{"width_shift": 0.1, "fill": "constant", "fill_value": 128, "pad_crop": 2}"#),
                       Augmentation(widthShift: 0.1, fill: .constant(128), padCrop: 2))
        XCTAssertEqual(try decode(#"{"horizontal_flip": true, "height_shift": 0.05, "fill": "nearest"}"#),
                       Augmentation(heightShift: 0.05, horizontalFlip: true))
    }

    func testRejectsBadValues() {
        for (json, reason) in [
            (#"{"fill": "reflect"}"#, "fill is 'reflect', expected nearest or constant"),
            (#"{"width_shift": 1.5}"#, "width_shift is 1.5, expected a fraction in [0, 1)"),
            (#"{"pad_crop": -1}"#, "pad_crop is -1, expected pixels ≥ 0"),
            (#"{"fill_value": 3}"#, "fill_value needs fill: constant"),
        ] {
            XCTAssertThrowsError(try decode(json), json) { error in
                guard case let DecodingError.dataCorrupted(context)? = error as? DecodingError else { return XCTFail("\(error)") }
                XCTAssertEqual(context.debugDescription, reason)
            }
        }
    }
}
