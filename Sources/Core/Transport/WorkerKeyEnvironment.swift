/// The environment variables a worker reads its CURVE keys from when `--key` and
/// `--server-key` are not given (containers; and the workers local mode starts, whose
/// in-memory keys never appear on a command line). Each holds a certificate file's path, or
/// the certificate text itself (recognised by its line breaks).
public enum WorkerKeyEnvironment {
    /// The worker's secret certificate (`worker-i.key_secret`).
    public static let key = "DISTILL_KEY"
    /// The coordinator's public certificate (`coordinator.key`).
    public static let serverKey = "DISTILL_SERVER_KEY"

    /// The certificate that `value` of variable `variable` names or holds.
    /// - Throws: ``CurveCertificateError`` naming the file (or `$variable`) and line.
    public static func certificate(_ value: String, variable: String) throws -> CurveCertificate {
        if value.contains("\n") { return try CurveCertificate.parse(Array(value.utf8), file: "$" + variable) }
        return try CurveCertificate.load(value)
    }
}
