import KMSCore

/// `DataKeyMetadata` as Tencent's DescribeDataKey(s) and ListDataKeyDetail return it.
enum DataKeyMetadata {
    static func json(_ dataKey: HostedDataKey) -> JSONValue {
        .object([
            ("DataKeyId", .string(dataKey.id.description)),
            ("KeyId", .string(dataKey.keyID.description)),
            ("KeyName", .string(dataKey.keyName)),
            ("DataKeyName", .string(dataKey.name)),
            ("NumberOfBytes", .int(Int64(dataKey.numberOfBytes))),
            ("CreateTime", .int(dataKey.createTime)),
            ("Description", .string(dataKey.description)),
            ("KeyState", .string(dataKey.state.rawValue)),
            ("CreatorUin", .int(dataKey.creatorUin)),
            ("Owner", .string("user")),
            ("DeletionDate", .int(dataKey.deletionDate)),
            ("Origin", .string(dataKey.origin.rawValue)),
            ("HsmClusterId", .string("")),
            ("ResourceId", .string("creatorUin/\(dataKey.creatorUin)/\(dataKey.id)")),
            ("IsSyncReplica", .int(0)),
            ("CreatorUinString", .string(String(dataKey.creatorUin))),
        ])
    }
}
