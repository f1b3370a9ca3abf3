import ArgumentParser
import Foundation
import KMSCore
import KMSCrypto
import KMSStorage

extension KMSCtl {
    /// Parses the command line and runs the command. Every failure is one line on stderr,
    /// `kmsctl: <what went wrong>`, and a non-zero exit status (1, or 64 for a usage error as
    /// ArgumentParser reports it): operators read it and scripts grep it, and a Swift source file
    /// and line mean nothing to either. `--help` and `--version` print as usual and exit 0.
    static func runReportingFailures(_ arguments: [String]? = nil) -> Never {
        var command: ParsableCommand
        do {
            command = try parseAsRoot(arguments)
        } catch {
            guard exitCode(for: error) != .success else { exit(withError: error) }
            fail(usageLine(for: error), status: exitCode(for: error).rawValue)
        }
        do {
            try command.run()
        } catch let code as ExitCode {
            // The command has already said why (audit verify's PROBLEM lines).
            exit(withError: code)
        } catch let clean as CleanExit {
            exit(withError: clean)
        } catch {
            // `kmsctl help …` and `--help` on a group arrive here as ArgumentParser's own error.
            if exitCode(for: error) == .success { exit(withError: error) }
            fail(FailureLine.reason(of: error), status: 1)
        }
        exit(withError: nil)
    }

    /// A usage error as one line, with the subcommand's `--help` to read.
    private static func usageLine(for error: Error) -> String {
        let message = FailureLine.oneLine(message(for: error))
        // ArgumentParser's full message ends "See 'kmsctl credential create --help' for more information."
        let full = fullMessage(for: error)
        if let start = full.range(of: "See '"), let end = full[start.upperBound...].range(of: "'") {
            return "\(message) (see \(full[start.upperBound..<end.lowerBound]))"
        }
        return message
    }

    private static func fail(_ line: String, status: Int32) -> Never {
        FileHandle.standardError.write(Data("kmsctl: \(line)\n".utf8))
        Foundation.exit(status == 0 ? 1 : status)
    }
}

/// The operator-facing reason of a failure: the error's own words without the source location
/// the service's error types carry for the log, on one line.
enum FailureLine {
    static func reason(of error: Error) -> String {
        let text: String
        switch error {
        case let error as KMSError: text = error.reason.isEmpty ? error.code.rawValue : error.reason
        case let error as StorageError:
            text = "database: \(error.message)" + (error.sqlState.map { " (SQLSTATE \($0))" } ?? "")
        case let error as CryptoError: text = error.reason
        case let error as ValidationError: text = error.message
        default: text = String(describing: error)
        }
        return oneLine(withoutSourceLocations(text))
    }

    /// Any " (File.swift:12)" left inside a wrapped error's text.
    static func withoutSourceLocations(_ text: String) -> String {
        text.replacingOccurrences(of: #"\s*\([A-Za-z0-9_./+-]+\.swift:[0-9]+\)"#, with: "", options: .regularExpression)
    }

    /// libpq and OpenSSL messages span lines ("…failed: …\n\tIs the server running…").
    static func oneLine(_ text: String) -> String {
        let parts = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
        let line = parts.filter { !$0.isEmpty }.joined(separator: "; ")
        return line.isEmpty ? "failed" : line
    }
}
