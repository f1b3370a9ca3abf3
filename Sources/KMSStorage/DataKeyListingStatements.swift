import KMSCore

/// Filters of ListDataKeys and ListDataKeyDetail; nil means "any".
public struct DataKeyQuery: Sendable {
    public var states: [DataKeyState]
    public var origin: KeyOrigin?
    /// The CMK the data keys are sealed under.
    public var keyID: KeyID?
    /// NumberOfBytes (ListDataKeyDetail's DataKeyLen).
    public var numberOfBytes: Int?
    /// A substring of the DataKeyId or the DataKeyName.
    public var search: String?
    /// Every one must match (empty: no filtering).
    public var tagFilters: [KeyTagFilter]
    public var newestFirst: Bool
    public var offset: Int
    public var limit: Int
    /// Unix seconds of the request: data keys past their DeletionDate are gone, neither listed nor counted.
    public var now: Int64

    public init(states: [DataKeyState] = DataKeyState.allCases, origin: KeyOrigin? = nil, keyID: KeyID? = nil,
                numberOfBytes: Int? = nil, search: String? = nil, tagFilters: [KeyTagFilter] = [], newestFirst: Bool = true,
                offset: Int, limit: Int, now: Int64) {
        self.states = states; self.origin = origin; self.keyID = keyID; self.numberOfBytes = numberOfBytes; self.search = search
        self.tagFilters = tagFilters; self.newestFirst = newestFirst; self.offset = offset; self.limit = limit; self.now = now
    }
}

/// The WHERE clause both listing statements share, over `data_keys` (parameters $1–$8, tag
/// filters from $9).
private let dataKeyFilter = """
    data_keys.app_id = $1 AND data_keys.region = $2 AND data_keys.state = ANY($3::text[])
      AND ($4::text IS NULL OR data_keys.origin = $4) AND ($5::uuid IS NULL OR data_keys.key_id = $5)
      AND ($6::bigint IS NULL OR data_keys.number_of_bytes = $6)
      AND ($7::text IS NULL OR strpos(data_keys.data_key_id::text, lower($7)) > 0 OR strpos(data_keys.name, $7) > 0)
      AND NOT (data_keys.state = 'PendingDelete' AND data_keys.deletion_date <> 0 AND data_keys.deletion_date <= $8)
      AND \(TagFilterCondition.sql(first: 9, tags: "data_key_tags", owner: "data_keys", id: "data_key_id"))
    """

private func filterBindings(_ tenant: Tenant, _ q: DataKeyQuery) -> [PostgresValue] {
    [.int64(tenant.appId), .text(tenant.region), .textArray(q.states.map(\.rawValue)), q.origin.map { .text($0.rawValue) } ?? .null,
     q.keyID.map { .text($0.description) } ?? .null, q.numberOfBytes.map { .int64(Int64($0)) } ?? .null,
     q.search.map(PostgresValue.text) ?? .null, .int64(q.now)]
        + TagFilterCondition.bindings(q.tagFilters)
}

/// A page of data keys (with their CMKs' aliases) and the count before paging.
public struct ListDataKeysPage: Statement {
    public static let sql = """
        SELECT \(dataKeyColumnNames.map { "data_keys." + $0 }.joined(separator: ", ")), k.alias AS key_name, count(*) OVER ()
        FROM data_keys JOIN keys k ON k.app_id = data_keys.app_id AND k.region = data_keys.region AND k.key_id = data_keys.key_id
        WHERE \(dataKeyFilter)
        ORDER BY CASE WHEN $12 THEN -data_keys.create_time ELSE data_keys.create_time END, data_keys.data_key_id
        OFFSET $13 LIMIT $14
        """
    public let tenant: Tenant
    public let query: DataKeyQuery
    public init(tenant: Tenant, query: DataKeyQuery) { self.tenant = tenant; self.query = query }
    public var bindings: [PostgresValue] {
        filterBindings(tenant, query) + [.bool(query.newestFirst), .int64(Int64(query.offset)), .int64(Int64(query.limit))]
    }
    public func decode(_ result: QueryResult) throws -> (total: Int, dataKeys: [HostedDataKey]) {
        let rows = result.rows
        return (try rows.first?.decode(Int.self, "count") ?? 0, try rows.map(HostedDataKey.init(row:)))
    }
}

/// The count alone, for a page past the end (OFFSET beyond the rows yields no window count).
public struct CountDataKeys: Statement {
    public static let sql = "SELECT count(*) FROM data_keys WHERE \(dataKeyFilter)"
    public let tenant: Tenant
    public let query: DataKeyQuery
    public init(tenant: Tenant, query: DataKeyQuery) { self.tenant = tenant; self.query = query }
    public var bindings: [PostgresValue] { filterBindings(tenant, query) }
    public func decode(_ result: QueryResult) throws -> Int {
        guard let row = try result.singleRow() else { throw StorageError("count(*) returned no row") }
        return try row.decode(Int.self, "count")
    }
}
