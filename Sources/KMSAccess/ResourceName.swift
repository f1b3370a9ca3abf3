/// Resource names in CAM's six-segment form, `qcs:project:service:region:account:resource`.
public enum ResourceName {
    /// `qcs::kms:<region>:uin/<ownerUin>:key/creatorUin/<ownerUin>/<keyId>`: a key, as Tencent's KMS
    /// names it (the creator is the owning account: sub-users create keys in their account's name).
    public static func kmsKey(region: String, ownerUin: Int64, keyId: String) -> String {
        "qcs::kms:\(region):uin/\(ownerUin):key/creatorUin/\(ownerUin)/\(keyId)"
    }

    /// `qcs::kms:<region>:uin/<ownerUin>:datakey/creatorUin/<ownerUin>/<dataKeyId>`: a KMS-hosted data
    /// key (docs/DATA_KEYS.md), in the form of its DataKeyMetadata.ResourceId.
    public static func kmsDataKey(region: String, ownerUin: Int64, dataKeyId: String) -> String {
        "qcs::kms:\(region):uin/\(ownerUin):datakey/creatorUin/\(ownerUin)/\(dataKeyId)"
    }
}
