import KMSAccess
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
    /// The hosted data key of the `DataKeyId` parameter.
    case dataKey
    /// Every hosted data key of the `DataKeyIds` parameter.
    case dataKeys
    /// ImportDataKey: the CMK that will seal the data key: `KeyId`, or the one the imported
    /// CiphertextBlob names (ImportType 1 without KeyId).
    case importedDataKey

    init(parameters: [ParameterSpec]) {
        let names = Set(parameters.filter { !$0.unsupported }.map(\.name))
        let required = Set(parameters.filter(\.required).map(\.name))
        if names.contains("CiphertextBlob") {
            self = .ciphertext(destination: names.contains("DestinationKeyId"))
        } else if names.contains("ImportKeyMaterial") && names.contains("ImportType") {
            self = .importedDataKey
        } else if names.contains("DataKeyIds") {
            self = .dataKeys
        } else if names.contains("DataKeyId") {
            self = .dataKey
        } else if names.contains("KeyIds") {
            self = .keys
        } else if required.contains("KeyId") {
            // An optional KeyId is a filter (ListDataKeyDetail), not the key acted on.
            self = .key
        } else {
            self = .account
        }
    }

    /// The resources a request names, as CAM names them; nil for `.account`. Malformed parameters
    /// throw the errors the action itself would.
    func resources(_ parameters: Parameters, region: String, ownerUin: Int64) throws -> [String]? {
        switch self {
        case .dataKey:
            return [ResourceName.kmsDataKey(region: region, ownerUin: ownerUin, dataKeyId: try parameters.dataKeyID().description)]
        case .dataKeys:
            return try Parameters.parseDataKeyIDs(parameters.strings("DataKeyIds") ?? []).map {
                ResourceName.kmsDataKey(region: region, ownerUin: ownerUin, dataKeyId: $0.description)
            }
        default:
            return try keyIDs(parameters)?.map { ResourceName.kmsKey(region: region, ownerUin: ownerUin, keyId: $0.description) }
        }
    }

    /// The keys a request names; nil for `.account` (and the data-key rules, whose resources are
    /// data keys). Malformed parameters throw the errors the action itself would (MissingParameter,
    /// InvalidKeyId, InvalidCiphertext, …).
    func keyIDs(_ parameters: Parameters) throws -> [KeyID]? {
        switch self {
        case .account, .dataKey, .dataKeys:
            return nil
        case .importedDataKey:
            return [try Parameters.importedDataKeyCMK(parameters)]
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
