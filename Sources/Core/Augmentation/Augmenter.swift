/// Applies an ``Augmentation`` to single NHWC byte images, drawing every random choice from a
/// ``KeyedRandom`` so the same key always gives the same image.
///
/// Order and rules, for an image of `H × W`:
/// 1. **pad-crop** (`padCrop = p > 0`): pad `p` zero pixels on every side, then crop the `H × W`
///    window whose top-left corner is at `(oy, ox)` in the padded image, `oy, ox` uniform in `0…2p`
///    (counters 0 and 1). `oy = ox = p` is the identity.
/// 2. **shift**: `dx` uniform over the integers in `[−round(widthShift·W), +round(widthShift·W)]`
///    (counter 3; round half away from zero), `dy` likewise from `heightShift·H` (counter 2).
///    Output pixel `(y, x)` takes input `(y − dy, x − dx)`, so positive `dx` moves content right and
///    positive `dy` down. Pixels that come from outside take the nearest edge pixel (`.nearest`) or
///    the constant in every channel (`.constant`).
/// 3. **flip** (`horizontalFlip`): mirror left–right when the top bit of counter 4 is set (probability ½).
///
/// The three steps are composed into one source lookup per output pixel: no intermediate image,
/// no allocation.
public struct Augmenter {
    /// Where one image's window lands: crop corner in the padded image, shift and flip.
    struct Placement: Equatable {
        var cropY = 0, cropX = 0
        var shiftY = 0, shiftX = 0
        var flip = false
    }

    /// The transforms and their strengths.
    public let config: Augmentation
    /// Image size in pixels and channels per pixel.
    public let height: Int, width: Int, channels: Int
    /// Largest |dy| and |dx| in pixels.
    let maxShiftY: Int, maxShiftX: Int

    /// An augmenter for images of `height × width × channels` bytes.
    public init(_ config: Augmentation, height: Int, width: Int, channels: Int) {
        self.config = config
        self.height = height
        self.width = width
        self.channels = channels
        maxShiftY = Int((config.heightShift * Float(height)).rounded())
        maxShiftX = Int((config.widthShift * Float(width)).rounded())
    }

    /// The placement that leaves an image unchanged.
    var identity: Placement { Placement(cropY: config.padCrop, cropX: config.padCrop) }

    /// The random placement for the key of `random` (counters 0…4, as documented above).
    func placement(random: KeyedRandom) -> Placement {
        var p = identity
        if config.padCrop > 0 {
            p.cropY = random.index(0, below: 2 * config.padCrop + 1)
            p.cropX = random.index(1, below: 2 * config.padCrop + 1)
        }
        if maxShiftY > 0 { p.shiftY = random.index(2, below: 2 * maxShiftY + 1) - maxShiftY }
        if maxShiftX > 0 { p.shiftX = random.index(3, below: 2 * maxShiftX + 1) - maxShiftX }
        p.flip = config.horizontalFlip && random.bits(4) >> 63 == 1
        return p
    }

    /// Writes the augmented version of one `H × W × C` image at `source` to `destination`
    /// (which must not overlap it), with every random choice drawn from `random`.
    public func apply(source: UnsafePointer<UInt8>, destination: UnsafeMutablePointer<UInt8>, random: KeyedRandom) {
        apply(source: source, destination: destination, placement: placement(random: random))
    }

    /// Writes `source` transformed by an explicit `placement` to `destination`.
    func apply(source: UnsafePointer<UInt8>, destination: UnsafeMutablePointer<UInt8>, placement p: Placement) {
        // source: [H, W, C] -> destination: [H, W, C]
        let h = height, w = width, c = channels, pad = config.padCrop
        if p == identity {
            destination.update(from: source, count: h * w * c)
            return
        }
        var constant: UInt8?
        if case let .constant(value) = config.fill { constant = value }
        var out = destination
        for y in 0..<h {
            var shiftedY = y - p.shiftY
            let rowOutside = shiftedY < 0 || shiftedY >= h
            if rowOutside, let value = constant {
                out.update(repeating: value, count: w * c)
                out += w * c
                continue
            }
            shiftedY = min(max(shiftedY, 0), h - 1)
            let sourceY = shiftedY + p.cropY - pad
            let rowInPadding = sourceY < 0 || sourceY >= h
            for x in 0..<w {
                var shiftedX = (p.flip ? w - 1 - x : x) - p.shiftX
                if shiftedX < 0 || shiftedX >= w {
                    if let value = constant {
                        out.update(repeating: value, count: c)
                        out += c
                        continue
                    }
                    shiftedX = min(max(shiftedX, 0), w - 1)
                }
                let sourceX = shiftedX + p.cropX - pad
                if rowInPadding || sourceX < 0 || sourceX >= w {
                    out.update(repeating: 0, count: c)
                } else {
                    out.update(from: source + (sourceY * w + sourceX) * c, count: c)
                }
                out += c
            }
        }
    }
}
