/// Bytes that hold a secret (key material, plaintext, a credential secret).
///
/// Built as swift-crypto's `SecureBytes` is: a value type over one heap buffer (`Backing`, a
/// `ManagedBuffer`) that zeroes its **whole capacity**, not only `count`, when the last copy lets
/// go of it. Copies share the buffer until one of them writes; the writer then gets a buffer of
/// its own (copy on write), so a write never shows through another copy and every buffer that
/// ever held the secret is zeroed. No `Array` shares the buffer: the only plain copy is the one a
/// caller asks for by name (`unsafeCopy`).
public struct SecureBytes: @unchecked Sendable {
    // @unchecked: a buffer is written only while `backing` is uniquely referenced (see
    // `withUnsafeMutableBytes`); a shared buffer is only read, as an Array's is.
    var backing: Backing

    /// Copies `bytes` into zeroing storage, then zeroes the array handed over (its own buffer, when
    /// nothing else holds it: hand over the last reference to a secret).
    public init(_ bytes: consuming [UInt8]) {
        backing = bytes.withUnsafeBytes { Backing.make(copying: $0) }
        SecureBytes.zero(&bytes)
    }

    /// `count` zero bytes, to be filled through `withUnsafeMutableBytes`.
    public init(zeros count: Int) { backing = Backing.make(count: count) }

    /// The number of bytes of the secret.
    public var count: Int { backing.header.count }
    /// Whether the secret has no bytes.
    public var isEmpty: Bool { backing.header.count == 0 }

    /// Read access without copying the secret out.
    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try backing.withUnsafeMutablePointers { header, elements in
            try body(UnsafeRawBufferPointer(start: elements, count: header.pointee.count))
        }
    }

    /// Write access (for C functions that fill a buffer). A buffer shared with another copy is
    /// copied first, so the write changes this value only.
    public mutating func withUnsafeMutableBytes<R>(_ body: (UnsafeMutableRawBufferPointer) throws -> R) rethrows -> R {
        if !isKnownUniquelyReferenced(&backing) {
            backing = backing.withUnsafeMutablePointers { header, elements in
                Backing.make(copying: UnsafeRawBufferPointer(start: elements, count: header.pointee.count))
            }
        }
        return try backing.withUnsafeMutablePointers { header, elements in
            try body(UnsafeMutableRawBufferPointer(start: elements, count: header.pointee.count))
        }
    }

    /// A copy as a plain array, for the few places that must hand bytes to an encoder
    /// (Base64 of a data key the caller asked for). The caller owns the copy's lifetime.
    public var unsafeCopy: [UInt8] { withUnsafeBytes { Array($0) } }

    /// The first `n` bytes as a new secret (in a buffer of its own).
    public func prefix(_ n: Int) -> SecureBytes {
        withUnsafeBytes { SecureBytes(backing: Backing.make(copying: UnsafeRawBufferPointer(rebasing: $0.prefix(n)))) }
    }

    init(backing: Backing) { self.backing = backing }

    /// Zeroes an array's buffer — its spare capacity too — and empties it. Zeroes the buffer the
    /// array holds when no other array shares it; otherwise writing to it would copy first and
    /// zero only the copy, which is all one can do for a buffer someone else still holds.
    public static func zero(_ bytes: inout [UInt8]) {
        bytes.withUnsafeMutableBytes { wipe($0) }
        // Appending within capacity writes the spare bytes without reallocating.
        let spare = bytes.capacity - bytes.count
        if spare > 0 { bytes.append(contentsOf: repeatElement(0, count: spare)) }
        bytes.removeAll(keepingCapacity: false)
    }

    /// Writes zeros over `bytes`. Not inlined, and every caller releases the memory right after
    /// through the runtime, which the optimiser cannot see through: the stores are never dead.
    @inline(never)
    static func wipe(_ bytes: UnsafeMutableRawBufferPointer) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        base.initializeMemory(as: UInt8.self, repeating: 0, count: bytes.count)
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
