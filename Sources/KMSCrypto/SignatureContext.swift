import COpenSSL
import KMSCore

/// Signing and verification with one key and one `SignatureAlgorithm` (SPEC §9). Owns the
/// `EVP_MD_CTX` of a message operation, or the `EVP_PKEY_CTX` of a digest operation; `deinit`
/// frees it. One context per call: the key is shared between threads, contexts never are.
///
/// - RAW messages go through `EVP_DigestSign`/`EVP_DigestVerify`, which hash them (SM2 hashes
///   Z‖M, Z from the default ID `1234567812345678`, as GB/T 32918 and Tencent do).
/// - DIGEST messages go through `EVP_PKEY_sign`/`EVP_PKEY_verify` on the digest as given; for
///   SM2 that digest is e = SM3(Z‖M), what `gmssl sm2utl -dgst -id 1234567812345678` prints.
/// - Signatures are DER (ECDSA and SM2 as SEQUENCE { r, s }), what `openssl` reads and writes.
final class SignatureContext {
    /// The SM2 distinguishing ID Tencent, GmSSL and GB/T 32918 use by default.
    static let sm2DefaultID = Array("1234567812345678".utf8)

    private let algorithm: SignatureAlgorithm
    private let key: OpaquePointer
    private var messageContext: OpaquePointer? = nil
    private var digestContext: OpaquePointer? = nil
    /// SM2's EVP_PKEY_CTX given to the EVP_MD_CTX with its ID; `EVP_MD_CTX_set_pkey_ctx` marks
    /// it as the caller's to free (EVP_MD_CTX_FLAG_KEEP_PKEY_CTX).
    private var sm2Context: OpaquePointer? = nil

    init(key: OpaquePointer, algorithm: SignatureAlgorithm) {
        self.key = key
        self.algorithm = algorithm
    }

    deinit {
        // The EVP_PKEY_CTX a DigestSignInit made belongs to its EVP_MD_CTX and is freed with it;
        // SM2's, set by the caller, is freed after the EVP_MD_CTX that uses it.
        if let messageContext { EVP_MD_CTX_free(messageContext) }
        if let sm2Context { EVP_PKEY_CTX_free(sm2Context) }
        if let digestContext { EVP_PKEY_CTX_free(digestContext) }
    }

    private var messageDigest: OpaquePointer {
        switch algorithm {
        case .sm2DSA: return Algorithms.sm3
        case .ecdsa384SHA384: return Algorithms.sha384
        case .eccP256R1, .rsaPSSSHA256, .rsaPKCS1SHA256: return Algorithms.sha256
        }
    }

    /// Signs `message` (hashed here) or `digest` (as given); returns the DER or RSA signature.
    func sign(_ input: [UInt8], type: SignedMessageType) throws -> [UInt8] {
        var length = 0
        switch type {
        case .raw:
            let context = try beginMessage(verify: false)
            // First call sizes the signature (an upper bound for ECDSA/SM2), the second writes it.
            try check(EVP_DigestSign(context, nil, &length, input, input.count), "EVP_DigestSign (size)")
            var out = [UInt8](repeating: 0, count: length)
            try check(EVP_DigestSign(context, &out, &length, input, input.count), "EVP_DigestSign")
            return Array(out.prefix(length))
        case .digest:
            let context = try beginDigest(verify: false)
            try check(EVP_PKEY_sign(context, nil, &length, input, input.count), "EVP_PKEY_sign (size)")
            var out = [UInt8](repeating: 0, count: length)
            try check(EVP_PKEY_sign(context, &out, &length, input, input.count), "EVP_PKEY_sign")
            return Array(out.prefix(length))
        }
    }

    /// Whether `signature` is a valid signature of `input`. A malformed signature is simply
    /// not valid; only a failure to set the operation up throws.
    func verify(_ signature: [UInt8], of input: [UInt8], type: SignedMessageType) throws -> Bool {
        let status: Int32
        switch type {
        case .raw:
            status = EVP_DigestVerify(try beginMessage(verify: true), signature, signature.count, input, input.count)
        case .digest:
            status = EVP_PKEY_verify(try beginDigest(verify: true), signature, signature.count, input, input.count)
        }
        // 1 valid; 0 not valid; negative for a signature OpenSSL could not even parse.
        if status != 1 { _ = CryptoError.drainErrorQueue() }
        return status == 1
    }

    private func beginMessage(verify: Bool) throws -> OpaquePointer {
        guard let context = EVP_MD_CTX_new() else { throw CryptoError.openSSL("EVP_MD_CTX_new failed") }
        messageContext = context
        var operation: OpaquePointer? = nil  // owned by `context`
        if algorithm == .sm2DSA {
            // The ID must be on the EVP_PKEY_CTX before DigestSignInit computes Z from it.
            guard let pkeyContext = EVP_PKEY_CTX_new_from_pkey(nil, key, nil) else {
                throw CryptoError.openSSL("EVP_PKEY_CTX_new_from_pkey failed")
            }
            sm2Context = pkeyContext
            try check(EVP_PKEY_CTX_set1_id(pkeyContext, Self.sm2DefaultID, Int32(Self.sm2DefaultID.count)), "set SM2 ID")
            EVP_MD_CTX_set_pkey_ctx(context, pkeyContext)
            operation = pkeyContext
        }
        if verify {
            try check(EVP_DigestVerifyInit(context, &operation, messageDigest, nil, key), "EVP_DigestVerifyInit")
        } else {
            try check(EVP_DigestSignInit(context, &operation, messageDigest, nil, key), "EVP_DigestSignInit")
        }
        if let operation { try configurePadding(operation, verify: verify) }
        return context
    }

    private func beginDigest(verify: Bool) throws -> OpaquePointer {
        guard let context = EVP_PKEY_CTX_new_from_pkey(nil, key, nil) else {
            throw CryptoError.openSSL("EVP_PKEY_CTX_new_from_pkey failed")
        }
        digestContext = context
        if verify {
            try check(EVP_PKEY_verify_init(context), "EVP_PKEY_verify_init")
        } else {
            try check(EVP_PKEY_sign_init(context), "EVP_PKEY_sign_init")
        }
        // Names the hash the digest came from: RSA encodes it in the DigestInfo, and every
        // algorithm then refuses a digest of another length.
        try check(EVP_PKEY_CTX_set_signature_md(context, messageDigest), "set signature digest")
        try configurePadding(context, verify: verify)
        return context
    }

    /// RSA's padding; nothing for the curves.
    private func configurePadding(_ context: OpaquePointer, verify: Bool) throws {
        switch algorithm {
        case .rsaPKCS1SHA256:
            try check(EVP_PKEY_CTX_set_rsa_padding(context, RSA_PKCS1_PADDING), "set RSA PKCS#1 v1.5 padding")
        case .rsaPSSSHA256:
            try check(EVP_PKEY_CTX_set_rsa_padding(context, RSA_PKCS1_PSS_PADDING), "set RSA PSS padding")
            try check(EVP_PKEY_CTX_set_rsa_mgf1_md(context, Algorithms.sha256), "set MGF1 digest SHA-256")
            // Signing uses a salt as long as the digest (32 bytes), as AWS and most HSMs do;
            // verifying reads the salt length from the signature, so a PSS signature openssl
            // makes with its default (maximal) salt verifies too.
            try check(EVP_PKEY_CTX_set_rsa_pss_saltlen(context, verify ? RSA_PSS_SALTLEN_AUTO : RSA_PSS_SALTLEN_DIGEST),
                      "set PSS salt length")
        case .sm2DSA, .eccP256R1, .ecdsa384SHA384:
            break
        }
    }
}

extension PrivateKey {
    /// Signs `input` (a RAW message or its DIGEST) with `algorithm`, which must suit the key.
    public func sign(_ input: [UInt8], type: SignedMessageType, algorithm: SignatureAlgorithm) throws -> [UInt8] {
        try SignatureContext(key: key, algorithm: algorithm).sign(input, type: type)
    }

    /// Whether `signature` is valid for `input` under the key's public half.
    public func verify(_ signature: [UInt8], of input: [UInt8], type: SignedMessageType,
                       algorithm: SignatureAlgorithm) throws -> Bool {
        try SignatureContext(key: key, algorithm: algorithm).verify(signature, of: input, type: type)
    }
}

extension PublicKey {
    /// Whether `signature` is valid for `input` under this key (tests check the service's
    /// signatures with the public key alone, as a user would).
    public func verify(_ signature: [UInt8], of input: [UInt8], type: SignedMessageType,
                       algorithm: SignatureAlgorithm) throws -> Bool {
        try SignatureContext(key: key, algorithm: algorithm).verify(signature, of: input, type: type)
    }
}
