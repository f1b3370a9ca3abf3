import KMSCore
import KMSCrypto

/// Using an asymmetric key (SPEC §9): its public half, signing and verifying, decrypting what
/// was encrypted to it. Every operation needs an Enabled key whose usage allows it
/// (`KeyLifecycle.checkCanUseKeyPair`); signing, verifying and decrypting run on the account's
/// CPU budget, as key-pair generation and unwrapping do.
extension KeyOperations {
    /// The key's public half as SubjectPublicKeyInfo DER and as PEM (GetPublicKey).
    public func publicKey(of id: KeyID, _ scope: KeyScope) throws -> (der: [UInt8], pem: String) {
        let der = try keyPair(id, scope) { try $0.checkAsymmetric() }.publicKeySPKIDER()
        return (der, PublicKey.pem(spkiDER: der))
    }

    /// Signs a RAW message or its DIGEST (SignByAsymmetricKey).
    public func sign(_ input: [UInt8], type: SignedMessageType, algorithm: SignatureAlgorithm, with id: KeyID,
                     _ scope: KeyScope) throws -> [UInt8] {
        let pair = try keyPair(id, scope) { try $0.checkSigns(algorithm) }
        return try cpuBudget.spending(scope.tenant.appId) { try pair.sign(input, type: type, algorithm: algorithm) }
    }

    /// Whether `signature` is the key's signature of `input` (VerifyByAsymmetricKey).
    public func verify(_ signature: [UInt8], of input: [UInt8], type: SignedMessageType, algorithm: SignatureAlgorithm,
                       with id: KeyID, _ scope: KeyScope) throws -> Bool {
        let pair = try keyPair(id, scope) { try $0.checkSigns(algorithm) }
        return try cpuBudget.spending(scope.tenant.appId) {
            try pair.verify(signature, of: input, type: type, algorithm: algorithm)
        }
    }

    /// Decrypts a ciphertext made with the key's public half (AsymmetricRsaDecrypt,
    /// AsymmetricSm2Decrypt); one that does not decrypt is `FailedOperation.DecryptError`.
    public func decrypt(_ ciphertext: [UInt8], algorithm: AsymmetricDecryption, with id: KeyID,
                        _ scope: KeyScope) throws -> SecureBytes {
        let pair = try keyPair(id, scope) { try $0.checkDecrypts(algorithm) }
        do {
            return try cpuBudget.spending(scope.tenant.appId) { try pair.decrypt(ciphertext, algorithm: algorithm) }
        } catch is CryptoError {
            throw KMSError(.decryptError, "The ciphertext does not decrypt with this key and \(algorithm.rawValue).")
        }
    }

    /// The key's private half, once the key is checked for the use (`allows`: its usage's rule).
    func keyPair(_ id: KeyID, _ scope: KeyScope, allows: (KeyUsage) throws -> Void) throws -> PrivateKey {
        guard let loaded = try load(id, version: nil, scope) else { throw KMSError.notFound() }
        try loaded.status.lifecycle(now: scope.now).checkCanUseKeyPair(allows)
        // An Enabled asymmetric key always has its one version's pair.
        guard let pair = loaded.keyPair else { throw KMSError(.internalError, "an Enabled asymmetric key has no key pair") }
        return pair
    }
}
