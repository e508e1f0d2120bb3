import Prometheus

/// The figures of ``RunStatus`` as Prometheus metrics (text exposition format, through
/// swift-prometheus' registry): `distill_steps_total`, `distill_run_steps`, `distill_epoch`,
/// `distill_eta_seconds`, `distill_loss`, `distill_train_accuracy_ratio`,
/// `distill_samples_per_second`, `distill_learning_rate`, `distill_workers_connected`,
/// `distill_rejected_results_total`, `distill_run_state{state}` (1 for the current state),
/// `distill_eval_accuracy_ratio{split}` and per connected worker (labels `worker`, `address`)
/// `distill_worker_shards_done`, `distill_worker_mean_shard_seconds`,
/// `distill_worker_last_heard_seconds`. Figures a status does not have yet are left out until it does.
public final class PrometheusExposition: @unchecked Sendable {
    private let registry = PrometheusCollectorRegistry()
    private let steps: Counter
    private let rejected: Counter
    private var counted = (steps: 0, rejected: 0)
    private var gauges: [String: Gauge] = [:]
    private var workerGauges: [String: [Gauge]] = [:]

    public init() {
        steps = registry.makeCounter(descriptor: MetricNameDescriptor(
            namespace: "distill", metricName: "steps", unitName: "total", helpText: "Optimiser steps completed (global step)."))
        rejected = registry.makeCounter(descriptor: MetricNameDescriptor(
            namespace: "distill", metricName: "rejected_results", unitName: "total", helpText: "Worker results rejected as strikes."))
    }

    private func gauge(_ name: String, _ help: String, labels: [(String, String)] = []) -> Gauge {
        let key = name + labels.map { "|\($0.0)=\($0.1)" }.joined()
        if let gauge = gauges[key] { return gauge }
        let gauge = registry.makeGauge(descriptor: MetricNameDescriptor(namespace: "distill", metricName: name, unitName: "", helpText: help),
                                       labels: labels)
        gauges[key] = gauge
        return gauge
    }

    /// Sets every metric from `status` and returns the exposition text. Called by one thread at a time.
    public func render(_ status: RunStatus) -> [UInt8] {
        if status.step > counted.steps { steps.increment(by: Int64(status.step - counted.steps)) }
        if status.rejectedResults > counted.rejected { rejected.increment(by: Int64(status.rejectedResults - counted.rejected)) }
        counted = (max(counted.steps, status.step), max(counted.rejected, status.rejectedResults))
        gauge("run_steps", "Steps the run will take.").set(to: Double(status.steps))
        gauge("epoch", "Current epoch (0-based).").set(to: Double(status.epoch))
        for state in [RunState.running, .finished, .stopped, .diverged, .failed] {
            gauge("run_state", "1 for the run's current state.", labels: [("state", state.rawValue)]).set(to: status.state == state ? 1.0 : 0.0)
        }
        let optional: [(String, String, Double?)] = [
            ("eta_seconds", "Seconds to the last step at the current pace.", status.etaSeconds),
            ("loss", "Mean loss over the current epoch.", status.loss),
            ("train_accuracy_ratio", "Train accuracy over the current epoch (0 to 1).", status.trainAccuracy),
            ("samples_per_second", "Training samples per second over the current epoch.", status.samplesPerSecond),
            ("learning_rate", "Learning rate of the last step.", status.learningRate),
        ]
        for (name, help, value) in optional {
            if let value { gauge(name, help).set(to: value) }
        }
        if let evaluation = status.evaluation {
            gauge("eval_accuracy_ratio", "Accuracy of the last evaluation (0 to 1).", labels: [("split", evaluation.split)]).set(to: evaluation.accuracy)
        }
        gauge("workers_connected", "Workers connected (0 in a single-process run).").set(to: Double(status.workers.count))
        setWorkers(status.workers)
        return registry.emitToBuffer()
    }

    /// Per-worker gauges for the connected workers; those of workers gone are unregistered.
    private func setWorkers(_ workers: [RunStatus.Worker]) {
        var seen: Set<String> = []
        for worker in workers {
            let key = worker.name + "\u{0}" + worker.address
            seen.insert(key)
            let labels = [("worker", worker.name), ("address", worker.address)]
            let metrics = workerGauges[key] ?? [
                registry.makeGauge(descriptor: MetricNameDescriptor(namespace: "distill", subsystem: "worker", metricName: "shards_done",
                                                                    unitName: "", helpText: "Results accepted from the worker."), labels: labels),
                registry.makeGauge(descriptor: MetricNameDescriptor(namespace: "distill", subsystem: "worker", metricName: "mean_shard",
                                                                    unitName: "seconds", helpText: "Mean seconds from sending a shard to its answer."),
                                   labels: labels),
                registry.makeGauge(descriptor: MetricNameDescriptor(namespace: "distill", subsystem: "worker", metricName: "last_heard",
                                                                    unitName: "seconds", helpText: "Seconds since the worker's last message."),
                                   labels: labels),
            ]
            workerGauges[key] = metrics
            metrics[0].set(to: Double(worker.shardsDone))
            metrics[1].set(to: worker.meanShardSeconds ?? .nan)
            metrics[2].set(to: worker.lastHeardSecondsAgo)
        }
        for (key, metrics) in workerGauges where !seen.contains(key) {
            metrics.forEach(registry.unregisterGauge)
            workerGauges[key] = nil
        }
    }
}
