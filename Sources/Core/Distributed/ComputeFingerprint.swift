import Foundation

/// What a worker computes on: the CPU model (from `/proc/cpuinfo`) and the sgemm it runs
/// (``BLAS/kernelName``). Two workers with the same fingerprint run the same instructions on a
/// shard and must agree bit for bit; otherwise an audit allows a tolerance.
public enum ComputeFingerprint {
    /// `"<cpu model> / <sgemm kernel>"`, e.g. `"AMD EPYC 7B13 / openblas Zen"`; parts that cannot be read are `"unknown"`.
    public static func current() -> String {
        "\(cpuModel()) / \(BLAS.kernelName)"
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
