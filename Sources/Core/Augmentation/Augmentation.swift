/// Which random transforms the training pipeline applies to each image, and how strongly.
///
/// In YAML (every key optional, absent means off):
/// ```yaml
/// augmentation:
///   width_shift: 0.1      # fraction of the width
///   height_shift: 0.1     # fraction of the height
///   fill: nearest         # or: constant, with fill_value: 0
///   horizontal_flip: true
///   pad_crop: 4           # pixels of zero padding before a random crop
/// ```
/// See ``Augmenter`` for the exact rules and their order (pad-crop, shift, flip).
public struct Augmentation: Codable, Sendable, Equatable {
    /// How pixels shifted in from outside the image are filled.
    public enum Fill: Sendable, Equatable {
        /// Repeat the nearest edge pixel (Keras `fill_mode="nearest"`).
        case nearest
        /// Use this value in every channel (Keras `fill_mode="constant", cval=`).
        case constant(UInt8)
    }

    /// The fill's name, as `augment.fill` and the YAML form spell it.
    public enum FillName: String, ConfigChoice {
        case nearest, constant
    }

    /// Largest horizontal shift as a fraction of the width, in [0, 1).
    public var widthShift: Float
    /// Largest vertical shift as a fraction of the height, in [0, 1).
    public var heightShift: Float
    /// Fill for pixels shifted in.
    public var fill: Fill
    /// Mirror left–right with probability ½.
    public var horizontalFlip: Bool
    /// Zero padding on every side before cropping a random window of the original size (pixels, ≥ 0).
    public var padCrop: Int

    /// An augmentation with the given settings; every default is "off". Requires shifts in
    /// [0, 1) and `padCrop ≥ 0` (a precondition: the configuration schema bounds these keys and
    /// the decoder below checks its input).
    public init(widthShift: Float = 0, heightShift: Float = 0, fill: Fill = .nearest, horizontalFlip: Bool = false, padCrop: Int = 0) {
        precondition((0..<1).contains(widthShift) && (0..<1).contains(heightShift) && padCrop >= 0, "bad augmentation settings")
        self.widthShift = widthShift
        self.heightShift = heightShift
        self.fill = fill
        self.horizontalFlip = horizontalFlip
        self.padCrop = padCrop
    }

    /// No augmentation: every image passes through unchanged.
    public static let none = Augmentation()

    private enum CodingKeys: String, CodingKey {
        case widthShift = "width_shift", heightShift = "height_shift", fill, fillValue = "fill_value"
        case horizontalFlip = "horizontal_flip", padCrop = "pad_crop"
    }

    /// Decodes the YAML form above.
    /// - Throws: `DecodingError.dataCorrupted` naming the key for a shift outside [0, 1), a negative
    ///   `pad_crop`, a `fill` other than `nearest`/`constant`, or `fill_value` without `fill: constant`.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        widthShift = try c.decodeIfPresent(Float.self, forKey: .widthShift) ?? 0
        heightShift = try c.decodeIfPresent(Float.self, forKey: .heightShift) ?? 0
        horizontalFlip = try c.decodeIfPresent(Bool.self, forKey: .horizontalFlip) ?? false
        padCrop = try c.decodeIfPresent(Int.self, forKey: .padCrop) ?? 0
        let value = try c.decodeIfPresent(UInt8.self, forKey: .fillValue)
        let name = try c.decodeIfPresent(String.self, forKey: .fill) ?? FillName.nearest.rawValue
        switch FillName(rawValue: name) {
        case .nearest where value == nil: fill = .nearest
        case .nearest:
            throw DecodingError.dataCorruptedError(forKey: .fillValue, in: c, debugDescription: "fill_value needs fill: constant")
        case .constant: fill = .constant(value ?? 0)
        case nil:
            throw DecodingError.dataCorruptedError(forKey: .fill, in: c,
                                                   debugDescription: "fill is '\(name)', expected \(FillName.names.joined(separator: " or "))")
        }
        for (key, shift) in [(CodingKeys.widthShift, widthShift), (.heightShift, heightShift)] where !(0..<1).contains(shift) {
            throw DecodingError.dataCorruptedError(forKey: key, in: c, debugDescription: "\(key.rawValue) is \(shift), expected a fraction in [0, 1)")
        }
        guard padCrop >= 0 else {
            throw DecodingError.dataCorruptedError(forKey: .padCrop, in: c, debugDescription: "pad_crop is \(padCrop), expected pixels ≥ 0")
        }
    }

    /// Encodes the YAML form above (`fill_value` only with `fill: constant`).
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(widthShift, forKey: .widthShift)
        try c.encode(heightShift, forKey: .heightShift)
        switch fill {
        case .nearest: try c.encode(FillName.nearest.rawValue, forKey: .fill)
        case let .constant(value):
            try c.encode(FillName.constant.rawValue, forKey: .fill)
            try c.encode(value, forKey: .fillValue)
        }
        try c.encode(horizontalFlip, forKey: .horizontalFlip)
        try c.encode(padCrop, forKey: .padCrop)
    }
}
