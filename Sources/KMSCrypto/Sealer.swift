import KMSCore

/// Seals secrets at rest under the 256-bit master key (SPEC §6): key material, import private
/// keys and credential secrets.
///
/// Format: `0x01` (format version) || key id (`0x01`; room for master-key rotation) || nonce (12)
/// || ciphertext || tag (16). AES-256-GCM under HMAC-SHA256(masterKey, "kms/seal/v1"), with
/// AAD = the two header bytes || the binding's UTF-8, so a value copied to another row fails to open.
public struct Sealer: Sendable {
    /// The first byte of every sealed value.
    public static let formatVersion: UInt8 = 1
    /// Which master key sealed a value; only one exists until master-key rotation is built.
    public static let masterKeyId: UInt8 = 1
    /// Header (2) + nonce (12) + tag (16): the length of a sealed empty secret.
    public static let overhead = 2 + AES256GCM.nonceSize + AES256GCM.tagSize

    private static let subKeyLabel = Array("kms/seal/v1".utf8)
    private static let fingerprintLabel = Array("kms/fingerprint/v1".utf8)
    private static let auditLabel = Array("kms/audit/v1".utf8)
    private let cipher: AES256GCM
    private let fingerprintKey: SecureBytes
    private let auditKey: SecureBytes

    /// Derives the sealing sub-key; throws unless `masterKey` is 32 bytes.
    public init(masterKey: SecureBytes) throws {
        guard masterKey.count == 32 else {
            throw CryptoError("master key must be 32 bytes, got \(masterKey.count)")
        }
        cipher = try AES256GCM(key: HMAC.secret("SHA256", key: masterKey, data: Self.subKeyLabel))
        fingerprintKey = HMAC.secret("SHA256", key: masterKey, data: Self.fingerprintLabel)
        auditKey = HMAC.secret("SHA256", key: masterKey, data: Self.auditLabel)
    }

    /// The MAC that chains audit records: HMAC-SHA256 under a sub-key of the master key, so a
    /// database writer without the master key cannot forge or re-chain records.
    public func auditMAC(_ data: [UInt8]) -> [UInt8] {
        HMAC.sha256(key: auditKey, data: data)
    }

    /// A keyed fingerprint of `secret` for the row named by `binding`: HMAC-SHA256 under a
    /// sub-key of the master key. It lets the service tell whether re-imported material is the same
    /// without storing the material, and without the database revealing that two keys share it.
    public func fingerprint(_ secret: SecureBytes, binding: String) -> [UInt8] {
        var data = Array(binding.utf8)
        data.append(0)
        secret.withUnsafeBytes { data.append(contentsOf: $0) }
        defer { SecureBytes.zero(&data) }
        return HMAC.sha256(key: fingerprintKey, data: data)
    }

    /// Seals `secret` for the row named by `binding`, e.g. `"key_material|<app>|<region>|<keyid>|<version>"`.
    public func seal(_ secret: SecureBytes, binding: String) -> [UInt8] {
        let header = [Self.formatVersion, Self.masterKeyId]
        let nonce = Random.bytes(AES256GCM.nonceSize)
        do {
            let (ciphertext, tag) = try cipher.seal(secret, nonce: nonce, aad: header + Array(binding.utf8))
            return header + nonce + ciphertext + tag
        } catch {
            // A valid key and nonce leave only an OpenSSL malfunction; storing unsealed is not an option.
            fatalError("sealing under the master key failed: \(error)")
        }
    }

    /// Opens a value sealed for `binding`. Malformed, tampered, foreign-row or other-master-key
    /// values throw `CryptoError`.
    public func open(_ sealed: [UInt8], binding: String) throws -> SecureBytes {
        guard sealed.count >= Self.overhead else {
            throw CryptoError("sealed value is truncated (\(sealed.count) bytes, at least \(Self.overhead) expected)")
        }
        guard sealed[0] == Self.formatVersion else {
            throw CryptoError("sealed value has unknown format version \(sealed[0])")
        }
        guard sealed[1] == Self.masterKeyId else {
            throw CryptoError("sealed value names master key \(sealed[1]); only key \(Self.masterKeyId) is loaded")
        }
        let nonceEnd = 2 + AES256GCM.nonceSize
        let tagStart = sealed.count - AES256GCM.tagSize
        do {
            return try cipher.open(Array(sealed[nonceEnd..<tagStart]), tag: Array(sealed[tagStart...]),
                                   nonce: Array(sealed[2..<nonceEnd]), aad: Array(sealed[0..<2]) + Array(binding.utf8))
        } catch {
            throw CryptoError("sealed value does not open under this master key for this binding")
        }
    }
}
