import KMSCore
import KMSCrypto
import KMSStorage

extension Log {
    /// What failed, for a log line or a job's record: the kind of error, its code and where it was
    /// raised. A database error's server message is left out (PostgreSQL may quote row values in
    /// it, sealed ones included); its SQLSTATE says enough. A client-side libpq failure (no
    /// SQLSTATE: the connection) keeps its first line, which names the socket and the cause.
    /// No secret reaches any of these.
    public static func describe(_ error: Error) -> String {
        let text: String
        switch error {
        case let e as KMSError: text = "\(e.code.rawValue) at \(e.file):\(e.line)"
        case let e as StorageError where e.sqlState == nil:
            text = "database error at \(e.file):\(e.line): \(e.message.prefix { $0 != "\n" })"
        case let e as StorageError: text = "database error \(e.sqlState ?? "-") at \(e.file):\(e.line)"
        case let e as CryptoError: text = "crypto error at \(e.file):\(e.line): \(e.reason)"
        case let e as LogFileError: text = e.description
        default: text = "\(type(of: error))"
        }
        return String(text.prefix(300))
    }
}
