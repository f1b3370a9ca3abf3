import KMSCore
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
    let regions: RegionTable
    /// Unix seconds, read once per request.
    let now: Int64

    var tenant: Tenant { Tenant(appId: caller.appId, region: region) }

    /// A transaction scoped to the caller's tenant.
    func transaction<R>(_ body: (Database) throws -> R) throws -> R {
        try database.transaction(tenant: tenant, body)
    }

    /// The caller's key, or `CmkNotFound` (also for other accounts' and regions' keys).
    func findKey(_ id: KeyID, in db: Database, forUpdate: Bool = false) throws -> CustomerMasterKey {
        let key = forUpdate ? try db.run(FindKeyForUpdate(tenant: tenant, keyID: id)) : try db.run(FindKey(tenant: tenant, keyID: id))
        guard let key else { throw KMSError.notFound() }
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
    let parameters: [ParameterSpec]
    let handler: ActionHandler
}
