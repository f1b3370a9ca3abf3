import KMSCore

/// KeyId and KeyIds, as every action that names keys takes them.
extension Parameters {
    /// The action's `KeyId`.
    func keyID() throws -> KeyID { try Parameters.parseKeyID(try requiredString("KeyId")) }

    /// A KeyId that is not a key id at all (not a UUID) is `InvalidKeyId`; a well-formed id of no
    /// key of the caller's stays `CmkNotFound`.
    static func parseKeyID(_ text: String) throws -> KeyID {
        guard let id = KeyID(text) else {
            throw KMSError(.invalidKeyId, "The KeyId `\(FormDecoding.sanitized(text))` is not a valid key id.")
        }
        return id
    }

    /// The KeyIds of a batch: 1 to 100, each a key id, none twice (compared after parsing, so
    /// an upper-case copy of an id is the same id).
    static func parseKeyIDs(_ texts: [String]) throws -> [KeyID] {
        guard (1...100).contains(texts.count) else { throw KMSError.invalidValue("KeyIds", "must hold 1 to 100 key ids") }
        var ids: [KeyID] = []
        var seen = Set<KeyID>()
        for text in texts {
            let id = try parseKeyID(text)
            guard seen.insert(id).inserted else {
                throw KMSError(.duplicatedKeyId, "The KeyId `\(id)` is given more than once.")
            }
            ids.append(id)
        }
        return ids
    }
}
