/// Reads images and labels saved with `numpy.save`.
///
/// Images: `|u1` (bytes) or `<f4` (float32) of shape `[N, H, W]` (one channel) or `[N, H, W, C]`,
/// C order. Float pixels are mapped to bytes by one rule for the whole file: when every value lies
/// in [0, 1] they are multiplied by 255, otherwise when every value lies in [0, 255] they are taken
/// as is; either way rounded to the nearest integer. Labels: any of `|u1 |i1 <i2 <i4 <i8 <u2 <u4 <u8`,
/// shape `[N]`.
public enum NPYReader {
    /// Reads an image array and a label array.
    /// - Parameter classes: labels must lie in `0..<classes`.
    /// - Throws: `DataError.io`, `.badMagic`, `.truncated`, `.unsupported` (element type, fortran
    ///   order), `.shapeMismatch` (ranks), `.pixelRange`, `.countMismatch`, `.labelOutOfRange`.
    public static func read(images: String, labels: String, classes: Int = 10) throws -> Dataset {
        let imageArray = try NPYArray(path: images)
        let labelArray = try NPYArray(path: labels)
        let shape = imageArray.shape
        guard shape.count == 3 || shape.count == 4 else {
            throw DataError.shapeMismatch(file: images, detail: "image array has shape \(shape), expected [N, H, W] or [N, H, W, C]")
        }
        guard labelArray.shape.count == 1 else {
            throw DataError.shapeMismatch(file: labels, detail: "label array has shape \(labelArray.shape), expected [N]")
        }
        guard labelArray.shape[0] == shape[0] else {
            throw DataError.countMismatch(images: images, imageCount: shape[0], labels: labels, labelCount: labelArray.shape[0])
        }
        return try Dataset(
            images: try pixelBytes(imageArray), labels: try classLabels(labelArray, classes: classes),
            height: shape[1], width: shape[2], channels: shape.count == 4 ? shape[3] : 1, classes: classes, source: labels)
    }

    /// Reads an image array alone (`[N, H, W]` or `[N, H, W, C]`, bytes or float32 by the rule above).
    /// - Returns: the NHWC bytes and the shape `[N, H, W, C]`.
    /// - Throws: as ``read(images:labels:classes:)``.
    public static func images(_ path: String) throws -> (bytes: [UInt8], shape: [Int]) {
        let array = try NPYArray(path: path)
        let shape = array.shape
        guard shape.count == 3 || shape.count == 4 else {
            throw DataError.shapeMismatch(file: path, detail: "image array has shape \(shape), expected [N, H, W] or [N, H, W, C]")
        }
        return (try pixelBytes(array), shape.count == 4 ? shape : shape + [1])
    }

    /// The image elements as bytes (see the float rule above).
    private static func pixelBytes(_ array: NPYArray) throws -> [UInt8] {
        switch array.element {
        case .u1:
            return Array(array.data)
        case .f4:
            let values = (0..<array.count).map { Float(array.double(at: $0)) }
            let low = values.min() ?? 0
            let high = values.max() ?? 0
            guard low >= 0, high <= 255, !values.contains(where: \.isNaN) else {
                throw DataError.pixelRange(file: array.file, min: low, max: high)
            }
            let scale: Float = high <= 1 ? 255 : 1
            return values.map { UInt8(($0 * scale).rounded()) }
        default:
            throw DataError.unsupported(file: array.file, detail: "image element type '\(array.element.rawValue)', expected '|u1' or '<f4'")
        }
    }

    /// The label elements as Int32; values too large for Int32 are reported as out of range.
    private static func classLabels(_ array: NPYArray, classes: Int) throws -> [Int32] {
        guard array.element != .f4 else {
            throw DataError.unsupported(file: array.file, detail: "label element type '<f4', expected an integer type")
        }
        return try (0..<array.count).map { i in
            let value = array.double(at: i)
            guard let label = Int32(exactly: value) else {
                throw DataError.labelOutOfRange(file: array.file, record: i, label: Int(clamping: Int64(exactly: value) ?? .max), classes: classes)
            }
            return label
        }
    }
}
