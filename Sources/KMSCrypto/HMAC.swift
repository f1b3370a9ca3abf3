import COpenSSL
import KMSCore

/// One-shot HMAC (RFC 2104) over SHA-256, SHA-1 and SM3.
public enum HMAC {
    /// HMAC-SHA256 with a non-secret or already-exposed key (e.g. TC3 signing chain steps).
    public static func sha256(key: [UInt8], data: [UInt8]) -> [UInt8] {
        key.withUnsafeBytes { k in data.withUnsafeBytes { d in mac("SHA256", 32, k, d) } }
    }

    /// HMAC-SHA256 keyed by a secret.
    public static func sha256(key: SecureBytes, data: [UInt8]) -> [UInt8] {
        key.withUnsafeBytes { k in data.withUnsafeBytes { d in mac("SHA256", 32, k, d) } }
    }

    /// HMAC-SHA1 (for RSAES-OAEP-SHA1 interop and legacy signatures).
    public static func sha1(key: [UInt8], data: [UInt8]) -> [UInt8] {
        key.withUnsafeBytes { k in data.withUnsafeBytes { d in mac("SHA1", 20, k, d) } }
    }

    /// HMAC-SM3 keyed by a secret.
    public static func sm3(key: SecureBytes, data: [UInt8]) -> [UInt8] {
        key.withUnsafeBytes { k in data.withUnsafeBytes { d in mac("SM3", 32, k, d) } }
    }

    /// HMAC whose output is itself a secret (a derived sub-key), never copied into a plain array.
    /// `digest` must be a 32-byte one ("SHA256" or "SM3").
    static func secret(_ digest: String, key: SecureBytes, data: [UInt8]) -> SecureBytes {
        var out = SecureBytes(zeros: 32)
        key.withUnsafeBytes { k in
            data.withUnsafeBytes { d in
                out.withUnsafeMutableBytes { o in compute(digest, k, d, into: o) }
            }
        }
        return out
    }

    private static func mac(_ digest: String, _ size: Int, _ key: UnsafeRawBufferPointer,
                            _ data: UnsafeRawBufferPointer) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: size)
        out.withUnsafeMutableBytes { compute(digest, key, data, into: $0) }
        return out
    }

    private static let pools = (sha256: MACContextPool(digestName: "SHA2-256"), sha1: MACContextPool(digestName: "SHA1"),
                                sm3: MACContextPool(digestName: "SM3"))

    /// Fills `out` (exactly the digest size) with HMAC-`digest`(key, data).
    private static func compute(_ digest: String, _ key: UnsafeRawBufferPointer,
                                _ data: UnsafeRawBufferPointer, into out: UnsafeMutableRawBufferPointer) {
        let pool: MACContextPool
        switch digest {
        case "SHA256": pool = pools.sha256
        case "SHA1": pool = pools.sha1
        case "SM3": pool = pools.sm3
        default: fatalError("HMAC over \(digest) is not offered")
        }
        var written = 0
        // Non-null bases: an empty key is still a key (a NULL one means "keep the previous key"
        // to EVP_MAC_init, which the pool does only when the key is the same).
        let ok = key.withNonNullBase { k in
            data.withNonNullBase { d in
                pool.withContext(key: k) { context in
                    guard let context else { return false }
                    return EVP_MAC_update(context, d.baseAddress?.assumingMemoryBound(to: UInt8.self), d.count) == 1
                        && EVP_MAC_final(context, out.baseAddress?.assumingMemoryBound(to: UInt8.self), &written, out.count) == 1
                }
            }
        }
        guard ok, written == out.count else {
            fatalError("\(CryptoError.openSSL("HMAC-\(digest) failed"))")
        }
    }
}
