import KMSCore

/// DataKeyId and DataKeyIds, as every data-key action takes them (docs/DATA_KEYS.md).
extension Parameters {
    /// The action's `DataKeyId`.
    func dataKeyID() throws -> KeyID { try Parameters.parseDataKeyID(try requiredString("DataKeyId")) }

    /// A DataKeyId that is not a UUID is `InvalidDataKeyId`; a well-formed id of no data key of the
    /// caller's stays `DataKeyNotFound`.
    static func parseDataKeyID(_ text: String) throws -> KeyID {
        guard let id = KeyID(text) else {
            throw KMSError(.invalidDataKeyId, "The DataKeyId `\(FormDecoding.sanitized(text))` is not a valid data key id.")
        }
        return id
    }

    /// The DataKeyIds of a batch: 1 to 100, each a data key id, none twice (compared after parsing).
    static func parseDataKeyIDs(_ texts: [String]) throws -> [KeyID] {
        guard (1...DataKeyRules.maximumBatch).contains(texts.count) else {
            throw KMSError.invalidValue("DataKeyIds", "must hold 1 to \(DataKeyRules.maximumBatch) data key ids")
        }
        var ids: [KeyID] = []
        var seen = Set<KeyID>()
        for text in texts {
            let id = try parseDataKeyID(text)
            guard seen.insert(id).inserted else {
                throw KMSError(.duplicatedDataKeyId, "The DataKeyId `\(id)` is given more than once.")
            }
            ids.append(id)
        }
        return ids
    }

    /// ImportDataKey's CMK: `KeyId` when given; for ImportType 1 without it, the CMK the
    /// CiphertextBlob in `ImportKeyMaterial` names. Plaintext import (ImportType 2) needs `KeyId`.
    static func importedDataKeyCMK(_ p: Parameters) throws -> KeyID {
        if let text = p.string("KeyId"), !text.isEmpty { return try parseKeyID(text) }
        guard p.int("ImportType") == 1 else { throw KMSError.missing("KeyId") }
        return try importedCiphertext(p).keyID
    }

    /// ImportType 1's `ImportKeyMaterial`: a ciphertext envelope of this service, or
    /// `InvalidImportKeyMaterial`.
    static func importedCiphertext(_ p: Parameters) throws -> CiphertextEnvelope {
        do {
            return try CiphertextEnvelope(base64: try p.requiredString("ImportKeyMaterial"))
        } catch let error as KMSError where error.code == .invalidCiphertext {
            throw KMSError(.invalidImportKeyMaterial, "ImportKeyMaterial is not a CiphertextBlob of this service.")
        }
    }
}
