import KMSCore

extension PrivateKey {
    /// Unwraps an RSAES-PKCS1-v1_5 block that must carry exactly `length` bytes, without a
    /// padding oracle (Bleichenbacher, "Marvin").
    ///
    /// OpenSSL 3.0 has no implicit rejection, and its PKCS#1 decoder answers a bad block with an
    /// error pushed on the error queue: a branch and extra work an attacker can time. So the RSA
    /// operation runs with no padding (blinded, constant time in OpenSSL), and the block
    /// `00 02 PS 00 M` is checked here at fixed positions, because only one message length is
    /// acceptable: every byte is looked at, the result is a mask, nothing branches on it.
    /// On failure `material` is a deterministic substitute derived from the ciphertext under a
    /// per-process secret (implicit-rejection style), so whatever follows runs on bytes of the
    /// right length either way; `valid` is the only secret-dependent output and the caller
    /// branches on it once, at the end, answering one error code for every kind of failure.
    /// Throws only for what does not depend on the private key (not RSA, not a k-byte input).
    public func unwrapPKCS1v15(_ ciphertext: [UInt8], length: Int) throws -> (material: SecureBytes, valid: Bool) {
        try KeyType.require(key, rsa: true)
        let modulusBytes = (Int(KeyType.bits(key)) + 7) / 8
        // PS is at least 8 bytes (RFC 8017 §7.2.2); the length is public, so a guard is fine.
        guard length > 0, length <= modulusBytes - 11, ciphertext.count == modulusBytes else {
            throw CryptoError("PKCS#1 v1.5: the ciphertext must be \(modulusBytes) bytes")
        }
        let block = try PKeyContext(key: key).decrypt(ciphertext, padding: .raw)
        let substitute = PKCS1Rejection.substitute(for: ciphertext, length: length)
        var material = SecureBytes(zeros: length)
        let good: UInt8 = block.withUnsafeBytes { em in
            guard em.count == modulusBytes else { return 0 }  // OpenSSL always writes k bytes
            let separator = modulusBytes - length - 1
            // All-ones while the block is well formed: 00 02, nonzero PS, 00 at the separator.
            var bad: UInt8 = em[0] | (em[1] ^ 0x02) | em[separator]
            for i in 2..<separator { bad |= CT.isZero(em[i]) }
            let mask = CT.isZero(bad)
            substitute.withUnsafeBytes { alt in
                material.withUnsafeMutableBytes { out in
                    for i in 0..<length { out[i] = (em[separator + 1 + i] & mask) | (alt[i] & ~mask) }
                }
            }
            return mask
        }
        return (material, good == 0xFF)
    }
}

/// The implicit-rejection substitute: HMAC-SHA256 under a per-process random key, of the
/// ciphertext, so the same forged block always gets the same stand-in and nothing about it
/// depends on the padding.
enum PKCS1Rejection {
    private static let key = Random.secret(32)

    static func substitute(for ciphertext: [UInt8], length: Int) -> SecureBytes {
        var stream: [UInt8] = []
        var counter: UInt8 = 0
        while stream.count < length {
            stream += HMAC.sha256(key: key, data: [counter] + ciphertext)
            counter &+= 1
        }
        defer { SecureBytes.zero(&stream) }
        return SecureBytes(Array(stream.prefix(length)))
    }
}

/// Constant-time byte helpers: masks instead of branches.
enum CT {
    /// 0xFF when `x` is zero, else 0x00, without a branch.
    @inline(__always)
    static func isZero(_ x: UInt8) -> UInt8 {
        // (x - 1) has its top bit set only for x == 0 among values whose own top bit is clear.
        let v = UInt16(x) &- 1
        return UInt8(truncatingIfNeeded: v >> 8)
    }
}
