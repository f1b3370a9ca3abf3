/// The self-describing, versioned CiphertextBlob (SPEC §4):
///
///     format version (1) | algorithm (1) | key id (16) | material version (u32 BE) | nonce (12) | ciphertext | tag (16)
///
/// The associated data covers the header, the region and the canonical encryption context,
/// so a blob cannot be moved to another key, version or region, nor opened with another context.
public struct CiphertextEnvelope: Equatable, Sendable {
    public static let formatVersion: UInt8 = 1
    public static let nonceSize = 12
    public static let tagSize = 16
    static let headerSize = 1 + 1 + 16 + 4

    public let profile: CryptoProfile
    public let keyID: KeyID
    public let materialVersion: UInt32
    public let nonce: [UInt8]
    public let ciphertext: [UInt8]
    public let tag: [UInt8]

    public init(profile: CryptoProfile, keyID: KeyID, materialVersion: UInt32, nonce: [UInt8], ciphertext: [UInt8], tag: [UInt8]) {
        self.profile = profile
        self.keyID = keyID
        self.materialVersion = materialVersion
        self.nonce = nonce
        self.ciphertext = ciphertext
        self.tag = tag
    }

    /// The bytes the AEAD authenticates besides the ciphertext.
    public static func associatedData(profile: CryptoProfile, keyID: KeyID, materialVersion: UInt32,
                                      region: String, context: EncryptionContext) -> [UInt8] {
        var aad = header(profile: profile, keyID: keyID, materialVersion: materialVersion)
        aad.appendUInt32(UInt32(region.utf8.count))
        aad.append(contentsOf: region.utf8)
        aad.append(contentsOf: context.canonicalEncoding)
        return aad
    }

    static func header(profile: CryptoProfile, keyID: KeyID, materialVersion: UInt32) -> [UInt8] {
        var out: [UInt8] = [formatVersion, profile.envelopeAlgorithm]
        out.append(contentsOf: keyID.bytes)
        out.appendUInt32(materialVersion)
        return out
    }

    public var serialized: [UInt8] {
        var out = CiphertextEnvelope.header(profile: profile, keyID: keyID, materialVersion: materialVersion)
        out.reserveCapacity(out.count + nonce.count + ciphertext.count + tag.count)
        out.append(contentsOf: nonce)
        out.append(contentsOf: ciphertext)
        out.append(contentsOf: tag)
        return out
    }

    public var base64: String { Base64.encode(serialized) }

    /// Parses a CiphertextBlob parameter. Every malformed input is `InvalidCiphertext`.
    public init(base64 text: String) throws {
        guard let bytes = Base64.decode(text) else { throw KMSError(.invalidCiphertext, "The CiphertextBlob is not valid Base64.") }
        try self.init(bytes: bytes)
    }

    public init(bytes: [UInt8]) throws {
        let minimum = CiphertextEnvelope.headerSize + CiphertextEnvelope.nonceSize + 1 + CiphertextEnvelope.tagSize
        guard bytes.count >= minimum, bytes[0] == CiphertextEnvelope.formatVersion,
              let profile = CryptoProfile(envelopeAlgorithm: bytes[1]),
              let keyID = KeyID(bytes: Array(bytes[2..<18])) else {
            throw KMSError(.invalidCiphertext, "The CiphertextBlob is not a ciphertext of this service.")
        }
        let version = bytes[18..<22].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        guard version >= 1 else { throw KMSError(.invalidCiphertext, "The CiphertextBlob is not a ciphertext of this service.") }
        let nonceEnd = CiphertextEnvelope.headerSize + CiphertextEnvelope.nonceSize
        let tagStart = bytes.count - CiphertextEnvelope.tagSize
        self.init(profile: profile, keyID: keyID, materialVersion: version,
                  nonce: Array(bytes[CiphertextEnvelope.headerSize..<nonceEnd]),
                  ciphertext: Array(bytes[nonceEnd..<tagStart]), tag: Array(bytes[tagStart...]))
    }
}
