/// A key's numbered material versions, as Vault's transit engine keeps a key's policy
/// (`sdk/helper/keysutil/policy.go`): versions 1 through `latest` exist, new ciphertexts use the
/// latest, and versions below `minimumDecryption` are retired (their ciphertexts no longer decrypt).
///
/// The Tencent API exposes none of this beyond rotation; it is the model rotation policies and
/// data keys build on. `latest` is 0 while an EXTERNAL key has no material.
public struct KeyVersions: Sendable, Equatable {
    /// The newest version; the one new ciphertexts use.
    public private(set) var latest: UInt32
    /// The oldest version that still decrypts; 1 while nothing is retired.
    public private(set) var minimumDecryption: UInt32

    /// Versions as stored; a minimum below 1 is read as 1 (nothing retired).
    public init(latest: UInt32, minimumDecryption: UInt32 = 1) {
        self.latest = latest
        self.minimumDecryption = max(1, minimumDecryption)
    }

    /// The versions of a new key: one for generated material, none for an EXTERNAL key.
    public static func initial(hasMaterial: Bool) -> KeyVersions {
        KeyVersions(latest: hasMaterial ? 1 : 0)
    }

    /// The version new ciphertexts use (Tencent has no minimum encryption version: always the latest).
    public var encryption: UInt32 { latest }

    /// Whether ciphertexts of `version` may be opened: it exists and is not retired.
    public func checkDecryptable(_ version: UInt32) throws {
        guard version >= 1, version <= latest else {
            throw KMSError(.invalidCiphertext, "The ciphertext names a key version that does not exist.")
        }
        guard version >= minimumDecryption else {
            throw KMSError(.invalidCiphertext, "The ciphertext names a key version that has been retired.")
        }
    }

    /// Adds a version and makes it the one new ciphertexts use; returns it.
    @discardableResult
    public mutating func rotate() -> UInt32 {
        latest += 1
        return latest
    }

    /// Retires every version below `version`: it becomes the oldest that decrypts. Retiring is
    /// one way (a retired version's material may already be gone) and the latest version can
    /// never be retired.
    public mutating func retire(below version: UInt32) throws {
        guard version >= minimumDecryption, version <= latest else {
            throw KMSError.invalidValue("MinDecryptionVersion", "must be between \(minimumDecryption) and \(latest)")
        }
        minimumDecryption = version
    }

    /// An EXTERNAL key's material was imported: its one version exists (again), none retired.
    public mutating func importMaterial() {
        latest = 1
        minimumDecryption = 1
    }

    /// An EXTERNAL key's material was destroyed: no version exists until the next import.
    public mutating func destroyMaterial() {
        latest = 0
        minimumDecryption = 1
    }
}
