#if DISTILL_LIBFUZZER
import CLibFuzzer
#endif
import Foundation
import FuzzHarness

/// `DistillFuzz`: runs one ``FuzzTarget`` over fuzz inputs.
///
/// Built by `make fuzz` with `-sanitize=fuzzer,address -D DISTILL_LIBFUZZER`, it is a libFuzzer
/// binary: the target comes from `DISTILL_FUZZ_TARGET`, every argument goes to libFuzzer
/// (`DistillFuzz -runs=1000000 Tests/FuzzCorpus/wire`). Built normally, it runs the
/// deterministic mutation harness instead: `DistillFuzz TARGET CORPUS_DIR MUTANTS [KEY]`.
/// Either way an input that traps, or is rejected with an error of a type the target does not
/// document, stops the process with a message.
@main
struct DistillFuzz {
    static func main() {
        #if DISTILL_LIBFUZZER
        guard let name = ProcessInfo.processInfo.environment["DISTILL_FUZZ_TARGET"], let target = FuzzTarget(rawValue: name) else {
            fail("set DISTILL_FUZZ_TARGET to one of \(FuzzTarget.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        Fuzzing.target = target
        Fuzzing.scratch = FuzzScratch(label: target.rawValue)
        var argc = CommandLine.argc
        var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
        let status = LLVMFuzzerRunDriver(&argc, &argv) { data, size in
            Fuzzing.check(Array(UnsafeBufferPointer(start: data, count: size)))
            return 0
        }
        Fuzzing.scratch?.remove()
        exit(status)
        #else
        runMutations(Array(CommandLine.arguments.dropFirst()))
        #endif
    }

    /// The deterministic harness: every seed of the corpus folder, then `MUTANTS` mutants.
    static func runMutations(_ arguments: [String]) {
        guard arguments.count == 3 || arguments.count == 4, let target = FuzzTarget(rawValue: arguments[0]),
              let mutants = UInt64(arguments[2]), let key = UInt64(arguments.count == 4 ? arguments[3] : "1") else {
            fail("usage: DistillFuzz TARGET CORPUS_DIR MUTANTS [KEY]; TARGET is one of "
                 + FuzzTarget.allCases.map(\.rawValue).joined(separator: ", "))
        }
        let seeds = FuzzCorpus.seeds(in: arguments[1]).map(\.bytes)
        guard !seeds.isEmpty else { fail("no seeds in \(arguments[1])") }
        Fuzzing.target = target
        Fuzzing.scratch = FuzzScratch(label: target.rawValue)
        let mutator = FuzzMutator(seeds: seeds, key: key)
        let start = Date()
        seeds.forEach(Fuzzing.check)
        for n in 0..<mutants { Fuzzing.check(mutator.mutant(n)) }
        let seconds = Date().timeIntervalSince(start)
        Fuzzing.scratch?.remove()
        let total = UInt64(seeds.count) + mutants
        print("\(target.rawValue): \(total) inputs (\(seeds.count) seeds), \(Fuzzing.accepted) accepted, "
              + "no crash, \(String(format: "%.1f", seconds)) s, \(Int(Double(total) / max(seconds, 1e-9))) exec/s")
    }

    static func fail(_ message: String) -> Never {
        FileHandle.standardError.write(Data((message + "\n").utf8))
        exit(2)
    }
}

/// The state the C callback reads (it cannot capture).
enum Fuzzing {
    nonisolated(unsafe) static var target = FuzzTarget.wire
    nonisolated(unsafe) static var scratch: FuzzScratch?
    nonisolated(unsafe) static var accepted = 0

    /// Runs one input; an untyped rejection stops the process (libFuzzer keeps the input).
    static func check(_ bytes: [UInt8]) {
        switch target.run(bytes, in: scratch!) {
        case .accepted: accepted += 1
        case .rejected: break
        case let .untyped(error): fatalError("\(target.rawValue): untyped error \(type(of: error)): \(error)")
        }
    }
}
