extension ConfigSchema {
    /// The sections of the schema (`data`, `train`, ...), in schema order.
    public static var sections: [String] {
        var seen: [String] = []
        for key in keys {
            if let dot = key.name.firstIndex(of: "."), !seen.contains(String(key.name[..<dot])) { seen.append(String(key.name[..<dot])) }
        }
        return seen
    }

    /// The keys or sections an unknown `name` most likely meant, nearest first (at most three):
    /// by edit distance (insertions, deletions, substitutions and swaps of neighbours) over the
    /// whole dotted path, and over the last component alone (`steps` → `train.steps`,
    /// `trian.steps` → `train.steps`, `batch` → `train.batch_size`). Empty when nothing is close.
    public static func suggestions(for name: String) -> [String] {
        let last = lastComponent(name)
        var scored: [(name: String, distance: Int)] = []
        for candidate in keys.map(\.name) + sections {
            let whole = editDistance(name, candidate)
            let tail = lastComponent(candidate)
            var distance = whole <= tolerance(name) ? whole : Int.max
            if tail != candidate || last != name {
                let d = last.count >= 3 && tail.hasPrefix(last) && tail != last ? 1 : editDistance(last, tail)
                if d <= tolerance(last) { distance = min(distance, d) }
            }
            if distance != Int.max { scored.append((candidate, distance)) }
        }
        guard let best = scored.map(\.distance).min() else { return [] }
        return Array(scored.filter { $0.distance == best }.map(\.name).prefix(3))
    }

    /// Edits allowed between a name of this length and a suggestion.
    private static func tolerance(_ name: String) -> Int { max(1, name.count / 4) }

    private static func lastComponent(_ name: String) -> String {
        name.split(separator: ".", omittingEmptySubsequences: false).last.map(String.init) ?? name
    }

    /// Optimal-string-alignment distance: Levenshtein plus the swap of two neighbouring characters.
    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        if a.isEmpty || b.isEmpty { return max(a.count, b.count) }
        var table = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in 0...a.count { table[i][0] = i }
        for j in 0...b.count { table[0][j] = j }
        for i in 1...a.count {
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                table[i][j] = min(table[i - 1][j] + 1, table[i][j - 1] + 1, table[i - 1][j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] { table[i][j] = min(table[i][j], table[i - 2][j - 2] + 1) }
            }
        }
        return table[a.count][b.count]
    }
}
