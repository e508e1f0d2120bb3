import CBLAS
import Foundation

/// What a worker computes on: the CPU model (from `/proc/cpuinfo`) and the OpenBLAS kernel it
/// selected (`openblas_get_corename`). Two workers with the same fingerprint run the same
/// instructions on a shard and must agree bit for bit; otherwise an audit allows a tolerance.
public enum ComputeFingerprint {
    /// `"<cpu model> / <openblas core>"`, e.g. `"AMD EPYC 7B13 / Zen"`; parts that cannot be read are `"unknown"`.
    public static func current() -> String {
        let core = openblas_get_corename().map { String(cString: $0) } ?? "unknown"
        return "\(cpuModel()) / \(core)"
    }

    private static func cpuModel() -> String {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return "unknown" }
        for line in text.split(separator: "\n") where line.hasPrefix("model name") {
            if let colon = line.firstIndex(of: ":") {
                return String(line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces).prefix(200))
            }
        }
        return "unknown"
    }
}
