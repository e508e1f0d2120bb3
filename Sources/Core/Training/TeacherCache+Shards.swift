// How the trainer uses the cache for one step: shards whose samples all have a valid entry
// carry their logits (workers skip the teacher); the others ask for the logits, which are
// stored when their results come back.

extension TeacherCache {
    /// Gives each task of a step whose samples (`samples[task.sampleOffset...]`, dataset
    /// indices) all have valid entries in `view` their teacher logits; every other task asks
    /// for the logits its executor computes.
    public func prepare(_ tasks: inout [ShardTask], samples: [Int], view: Int) {
        for t in tasks.indices {
            let task = tasks[t]
            var logits = [Float](repeating: 0, count: task.count * classes)
            let complete = logits.withUnsafeMutableBufferPointer { out in
                (0..<task.count).allSatisfy { i in
                    self.logits(entry: entry(sample: samples[task.sampleOffset + i], view: view), into: out.baseAddress! + i * classes)
                }
            }
            if complete {
                tasks[t].teacherLogits = logits
            } else {
                tasks[t].returnsTeacherLogits = true
            }
        }
    }

    /// Stores the teacher logits of every result whose task asked for them. The results must
    /// have passed the coordinator's checks (right count, finite values) and settled.
    public func keep(_ results: [ShardResult], tasks: [ShardTask], samples: [Int], view: Int) {
        let byShard = Dictionary(uniqueKeysWithValues: tasks.map { ($0.shardIndex, $0) })
        for result in results {
            guard let task = byShard[result.shardIndex], task.returnsTeacherLogits,
                  result.teacherLogits.count == task.count * classes else { continue }
            result.teacherLogits.withUnsafeBufferPointer { logits in
                for i in 0..<task.count {
                    store(entry: entry(sample: samples[task.sampleOffset + i], view: view), logits: logits.baseAddress! + i * classes)
                }
            }
        }
    }
}
