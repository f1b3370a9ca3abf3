import COpenSSL
import Synchronization

/// Algorithm implementations fetched from OpenSSL's default provider once per process.
///
/// In OpenSSL 3 the legacy accessors (`EVP_sha256()`, `EVP_aes_256_gcm()`, …) and the one-shot
/// `EVP_Q_mac` look the algorithm up in the provider's method store on every use (an "implicit
/// fetch": locks, a hash lookup and property matching). That lookup cost more than the hashing
/// itself on the request path, so the hot primitives use these explicitly fetched objects, which
/// live as long as the process.
enum Algorithms {
    static let sha256 = digest("SHA2-256")
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

/// Reusable HMAC contexts for one digest. A context is made (and its digest set) once, then
/// re-keyed by `EVP_MAC_init` for each use, so a MAC costs the key schedule and the hashing and
/// nothing else. Contexts go back to a small free list; one holds the last key's HMAC state (as
/// OpenSSL keeps it, in its secure heap) until it is re-keyed or freed.
final class MACContextPool: Sendable {
    private let digestName: String
    private let idle = Mutex<[OpaquePointer]>([])
    private static let maximumIdle = 64

    init(digestName: String) { self.digestName = digestName }

    /// Runs `body` with a context ready for `EVP_MAC_init`; the context goes back afterwards.
    func withContext<R>(_ body: (OpaquePointer) -> R) -> R {
        let context = idle.withLock { $0.popLast() } ?? make()
        defer {
            let kept = idle.withLock { list -> Bool in
                guard list.count < Self.maximumIdle else { return false }
                list.append(context)
                return true
            }
            if !kept { EVP_MAC_CTX_free(context) }
        }
        return body(context)
    }

    private func make() -> OpaquePointer {
        guard let context = EVP_MAC_CTX_new(Algorithms.hmac) else { fatalError("\(CryptoError.openSSL("EVP_MAC_CTX_new failed"))") }
        let status = digestName.withCString { name in
            var params = [OSSL_PARAM_construct_utf8_string("digest", UnsafeMutablePointer(mutating: name), 0),
                          OSSL_PARAM_construct_end()]
            return EVP_MAC_CTX_set_params(context, &params)
        }
        guard status == 1 else { fatalError("\(CryptoError.openSSL("HMAC digest \(digestName) unavailable"))") }
        return context
    }
}
