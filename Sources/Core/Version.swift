/// The version of Distill that `distill-coordinator --version` and `distill-worker --version` print.
public enum DistillVersion {
    /// Semantic version of this build.
    public static let current = "0.1.0"
}
