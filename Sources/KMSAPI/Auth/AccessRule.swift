import KMSCore

/// What a CAM policy must allow a request on (SPEC §6): the keys an action touches, as named by
/// its parameters, or `*` for an action that touches no one key (CreateKey, ListKeys,
/// GenerateRandom and every CAM action). Derived once from the action's declared parameters, so
/// an action cannot name a key a policy is not asked about.
enum AccessRule: Equatable {
    /// Not resource-level: a policy must allow the action on `*`.
    case account
    /// The key of the `KeyId` parameter.
    case key
    /// Every key of the `KeyIds` parameter.
    case keys
    /// The key the `CiphertextBlob` was made with, and `DestinationKeyId` when the action takes one.
    case ciphertext(destination: Bool)

    init(parameters: [ParameterSpec]) {
        let names = Set(parameters.filter { !$0.unsupported }.map(\.name))
        if names.contains("CiphertextBlob") {
            self = .ciphertext(destination: names.contains("DestinationKeyId"))
        } else if names.contains("KeyIds") {
            self = .keys
        } else if names.contains("KeyId") {
            self = .key
        } else {
            self = .account
        }
    }

    /// The keys a request names; nil for `.account`. Malformed parameters throw the errors the
    /// action itself would (MissingParameter, InvalidKeyId, InvalidCiphertext, …).
    func keyIDs(_ parameters: Parameters) throws -> [KeyID]? {
        switch self {
        case .account:
            return nil
        case .key:
            return [try parameters.keyID()]
        case .keys:
            return try Parameters.parseKeyIDs(parameters.strings("KeyIds") ?? [])
        case .ciphertext(let destination):
            var ids = [try CiphertextEnvelope(base64: try parameters.requiredString("CiphertextBlob")).keyID]
            if destination, let text = parameters.string("DestinationKeyId"), !text.isEmpty {
                ids.append(try Parameters.parseKeyID(text))
            }
            return ids
        }
    }
}
