/// The cryptography a region runs (SPEC §2). Every key lives in one region and so in one profile.
public enum CryptoProfile: String, Sendable, CaseIterable {
    /// AES-256-GCM; 256-bit material.
    case fips = "FIPS"
    /// SM4-CTR with HMAC-SM3, encrypt-then-MAC; 128-bit material.
    case sm = "SM"

    /// Length in bytes of a CMK's material, generated or imported.
    public var materialLength: Int { self == .fips ? 32 : 16 }

    /// `KeyMetadata.Type` as Tencent reports it.
    public var keyMetadataType: Int { self == .fips ? 2 : 4 }

    /// The symmetric algorithm `ListAlgorithms` names for this profile.
    public var symmetricAlgorithm: String { self == .fips ? "AES_256" : "SM4" }

    /// The algorithm identifier written into every ciphertext envelope.
    public var envelopeAlgorithm: UInt8 { self == .fips ? 1 : 2 }

    public init?(envelopeAlgorithm: UInt8) {
        switch envelopeAlgorithm {
        case 1: self = .fips
        case 2: self = .sm
        default: return nil
        }
    }
}
