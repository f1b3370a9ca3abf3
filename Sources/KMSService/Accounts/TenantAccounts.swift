import KMSCore
import KMSStorage

/// The tenant accounts as the operator manages them over the signed API (Tencent's Organization
/// members): made without a credential (the first comes from CAM's `CreateAccessKey` with
/// `TargetUin`), listed, disabled. Nothing here deletes: a disabled account keeps its keys, its
/// credentials and its audit trail, and `kmsctl account enable` brings it back.
///
/// Every operation runs inside the operator's transaction (`KeyOperations.transaction` scoped to
/// the operator's account), which is what migration 016's row policies let write `accounts`.
public enum TenantAccounts {
    /// A new, enabled tenant account named `name`; its root Uin. Names are unique among all
    /// accounts made this way (`FailedOperation.OrganizationMemberNameUsed` otherwise), so a
    /// client that retries a create whose answer it lost gets a clear refusal, not a twin.
    public static func create(name: String, in tx: KeyTransaction) throws -> AccountRow {
        try tx.db.run(LockTenantAccountNames())
        if try tx.db.run(AccountNameTaken(name: name)) {
            throw KMSError(.organizationMemberNameUsed, "An account named `\(name)` already exists.")
        }
        return try AccountRegistry.insertAccount(name: name, kind: .tenant, now: tx.now, in: tx.db)
    }

    /// One page of tenant accounts (oldest first) and how many match `query` in all.
    public static func list(_ query: MemberQuery, in tx: KeyTransaction) throws -> (total: Int, accounts: [AccountRow]) {
        let page = try tx.db.run(ListTenantAccounts(query))
        if let total = page.total { return (total, page.accounts) }
        return (query.offset == 0 ? 0 : try tx.db.run(CountTenantAccounts(search: query.search)), [])
    }

    /// Disables (or re-enables) the tenant accounts with these root Uins, all or none: a Uin that
    /// names no tenant account refuses the whole request (`ResourceNotFound.OrganizationMemberNotExist`).
    /// Every responder drops its cached credentials when this commits (`accounts_changed`).
    public static func setEnabled(_ enabled: Bool, uins: [Int64], in tx: KeyTransaction) throws {
        let unique = Array(Set(uins)).sorted()
        let found = try tx.db.run(LockTenantAccounts(uins: unique))
        if let missing = unique.first(where: { !found.contains($0) }) {
            throw KMSError(.organizationMemberNotExist, "No member account has the Uin \(missing).")
        }
        _ = try tx.db.run(SetTenantAccountsEnabled(uins: unique, enabled: enabled))
    }
}
