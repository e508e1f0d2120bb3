import Foundation

/// The committed seed corpus: `Tests/FuzzCorpus/<target>/`, one small file per seed.
public enum FuzzCorpus {
    /// The folder of `target` under `root` (the `Tests/FuzzCorpus` folder).
    public static func directory(of target: FuzzTarget, root: String) -> String {
        root + "/" + target.rawValue
    }

    /// Every seed of `target` under `root` with its file name, sorted by name.
    public static func seeds(of target: FuzzTarget, root: String) -> [(name: String, bytes: [UInt8])] {
        seeds(in: directory(of: target, root: root))
    }

    /// Every file in `folder` with its name, sorted by name (none when the folder is missing).
    public static func seeds(in folder: String) -> [(name: String, bytes: [UInt8])] {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).sorted()
        return names.compactMap { name in
            FileManager.default.contents(atPath: folder + "/" + name).map { (name, [UInt8]($0)) }
        }
    }
}
