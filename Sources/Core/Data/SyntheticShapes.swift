#if canImport(Glibc)
import Glibc
#endif

/// The built-in data set: ten classes of procedurally drawn shapes, RGB, 32×32 by default.
///
/// The class is the shape (``classNames``), never the colour. Sample `i` of seed `s` is a pure
/// function of `KeyedRandom(seed: s, RandomStream.synthetic, i)`; its label is `i mod 10`. Each
/// image has: a textured, graded background; one main shape with random position, size (8–12 px
/// radius at 32 px), rotation (limited to ±17° for stripes and ±(45°±14°) for the diagonal bar),
/// aspect (0.8–1.25) and colour at a random contrast (110–200 RGB units); in 30 % of images one
/// smaller distractor shape of any class behind it (0.2–0.3 of its size); in 10 % an occluding
/// rectangle over part of it; and Gaussian pixel noise of σ 3–14. The difficulty is tuned so that
/// the demo's small CNN trained alone stays clearly below the teacher (docs/DATA.md).
public enum SyntheticShapes {
    /// Class names, indexed by label.
    public static let classNames = [
        "disc", "square", "triangle", "cross", "ring",
        "horizontal stripes", "vertical stripes", "diagonal bar", "two dots", "frame",
    ]

    /// Samples `firstIndex ..< firstIndex + count` of seed `seed`, `height × width × 3`.
    /// A sample does not depend on `count` or on the other samples.
    public static func make(count: Int, seed: UInt64, firstIndex: Int = 0, height: Int = 32, width: Int = 32) -> Dataset {
        let bytes = height * width * 3
        var images = [UInt8](repeating: 0, count: count * bytes)
        let labels = (0..<count).map { label(ofSample: firstIndex + $0) }
        let canvas = UnsafeMutablePointer<Float>.allocate(capacity: bytes)
        defer { canvas.deallocate() }
        images.withUnsafeMutableBufferPointer { out in
            for i in 0..<count {
                render(seed: seed, sample: firstIndex + i, height: height, width: width, canvas: canvas,
                       into: out.baseAddress! + i * bytes)
            }
        }
        // Sizes and labels are right by construction.
        return try! Dataset(images: images, labels: labels, height: height, width: width, channels: 3, classes: 10,
                            source: "SyntheticShapes")
    }

    /// The class of sample `index`.
    static func label(ofSample index: Int) -> Int32 { Int32(index % 10) }

    /// Draws sample `sample` into `image` (`[height, width, 3]` bytes) using `canvas`
    /// (`height · width · 3` floats) as scratch.
    static func render(
        seed: UInt64, sample: Int, height: Int, width: Int, canvas: UnsafeMutablePointer<Float>, into image: UnsafeMutablePointer<UInt8>
    ) {
        let random = KeyedRandom(seed: seed, RandomStream.synthetic, UInt64(sample))
        let unit = Float(min(height, width)) / 32
        let background = random.child(0)
        let base = (20 + 215 * background.uniform(0), 20 + 215 * background.uniform(1), 20 + 215 * background.uniform(2))
        paintBackground(base, random: background, height: height, width: width, canvas: canvas)

        let mainRandom = random.child(1)
        let kind = ShapeGlyph.Kind(rawValue: Int(label(ofSample: sample)))!
        let main = glyph(kind, radius: unit * (8 + 4 * mainRandom.uniform(10)), over: base,
                         random: mainRandom, height: height, width: width)

        let distractors = random.uniform(5) < 0.3 ? 1 : 0
        for d in 0..<distractors {
            let r = random.child(10 + UInt64(d))
            let radius = max(main.radius * (0.2 + 0.1 * r.uniform(10)), 2 * unit)
            glyph(ShapeGlyph.Kind(rawValue: r.index(11, below: 10))!, radius: radius, over: base, random: r,
                  height: height, width: width).paint(on: canvas, height: height, width: width)
        }
        main.paint(on: canvas, height: height, width: width)

        let occluder = random.child(3)
        if occluder.uniform(0) < 0.1 {
            let colour = occluder.uniform(1) < 0.5 ? base : randomColour(occluder.child(0), base: base)
            ShapeGlyph(kind: .square,
                       centerX: main.centerX + main.radius * (1.8 * occluder.uniform(2) - 0.9),
                       centerY: main.centerY + main.radius * (1.8 * occluder.uniform(3) - 0.9),
                       radius: main.radius * (0.3 + 0.3 * occluder.uniform(4)), angle: 2 * .pi * occluder.uniform(5),
                       stretch: 0.6 + 0.8 * occluder.uniform(6), red: colour.0, green: colour.1, blue: colour.2)
                .paint(on: canvas, height: height, width: width)
        }
        quantise(canvas, noise: random.child(4), count: height * width * 3, into: image)
    }

    /// A glyph of `kind` and `radius` at a random place, rotation, aspect and colour (counters 0…9 of `random`).
    private static func glyph(
        _ kind: ShapeGlyph.Kind, radius: Float, over base: (Float, Float, Float), random: KeyedRandom, height: Int, width: Int
    ) -> ShapeGlyph {
        let margin = 0.8 * radius
        let angle: Float
        switch kind {
        case .horizontalStripes, .verticalStripes: angle = 0.3 * (2 * random.uniform(0) - 1)
        case .diagonalBar: angle = (random.uniform(1) < 0.5 ? 1 : -1) * (Float.pi / 4 + 0.25 * (2 * random.uniform(0) - 1))
        default: angle = 2 * .pi * random.uniform(0)
        }
        let colour = randomColour(random, base: base)
        return ShapeGlyph(
            kind: kind,
            centerX: margin + max(Float(width) - 2 * margin, 0) * random.uniform(2),
            centerY: margin + max(Float(height) - 2 * margin, 0) * random.uniform(3),
            radius: radius, angle: angle, stretch: pow(1.25, 2 * random.uniform(4) - 1),
            red: colour.0, green: colour.1, blue: colour.2)
    }

    /// A colour 50–140 RGB units from `base` in a random direction (`uniform(5)`, `normal(6…8)`), reflected when clipping
    /// would leave it less than 40 (summed over channels) from `base`.
    private static func randomColour(_ random: KeyedRandom, base: (Float, Float, Float)) -> (Float, Float, Float) {
        let contrast = 110 + 90 * random.uniform(5)
        var dr = random.normal(6), dg = random.normal(7), db = random.normal(8)
        let norm = max((dr * dr + dg * dg + db * db).squareRoot(), 1e-3)
        dr *= contrast / norm; dg *= contrast / norm; db *= contrast / norm
        func clip(_ sign: Float) -> (Float, Float, Float) {
            (min(max(base.0 + sign * dr, 0), 255), min(max(base.1 + sign * dg, 0), 255), min(max(base.2 + sign * db, 0), 255))
        }
        let forward = clip(1)
        let reach = abs(forward.0 - base.0) + abs(forward.1 - base.1) + abs(forward.2 - base.2)
        return reach >= 40 ? forward : clip(-1)
    }

    /// Fills `canvas` with `base` plus a linear gradient (±40) and a low-frequency product of
    /// sinusoids (amplitude ≤ 25, periods 10–40 px), the same in every channel.
    private static func paintBackground(
        _ base: (Float, Float, Float), random: KeyedRandom, height: Int, width: Int, canvas: UnsafeMutablePointer<Float>
    ) {
        let gx = 50 * (random.uniform(3) - 0.5) / Float(width), gy = 50 * (random.uniform(4) - 0.5) / Float(height)
        let amplitude = 15 * random.uniform(5)
        let fx = 2 * Float.pi / (10 + 30 * random.uniform(6)), fy = 2 * Float.pi / (10 + 30 * random.uniform(7))
        let phaseX = 2 * Float.pi * random.uniform(8), phaseY = 2 * Float.pi * random.uniform(9)
        withUnsafeTemporaryAllocation(of: Float.self, capacity: width) { column in
            for x in 0..<width { column[x] = gx * (Float(x) - Float(width) / 2) }
            var p = canvas
            for y in 0..<height {
                let rowShift = gy * (Float(y) - Float(height) / 2)
                let rowWave = amplitude * sin(fy * Float(y) + phaseY)
                for x in 0..<width {
                    let t = column[x] + rowShift + rowWave * sin(fx * Float(x) + phaseX)
                    p[0] = base.0 + t
                    p[1] = base.1 + t
                    p[2] = base.2 + t
                    p += 3
                }
            }
        }
    }

    /// Adds Gaussian-like noise of σ 4–22 (the sum of four random bytes, standardised: two values
    /// per 64-bit draw) and rounds into bytes, clamped to 0…255.
    private static func quantise(_ canvas: UnsafeMutablePointer<Float>, noise: KeyedRandom, count: Int, into image: UnsafeMutablePointer<UInt8>) {
        let sigma = (3 + 11 * noise.uniform(0)) / 147.8  // sd of a sum of four bytes = √(4·(256² − 1)/12)
        var i = 0
        var counter: UInt64 = 1
        while i < count {
            let bits = noise.bits(counter)
            counter += 1
            var word = bits
            for j in 0..<2 where i + j < count {
                let sum = Int(word & 0xFF) + Int(word >> 8 & 0xFF) + Int(word >> 16 & 0xFF) + Int(word >> 24 & 0xFF)
                word >>= 32
                let value = canvas[i + j] + sigma * Float(sum - 510)
                image[i + j] = UInt8(min(max(value, 0), 255).rounded())
            }
            i += 2
        }
    }
}
