import Foundation

/// The number of cores this process may use: the default thread count of the single-process
/// trainer and of `distill-worker --threads`.
public enum ProcessInfoCores {
    public static var count: Int { max(ProcessInfo.processInfo.activeProcessorCount, 1) }
}
