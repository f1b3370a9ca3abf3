import Foundation
import KMSCore
import KMSCrypto
import XCTest

/// Bytes from hex written in a test table; a typo in a vector fails loudly.
func hex(_ text: String) -> [UInt8] {
    guard let bytes = Hex.decode(text.filter { !$0.isWhitespace }) else {
        preconditionFailure("bad hex in test vector: \(text)")
    }
    return bytes
}

/// A published test vector with a name that appears in every failure message.
protocol PublishedVector {
    var name: String { get }
}

/// The one runner for published vectors: runs `check` on each, and reports a thrown error
/// against the vector's name instead of stopping the table.
func runVectors<V: PublishedVector>(_ vectors: [V], file: StaticString = #filePath, line: UInt = #line,
                                    _ check: (V) throws -> Void) {
    XCTAssertFalse(vectors.isEmpty, "empty vector table", file: file, line: line)
    for vector in vectors {
        do { try check(vector) } catch { XCTFail("\(vector.name): \(error)", file: file, line: line) }
    }
}

/// A fresh directory under the system temp dir, removed by `TemporaryDirectory.remove()`.
struct TemporaryDirectory {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("kmscrypto-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: false)
    }

    func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    func write(_ name: String, _ bytes: [UInt8]) throws -> String {
        let path = path(name)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    func read(_ name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: URL(fileURLWithPath: path(name))))
    }

    func remove() { try? FileManager.default.removeItem(at: url) }
}

/// The system `openssl` command, for interop checks against an independent implementation.
enum OpenSSLCLI {
    static let path = "/usr/bin/openssl"

    /// Runs `openssl <arguments>`; throws with stderr when it exits non-zero.
    @discardableResult
    static func run(_ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let out = output.fileHandleForReading.readDataToEndOfFile()
        let err = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw CryptoError("openssl \(arguments.joined(separator: " ")) failed: \(String(decoding: err, as: UTF8.self))")
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// PEM armour around DER, 64 Base64 characters per line.
func pem(_ label: String, _ der: [UInt8]) -> String {
    let base64 = Data(der).base64EncodedString(options: [.lineLength64Characters, .endLineWithLineFeed])
    return "-----BEGIN \(label)-----\n\(base64)\n-----END \(label)-----\n"
}
