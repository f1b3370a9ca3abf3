import KMSCore
import Synchronization

/// Seals secrets at rest under the master key (SPEC §6): key material, import private keys and
/// credential secrets.
///
/// Format: `0x01` (format version) || master key id || nonce (12) || ciphertext || tag (16).
/// AES-256-GCM under HMAC-SHA256(masterKey, "kms/seal/v1"), with AAD = the two header bytes ||
/// the binding's UTF-8, so a value copied to another row fails to open.
///
/// Several master keys can be loaded (rotation, `MasterKeyRing`): new values are sealed under the
/// newest, every loaded key opens its own. The fingerprint and audit sub-keys derive from the
/// first master key (id 1) and do not rotate: re-keying them would orphan the fingerprints of
/// deleted material and the MACs of the audit history.
public struct Sealer: Sendable {
    /// The first byte of every sealed value.
    public static let formatVersion: UInt8 = 1
    /// The id of the first master key.
    public static let masterKeyId: UInt8 = 1
    /// Header (2) + nonce (12) + tag (16): the length of a sealed empty secret.
    public static let overhead = 2 + AES256GCM.nonceSize + AES256GCM.tagSize

    private static let subKeyLabel = Array("kms/seal/v1".utf8)
    private static let fingerprintLabel = Array("kms/fingerprint/v1".utf8)
    private static let auditLabel = Array("kms/audit/v1".utf8)

    /// The sealing ciphers by master key id; replaced whole when keys are (re)loaded.
    final class Ciphers: Sendable {
        struct Ring {
            var byId: [UInt8: AES256GCM] = [:]
            var current: UInt8 = 0
        }
        let ring = Mutex(Ring())
    }

    private let ciphers = Ciphers()
    private let fingerprintKey: SecureBytes
    private let auditKey: SecureBytes

    /// One master key (id 1); throws unless it is 32 bytes.
    public init(masterKey: SecureBytes) throws {
        try self.init(masterKeys: [(Sealer.masterKeyId, masterKey)])
    }

    /// A ring of master keys; id 1 must be among them.
    public init(masterKeys: [(id: UInt8, key: SecureBytes)]) throws {
        guard let root = masterKeys.first(where: { $0.id == Sealer.masterKeyId })?.key else {
            throw CryptoError("the master key ring has no key 1")
        }
        guard root.count == 32 else { throw CryptoError("master key must be 32 bytes, got \(root.count)") }
        fingerprintKey = HMAC.secret("SHA256", key: root, data: Self.fingerprintLabel)
        auditKey = HMAC.secret("SHA256", key: root, data: Self.auditLabel)
        try install(masterKeys)
    }

    /// Loads (another version of) the ring: the responder calls this when a key was added.
    public func install(_ masterKeys: [(id: UInt8, key: SecureBytes)]) throws {
        var byId: [UInt8: AES256GCM] = [:]
        for (id, key) in masterKeys {
            guard key.count == 32 else { throw CryptoError("master key \(id) must be 32 bytes, got \(key.count)") }
            byId[id] = try AES256GCM(key: HMAC.secret("SHA256", key: key, data: Self.subKeyLabel))
        }
        guard let newest = byId.keys.max() else { throw CryptoError("no master key") }
        ciphers.ring.withLock { $0 = Ciphers.Ring(byId: byId, current: newest) }
    }

    /// The id new values are sealed under.
    public var currentKeyId: UInt8 {
        ciphers.ring.withLock { $0.current }
    }

    /// The ids of the loaded keys.
    public var keyIds: [UInt8] {
        ciphers.ring.withLock { $0.byId.keys.sorted() }
    }

    private func cipher(_ id: UInt8?) -> (UInt8, AES256GCM)? {
        ciphers.ring.withLock { ring in
            let wanted = id ?? ring.current
            return ring.byId[wanted].map { (wanted, $0) }
        }
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

    /// The MAC that chains audit records: HMAC-SHA256 under a sub-key of the master key, so a
    /// database writer without the master key cannot forge or re-chain records.
    public func auditMAC(_ data: [UInt8]) -> [UInt8] {
        HMAC.sha256(key: auditKey, data: data)
    }

    /// Seals `secret` for the row named by `binding`, e.g. `"key_material|<app>|<region>|<keyid>|<version>"`.
    public func seal(_ secret: SecureBytes, binding: String) -> [UInt8] {
        guard let (id, cipher) = cipher(nil) else { fatalError("no master key loaded") }
        let header = [Self.formatVersion, id]
        let nonce = Random.bytes(AES256GCM.nonceSize)
        do {
            let (ciphertext, tag) = try cipher.seal(secret, nonce: nonce, aad: header + Array(binding.utf8))
            return header + nonce + ciphertext + tag
        } catch {
            // A valid key and nonce leave only an OpenSSL malfunction; storing unsealed is not an option.
            fatalError("sealing under the master key failed: \(error)")
        }
    }

    /// The master key id a sealed value names (nil if it is not a sealed value).
    public static func keyId(of sealed: [UInt8]) -> UInt8? {
        sealed.count >= overhead && sealed[0] == formatVersion ? sealed[1] : nil
    }

    /// Opens a value sealed for `binding`. Malformed, tampered, foreign-row or unknown-master-key
    /// values throw `CryptoError`.
    public func open(_ sealed: [UInt8], binding: String) throws -> SecureBytes {
        guard sealed.count >= Self.overhead else {
            throw CryptoError("sealed value is truncated (\(sealed.count) bytes, at least \(Self.overhead) expected)")
        }
        guard sealed[0] == Self.formatVersion else {
            throw CryptoError("sealed value has unknown format version \(sealed[0])")
        }
        guard let (_, cipher) = cipher(sealed[1]) else {
            throw CryptoError("sealed value names master key \(sealed[1]), which is not loaded")
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
