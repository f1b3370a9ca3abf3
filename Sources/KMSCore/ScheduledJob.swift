/// Work the service owes at a time, done by the scheduled worker (SPEC §3–5: "on time, by the service").
public struct ScheduledJob: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable {
        /// Imported material reached its ValidTo: destroy it, key to PendingImport.
        case expireMaterial = "expire_material"
        /// Import parameters reached their ParametersValidTo: purge them.
        case purgeImportParameters = "purge_import_parameters"
        /// A PendingDelete key reached its DeletionDate: destroy it and all its material for good.
        case deleteKey = "delete_key"
        /// A key with rotation enabled reached its NextRotateTime: add a material version.
        case rotateKey = "rotate_key"
    }

    public let kind: Kind
    public let tenant: Tenant
    public let keyID: KeyID
    /// Unix seconds.
    public let dueAt: Int64

    public init(kind: Kind, tenant: Tenant, keyID: KeyID, dueAt: Int64) {
        self.kind = kind
        self.tenant = tenant
        self.keyID = keyID
        self.dueAt = dueAt
    }
}
