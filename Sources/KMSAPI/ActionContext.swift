import KMSCore
import KMSService
import KMSStorage

/// The verified caller: derived only from a SecretId whose signature checked out.
struct Caller {
    let appId: Int64
    let uin: Int64
    let secretId: String
}

/// Everything a handler may use, for one request.
struct ActionContext {
    let caller: Caller
    let region: String
    let profile: CryptoProfile
    let requestId: String
    let database: Database
    let keyring: Keyring
    let wrappingKeys: WrappingKeyPool
    /// The per-account CPU budget that key-pair generation and unwrapping draw on.
    let cpuBudget: CPUBudget
    let regions: RegionTable
    /// Unix seconds, read once per request.
    let now: Int64
    let audit: RequestAudit
    let lane: AuditLane
    let mutates: Bool
    let keyCache: KeyCache

    var tenant: Tenant { Tenant(appId: caller.appId, region: region) }

    /// A transaction scoped to the caller's tenant. For a state-changing action the audit record
    /// is inserted just before COMMIT, so the change and its record are durable together or not at all.
    func transaction<R>(_ body: (Database) throws -> R) throws -> R {
        // Keys locked for change are dropped from this process's cache once the change is
        // over (committed or not); other processes hear of it through notifications.
        defer {
            for id in audit.changedKeys { keyCache.invalidate(tenant, id) }
        }
        guard mutates, !audit.written else { return try database.transaction(tenant: tenant, body) }
        var chained: (rows: [ChainedAuditRecord], head: [UInt8], seq: Int64)? = nil
        do {
            let value = try database.transaction(tenant: tenant) { db -> R in
                let value = try body(db)
                chained = lane.chain([audit.record(result: "Success")])
                try db.enqueue(InsertAuditRecords(chained!.rows))
                return value
            }
            lane.advance(to: chained!.head, seq: chained!.seq)
            audit.written = true
            return value
        } catch {
            // Once the record was sent, whether it committed is unknown: the lane cannot continue.
            if chained != nil { lane.abandon() }
            throw error
        }
    }

    /// The caller's key read on its own, outside any transaction, in one round trip; or `CmkNotFound`.
    func readKey(_ id: KeyID) throws -> CustomerMasterKey {
        guard let key = try database.query(tenant: tenant, FindKey(tenant: tenant, keyID: id)) else { throw KMSError.notFound() }
        try key.lifecycle(now: now).checkExists()
        return key
    }

    /// The caller's key, or `CmkNotFound` (also for other accounts' and regions' keys).
    func findKey(_ id: KeyID, in db: Database, forUpdate: Bool = false) throws -> CustomerMasterKey {
        if forUpdate { audit.changedKeys.append(id) }
        let key = forUpdate ? try db.run(FindKeyForUpdate(tenant: tenant, keyID: id)) : try db.run(FindKey(tenant: tenant, keyID: id))
        guard let key else { throw KMSError.notFound() }
        // A key past its DeletionDate is gone on arrival, whether or not the worker has run.
        try key.lifecycle(now: now).checkExists()
        return key
    }
}

/// Response fields of an action, in order.
typealias ResponseFields = [(String, JSONValue)]

/// A handler in the fixed shape: decode → validate → load → check state → change → save → respond.
typealias ActionHandler = (ActionContext, Parameters) throws -> ResponseFields

/// One row of the action table.
struct ActionSpec {
    let name: String
    /// State-changing actions record their audit entry in the same transaction as the change.
    let mutates: Bool
    let parameters: [ParameterSpec]
    let handler: ActionHandler

    init(name: String, mutates: Bool = false, parameters: [ParameterSpec], handler: @escaping ActionHandler) {
        self.name = name
        self.mutates = mutates
        self.parameters = parameters
        self.handler = handler
    }
}
