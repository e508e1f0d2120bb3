import Foundation

/// Appends records to a file in TensorFlow's TFRecord framing, the container of TensorBoard
/// event files: for each record its length as a little-endian `uint64`, the masked CRC-32C of
/// those 8 bytes as a little-endian `uint32`, the data, and the masked CRC-32C of the data
/// (TensorBoard's `record_writer.py`).
public final class TFRecordWriter {
    /// The file written.
    public let path: String
    private let handle: FileHandle

    /// Creates (or truncates) `path`.
    /// - Throws: ``MonitoringError/cannotWrite(path:detail:)`` when the file cannot be created.
    public init(path: String) throws {
        self.path = path
        guard FileManager.default.createFile(atPath: path, contents: nil), let handle = FileHandle(forWritingAtPath: path) else {
            throw MonitoringError.cannotWrite(path: path, detail: "cannot create the file")
        }
        self.handle = handle
    }

    deinit { try? handle.close() }

    /// The framed bytes of one record holding `data`.
    public static func frame(_ data: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(data.count + 16)
        let length = withUnsafeBytes(of: UInt64(data.count).littleEndian) { Array($0) }
        out += length
        withUnsafeBytes(of: maskedCRC(length).littleEndian) { out += $0 }
        out += data
        withUnsafeBytes(of: maskedCRC(data).littleEndian) { out += $0 }
        return out
    }

    /// TFRecord's masked CRC-32C: the checksum rotated right by 15 bits plus 0xa282ead8, so
    /// that checksums of data holding checksums stay well distributed.
    public static func maskedCRC(_ bytes: [UInt8]) -> UInt32 {
        let crc = CRC32C.checksum(bytes)
        return ((crc >> 15) | (crc << 17)) &+ 0xA282_EAD8
    }

    /// Appends one record.
    /// - Throws: ``MonitoringError/cannotWrite(path:detail:)`` when the write fails (disk full).
    public func append(_ data: [UInt8]) throws {
        do { try handle.write(contentsOf: TFRecordWriter.frame(data)) } catch {
            throw MonitoringError.cannotWrite(path: path, detail: error.localizedDescription)
        }
    }

    /// Pushes what was appended to the file, so a reader sees every complete record.
    public func flush() throws {
        do { try handle.synchronize() } catch { throw MonitoringError.cannotWrite(path: path, detail: error.localizedDescription) }
    }
}
