/// Bytes that hold a secret (key material, plaintext, a credential secret).
///
/// The storage is a class so that copies share one buffer and `deinit` zeroes it exactly once,
/// across its whole capacity, before the memory returns to the allocator.
public struct SecureBytes: Sendable {
    final class Storage: @unchecked Sendable {
        var bytes: [UInt8]
        init(_ bytes: [UInt8]) { self.bytes = bytes }
        deinit { SecureBytes.zero(&bytes) }
    }

    let storage: Storage

    /// Takes ownership of `bytes`; the caller should not keep another copy.
    public init(_ bytes: [UInt8]) { storage = Storage(bytes) }

    /// `count` zero bytes, to be filled through `withUnsafeMutableBytes`.
    public init(zeros count: Int) { storage = Storage([UInt8](repeating: 0, count: count)) }

    public var count: Int { storage.bytes.count }
    public var isEmpty: Bool { storage.bytes.isEmpty }

    /// Read access without copying the secret out.
    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try storage.bytes.withUnsafeBytes(body)
    }

    /// Write access (for C functions that fill a buffer). Not for shared values.
    public func withUnsafeMutableBytes<R>(_ body: (UnsafeMutableRawBufferPointer) throws -> R) rethrows -> R {
        try storage.bytes.withUnsafeMutableBytes(body)
    }

    /// A copy as a plain array, for the few places that must hand bytes to an encoder
    /// (Base64 of a data key the caller asked for). The caller owns the copy's lifetime.
    public var unsafeCopy: [UInt8] { storage.bytes }

    /// The first `n` bytes as a new secret.
    public func prefix(_ n: Int) -> SecureBytes { SecureBytes(Array(storage.bytes.prefix(n))) }

    /// Zeroes an array in place through its buffer, including spare capacity.
    /// Going through an opaque pointer write keeps the compiler from dropping the stores.
    public static func zero(_ bytes: inout [UInt8]) {
        bytes.withUnsafeMutableBufferPointer { buf in
            guard let base = buf.baseAddress else { return }
            let raw = UnsafeMutableRawPointer(base)
            for i in 0..<buf.count { raw.storeBytes(of: 0, toByteOffset: i, as: UInt8.self) }
        }
        bytes.removeAll(keepingCapacity: false)
    }
}

extension SecureBytes: Equatable {
    /// Constant-time in the length of the shorter operand; lengths are not secret.
    public static func == (lhs: SecureBytes, rhs: SecureBytes) -> Bool {
        lhs.withUnsafeBytes { a in rhs.withUnsafeBytes { b in ConstantTime.equals(a, b) } }
    }
}

/// Comparison whose running time does not depend on where two byte strings differ.
public enum ConstantTime {
    @inlinable
    public static func equals(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
        guard a.count == b.count else { return false }
        var diff: UInt8 = 0
        for i in 0..<a.count { diff |= a[i] ^ b[i] }
        return diff == 0
    }

    /// Inlinable so callers get a specialised loop rather than generic witness calls per byte.
    @inlinable
    public static func equals<A: Collection, B: Collection>(_ a: A, _ b: B) -> Bool
    where A.Element == UInt8, B.Element == UInt8 {
        guard a.count == b.count else { return false }
        var diff: UInt8 = 0
        for (x, y) in zip(a, b) { diff |= x ^ y }
        return diff == 0
    }

    /// The common case, byte arrays, without any generic machinery.
    @inlinable
    public static func equals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        a.withUnsafeBytes { x in b.withUnsafeBytes { y in equals(x, y) } }
    }
}
