import Foundation
import XCTest
import KMSCore
import KMSCrypto
@testable import KMSStorage

/// Integration tests against a real PostgreSQL (started by `scripts/kms test`), connecting as
/// the owner role to the `kms_test` database. Without KMS_TEST_DATABASE_URL they fail: a
/// skipped integration test would hide a broken install.
final class StorageTests: XCTestCase {
    static let env = ProcessInfo.processInfo.environment

    func ownerDatabase() throws -> Database {
        guard let url = StorageTests.env["KMS_TEST_DATABASE_URL"] else {
            XCTFail("KMS_TEST_DATABASE_URL is not set: run the storage tests through scripts/kms test")
            throw StorageError("no database")
        }
        return try Database(conninfo: url)
    }

    /// The same database as the application role, which row-level security applies to.
    func appDatabase() throws -> Database {
        let url = StorageTests.env["KMS_TEST_DATABASE_URL"]!.replacingOccurrences(of: "user=kms_owner", with: "user=kms_app")
        return try Database(conninfo: url)
    }

    func migrated() throws -> Database {
        let db = try ownerDatabase()
        try Migrator(directory: StorageTests.env["KMS_TEST_SQL_DIR"] ?? "SQL").apply(to: db)
        return db
    }

    func newAccount(_ db: Database) throws -> Int64 {
        let appId = Int64.random(in: 1_000_000...9_000_000_000)
        try db.run(InsertAccount(appId: appId, uin: appId + 10_000_000_000, name: "t", createdAt: 1))
        return appId
    }

    func newKey(_ tenant: Tenant, alias: String) -> CustomerMasterKey {
        CustomerMasterKey(id: KeyID(random: Random.bytes(16)), appId: tenant.appId, region: tenant.region, alias: alias,
                          description: "d", keyUsage: .encryptDecrypt, origin: .tencentKMS, state: .enabled,
                          creatorUin: 1, createTime: 100, currentVersion: 1)
    }

    func testMigrationsApplyOnceAndASecondRunIsANoOp() throws {
        let db = try migrated()
        XCTAssertEqual(try Migrator(directory: StorageTests.env["KMS_TEST_SQL_DIR"] ?? "SQL").apply(to: db), [])
        let count = try db.connection.execute(name: "t_count_migrations", sql: "SELECT count(*) FROM schema_migrations", parameters: [])
        XCTAssertGreaterThanOrEqual(count.int64(0, 0), 1)
    }

    func testKeyStatementsRoundTripInsideTheTenant() throws {
        let owner = try migrated()
        let app = try appDatabase()
        let tenant = Tenant(appId: try newAccount(owner), region: "ap-guangzhou")
        var key = newKey(tenant, alias: "round-trip")
        try app.transaction(tenant: tenant) { db in
            try db.run(InsertKey(key))
            try db.run(InsertKeyMaterial(tenant: tenant, keyID: key.id, version: 1, sealed: [1, 2, 3, 0, 255], createdAt: 100))
        }
        let loaded = try app.transaction(tenant: tenant) { try $0.run(FindKeyWithMaterial(tenant: tenant, keyID: key.id, version: nil)) }
        XCTAssertEqual(loaded?.key, key)
        XCTAssertEqual(loaded?.sealed, [1, 2, 3, 0, 255])
        XCTAssertEqual(loaded?.version, 1)
        key.state = .disabled
        key.alias = "renamed"
        XCTAssertTrue(try app.transaction(tenant: tenant) { try $0.run(UpdateKey(key)) })
        XCTAssertEqual(try app.transaction(tenant: tenant) { try $0.run(FindKey(tenant: tenant, keyID: key.id)) }, key)
        let page = try app.transaction(tenant: tenant) {
            try $0.run(ListKeysPage(tenant: tenant, query: KeyQuery(states: [.disabled], search: "rename", offset: 0, limit: 10, now: 0)))
        }
        XCTAssertEqual(page.total, 1)
        XCTAssertEqual(page.keys.map(\.id), [key.id])
    }

    func testDuplicateAliasIsAUniqueViolation() throws {
        let owner = try migrated()
        let app = try appDatabase()
        let tenant = Tenant(appId: try newAccount(owner), region: "ap-guangzhou")
        try app.transaction(tenant: tenant) { try $0.run(InsertKey(newKey(tenant, alias: "same"))) }
        XCTAssertThrowsError(try app.transaction(tenant: tenant) { try $0.run(InsertKey(newKey(tenant, alias: "same"))) }) {
            XCTAssertTrue(($0 as? StorageError)?.isUniqueViolation == true)
        }
        let other = Tenant(appId: tenant.appId, region: "ap-beijing")
        XCTAssertNoThrow(try app.transaction(tenant: other) { try $0.run(InsertKey(newKey(other, alias: "same"))) })
    }

    func testQueuedStatementsRunInOrderAndCommitInOneRoundTrip() throws {
        let owner = try migrated()
        let app = try appDatabase()
        let tenant = Tenant(appId: try newAccount(owner), region: "ap-guangzhou")
        let key = newKey(tenant, alias: "queued")
        // Queued inserts are sent before a statement whose result is needed, so it sees them.
        let seen = try app.transaction(tenant: tenant) { db -> CustomerMasterKey? in
            try db.enqueue(InsertKey(key))
            try db.enqueue(InsertKeyMaterial(tenant: tenant, keyID: key.id, version: 1, sealed: [9], createdAt: 100))
            return try db.run(FindKey(tenant: tenant, keyID: key.id))
        }
        XCTAssertEqual(seen, key)
        // Only queued writes: they go out with the COMMIT, and are committed.
        let second = newKey(tenant, alias: "queued-2")
        try app.transaction(tenant: tenant) { try $0.enqueue(InsertKey(second)) }
        // That transaction ran without BEGIN (one implicit transaction): its tenant scope ended with it.
        let unscoped = try app.connection.execute(name: "t_unscoped_after", sql: "SELECT count(*) FROM keys", parameters: [])
        XCTAssertEqual(unscoped.int64(0, 0), 0)
        XCTAssertFalse(try app.connection.isInTransaction)
        XCTAssertEqual(try app.transaction(tenant: tenant) { try $0.run(FindKey(tenant: tenant, keyID: second.id)) }, second)
    }

    func testASingleScopedQueryAndAPairOfStatementsInOneRoundTrip() throws {
        let owner = try migrated()
        let app = try appDatabase()
        let a = Tenant(appId: try newAccount(owner), region: "ap-guangzhou")
        let b = Tenant(appId: try newAccount(owner), region: "ap-guangzhou")
        let key = newKey(a, alias: "queried")
        try app.transaction(tenant: a) { try $0.enqueue(InsertKey(key)) }
        XCTAssertEqual(try app.query(tenant: a, FindKey(tenant: a, keyID: key.id)), key)
        // Scoped to another tenant, the same lookup finds nothing; and no scope outlives a query.
        XCTAssertNil(try app.query(tenant: b, FindKey(tenant: a, keyID: key.id)))
        let unscoped = try app.connection.execute(name: "t_unscoped_query", sql: "SELECT count(*) FROM keys", parameters: [])
        XCTAssertEqual(unscoped.int64(0, 0), 0)
        XCTAssertFalse(try app.connection.isInTransaction)
        let (locked, count) = try app.transaction(tenant: a) {
            try $0.run(FindKeyForUpdate(tenant: a, keyID: key.id), CountLiveImportParameters(tenant: a, keyID: key.id, now: 0))
        }
        XCTAssertEqual(locked, key)
        XCTAssertEqual(count.forTenant, 0)
    }

    func testAQueuedStatementThatFailsRollsBackTheWholeTransaction() throws {
        let owner = try migrated()
        let app = try appDatabase()
        let tenant = Tenant(appId: try newAccount(owner), region: "ap-guangzhou")
        try app.transaction(tenant: tenant) { try $0.enqueue(InsertKey(newKey(tenant, alias: "taken"))) }
        let innocent = newKey(tenant, alias: "innocent")
        // The clash surfaces at the COMMIT; the insert queued before it must not survive.
        XCTAssertThrowsError(try app.transaction(tenant: tenant) { db in
            try db.enqueue(InsertKey(innocent))
            try db.enqueue(InsertKey(newKey(tenant, alias: "taken")))
        }) { XCTAssertTrue(($0 as? StorageError)?.isUniqueViolation == true, "\($0)") }
        XCTAssertNil(try app.transaction(tenant: tenant) { try $0.run(FindKey(tenant: tenant, keyID: innocent.id)) })
        // The same, failing at a statement whose result is needed rather than at the COMMIT.
        XCTAssertThrowsError(try app.transaction(tenant: tenant) { db -> CustomerMasterKey? in
            try db.enqueue(InsertKey(innocent))
            try db.enqueue(InsertKey(newKey(tenant, alias: "taken")))
            return try db.run(FindKey(tenant: tenant, keyID: innocent.id))
        })
        XCTAssertNil(try app.transaction(tenant: tenant) { try $0.run(FindKey(tenant: tenant, keyID: innocent.id)) })
        // A body that throws before sending anything leaves nothing behind either.
        struct Refused: Error {}
        XCTAssertThrowsError(try app.transaction(tenant: tenant) { db in
            try db.enqueue(InsertKey(innocent))
            throw Refused()
        })
        XCTAssertNil(try app.transaction(tenant: tenant) { try $0.run(FindKey(tenant: tenant, keyID: innocent.id)) })
        // The connection is in a clean state: outside any transaction, and usable.
        XCTAssertFalse(try app.connection.isInTransaction, "a transaction was left open")
        try app.transaction(tenant: tenant) { try $0.enqueue(InsertKey(innocent)) }
        XCTAssertEqual(try app.transaction(tenant: tenant) { try $0.run(FindKey(tenant: tenant, keyID: innocent.id)) }, innocent)
    }

    func testRowLevelSecurityHidesOtherTenantsAndUnscopedQueries() throws {
        let owner = try migrated()
        let app = try appDatabase()
        let a = Tenant(appId: try newAccount(owner), region: "ap-guangzhou")
        let b = Tenant(appId: try newAccount(owner), region: "ap-guangzhou")
        let key = newKey(a, alias: "mine")
        try app.transaction(tenant: a) { try $0.run(InsertKey(key)) }
        // Asking for A's key while scoped to B finds nothing, even with A's ids in the WHERE clause.
        let leaked = try app.transaction(tenant: b) { try $0.run(FindKey(tenant: a, keyID: key.id)) }
        XCTAssertNil(leaked)
        // No tenant set at all: nothing is visible.
        let unscoped = try app.connection.execute(name: "t_unscoped", sql: "SELECT count(*) FROM keys", parameters: [])
        XCTAssertEqual(unscoped.int64(0, 0), 0)
        // Writing a row for another tenant is refused by the policy's WITH CHECK.
        XCTAssertThrowsError(try app.transaction(tenant: b) { try $0.run(InsertKey(newKey(a, alias: "forged"))) })
        // The owner role is subject to it too (FORCE ROW LEVEL SECURITY).
        let ownerView = try owner.connection.execute(name: "t_owner_view", sql: "SELECT count(*) FROM keys", parameters: [])
        XCTAssertEqual(ownerView.int64(0, 0), 0)
    }

    func testAKeyIdClashAcrossTenantsRevealsNothing() throws {
        let owner = try migrated()
        let app = try appDatabase()
        let a = Tenant(appId: try newAccount(owner), region: "ap-guangzhou")
        let b = Tenant(appId: try newAccount(owner), region: "ap-guangzhou")
        let mine = newKey(a, alias: "clash")
        try app.transaction(tenant: a) { try $0.run(InsertKey(mine)) }
        // B creating a key with the very same id succeeds: no unique violation tells B that A has it.
        var theirs = newKey(b, alias: "clash")
        theirs.id = mine.id
        XCTAssertNoThrow(try app.transaction(tenant: b) { try $0.run(InsertKey(theirs)) })
        XCTAssertEqual(try app.transaction(tenant: b) { try $0.run(FindKey(tenant: b, keyID: mine.id)) }, theirs)
        XCTAssertEqual(try app.transaction(tenant: a) { try $0.run(FindKey(tenant: a, keyID: mine.id)) }, mine)
    }

    func testTenantRowsCannotHaveAnEmptyTenant() throws {
        let owner = try migrated()
        let app = try appDatabase()
        let empty = Tenant(appId: try newAccount(owner), region: "")
        XCTAssertThrowsError(try app.transaction(tenant: empty) { try $0.run(InsertKey(newKey(empty, alias: "nowhere"))) })
    }

    func testSealedMaterialMovedToAnotherRowFailsToOpen() throws {
        let owner = try migrated()
        let app = try appDatabase()
        let sealer = try Sealer(masterKey: Random.secret(32))
        let tenant = Tenant(appId: try newAccount(owner), region: "ap-guangzhou")
        let first = newKey(tenant, alias: "first"), second = newKey(tenant, alias: "second")
        let material = Random.secret(32)
        let binding = { (id: KeyID) in "key_material|\(tenant.appId)|\(tenant.region)|\(id)|1" }
        try app.transaction(tenant: tenant) { db in
            try db.run(InsertKey(first))
            try db.run(InsertKey(second))
            let sealed = sealer.seal(material, binding: binding(first.id))
            try db.run(InsertKeyMaterial(tenant: tenant, keyID: first.id, version: 1, sealed: sealed, createdAt: 1))
            // An operator with database access copies the sealed value onto the other key's row.
            try db.run(InsertKeyMaterial(tenant: tenant, keyID: second.id, version: 1, sealed: sealed, createdAt: 1))
        }
        let rows = try app.transaction(tenant: tenant) { db in
            (try db.run(FindKeyWithMaterial(tenant: tenant, keyID: first.id, version: 1))!.sealed!,
             try db.run(FindKeyWithMaterial(tenant: tenant, keyID: second.id, version: 1))!.sealed!)
        }
        XCTAssertEqual(try sealer.open(rows.0, binding: binding(first.id)), material)
        XCTAssertThrowsError(try sealer.open(rows.1, binding: binding(second.id)))
    }

    func testCredentialLookupAndDisable() throws {
        let owner = try migrated()
        let app = try appDatabase()
        let appId = try newAccount(owner)
        // 36 characters whatever the number of digits (a random app id has 7 to 10).
        let digits = String(appId)
        let secretId = "AKID" + String(repeating: "x", count: 32 - digits.count) + digits
        try owner.run(InsertCredential(secretId: secretId, appId: appId, sealed: [9, 9], createdAt: 1))
        let found = try app.run(FindCredential(secretId: secretId))
        XCTAssertEqual(found?.appId, appId)
        XCTAssertEqual(found?.enabled, true)
        XCTAssertTrue(try owner.run(SetCredentialEnabled(secretId: secretId, enabled: false)))
        XCTAssertEqual(try app.run(FindCredential(secretId: secretId))?.enabled, false)
        XCTAssertNil(try app.run(FindCredential(secretId: "AKID" + String(repeating: "0", count: 32))))
    }

    /// A column read as NOT NULL that the server returns NULL: the statement fails, it does not read 0.
    struct NullAppId: Statement {
        static let sql = "SELECT NULL::bigint AS app_id, 'x'::text AS name"
        var bindings: [PostgresValue] { [] }
        func decode(_ result: QueryResult) throws -> Int64 { try result.singleRow()!.decode(Int64.self, "app_id") }
    }

    /// A column the statement names but the result does not have.
    struct MissingColumn: Statement {
        static let sql = "SELECT 1::bigint AS app_id"
        var bindings: [PostgresValue] { [] }
        func decode(_ result: QueryResult) throws -> Int64 { try result.singleRow()!.decode(Int64.self, "uin") }
    }

    func testAnUnexpectedNullOrAMissingColumnThrowsInsteadOfDefaulting() throws {
        let db = try migrated()
        XCTAssertThrowsError(try db.run(NullAppId())) { XCTAssertTrue("\($0)".contains("NULL"), "\($0)") }
        XCTAssertThrowsError(try db.run(MissingColumn())) { XCTAssertTrue("\($0)".contains("uin"), "\($0)") }
        // Where NULL is expected it is nil: a key with no material yet (EXTERNAL, before its import).
        let app = try appDatabase()
        let tenant = Tenant(appId: try newAccount(db), region: "ap-guangzhou")
        var external = newKey(tenant, alias: "external")
        external.origin = .external
        external.state = .pendingImport
        external.currentVersion = 0
        try app.transaction(tenant: tenant) { try $0.run(InsertKey(external)) }
        let loaded = try app.query(tenant: tenant, FindKeyWithMaterial(tenant: tenant, keyID: external.id, version: nil))
        XCTAssertEqual(loaded?.key, external)
        XCTAssertNil(loaded?.sealed)
        XCTAssertNil(try app.query(tenant: tenant, FindKeyForImport(tenant: tenant, keyID: external.id))?.fingerprint)
    }

    func testEveryByteValueRoundTripsAsBinaryBytea() throws {
        let owner = try migrated()
        let app = try appDatabase()
        let tenant = Tenant(appId: try newAccount(owner), region: "ap-guangzhou")
        let key = newKey(tenant, alias: "bytes")
        let every = (0...255).map { UInt8($0) }
        try app.transaction(tenant: tenant) { db in
            try db.enqueue(InsertKey(key))
            try db.enqueue(InsertKeyMaterial(tenant: tenant, keyID: key.id, version: 1, sealed: every, createdAt: 1))
            try db.enqueue(SetMaterialFingerprint(tenant: tenant, keyID: key.id, fingerprint: every.reversed()))
        }
        let loaded = try app.query(tenant: tenant, FindKeyWithMaterial(tenant: tenant, keyID: key.id, version: 1))
        XCTAssertEqual(loaded?.sealed, every)
        XCTAssertEqual(try app.query(tenant: tenant, FindKeyForImport(tenant: tenant, keyID: key.id))?.fingerprint, every.reversed())
        // The server holds the bytes themselves, not their hex text.
        let stored = try owner.connection.execute(
            name: "t_stored_bytes", sql: "SELECT length(material_sealed), encode(material_sealed, 'hex') FROM key_material WHERE key_id = $1",
            parameters: [key.id.description])
        XCTAssertEqual(stored.rowCount, 0, "row-level security hides it from an unscoped owner")
        let scoped = try app.transaction(tenant: tenant) { db in
            try db.connection.execute(name: "t_stored_bytes_scoped",
                                      sql: "SELECT length(material_sealed), encode(material_sealed, 'hex') FROM key_material WHERE key_id = $1",
                                      parameters: [key.id.description])
        }
        XCTAssertEqual(scoped.int64(0, 0), 256)
        XCTAssertEqual(scoped.string(0, 1), every.map { String(format: "%02x", $0) }.joined())
        // A bytea in a WHERE clause matches on the same bytes (a token hash with NUL and backslash bytes).
        let hash: [UInt8] = (0..<32).map { [0, 0x5C, 0x27, 0xFF][$0 % 4] }
        let parameters = ImportParametersRow(keyID: key.id, tokenHash: hash, wrappingAlgorithm: "RSAES_OAEP_SHA_256",
                                             wrappingKeySpec: "RSA_2048", privateKeySealed: every, validTo: 10)
        try app.transaction(tenant: tenant) { try $0.run(InsertImportParameters(tenant: tenant, row: parameters, createdAt: 1)) }
        let found = try app.query(tenant: tenant, FindImportParameters(tenant: tenant, tokenHash: hash))
        XCTAssertEqual(found?.tokenHash, hash)
        XCTAssertEqual(found?.privateKeySealed, every)
    }

    /// The round trips of the statement patterns the bench's requests use, counted by the
    /// connection: typed bindings and binary bytea added none.
    func testTheBenchPathsCostNoMoreRoundTripsThanBefore() throws {
        let owner = try migrated()
        let app = try appDatabase()
        let tenant = Tenant(appId: try newAccount(owner), region: "ap-guangzhou")
        func createKey(_ alias: String) throws -> (CustomerMasterKey, Int) {
            let key = newKey(tenant, alias: alias)
            let before = app.roundTrips
            // CreateKey: everything queued, sent with the COMMIT (here: without BEGIN/COMMIT).
            try app.transaction(tenant: tenant) { db in
                try db.enqueue(DestroyDeletedKeyHoldingAlias(tenant: tenant, alias: alias, now: 1))
                try db.enqueue(InsertKey(key))
                try db.enqueue(InsertKeyMaterial(tenant: tenant, keyID: key.id, version: 1, sealed: [1, 2], createdAt: 1))
            }
            return (key, app.roundTrips - before)
        }
        _ = try createKey("warm-up")  // prepares the INSERTs on this connection, once
        let (key, creating) = try createKey("counted")
        XCTAssertEqual(creating, 1, "CreateKey")
        // Encrypt or Decrypt on a cache miss, DescribeKey: the scope and the read together.
        var before = app.roundTrips
        XCTAssertNotNil(try app.query(tenant: tenant, FindKeyWithMaterial(tenant: tenant, keyID: key.id, version: nil)))
        XCTAssertEqual(app.roundTrips - before, 1, "a scoped read")
        // A state change: the locked read (with BEGIN and the scope), then the update with the COMMIT.
        before = app.roundTrips
        try app.transaction(tenant: tenant) { db in
            var locked = try db.run(FindKeyForUpdate(tenant: tenant, keyID: key.id))!
            locked.state = .disabled
            try db.enqueue(UpdateKey(locked))
        }
        XCTAssertEqual(app.roundTrips - before, 2, "a state change")
        // Two reads whose results are needed, together.
        before = app.roundTrips
        _ = try app.transaction(tenant: tenant) {
            try $0.run(FindKeyForUpdate(tenant: tenant, keyID: key.id), CountLiveImportParameters(tenant: tenant, keyID: key.id, now: 0))
        }
        XCTAssertEqual(app.roundTrips - before, 2, "a pair of reads and the COMMIT")
    }

    func testLostConnectionIsReestablished() throws {
        let db = try migrated()
        let pid = try db.connection.execute(name: "t_pid", sql: "SELECT pg_backend_pid()", parameters: []).int64(0, 0)
        let killer = try ownerDatabase()
        _ = try killer.connection.execute(name: "t_kill", sql: "SELECT pg_terminate_backend($1::int)", parameters: [String(pid)])
        Thread.sleep(forTimeInterval: 0.2)
        // The idle connection the server closed is noticed before use and replaced: the next
        // statement succeeds on a new backend instead of failing.
        XCTAssertNoThrow(try db.run(ListAccounts()))
        let newPid = try db.connection.execute(name: "t_pid", sql: "SELECT pg_backend_pid()", parameters: []).int64(0, 0)
        XCTAssertNotEqual(newPid, pid)
    }
}
