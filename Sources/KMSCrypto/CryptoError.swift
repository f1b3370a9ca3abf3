import COpenSSL

/// A failure inside KMSCrypto: a malformed input, a failed authentication check or an
/// OpenSSL call that returned an error. The reason never contains key bytes or plaintext.
public struct CryptoError: Error, CustomStringConvertible, Sendable {
    /// What failed, followed by OpenSSL's error queue when the failure came from OpenSSL.
    public let reason: String
    /// The source file that raised the error.
    public let file: String
    /// The line in `file` that raised the error.
    public let line: Int

    /// An error that did not come from OpenSSL (bad length, unknown format, auth failure).
    public init(_ reason: String, file: String = #fileID, line: Int = #line) {
        self.reason = reason
        self.file = file
        self.line = line
    }

    /// `"<reason> (<file>:<line>)"`.
    public var description: String { "CryptoError: \(reason) (\(file):\(line))" }

    /// An error for a failed OpenSSL call: `what` plus the drained error queue.
    /// Always use this after an OpenSSL failure so no stale entry is left for the next call.
    static func openSSL(_ what: String, file: String = #fileID, line: Int = #line) -> CryptoError {
        let queue = drainErrorQueue()
        let reason = queue.isEmpty ? what : "\(what): \(queue.joined(separator: "; "))"
        return CryptoError(reason, file: file, line: line)
    }

    /// Empties this thread's OpenSSL error queue and returns each entry as text.
    static func drainErrorQueue() -> [String] {
        var entries: [String] = []
        // ERR_get_error_all pops one entry per call; `data` is extra text some errors carry.
        var data: UnsafePointer<CChar>? = nil
        var flags: Int32 = 0
        while true {
            let code = ERR_get_error_all(nil, nil, nil, &data, &flags)
            if code == 0 { break }
            var buffer = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(code, &buffer, buffer.count)
            var text = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            if let data, (flags & ERR_TXT_STRING) != 0, data.pointee != 0 {
                text += " (\(String(cString: data)))"
            }
            entries.append(text)
        }
        return entries
    }
}

/// Turns an OpenSSL status (1 = success) into a thrown `CryptoError`.
@inline(__always)
func check(_ status: Int32, _ what: @autoclosure () -> String, file: String = #fileID, line: Int = #line) throws {
    guard status == 1 else { throw CryptoError.openSSL(what(), file: file, line: line) }
}
