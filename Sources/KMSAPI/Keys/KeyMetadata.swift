import KMSCore

/// `KeyMetadata` as Tencent's DescribeKey returns it.
enum KeyMetadata {
    static func json(_ key: CustomerMasterKey, profile: CryptoProfile, now: Int64) -> JSONValue {
        let state = key.lifecycle(now: now).state
        return .object([
            ("KeyId", .string(key.id.description)),
            ("Alias", .string(key.alias)),
            ("CreateTime", .int(key.createTime)),
            ("Description", .string(key.description)),
            ("KeyState", .string(state.rawValue)),
            ("KeyUsage", .string(key.keyUsage.rawValue)),
            ("Type", .int(Int64(profile.keyMetadataType))),
            ("CreatorUin", .int(key.creatorUin)),
            ("KeyRotationEnabled", .bool(key.rotationEnabled)),
            ("Owner", .string("user")),
            ("NextRotateTime", .int(key.rotationEnabled ? key.nextRotateTime : 0)),
            ("DeletionDate", .int(key.deletionDate)),
            ("Origin", .string(key.origin.rawValue)),
            ("ValidTo", .int(key.validTo)),
            ("ResourceId", .string("creatorUin/\(key.creatorUin)/\(key.id)")),
            ("RotateDays", .int(Int64(key.rotateDays))),
            ("LastRotateTime", .int(key.lastRotateTime)),
            ("CreatorUinString", .string(String(key.creatorUin))),
        ])
    }
}
