import Foundation
import XCTest
@testable import Core

/// The built `distill-coordinator` and `distill-worker` binaries as a user meets them: exact help
/// text (80 columns), `--version`, and exact error text for common mistakes.
final class CommandLineTests: XCTestCase {
    private var harness: ProcessHarness!
    override func setUp() { harness = ProcessHarness() }
    override func tearDown() { harness.cleanUp() }

    func testTrainHelp() throws {
        let help = try harness.run("distill-coordinator", ["train", "--help"], label: "train-help")
        XCTAssertEqual(help.status, 0)
        XCTAssertEqual(help.out, TRAIN + "\n")
    }

    func testEvaluateHelp() throws {
        let help = try harness.run("distill-coordinator", ["evaluate", "--help"], label: "evaluate-help")
        XCTAssertEqual(help.status, 0)
        XCTAssertEqual(help.out, EVALUATE + "\n")
    }

    func testWorkerHelpAndVersions() throws {
        let help = try harness.run("distill-worker", ["--help"], label: "worker-help")
        XCTAssertEqual(help.status, 0)
        XCTAssertEqual(help.out, WORKER + "\n")
        for executable in ["distill-coordinator", "distill-worker"] {
            let version = try harness.run(executable, ["--version"], label: executable + "-version")
            XCTAssertEqual(version.status, 0)
            XCTAssertEqual(version.out, DistillVersion.current + "\n")
        }
    }

    /// Every subcommand's help shows an example.
    func testEverySubcommandHasAnExample() throws {
        for command in [["train"], ["evaluate"], ["compare"], ["bench"], ["bench", "kd-step"], ["bench", "layers"], ["keygen"],
                        ["status"], ["plot"], ["export"], ["import"], ["predict"]] {
            let help = try harness.run("distill-coordinator", command + ["--help"], label: command.joined(separator: "-"))
            XCTAssertTrue(help.out.contains("Example"), "\(command): \(help.out)")
            XCTAssertTrue(help.out.contains("  distill-coordinator \(command.joined(separator: " ")) "), "\(command): \(help.out)")
        }
    }

    /// `bench layers` times every layer of the model it is given, folded for inference or in
    /// training, and says which mode it does not know.
    func testBenchLayersReportsEveryLayer() throws {
        func layers(_ mode: String) throws -> [[String: Any]] {
            let run = try harness.run("distill-coordinator", ["bench", "layers", "--model", "hinton-student", "--input", "28x28x1",
                                                              "--batch", "4", "--steps", "1", "--peak-size", "0", "--mode", mode],
                                      label: "bench-layers-" + mode)
            XCTAssertEqual(run.status, 0, run.err)
            let last = try XCTUnwrap(run.out.split(separator: "\n").last)
            let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(last.utf8)) as? [String: Any])
            XCTAssertEqual(json["benchmark"] as? String, "layers")
            return try XCTUnwrap(json["layers"] as? [[String: Any]])
        }
        // Training: flatten, dense, relu, dense, relu, dense. Folded: the three dense layers, activations fused.
        let training = try layers("training"), folded = try layers("inference")
        XCTAssertEqual(training.map { $0["layer"] as? String }, ["Flatten", "Dense", "ReLU", "Dense", "ReLU", "Dense"])
        XCTAssertEqual(folded.map { $0["layer"] as? String }, ["Dense", "Dense", "Dense"])
        for row in training + folded {
            XCTAssertGreaterThan(row["ms"] as? Double ?? 0, 0, "\(row)")
            if row["layer"] as? String == "Dense" { XCTAssertGreaterThan(row["gflops"] as? Double ?? 0, 0, "\(row)") }
        }
        let wrong = try harness.run("distill-coordinator", ["bench", "layers", "--mode", "eval"], label: "bench-layers-wrong")
        XCTAssertNotEqual(wrong.status, 0)
        XCTAssertTrue(wrong.err.contains("--mode takes inference or training"), wrong.err)
    }

    /// `bench kd-step --teacher none` times the student trained alone: no teacher phase, no
    /// teacher-only rate (null in the JSON), the student's FLOPs only.
    func testBenchKDStepTrainsTheStudentAloneWithoutATeacher() throws {
        func step(_ teacher: String) throws -> [String: Any] {
            let run = try harness.run("distill-coordinator", ["bench", "kd-step", "--teacher", teacher, "--student", "hinton-student",
                                                              "--input", "28x28x1", "--batch", "8", "--threads", "2", "--steps", "2",
                                                              "--warmup", "1", "--peak-size", "0"], label: "kd-step-" + teacher)
            XCTAssertEqual(run.status, 0, run.err)
            let last = try XCTUnwrap(run.out.split(separator: "\n").last)
            return try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(last.utf8)) as? [String: Any])
        }
        let alone = try step("none"), distilled = try step("hinton-teacher")
        XCTAssertEqual(alone["teacher"] as? String, "none")
        XCTAssertTrue(alone["teacher_samples_per_s"] is NSNull, "\(alone)")
        XCTAssertEqual((alone["breakdown_ms"] as? [String: Double])?["teacher"] ?? -1, 0, accuracy: 0.05)
        XCTAssertGreaterThan(alone["samples_per_s"] as? Double ?? 0, 0)
        XCTAssertGreaterThan(distilled["teacher_samples_per_s"] as? Double ?? 0, 0)
        // hinton-student: 784·800 + 800·800 + 800·10 multiply-adds, ×2 FLOPs, ×3 for forward and
        // backward, less the first layer's input gradient; the teacher adds its forward.
        let student = 2.0 * (3 * (784 * 800 + 800 * 800 + 800 * 10) - 784 * 800) / 1e9
        XCTAssertEqual(alone["gflop_per_sample"] as? Double ?? 0, student, accuracy: 1e-9)
        XCTAssertGreaterThan(distilled["gflop_per_sample"] as? Double ?? 0, student)
    }

    func testMistakesGetExactMessages() throws {
        let out = harness.scratch + "/never"
        let cases: [([String], String)] = [
            (["--set", "trian.steps=5"], "error: --set: unknown configuration key 'trian.steps'; did you mean train.steps?\n"),
            (["--set", "steps=5"], "error: --set: unknown configuration key 'steps'; did you mean train.steps?\n"),
            (["--set", "batch_size=64"], "error: --set: unknown configuration key 'batch_size'; did you mean train.batch_size or eval.batch_size?\n"),
            (["--set", "train.steps=-1"], "error: --set: train.steps = '-1' is invalid: expected an integer in 0…1000000000\n"),
            (["--set", "data.validation=1.5"],
             "error: --set: data.validation = '1.5' is invalid: expected 0, a fraction in (0, 1) or a whole count in 1…1000000\n"),
            (["--set", "augment.fill=reflect"], "error: --set: augment.fill = 'reflect' is invalid: expected one of nearest, constant\n"),
            (["--config", harness.scratch + "/missing.yaml"],
             "error: \(harness.scratch)/missing.yaml: cannot read configuration: no such file\n"),
        ]
        for (i, (arguments, message)) in cases.enumerated() {
            let result = try harness.run("distill-coordinator", ["train", "--out", out] + arguments, label: "mistake-\(i)")
            XCTAssertEqual(result.status, 1, "\(arguments)")
            XCTAssertEqual(result.err, message, "\(arguments)")
            XCTAssertEqual(result.out, "")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: out))
    }
}

private let TRAIN = #"""
            OVERVIEW: Train a teacher, or distil a student from a teacher checkpoint.

            Configuration keys are listed in docs/CONFIG.md; every key can be overridden
            with --set. --resume DIR continues a stopped run exactly from
            DIR/checkpoint.safetensors under DIR/config.yaml; --resume-if-exists does so
            for the --out folder when it holds a checkpoint and starts the run otherwise.
            With --bind and train.shards 0, each batch is cut into as many shards as the
            first --min-workers workers have compute threads together (distill-worker
            --threads). Exit status: 0 when the run completed, stopped early
            (train.early_stop_patience) or was stopped by a signal, 1 on an error, 3 when a
            step diverged (non-finite loss or gradient, or a loss above
            train.divergence_factor × the median): the folder then holds the last good
            step, with stopped_reason in summary.json.

            Examples:
              distill-coordinator train --out runs/teacher --set train.epochs=5
              distill-coordinator train --config fm.yaml --out runs/fm --local-workers 2
              distill-coordinator train --resume runs/fm

            USAGE: distill-coordinator train <options>

            OPTIONS:
              --config <config>       YAML configuration file (default: the run folder's
                                      config.yaml where a command reads one, else the
                                      built-in defaults).
              --set <key=value>       Override one configuration key, e.g. --set
                                      train.steps=20 (repeatable).
              --out <out>             Output folder: config.yaml, metrics.jsonl,
                                      summary.json, checkpoints and the weights.
              --resume <dir>          Continue the run in this folder from its last
                                      checkpoint, with its config.yaml.
              --resume-if-exists      If the --out folder holds a checkpoint, continue that
                                      run from it (as --resume does, with its config.yaml),
                                      else start it: a scheduler can restart the same
                                      command blindly.
              --bind <bind>           Serve workers on this address, e.g.
                                      tcp://0.0.0.0:5555 (distributed mode); with
                                      train.shards 0 the shards follow the first
                                      --min-workers workers' threads.
              --local-workers <local-workers>
                                      Start this many distill-worker processes on this
                                      machine (local mode; implies distributed mode).
                                      (default: 0)
              --shared-memory/--no-shared-memory
                                      With --local-workers and no --bind: hand the workers
                                      parameters and gradients through shared memory in
                                      /dev/shm instead of the socket (same results, less
                                      copying). (default: --shared-memory)
              --pin-workers/--no-pin-workers
                                      With --local-workers: run each worker on its own
                                      share of this process's CPUs when there are at least
                                      as many CPUs as workers (faster on a machine given to
                                      the run); --no-pin-workers lets the scheduler place
                                      them, for CPUs shared with other jobs. (default:
                                      --pin-workers)
              --min-workers <min-workers>
                                      Hand out shards only while at least this many workers
                                      are connected. (default: 1)
              --worker-timeout <worker-timeout>
                                      Seconds of silence after which a worker is dropped
                                      and its shards reassigned. (default: 10.0)
              --keys <keydir>         With --bind: serve CURVE-encrypted connections and
                                      admit only the workers whose keys are in
                                      KEYDIR/authorized (re-read on SIGHUP); make KEYDIR
                                      with distill-coordinator keygen.
              --insecure              With --bind tcp://: serve plain TCP, with no
                                      encryption and no authentication. Only on a network
                                      you trust.
              --audit-fraction <p>    Fraction of shards recomputed on a second worker and
                                      compared (default 0.02 with --bind tcp://, else 0).
              --audit-tolerance <audit-tolerance>
                                      Relative L2 difference allowed between audited
                                      results of workers with different CPUs or BLAS
                                      kernels. (default: 0.0001)
              --shard-deadline-factor <shard-deadline-factor>
                                      Reassign a shard held longer than this many times the
                                      median shard time plus --worker-timeout. (default:
                                      5.0)
              --progress <auto|bar|plain>
                                      How to show progress: a live bar per epoch on a
                                      terminal (auto), always the bar, or plain lines every
                                      train.log_every steps. (values: auto, bar, plain;
                                      default: auto)
              --metrics <address>     Serve Prometheus metrics at http://ADDRESS/metrics: a
                                      port (bound to 127.0.0.1) or HOST:PORT, e.g. 9464 or
                                      0.0.0.0:9464.
              --version               Show the version.
              -h, --help              Show help information.

            """#

private let EVALUATE = #"""
            OVERVIEW: Evaluate a trained model on the test split of a data set.

            The data comes from the run folder's config.yaml when --model is a run folder,
            else from the defaults; --config replaces it and --set overrides single keys.
            Prints the test accuracy, the accuracy of each class, the confusion matrix and,
            last, the report as one JSON object (test_accuracy, test_loss, count,
            per_class_accuracy, confusion_matrix, ...), which --json also writes to a file.

            Examples:
              distill-coordinator evaluate --model runs/student --json report.json
              distill-coordinator evaluate --model fm.safetensors --config fm.yaml

            USAGE: distill-coordinator evaluate --model <run> [--config <config>] [--set <key=value> ...] [--threads <threads>] [--json <file>]

            OPTIONS:
              --model <run>           A run folder (its teacher.safetensors or
                                      student.safetensors, and its config.yaml) or a
                                      .safetensors model file.
              --config <config>       YAML configuration file (default: the run folder's
                                      config.yaml where a command reads one, else the
                                      built-in defaults).
              --set <key=value>       Override one configuration key, e.g. --set
                                      train.steps=20 (repeatable).
              --threads <threads>     Compute threads (0: one per core). (default: 0)
              --json <file>           Also write the report as JSON to this file.
              --version               Show the version.
              -h, --help              Show help information.

            """#

private let WORKER = #"""
            OVERVIEW: Compute teacher inference and student gradients for a Distill
            coordinator.

            Serves one run after another: when the coordinator is not there yet, goes away
            or ends its run, the worker reconnects with back-off (0.5 s doubling to 30 s)
            and joins the next or the resumed run; SIGINT/SIGTERM stop it (exit 130). With
            --once it serves one run: exits 0 when the coordinator ends the run, 1 on any
            error (refused, coordinator lost, bad message), 130 on SIGINT/SIGTERM.

            Examples:
              distill-worker --connect tcp://coordinator:5555 \
                  --key keys/worker-1.key_secret --server-key keys/coordinator.key
              distill-worker --connect tcp://127.0.0.1:5555 --insecure --threads 2 --once

            USAGE: distill-worker --connect <connect> [--name <name>] [--coordinator-timeout <coordinator-timeout>] [--student <student>] [--teacher <teacher>] [--key <file.key_secret>] [--server-key <file.key>] [--insecure] [--threads <threads>] [--cpus <list>] [--shared-memory <dir>] [--once]

            OPTIONS:
              --connect <connect>     Coordinator address, e.g. tcp://coordinator:5555 or
                                      ipc:///tmp/distill.ipc.
              --name <name>           Name shown in the coordinator's logs (default: host
                                      name and process id).
              --coordinator-timeout <coordinator-timeout>
                                      Give up after this many seconds without a message
                                      from the coordinator. (default: 60.0)
              --student <student>     Refuse to join unless the run's student is this model
                                      (preset or spec file).
              --teacher <teacher>     With --student: the teacher the run must use (preset
                                      or spec file; omit for plain training).
              --key <file.key_secret> This worker's secret certificate from
                                      distill-coordinator keygen (or set DISTILL_KEY).
              --server-key <file.key> The coordinator's public certificate,
                                      KEYDIR/coordinator.key (or set DISTILL_SERVER_KEY).
              --insecure              Connect over plain TCP: no encryption, no
                                      authentication. Only on a network you trust.
              --threads <threads>     Shards computed at once, each on one thread with one
                                      BLAS thread (results do not depend on it); default:
                                      the host's cores, or the count of --cpus.
              --cpus <list>           Run only on these CPUs, a list such as 0,2 or 4-7 (as
                                      taskset -c takes): every thread of this worker, and
                                      --threads defaults to their count. Local mode sets it
                                      when the coordinator has at least as many CPUs as
                                      workers.
              --shared-memory <dir>   Local mode (set by distill-coordinator train
                                      --local-workers): the coordinator's shared-memory
                                      folder, where this worker reads the parameters and
                                      leaves its gradients instead of sending them through
                                      the socket.
              --once                  Serve one run and exit (0 when the coordinator ends
                                      it, 1 on an error), instead of serving run after run.
              --version               Show the version.
              -h, --help              Show help information.

            """#
