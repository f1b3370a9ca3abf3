/// The one error type of the service. Its `code` maps 1:1 to a Tencent Cloud error code;
/// `reason` is safe to show a caller (never a secret, never an internal detail).
/// Equal by code, so tests build the expected error directly: `KMSError(.cmkNotFound)`.
public struct KMSError: Error, Equatable, CustomStringConvertible, Sendable {
    public let code: Code
    public let reason: String
    public let file: String
    public let line: Int

    public init(_ code: Code, _ reason: String = "", file: String = #fileID, line: Int = #line) {
        self.code = code
        self.reason = reason
        self.file = file
        self.line = line
    }

    public static func == (lhs: KMSError, rhs: KMSError) -> Bool { lhs.code == rhs.code }

    public var description: String { "\(code.rawValue): \(reason) (\(file):\(line))" }
}

/// Convenience constructors for the errors most handlers raise.
extension KMSError {
    public static func missing(_ name: String, file: String = #fileID, line: Int = #line) -> KMSError {
        KMSError(.missingParameter, "The parameter `\(name)` is missing.", file: file, line: line)
    }
    public static func invalid(_ name: String, _ why: String, file: String = #fileID, line: Int = #line) -> KMSError {
        KMSError(.invalidParameter, "The parameter `\(name)` \(why).", file: file, line: line)
    }
    public static func invalidValue(_ name: String, _ why: String, file: String = #fileID, line: Int = #line) -> KMSError {
        KMSError(.invalidParameterValue, "The value of `\(name)` \(why).", file: file, line: line)
    }
    public static func notFound(file: String = #fileID, line: Int = #line) -> KMSError {
        KMSError(.cmkNotFound, "", file: file, line: line)
    }
}
