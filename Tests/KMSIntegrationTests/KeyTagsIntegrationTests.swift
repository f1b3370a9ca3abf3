import Foundation
import XCTest
import KMSCore
import KMSCrypto
import KMSStorage
@testable import KMSAPI
@testable import KMSService
import KMSHTTP

/// CreateKey.Tags and ListKeyDetail.TagFilters through the real service and PostgreSQL: tags are
/// stored with the key (or not at all), filtered in SQL with AND across filters and OR across a
/// filter's values, held to their tenant by row-level security, and destroyed with their key.
final class KeyTagsIntegrationTests: XCTestCase {
    let t0: Int64 = 1_960_000_000

    func tags(_ pairs: [(String, String)]) -> JSONValue {
        .array(pairs.map { .object([("TagKey", .string($0.0)), ("TagValue", .string($0.1))]) })
    }

    func createKey(_ h: ServiceHarness, _ account: IssuedCredential, _ pairs: [(String, String)], region: String = "ap-guangzhou") -> String {
        let created = h.call("CreateKey", .object([("Alias", .string("t\(UInt32.random(in: 0...UInt32.max))")), ("Tags", tags(pairs))]),
                             as: account, region: region)
        XCTAssertNil(ServiceHarness.errorCode(created), "\(created)")
        XCTAssertEqual(created["TagCode"], .int(0))
        return ServiceHarness.string(created, "KeyId")
    }

    func filter(_ key: String, _ values: [String]?) -> JSONValue {
        var members: [(String, JSONValue)] = [("TagKey", .string(key))]
        if let values { members.append(("TagValue", .array(values.map(JSONValue.string)))) }
        return .object(members)
    }

    /// The KeyIds ListKeyDetail returns under `filters` (every state, every usage), and its TotalCount.
    func listed(_ h: ServiceHarness, _ account: IssuedCredential, _ filters: [JSONValue], region: String = "ap-guangzhou",
                limit: Int64 = 200, offset: Int64 = 0) -> (ids: Set<String>, total: Int64?) {
        let response = h.call("ListKeyDetail", .object([("TagFilters", .array(filters)), ("KeyUsage", "ALL"), ("Limit", .int(limit)),
                                                        ("Offset", .int(offset))]), as: account, region: region)
        XCTAssertNil(ServiceHarness.errorCode(response), "\(response)")
        guard case let .array(keys)? = response["KeyMetadatas"] else { return ([], nil) }
        var total: Int64?
        if case let .int(n)? = response["TotalCount"] { total = n }
        return (Set(keys.compactMap { if case let .string(s)? = $0["KeyId"] { return s } else { return nil } }), total)
    }

    func storedTags(_ h: ServiceHarness, _ tenant: Tenant, _ keyId: String) throws -> [KeyTag] {
        try h.database.transaction(tenant: tenant) { try $0.run(FindKeyTags(tenant: tenant, keyID: KeyID(keyId)!)) }
    }

    func testTagsAreStoredWithTheKeyAndFilteredByEveryFilterWithAlternativeValues() throws {
        let h = try ServiceHarness(clock: TestClock(t0))
        let account = try h.newAccount()
        let devPay = createKey(h, account, [("env", "dev"), ("team", "pay")])
        let prodPay = createKey(h, account, [("env", "prod"), ("team", "pay")])
        let devOps = createKey(h, account, [("env", "dev"), ("team", "ops"), ("团队", "支付 平台")])
        let untagged = createKey(h, account, [])
        let tenant = Tenant(appId: account.appId, region: "ap-guangzhou")
        XCTAssertEqual(try storedTags(h, tenant, devOps), [KeyTag(key: "env", value: "dev"), KeyTag(key: "team", value: "ops"),
                                                           KeyTag(key: "团队", value: "支付 平台")])
        XCTAssertEqual(try storedTags(h, tenant, untagged), [])

        XCTAssertEqual(listed(h, account, []).ids, [devPay, prodPay, devOps, untagged])
        XCTAssertEqual(listed(h, account, [filter("env", ["dev"])]).ids, [devPay, devOps])
        XCTAssertEqual(listed(h, account, [filter("env", ["dev", "prod"])]).ids, [devPay, prodPay, devOps])
        XCTAssertEqual(listed(h, account, [filter("env", ["dev"]), filter("team", ["pay"])]).ids, [devPay])
        XCTAssertEqual(listed(h, account, [filter("team", [])]).ids, [devPay, prodPay, devOps])
        XCTAssertEqual(listed(h, account, [filter("team", nil), filter("团队", ["支付 平台"])]).ids, [devOps])
        XCTAssertEqual(listed(h, account, [filter("env", ["DEV"])]).ids, [])
        XCTAssertEqual(listed(h, account, [filter("owner", nil)]).ids, [])
        // TotalCount counts the filtered keys, also on a page past the end.
        XCTAssertEqual(listed(h, account, [filter("env", ["dev"])], limit: 1).total, 2)
        let past = listed(h, account, [filter("env", ["dev"])], limit: 1, offset: 5)
        XCTAssertEqual(past.ids, [])
        XCTAssertEqual(past.total, 2)
    }

    func testARefusedTagListCreatesNoKey() throws {
        let h = try ServiceHarness(clock: TestClock(t0))
        let account = try h.newAccount()
        let alias = "dup\(UInt32.random(in: 0...UInt32.max))"
        let duplicated = h.call("CreateKey", .object([("Alias", .string(alias)), ("Tags", tags([("env", "a"), ("env", "b")]))]), as: account)
        XCTAssertEqual(ServiceHarness.errorCode(duplicated), "InvalidParameterValue.TagKeysDuplicated")
        let tooMany = h.call("CreateKey", .object([("Alias", .string(alias)), ("Tags", tags((0...50).map { ("k\($0)", "v") }))]), as: account)
        XCTAssertEqual(ServiceHarness.errorCode(tooMany), "InvalidParameter")
        XCTAssertEqual(listed(h, account, []).ids, [])
        // The alias is still free: nothing was half-created.
        XCTAssertNotEqual(createKey(h, account, (0..<50).map { ("k\($0)", "v") }), "")
    }

    func testTagsAreSeenOnlyByTheirAccountAndRegion() throws {
        let h = try ServiceHarness(clock: TestClock(t0))
        let a = try h.newAccount(), b = try h.newAccount()
        let aKey = createKey(h, a, [("env", "dev")])
        let bKey = createKey(h, b, [("env", "dev")])
        let aShanghai = createKey(h, a, [("env", "dev")], region: "ap-shanghai-fsi")
        XCTAssertEqual(listed(h, a, [filter("env", ["dev"])]).ids, [aKey])
        XCTAssertEqual(listed(h, b, [filter("env", ["dev"])]).ids, [bKey])
        XCTAssertEqual(listed(h, a, [filter("env", ["dev"])], region: "ap-shanghai-fsi").ids, [aShanghai])

        // Row-level security: B's tenant reads none of A's tags, even naming A's key outright, and
        // cannot write a tag onto A's key; an unscoped application connection reads no tags at all.
        let bTenant = Tenant(appId: b.appId, region: "ap-guangzhou")
        let aTenant = Tenant(appId: a.appId, region: "ap-guangzhou")
        let seen = try h.database.transaction(tenant: bTenant) {
            try $0.connection.execute(name: "t_tags_seen", sql: "SELECT count(*) FROM key_tags WHERE key_id = $1", parameters: [aKey])
        }
        XCTAssertEqual(seen.int64(0, 0), 0)
        XCTAssertThrowsError(try h.database.transaction(tenant: bTenant) {
            try $0.run(InsertKeyTags(tenant: aTenant, keyID: KeyID(aKey)!, tags: [KeyTag(key: "x", value: "y")]))
        })
        let unscoped = try h.database.transaction(tenant: nil) {
            try $0.connection.execute(name: "t_tags_unscoped", sql: "SELECT count(*) FROM key_tags", parameters: [])
        }
        XCTAssertEqual(unscoped.int64(0, 0), 0)
        // Maintenance mode (the owner, migration 009's policy) sees them.
        let maintained = try h.owner.transaction(tenant: nil) { db -> QueryResult in
            try db.run(EnterMaintenanceMode())
            return try db.connection.execute(name: "t_tags_maint", sql: "SELECT count(*) FROM key_tags WHERE key_id = $1", parameters: [aKey])
        }
        XCTAssertEqual(maintained.int64(0, 0), 1)
    }

    func testTheScheduledDeletionDestroysTheKeysTags() throws {
        let clock = TestClock(t0)
        let h = try ServiceHarness(clock: clock)
        let worker = h.worker(try h.appConnection())
        let account = try h.newAccount()
        let keyId = createKey(h, account, [("env", "dev"), ("team", "pay")])
        XCTAssertNil(ServiceHarness.errorCode(h.call("DisableKey", ["KeyId": .string(keyId)], as: account)))
        XCTAssertNil(ServiceHarness.errorCode(h.call("ScheduleKeyDeletion", ["KeyId": .string(keyId), "PendingWindowInDays": 7], as: account)))
        // PendingDelete keys are still listed by their tags until they are gone.
        XCTAssertEqual(listed(h, account, [filter("env", ["dev"])]).ids, [keyId])
        clock.set(t0 + 7 * 86_400)
        // Past the DeletionDate the key is gone on arrival, before the worker runs.
        XCTAssertEqual(listed(h, account, [filter("env", ["dev"])]).ids, [])
        XCTAssertGreaterThanOrEqual(worker.runDueJobs(), 1)
        let tenant = Tenant(appId: account.appId, region: "ap-guangzhou")
        XCTAssertEqual(try storedTags(h, tenant, keyId), [])
    }
}
