import COpenSSL
#if canImport(Glibc)
import Glibc
#endif
import KMSCore

/// Random bytes from OpenSSL's DRBG.
public enum Random {
    /// `count` random bytes for values that are not secret (nonces, identifiers, tokens).
    ///
    /// Up to `ThreadBuffer.size` bytes are taken from a per-thread buffer that one `RAND_bytes`
    /// fills: a call costs ~7,000 instructions whatever its size (OpenSSL finds the thread's DRBG
    /// and locks it), and a request takes two (its RequestId, its ciphertext's IV). The bytes
    /// are the same DRBG's output; each is handed out once and zeroed in the buffer as it goes.
    public static func bytes(_ count: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        out.withUnsafeMutableBytes { buffer in
            if count <= ThreadBuffer.size / 4 { ThreadBuffer.current.take(into: buffer) } else { fill(buffer) }
        }
        return out
    }

    /// `count` random bytes for a secret (key material, data keys), held in zeroing storage.
    public static func secret(_ count: Int) -> SecureBytes {
        var out = SecureBytes(zeros: count)
        out.withUnsafeMutableBytes { fill($0) }
        return out
    }

    /// A DRBG failure means the process cannot make keys safely at all, so it stops.
    fileprivate static func fill(_ buffer: UnsafeMutableRawBufferPointer) {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return }
        // RAND_bytes writes exactly `count` bytes into the caller's buffer or fails as a whole.
        let status = RAND_bytes(base.assumingMemoryBound(to: UInt8.self), Int32(buffer.count))
        if status != 1 {
            fatalError("OpenSSL DRBG failed: \(CryptoError.drainErrorQueue().joined(separator: "; "))")
        }
    }
}

/// A thread's buffer of DRBG output for `Random.bytes` (freed when the thread ends).
private final class ThreadBuffer {
    static let size = 4096
    private var bytes = [UInt8](repeating: 0, count: ThreadBuffer.size)
    private var next = ThreadBuffer.size

    private static let slot: pthread_key_t = {
        var key = pthread_key_t()
        guard pthread_key_create(&key, { if let buffer = $0 { Unmanaged<ThreadBuffer>.fromOpaque(buffer).release() } }) == 0 else {
            fatalError("pthread_key_create failed")
        }
        return key
    }()

    static var current: ThreadBuffer {
        if let existing = pthread_getspecific(slot) { return Unmanaged<ThreadBuffer>.fromOpaque(existing).takeUnretainedValue() }
        let buffer = ThreadBuffer()
        guard pthread_setspecific(slot, Unmanaged.passRetained(buffer).toOpaque()) == 0 else { fatalError("pthread_setspecific failed") }
        return buffer
    }

    /// Fills `out` with the next unused bytes, refilling the buffer when too few are left.
    func take(into out: UnsafeMutableRawBufferPointer) {
        bytes.withUnsafeMutableBytes { raw in
            if next + out.count > raw.count {
                Random.fill(raw)
                next = 0
            }
            let source = UnsafeMutableRawBufferPointer(rebasing: raw[next..<next + out.count])
            out.copyMemory(from: UnsafeRawBufferPointer(source))
            source.initializeMemory(as: UInt8.self, repeating: 0)
            next += out.count
        }
    }

    deinit {
        bytes.withUnsafeMutableBytes { _ = $0.initializeMemory(as: UInt8.self, repeating: 0) }
    }
}
