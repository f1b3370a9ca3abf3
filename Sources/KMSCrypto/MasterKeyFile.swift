#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import KMSCore

/// The master key's file: exactly 32 raw bytes, mode 0600, outside the database (SPEC §6).
public enum MasterKeyFile {
    /// Master key length in bytes.
    public static let keySize = 32

    /// Reads the master key; a missing file, a non-regular file or any length but 32 throws.
    public static func load(path: String) throws -> SecureBytes {
        let fd = try syscall("open master key file \(path)") { open(path, O_RDONLY | O_CLOEXEC) }
        defer { close(fd) }
        var info = stat()
        _ = try syscall("stat master key file \(path)") { fstat(fd, &info) }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw CryptoError("master key file \(path) is not a regular file")
        }
        guard info.st_size == keySize else {
            throw CryptoError("master key file \(path) holds \(info.st_size) bytes; it must hold exactly \(keySize) raw bytes")
        }
        // Read one byte more than expected so a file that grew after fstat is still refused.
        var buffer = SecureBytes(zeros: keySize + 1)
        var total = 0
        while total < keySize + 1 {
            let count = try buffer.withUnsafeMutableBytes { raw in
                try syscall("read master key file \(path)") { read(fd, raw.baseAddress! + total, raw.count - total) }
            }
            if count == 0 { break }
            total += count
        }
        guard total == keySize else {
            throw CryptoError("master key file \(path) holds \(total) bytes; it must hold exactly \(keySize) raw bytes")
        }
        return buffer.prefix(keySize)
    }

    /// Creates the file with 32 random bytes if it does not exist (O_CREAT|O_EXCL, mode 0600,
    /// fsync). Returns true if it was created, false if a file was already there (left untouched).
    @discardableResult
    public static func create(path: String) throws -> Bool {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        if fd < 0 {
            if errno == EEXIST { return false }
            throw CryptoError("cannot create master key file \(path): \(String(cString: strerror(errno)))")
        }
        var complete = false
        defer {
            close(fd)
            if !complete { unlink(path) }  // never leave a short key file behind
        }
        let key = Random.secret(keySize)
        var total = 0
        while total < keySize {
            let count = try key.withUnsafeBytes { raw in
                try syscall("write master key file \(path)") { write(fd, raw.baseAddress! + total, raw.count - total) }
            }
            total += count
        }
        _ = try syscall("fsync master key file \(path)") { fsync(fd) }
        complete = true
        syncDirectory(containing: path)
        return true
    }

    /// Makes the new directory entry durable too; best effort, the key file itself is already synced.
    private static func syncDirectory(containing path: String) {
        let directory = path.lastIndex(of: "/").map { String(path[..<$0]) }.map { $0.isEmpty ? "/" : $0 } ?? "."
        let fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        _ = fsync(fd)
        close(fd)
    }

    /// Runs a system call, retrying on EINTR, and turns -1 and errno into a `CryptoError`.
    private static func syscall<T: BinaryInteger>(_ what: String, file: String = #fileID, line: Int = #line,
                                                  _ body: () -> T) throws -> T {
        while true {
            let result = body()
            if result >= 0 { return result }
            if errno == EINTR { continue }
            throw CryptoError("\(what): \(String(cString: strerror(errno)))", file: file, line: line)
        }
    }
}
