import KMSCore

/// Sealing and fingerprinting for a `SealBinding`, so callers never spell a binding themselves.
extension Sealer {
    /// Seals `secret` for the row `binding` names.
    public func seal(_ secret: SecureBytes, for binding: SealBinding) -> [UInt8] {
        seal(secret, binding: binding.text)
    }

    /// Opens a value sealed for the row `binding` names; `CryptoError` for any other.
    public func open(_ sealed: [UInt8], for binding: SealBinding) throws -> SecureBytes {
        try open(sealed, binding: binding.text)
    }

    /// The keyed fingerprint of `secret` for the row `binding` names.
    public func fingerprint(_ secret: SecureBytes, for binding: SealBinding) -> [UInt8] {
        fingerprint(secret, binding: binding.text)
    }
}
