import COpenSSL
#if canImport(Glibc)
import Glibc
#endif
import KMSCore

/// Algorithm implementations fetched from OpenSSL's default provider once per process.
///
/// In OpenSSL 3 the legacy accessors (`EVP_sha256()`, `EVP_aes_256_gcm()`, …) and the one-shot
/// `EVP_Q_mac` look the algorithm up in the provider's method store on every use (an "implicit
/// fetch": locks, a hash lookup and property matching). That lookup cost more than the hashing
/// itself on the request path, so the hot primitives use these explicitly fetched objects, which
/// live as long as the process.
enum Algorithms {
    static let sha256 = digest("SHA2-256")
    static let sha384 = digest("SHA2-384")
    static let sm3 = digest("SM3")
    static let aes256GCM = cipher("AES-256-GCM")
    static let sm4ECB = cipher("SM4-ECB")
    static let sm4CTR = cipher("SM4-CTR")
    static let hmac: OpaquePointer = {
        guard let mac = EVP_MAC_fetch(nil, "HMAC", nil) else { fatalError("\(CryptoError.openSSL("EVP_MAC_fetch HMAC failed"))") }
        return mac
    }()

    private static func digest(_ name: String) -> OpaquePointer {
        guard let md = EVP_MD_fetch(nil, name, nil) else { fatalError("\(CryptoError.openSSL("EVP_MD_fetch \(name) failed"))") }
        return md
    }

    private static func cipher(_ name: String) -> OpaquePointer {
        guard let cipher = EVP_CIPHER_fetch(nil, name, nil) else {
            fatalError("\(CryptoError.openSSL("EVP_CIPHER_fetch \(name) failed"))")
        }
        return cipher
    }
}

/// Reusable HMAC contexts for one digest, one per thread. A context is made (and its digest
/// set) once per thread, then keyed by `EVP_MAC_init` for each use, so a MAC costs the key
/// schedule and the hashing and nothing else, and threads never wait for each other (a shared
/// free list behind a lock showed up as lock contention with 8 worker threads). A context holds
/// the last key's HMAC state (as OpenSSL keeps it, in its secure heap) until it is re-keyed or
/// its thread ends. A thread that MACs with the same key again (the audit writer's key, one
/// credential's TC3 signing key of the day) skips the key schedule: `EVP_MAC_init` without a
/// key restarts from the kept state, ~10,000 instructions less per MAC. To know it is the same
/// key the thread keeps a copy of the last one beside the context, zeroed when replaced or when
/// the thread ends: no more exposure than the HMAC state that already holds it.
final class MACContextPool: @unchecked Sendable {
    private let digestName: String
    private var slot = pthread_key_t()

    init(digestName: String) {
        self.digestName = digestName
        // The destructor frees a thread's context when the thread exits.
        guard pthread_key_create(&slot, { if let context = $0 { Unmanaged<ThreadMAC>.fromOpaque(context).release() } }) == 0 else {
            fatalError("pthread_key_create failed")
        }
    }

    /// Runs `body` with this thread's context keyed with `key` (a non-empty key), ready for
    /// `EVP_MAC_update`; `body` gets nil if keying failed. Not reentrant.
    func withContext<R>(key: UnsafeRawBufferPointer, _ body: (OpaquePointer?) -> R) -> R {
        let mac: ThreadMAC
        if let existing = pthread_getspecific(slot) {
            mac = Unmanaged<ThreadMAC>.fromOpaque(existing).takeUnretainedValue()
        } else {
            mac = ThreadMAC(context: make())
            guard pthread_setspecific(slot, Unmanaged.passRetained(mac).toOpaque()) == 0 else { fatalError("pthread_setspecific failed") }
        }
        return body(mac.keyed(key) ? mac.context : nil)
    }

    private func make() -> OpaquePointer {
        guard let context = EVP_MAC_CTX_new(Algorithms.hmac) else { fatalError("\(CryptoError.openSSL("EVP_MAC_CTX_new failed"))") }
        // An OSSL_PARAM keeps pointers to its key and value: both must outlive the call that
        // reads them, so both come from withCString (a literal passed straight to the
        // constructor may be a temporary that is freed when the constructor returns).
        let status = "digest".withCString { key in
            digestName.withCString { name in
                var params = [OSSL_PARAM_construct_utf8_string(key, UnsafeMutablePointer(mutating: name), 0),
                              OSSL_PARAM_construct_end()]
                return EVP_MAC_CTX_set_params(context, &params)
            }
        }
        guard status == 1 else { fatalError("\(CryptoError.openSSL("HMAC digest \(digestName) unavailable"))") }
        return context
    }
}

/// One thread's HMAC context and a copy of the key it was last keyed with.
private final class ThreadMAC {
    let context: OpaquePointer
    private var lastKey = SecureBytes(zeros: 0)

    init(context: OpaquePointer) { self.context = context }

    /// Keys the context with `key`, or restarts it from the kept state if `key` is the last one.
    func keyed(_ key: UnsafeRawBufferPointer) -> Bool {
        guard let base = key.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return false }
        if key.count > 0, lastKey.count == key.count, lastKey.withUnsafeBytes({ ConstantTime.equals($0, key) }) {
            return EVP_MAC_init(context, nil, 0, nil) == 1
        }
        lastKey = SecureBytes(zeros: 0)
        guard EVP_MAC_init(context, base, key.count, nil) == 1 else { return false }
        if key.count > 0 {
            var copy = SecureBytes(zeros: key.count)
            copy.withUnsafeMutableBytes { $0.copyMemory(from: key) }
            lastKey = copy
        }
        return true
    }

    deinit { EVP_MAC_CTX_free(context) }
}
