import XCTest
@testable import Core

/// The live progress line's exact text, and when it is shown.
final class ProgressLineTests: XCTestCase {
    private func figures(step: Int, of steps: Int = 469, seconds: Double, workers: Int? = 2) -> ProgressFigures {
        ProgressFigures(epoch: 1, epochs: 5, stepInEpoch: step, stepsInEpoch: steps, seconds: seconds, loss: 0.43531, accuracy: 0.87109,
                        samplesPerSecond: 1234.4, learningRate: 0.001, workers: workers)
    }

    func testMidEpochLineHasBarAndETA() {
        XCTAssertEqual(ProgressLine.render(figures(step: 45, seconds: 4.5)),
                       "epoch 2/5   45/469 [=>............................]  ETA 42s  loss 0.4353  acc 87.11%  1234 samples/s  lr 0.001  workers 2")
    }

    func testEpochEndLineHasElapsedAndTimePerStep() {
        XCTAssertEqual(ProgressLine.render(figures(step: 469, seconds: 4.69, workers: nil)),
                       "epoch 2/5  469/469 [==============================]  5s 10ms/step  loss 0.4353  acc 87.11%  1234 samples/s  lr 0.001")
        XCTAssertTrue(figures(step: 469, seconds: 1).isEpochEnd)
        XCTAssertFalse(figures(step: 468, seconds: 1).isEpochEnd)
    }

    func testBarAtZeroOneAndFull() {
        XCTAssertEqual(ProgressLine.bar(done: 0, of: 10), "[" + String(repeating: ".", count: 30) + "]")
        XCTAssertEqual(ProgressLine.bar(done: 1, of: 10), "[==>" + String(repeating: ".", count: 27) + "]")
        XCTAssertEqual(ProgressLine.bar(done: 10, of: 10), "[" + String(repeating: "=", count: 30) + "]")
        XCTAssertEqual(ProgressLine.bar(done: 1, of: 1000), "[" + String(repeating: ".", count: 30) + "]")
    }

    func testDurationsAndTimePerStep() {
        XCTAssertEqual(ProgressLine.duration(0), "0s")
        XCTAssertEqual(ProgressLine.duration(59.4), "59s")
        XCTAssertEqual(ProgressLine.duration(187), "3:07")
        XCTAssertEqual(ProgressLine.duration(3723), "1:02:03")
        XCTAssertEqual(ProgressLine.perStep(2), "2s/step")
        XCTAssertEqual(ProgressLine.perStep(0.012), "12ms/step")
        XCTAssertEqual(ProgressLine.perStep(0.00085), "850us/step")
    }

    func testModeSelection() {
        XCTAssertTrue(ProgressMode.auto.showsBar(outputIsTerminal: true))
        XCTAssertFalse(ProgressMode.auto.showsBar(outputIsTerminal: false))
        XCTAssertTrue(ProgressMode.bar.showsBar(outputIsTerminal: false))
        XCTAssertFalse(ProgressMode.plain.showsBar(outputIsTerminal: true))
        XCTAssertEqual(ProgressMode(rawValue: "plain"), .plain)
        XCTAssertNil(ProgressMode(rawValue: "fancy"))
    }

    func testFiguresFollowEpochsAndETA() {
        var f = RunFigures()
        f.start(at: 0, total: 5, stepsPerEpoch: 3)
        XCTAssertNil(f.etaSeconds)
        let loss = LossSums(total: 4, hard: 4, soft: 0, correct: 1, count: 2)
        for step in 1...4 { f.record(CompletedStep(step: step, epoch: (step - 1) / 3, loss: loss, learningRate: 0.5, seconds: 1)) }
        XCTAssertEqual(f.epochs, 2)
        XCTAssertEqual(f.etaSeconds, 1)
        let p = f.progress(workers: nil)
        // Step 4 is the first of epoch 2, which has the run's last 2 steps.
        XCTAssertEqual([p.epoch, p.stepInEpoch, p.stepsInEpoch], [1, 1, 2])
        XCTAssertEqual(p.loss, 2)
        XCTAssertEqual(p.accuracy, 0.5)
        XCTAssertEqual(p.samplesPerSecond, 2)
    }
}
