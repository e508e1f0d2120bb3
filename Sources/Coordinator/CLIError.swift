import ArgumentParser
import Foundation

/// Runs `body` with line-buffered stdout, printing any Core error as one `error: ...` line on stderr and exiting with
/// status 1 (ArgumentParser's own errors pass through unchanged).
func reportingErrors(_ body: () throws -> Void) throws {
    // Progress lines must reach logs and pipes as they happen.
    setvbuf(stdout, nil, _IOLBF, 0)
    do {
        try body()
    } catch let error as ExitCode {
        throw error
    } catch let error as ValidationError {
        throw error
    } catch {
        FileHandle.standardError.write(Data("error: \(error)\n".utf8))
        throw ExitCode(1)
    }
}
