import COpenSSL
import KMSCore

/// Owns one `EVP_PKEY_CTX` (an operation on a key, or a key generation); `deinit` frees it.
/// Internal: `PrivateKey` and `PublicKey` use it for generation, encryption and decryption.
final class PKeyContext {
    private let context: OpaquePointer

    /// A context for an operation with `key` (which it references, not owns).
    init(key: OpaquePointer) throws {
        guard let context = EVP_PKEY_CTX_new_from_pkey(nil, key, nil) else {
            throw CryptoError.openSSL("EVP_PKEY_CTX_new_from_pkey failed")
        }
        self.context = context
    }

    /// A context for generating a key of the named algorithm ("RSA", "SM2", "EC").
    init(algorithm: String) throws {
        guard let context = EVP_PKEY_CTX_new_from_name(nil, algorithm, nil) else {
            throw CryptoError.openSSL("EVP_PKEY_CTX_new_from_name(\(algorithm)) failed")
        }
        self.context = context
    }

    deinit { EVP_PKEY_CTX_free(context) }

    /// Generates a key; `configure` sets parameters (e.g. RSA bits) after keygen init.
    /// The returned `EVP_PKEY` belongs to the caller, which must wrap it in an owner at once.
    func generate(configure: (OpaquePointer) throws -> Void = { _ in }) throws -> OpaquePointer {
        try check(EVP_PKEY_keygen_init(context), "EVP_PKEY_keygen_init")
        try configure(context)
        var key: OpaquePointer? = nil
        try check(EVP_PKEY_generate(context, &key), "EVP_PKEY_generate")
        guard let key else { throw CryptoError.openSSL("EVP_PKEY_generate returned no key") }
        return key
    }

    /// OpenSSL's full public-key validation (for EC: on the curve, not at infinity, of the order).
    func publicCheck() -> Bool {
        let ok = EVP_PKEY_public_check(context) == 1
        if !ok { _ = CryptoError.drainErrorQueue() }
        return ok
    }

    /// Public-key encryption; `padding` configures RSA, nil for SM2.
    func encrypt(_ plaintext: SecureBytes, padding: RSAPadding?) throws -> [UInt8] {
        try check(EVP_PKEY_encrypt_init(context), "EVP_PKEY_encrypt_init")
        try padding?.apply(to: context)
        return try plaintext.withUnsafeBytes { raw in
            try raw.withNonNullBase { input in
                let bytes = input.baseAddress?.assumingMemoryBound(to: UInt8.self)
                var length = 0
                // First call sizes the output (an upper bound), the second writes it and sets the real length.
                try check(EVP_PKEY_encrypt(context, nil, &length, bytes, input.count), "EVP_PKEY_encrypt (size)")
                var out = [UInt8](repeating: 0, count: length)
                try check(EVP_PKEY_encrypt(context, &out, &length, bytes, input.count), "EVP_PKEY_encrypt")
                return Array(out.prefix(length))
            }
        }
    }

    /// Private-key decryption into zeroing storage; `padding` configures RSA, nil for SM2.
    func decrypt(_ ciphertext: [UInt8], padding: RSAPadding?) throws -> SecureBytes {
        try check(EVP_PKEY_decrypt_init(context), "EVP_PKEY_decrypt_init")
        try padding?.apply(to: context)
        var length = 0
        try check(EVP_PKEY_decrypt(context, nil, &length, ciphertext, ciphertext.count), "EVP_PKEY_decrypt (size)")
        var buffer = SecureBytes(zeros: length)
        // OpenSSL writes at most the sized `length` bytes into the secret buffer and updates `length`.
        try buffer.withUnsafeMutableBytes { raw in
            try check(EVP_PKEY_decrypt(context, raw.baseAddress?.assumingMemoryBound(to: UInt8.self), &length,
                                       ciphertext, ciphertext.count), "EVP_PKEY_decrypt")
        }
        return length == buffer.count ? buffer : buffer.prefix(length)
    }
}

/// RSA encryption padding, shared by the import (`WrappingAlgorithm`) and output
/// (`PublicKeyEncryption`) algorithm names.
enum RSAPadding {
    case pkcs1v15
    case oaepSHA1
    /// OAEP with SHA-256 for both the label hash and MGF1.
    case oaepSHA256
    /// No padding: the bare RSA operation, for the constant-time PKCS#1 v1.5 unwrap.
    case raw

    func apply(to context: OpaquePointer) throws {
        switch self {
        case .pkcs1v15:
            try check(EVP_PKEY_CTX_set_rsa_padding(context, RSA_PKCS1_PADDING), "set RSA PKCS#1 v1.5 padding")
        case .raw:
            try check(EVP_PKEY_CTX_set_rsa_padding(context, RSA_NO_PADDING), "set no RSA padding")
        case .oaepSHA1:
            try check(EVP_PKEY_CTX_set_rsa_padding(context, RSA_PKCS1_OAEP_PADDING), "set RSA OAEP padding")
            try check(EVP_PKEY_CTX_set_rsa_oaep_md(context, EVP_sha1()), "set OAEP digest SHA-1")
            try check(EVP_PKEY_CTX_set_rsa_mgf1_md(context, EVP_sha1()), "set MGF1 digest SHA-1")
        case .oaepSHA256:
            try check(EVP_PKEY_CTX_set_rsa_padding(context, RSA_PKCS1_OAEP_PADDING), "set RSA OAEP padding")
            try check(EVP_PKEY_CTX_set_rsa_oaep_md(context, EVP_sha256()), "set OAEP digest SHA-256")
            try check(EVP_PKEY_CTX_set_rsa_mgf1_md(context, EVP_sha256()), "set MGF1 digest SHA-256")
        }
    }
}

/// DER encoding through OpenSSL's two-pass `i2d_*` convention: a call with a NULL output
/// returns the length, a second call writes into a buffer of that length.
func encodeDER(_ what: String, _ i2d: (UnsafeMutablePointer<UnsafeMutablePointer<UInt8>?>?) -> Int32) throws -> [UInt8] {
    let length = i2d(nil)
    guard length > 0 else { throw CryptoError.openSSL("\(what) failed") }
    var out = [UInt8](repeating: 0, count: Int(length))
    try out.withUnsafeMutableBytes { try writeDER(what, length, into: $0, i2d) }
    return out
}

/// `encodeDER` for private keys: the encoding is written straight into zeroing storage.
func encodeSecretDER(_ what: String, _ i2d: (UnsafeMutablePointer<UnsafeMutablePointer<UInt8>?>?) -> Int32) throws -> SecureBytes {
    let length = i2d(nil)
    guard length > 0 else { throw CryptoError.openSSL("\(what) failed") }
    var out = SecureBytes(zeros: Int(length))
    try out.withUnsafeMutableBytes { try writeDER(what, length, into: $0, i2d) }
    return out
}

private func writeDER(_ what: String, _ length: Int32, into buffer: UnsafeMutableRawBufferPointer,
                      _ i2d: (UnsafeMutablePointer<UnsafeMutablePointer<UInt8>?>?) -> Int32) throws {
    // i2d writes exactly `length` bytes at the cursor and advances it; the buffer has that size.
    var cursor = buffer.baseAddress?.assumingMemoryBound(to: UInt8.self)
    guard i2d(&cursor) == length else { throw CryptoError.openSSL("\(what) failed") }
}

/// DER decoding through OpenSSL's `d2i_*` convention; refuses input with trailing bytes.
/// The returned object belongs to the caller; `free` releases it when it is refused.
func decodeDER(_ what: String, _ der: UnsafeRawBufferPointer,
               _ d2i: (UnsafeMutablePointer<UnsafePointer<UInt8>?>, Int) -> OpaquePointer?,
               free: (OpaquePointer) -> Void, file: String = #fileID, line: Int = #line) throws -> OpaquePointer {
    guard let base = der.baseAddress?.assumingMemoryBound(to: UInt8.self), der.count > 0 else {
        throw CryptoError("\(what): empty input", file: file, line: line)
    }
    var cursor: UnsafePointer<UInt8>? = UnsafePointer(base)  // d2i advances it past what it read
    guard let object = d2i(&cursor, der.count) else {
        throw CryptoError.openSSL("\(what) failed", file: file, line: line)
    }
    guard cursor == UnsafePointer(base) + der.count else {
        free(object)
        throw CryptoError("\(what): trailing bytes after the DER structure", file: file, line: line)
    }
    return object
}
