import COpenSSL

/// Owns one `EVP_CIPHER_CTX`; `deinit` frees it, which also cleanses the expanded key inside.
/// Internal: the AEADs and the SM4 block function are its only users.
final class CipherContext {
    private let context: OpaquePointer

    /// A context set up for `cipher` in the given direction, keyed and (optionally) with its IV.
    /// `ivLength` is set before the key and IV for AEAD ciphers whose IV length is configurable.
    init(_ cipher: OpaquePointer?, encrypt: Bool, key: UnsafeRawBufferPointer,
         iv: [UInt8]?, aeadIVLength: Int? = nil) throws {
        guard let context = EVP_CIPHER_CTX_new() else {
            throw CryptoError.openSSL("EVP_CIPHER_CTX_new failed")
        }
        self.context = context
        let enc: Int32 = encrypt ? 1 : 0
        // Two-step init: choose the cipher first so the IV length can be set before the IV is used.
        try check(EVP_CipherInit_ex(context, cipher, nil, nil, nil, enc), "EVP_CipherInit_ex (cipher)")
        if let aeadIVLength {
            try check(EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_GCM_SET_IVLEN, Int32(aeadIVLength), nil),
                      "EVP_CTRL_GCM_SET_IVLEN")
        }
        // The key buffer is only read; OpenSSL copies it into the context's key schedule.
        try check(key.withNonNullBase { k in
            if let iv {
                return EVP_CipherInit_ex(context, nil, nil, k.baseAddress?.assumingMemoryBound(to: UInt8.self), iv, enc)
            }
            return EVP_CipherInit_ex(context, nil, nil, k.baseAddress?.assumingMemoryBound(to: UInt8.self), nil, enc)
        }, "EVP_CipherInit_ex (key)")
    }

    deinit { EVP_CIPHER_CTX_free(context) }

    /// Turns block padding off (ECB on exact blocks).
    func disablePadding() {
        EVP_CIPHER_CTX_set_padding(context, 0)
    }

    /// Feeds additional authenticated data (AEAD modes): an update with a NULL output buffer.
    func authenticate(_ aad: [UInt8]) throws {
        guard !aad.isEmpty else { return }
        var written: Int32 = 0
        try check(EVP_CipherUpdate(context, nil, &written, aad, Int32(aad.count)), "EVP_CipherUpdate (AAD)")
    }

    /// Transforms `input` into `output`, which must be at least `input.count` bytes (stream and
    /// AEAD modes, or unpadded ECB on whole blocks). Returns the number of bytes written.
    func update(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) throws -> Int {
        guard input.count > 0 else { return 0 }
        precondition(output.count >= input.count, "cipher output buffer too small")
        var written: Int32 = 0
        // Both buffers are caller-owned for the duration of the call; OpenSSL writes `written` bytes.
        try check(EVP_CipherUpdate(context, output.baseAddress?.assumingMemoryBound(to: UInt8.self), &written,
                                   input.baseAddress?.assumingMemoryBound(to: UInt8.self), Int32(input.count)),
                  "EVP_CipherUpdate")
        return Int(written)
    }

    /// Finishes the operation. For AEAD decryption this is where the tag is checked; a mismatch
    /// throws `failure` (the queue is drained so no stale entry leaks into later errors).
    func finish(failure: String = "EVP_CipherFinal_ex") throws {
        var scratch = [UInt8](repeating: 0, count: 32)
        var written: Int32 = 0
        // Stream/AEAD modes write nothing here; the scratch block covers a final ECB block anyway.
        try check(EVP_CipherFinal_ex(context, &scratch, &written), failure)
    }

    /// The authentication tag after an AEAD encryption has finished.
    func tag(count: Int) throws -> [UInt8] {
        var tag = [UInt8](repeating: 0, count: count)
        try check(EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_GCM_GET_TAG, Int32(count), &tag), "EVP_CTRL_GCM_GET_TAG")
        return tag
    }

    /// Sets the tag an AEAD decryption must match; checked by `finish`.
    func expectTag(_ tag: [UInt8]) throws {
        var copy = tag  // the ctrl takes a non-const pointer although it only reads the tag
        try check(EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_GCM_SET_TAG, Int32(copy.count), &copy), "EVP_CTRL_GCM_SET_TAG")
    }
}
