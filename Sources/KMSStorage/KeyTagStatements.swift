import KMSCore

/// Stores a new key's tags: one statement for all of them (queued with CreateKey's INSERT, so
/// they go out in its one round trip and commit or roll back with the key).
public struct InsertKeyTags: Statement {
    public static let reusesPlan = true
    public static let sql = """
        INSERT INTO key_tags (app_id, region, key_id, tag_key, tag_value)
        SELECT $1, $2, $3, t.tag_key, t.tag_value FROM unnest($4::text[], $5::text[]) AS t (tag_key, tag_value)
        """
    public let tenant: Tenant
    public let keyID: KeyID
    public let tags: [KeyTag]
    public init(tenant: Tenant, keyID: KeyID, tags: [KeyTag]) { self.tenant = tenant; self.keyID = keyID; self.tags = tags }
    public var bindings: [PostgresValue] {
        [.int64(tenant.appId), .text(tenant.region), .text(keyID.description),
         .textArray(tags.map(\.key)), .textArray(tags.map(\.value))]
    }
    public func decode(_ result: QueryResult) throws {}
}

/// Removes every tag of a key (a seed file then gives it its whole set again).
public struct DeleteKeyTags: Statement {
    public static let sql = "DELETE FROM key_tags WHERE app_id = $1 AND region = $2 AND key_id = $3"
    public let tenant: Tenant
    public let keyID: KeyID
    public init(tenant: Tenant, keyID: KeyID) { self.tenant = tenant; self.keyID = keyID }
    public var bindings: [PostgresValue] { [.int64(tenant.appId), .text(tenant.region), .text(keyID.description)] }
    public func decode(_ result: QueryResult) throws {}
}

/// A key's tags, by TagKey.
public struct FindKeyTags: Statement {
    public static let sql = """
        SELECT tag_key, tag_value FROM key_tags WHERE app_id = $1 AND region = $2 AND key_id = $3 ORDER BY tag_key
        """
    public let tenant: Tenant
    public let keyID: KeyID
    public init(tenant: Tenant, keyID: KeyID) { self.tenant = tenant; self.keyID = keyID }
    public var bindings: [PostgresValue] { [.int64(tenant.appId), .text(tenant.region), .text(keyID.description)] }
    public func decode(_ result: QueryResult) throws -> [KeyTag] {
        try result.rows.map { KeyTag(key: try $0.decode(String.self, "tag_key"), value: try $0.decode(String.self, "tag_value")) }
    }
}

/// `ListKeyDetail.TagFilters` (and ListDataKeyDetail's) in SQL (KeyTagFilter's rule): no filter
/// without a matching tag on the listed key. Filter `n` (1-based) is `keys[n]`; its values are the
/// `values` elements whose `numbers` element is `n`, none meaning any value. Empty arrays filter nothing.
enum TagFilterCondition {
    /// The condition over rows of `owner` (keys, or data_keys by `data_key_id`), whose tags are in
    /// `tags`, with the three arrays at parameters `$first`, `$first+1`, `$first+2`.
    static func sql(first: Int, tags: String = "key_tags", owner: String = "keys", id: String = "key_id") -> String {
        let keys = "$\(first)::text[]", numbers = "$\(first + 1)::bigint[]", values = "$\(first + 2)::text[]"
        return """
            NOT EXISTS (
                SELECT 1 FROM unnest(\(keys)) WITH ORDINALITY AS f (tag_key, n)
                WHERE NOT EXISTS (
                    SELECT 1 FROM \(tags) t
                    WHERE t.app_id = \(owner).app_id AND t.region = \(owner).region AND t.\(id) = \(owner).\(id)
                      AND t.tag_key = f.tag_key
                      AND (NOT EXISTS (SELECT 1 FROM unnest(\(numbers)) AS v (n) WHERE v.n = f.n)
                           OR t.tag_value IN (SELECT v.tag_value FROM unnest(\(numbers), \(values)) AS v (n, tag_value)
                                              WHERE v.n = f.n))))
            """
    }

    /// The three arrays for `filters`.
    static func bindings(_ filters: [KeyTagFilter]) -> [PostgresValue] {
        var numbers: [Int64?] = [], values: [String?] = []
        for (index, filter) in filters.enumerated() {
            for value in filter.values {
                numbers.append(Int64(index + 1))
                values.append(value)
            }
        }
        return [.textArray(filters.map(\.key)), .int64Array(numbers), .textArray(values)]
    }
}
