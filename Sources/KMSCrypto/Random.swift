import COpenSSL
import KMSCore

/// Random bytes from OpenSSL's DRBG.
public enum Random {
    /// `count` random bytes for values that are not secret (nonces, identifiers).
    public static func bytes(_ count: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        out.withUnsafeMutableBytes { fill($0) }
        return out
    }

    /// `count` random bytes for a secret (key material, data keys), held in zeroing storage.
    public static func secret(_ count: Int) -> SecureBytes {
        var out = SecureBytes(zeros: count)
        out.withUnsafeMutableBytes { fill($0) }
        return out
    }

    /// A DRBG failure means the process cannot make keys safely at all, so it stops.
    private static func fill(_ buffer: UnsafeMutableRawBufferPointer) {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return }
        // RAND_bytes writes exactly `count` bytes into the caller's buffer or fails as a whole.
        let status = RAND_bytes(base.assumingMemoryBound(to: UInt8.self), Int32(buffer.count))
        if status != 1 {
            fatalError("OpenSSL DRBG failed: \(CryptoError.drainErrorQueue().joined(separator: "; "))")
        }
    }
}
