#if canImport(Glibc)
import Glibc
#endif

/// One anti-aliased shape of ``SyntheticShapes``: a signed-distance outline placed, rotated,
/// stretched and painted onto a float RGB canvas.
struct ShapeGlyph {
    /// The shape families, one per class of the built-in data set.
    enum Kind: Int, CaseIterable {
        case disc, square, triangle, cross, ring, horizontalStripes, verticalStripes, diagonalBar, twoDots, frame
    }

    var kind: Kind
    /// Centre in pixels (x right, y down).
    var centerX: Float, centerY: Float
    /// Pixels per shape unit; every outline fits in a radius of about 1.45 units.
    var radius: Float
    /// Rotation in radians.
    var angle: Float
    /// Aspect: the shape is `stretch` times wider and `1/stretch` times taller before rotating.
    var stretch: Float
    /// RGB colour, 0…255.
    var red: Float, green: Float, blue: Float

    /// Signed distance (in shape units, negative inside) from `(u, v)` to the outline.
    @inline(__always)
    func distance(_ u: Float, _ v: Float) -> Float {
        switch kind {
        case .disc: return (u * u + v * v).squareRoot() - 0.9
        case .square: return ShapeGlyph.box(u, v, 0.72, 0.72)
        case .triangle: return ShapeGlyph.triangle(u, v, 0.95)
        case .cross: return min(ShapeGlyph.box(u, v, 0.95, 0.26), ShapeGlyph.box(u, v, 0.26, 0.95))
        case .ring: return abs((u * u + v * v).squareRoot() - 0.7) - 0.2
        case .horizontalStripes: return ShapeGlyph.stripes(across: v, along: u)
        case .verticalStripes: return ShapeGlyph.stripes(across: u, along: v)
        case .diagonalBar: return ShapeGlyph.box(u, v, 1.25, 0.2)
        case .twoDots:
            let a = ((u - 0.55) * (u - 0.55) + v * v).squareRoot()
            let b = ((u + 0.55) * (u + 0.55) + v * v).squareRoot()
            return min(a, b) - 0.36
        case .frame: return abs(ShapeGlyph.box(u, v, 0.72, 0.72)) - 0.15
        }
    }

    /// Blends the glyph over `canvas` (`[height, width, 3]` floats) with a one-pixel soft edge.
    func paint(on canvas: UnsafeMutablePointer<Float>, height: Int, width: Int) {
        let reach = 1.5 * radius * max(stretch, 1 / stretch) + 1
        let x0 = max(Int(centerX - reach), 0), x1 = min(Int(centerX + reach) + 1, width)
        let y0 = max(Int(centerY - reach), 0), y1 = min(Int(centerY + reach) + 1, height)
        guard x0 < x1, y0 < y1 else { return }
        let c = cos(angle), s = sin(angle)
        let su = 1 / (radius * stretch), sv = stretch / radius
        for y in y0..<y1 {
            let dy = Float(y) + 0.5 - centerY
            var p = canvas + (y * width + x0) * 3
            for x in x0..<x1 {
                let dx = Float(x) + 0.5 - centerX
                let u = (c * dx + s * dy) * su
                let v = (c * dy - s * dx) * sv
                let alpha = min(max(0.5 - distance(u, v) * radius, 0), 1)
                if alpha > 0 {
                    p[0] += (red - p[0]) * alpha
                    p[1] += (green - p[1]) * alpha
                    p[2] += (blue - p[2]) * alpha
                }
                p += 3
            }
        }
    }

    /// Distance to an axis-aligned box of half-sizes `bx`, `by`.
    @inline(__always)
    static func box(_ u: Float, _ v: Float, _ bx: Float, _ by: Float) -> Float {
        let qx = abs(u) - bx, qy = abs(v) - by
        let ox = max(qx, 0), oy = max(qy, 0)
        return (ox * ox + oy * oy).squareRoot() + min(max(qx, qy), 0)
    }

    /// Three parallel bars 0.34 thick, 0.6 apart, running along `along`.
    @inline(__always)
    static func stripes(across: Float, along: Float) -> Float {
        let nearest = min(max((across / 0.6).rounded(), -1), 1) * 0.6
        return box(along, across - nearest, 0.9, 0.17)
    }

    /// Distance to an equilateral triangle of half-side `r` centred on its centroid, apex up
    /// (after Inigo Quilez's `sdEquilateralTriangle`).
    @inline(__always)
    static func triangle(_ u: Float, _ v: Float, _ r: Float) -> Float {
        let k: Float = 1.732_050_8
        var px = abs(u) - r
        var py = -v + r / k
        if px + k * py > 0 {
            (px, py) = ((px - k * py) / 2, (-k * px - py) / 2)
        }
        px -= min(max(px, -2 * r), 0)
        let d = (px * px + py * py).squareRoot()
        return py < 0 ? d : -d
    }
}
