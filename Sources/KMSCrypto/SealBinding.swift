import KMSCore

/// What a sealed value, a keyed fingerprint or a MAC is bound to, spelled once for every kind.
///
/// The text is authenticated with the value (the sealer's associated data), so a value copied to
/// another row fails to open. Every stored value carries these exact bytes: changing how any
/// binding is spelled makes the data already sealed unreadable (`SealBindingTests` pins them).
public struct SealBinding: Sendable, Hashable {
    /// The text as it is authenticated (its UTF-8).
    public let text: String

    private init(_ text: String) { self.text = text }

    /// One material version of a key: account, region, key and version.
    public static func keyMaterial(_ tenant: Tenant, _ keyID: KeyID, version: UInt32) -> SealBinding {
        SealBinding("key_material|\(tenant.appId)|\(tenant.region)|\(keyID)|\(version)")
    }

    /// A credential's secret key, to its SecretId.
    public static func credentialSecret(_ secretId: String) -> SealBinding {
        SealBinding("credential|\(secretId)")
    }

    /// The private key of one import token, to its key and the SHA-256 of the token.
    public static func importPrivateKey(_ tenant: Tenant, _ keyID: KeyID, tokenHash: [UInt8]) -> SealBinding {
        SealBinding("import_parameters|\(tenant.appId)|\(tenant.region)|\(keyID)|\(Hex.encode(tokenHash))")
    }

    /// The keyed fingerprint of the material a key was given (not sealed: a MAC over the material).
    public static func materialFingerprint(_ tenant: Tenant, _ keyID: KeyID) -> SealBinding {
        SealBinding("material_fingerprint|\(tenant.appId)|\(tenant.region)|\(keyID)")
    }

    /// The domain of an audit checkpoint's MAC: it prefixes the checkpoint's encoding, so a
    /// checkpoint's MAC can never be taken for a record's.
    public static let auditCheckpoint = SealBinding("kms-audit-checkpoint-v1\n")
}
