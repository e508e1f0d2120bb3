/// A run folder named on the command line as `folder` or `label=folder` (compare, plot): the
/// label names the run in tables and legends, and is the folder itself when not given.
struct RunArgument {
    let label: String
    let folder: String

    init(_ argument: String) {
        let parts = argument.split(separator: "=", maxSplits: 1).map(String.init)
        (label, folder) = parts.count == 2 ? (parts[0], parts[1]) : (argument, argument)
    }
}
