import Foundation
import XCTest
import KMSCore
import KMSCrypto
@testable import KMSService
@testable import KMSStorage

/// Tenant accounts as the Organization API changes them, against the real schema and its row
/// policies (migration 016): only a transaction scoped to the operator's account may create tenant
/// accounts or disable them; all or none; a disabled account's credentials are unusable.
final class TenantAccountsIntegrationTests: XCTestCase {

    var owner: Database!
    var app: Database!
    var registry: AccountRegistry!

    override func setUpWithError() throws {
        owner = try TestDatabase.owner()
        app = try TestDatabase.app()
        registry = AccountRegistry(sealer: try Sealer(masterKey: Random.secret(32)), database: owner)
    }

    var now: Int64 { Int64(Date().timeIntervalSince1970) }

    func uniqueName(_ label: String) -> String { "it-\(label)-\(UInt32.random(in: 0...UInt32.max))" }

    /// The operator's account (made by the first call in this database, found by every later one).
    func operatorAccount() throws -> AccountRow {
        _ = try registry.createOperatorCredential(now: now)
        return try XCTUnwrap(try owner.run(FindOperatorAccount()))
    }

    /// `body` in a transaction of the responder's role scoped to `appId` (as the API runs it).
    func asAccount<R>(_ appId: Int64, _ body: (KeyTransaction) throws -> R) throws -> R {
        let tenant = Tenant(appId: appId, region: "")
        return try app.transaction(tenant: tenant) { try body(KeyTransaction(db: $0, tenant: tenant, now: now)) }
    }

    func row(uin: Int64) throws -> AccountRow? { try owner.run(ListAccounts()).first { $0.uin == uin } }

    func testTheOperatorAccountIsMadeOnceAndEachCallAddsACredential() throws {
        let first = try registry.createOperatorCredential(now: now)
        let second = try registry.createOperatorCredential(now: now)
        XCTAssertFalse(second.created)
        XCTAssertEqual(first.credential.appId, second.credential.appId)
        XCTAssertNotEqual(first.credential.secretId, second.credential.secretId)
        let operators = try owner.run(ListAccounts()).filter { $0.kind == .operator }
        XCTAssertEqual(operators.map(\.appId), [first.credential.appId])
        let credential = try XCTUnwrap(try owner.run(FindCredential(secretId: second.credential.secretId)))
        XCTAssertTrue(credential.isOperator && credential.usable)
    }

    func testTheOperatorsTransactionCreatesATenantAndATenantsCannot() throws {
        let op = try operatorAccount()
        let name = uniqueName("made")
        let made = try asAccount(op.appId) { try TenantAccounts.create(name: name, in: $0) }
        let stored = try XCTUnwrap(try row(uin: made.uin))
        XCTAssertEqual([stored.name, stored.kind.rawValue], [name, "tenant"])
        XCTAssertTrue(stored.enabled)
        XCTAssertTrue((100_000_000_000...199_999_999_999).contains(made.uin))
        XCTAssertEqual(try owner.run(ListCredentials(appId: made.appId)).count, 0, "a member has no credential until one is issued")

        let tenant = try registry.createAccount(name: uniqueName("tenant"), now: now)
        let refused = uniqueName("refused")
        XCTAssertThrowsError(try asAccount(tenant.appId) { try TenantAccounts.create(name: refused, in: $0) }) {
            XCTAssertTrue($0 is StorageError, "\($0)")
        }
        XCTAssertFalse(try owner.run(ListAccounts()).contains { $0.name == refused })
    }

    func testANameIsTakenOnce() throws {
        let op = try operatorAccount()
        let name = uniqueName("twice")
        _ = try asAccount(op.appId) { try TenantAccounts.create(name: name, in: $0) }
        XCTAssertThrowsError(try asAccount(op.appId) { try TenantAccounts.create(name: name, in: $0) }) {
            XCTAssertEqual(($0 as? KMSError)?.code, .organizationMemberNameUsed)
        }
    }

    func testDisablingIsAllOrNoneAndMakesEveryCredentialOfTheAccountUnusable() throws {
        let op = try operatorAccount()
        let tenant = try registry.createAccount(name: uniqueName("off"), now: now)
        let unknownUin: Int64 = 199_999_999_997
        XCTAssertThrowsError(try asAccount(op.appId) { try TenantAccounts.setEnabled(false, uins: [tenant.uin, unknownUin], in: $0) }) {
            XCTAssertEqual(($0 as? KMSError)?.code, .organizationMemberNotExist)
        }
        XCTAssertTrue(try XCTUnwrap(try row(uin: tenant.uin)).enabled)

        try asAccount(op.appId) { try TenantAccounts.setEnabled(false, uins: [tenant.uin, tenant.uin], in: $0) }
        XCTAssertFalse(try XCTUnwrap(try row(uin: tenant.uin)).enabled)
        let credential = try XCTUnwrap(try owner.run(FindCredential(secretId: tenant.secretId)))
        XCTAssertTrue(credential.enabled, "the credential itself is untouched")
        XCTAssertFalse(credential.accountEnabled)
        XCTAssertFalse(credential.usable)

        XCTAssertTrue(try AccountRegistry.setAccount(tenant.appId, enabled: true, database: owner))
        XCTAssertTrue(try XCTUnwrap(try owner.run(FindCredential(secretId: tenant.secretId))).usable)
    }

    func testNeitherATenantNorTheOperatorItselfCanBeDisabledFromATenantOrOverTheAPI() throws {
        let op = try operatorAccount()
        let a = try registry.createAccount(name: uniqueName("a"), now: now)
        let b = try registry.createAccount(name: uniqueName("b"), now: now)
        // A tenant's transaction sees no tenant account to lock: as if it did not exist.
        XCTAssertThrowsError(try asAccount(a.appId) { try TenantAccounts.setEnabled(false, uins: [b.uin], in: $0) }) {
            XCTAssertEqual(($0 as? KMSError)?.code, .organizationMemberNotExist)
        }
        XCTAssertThrowsError(try asAccount(op.appId) { try TenantAccounts.setEnabled(false, uins: [op.uin], in: $0) }) {
            XCTAssertEqual(($0 as? KMSError)?.code, .organizationMemberNotExist)
        }
        XCTAssertTrue(try XCTUnwrap(try row(uin: b.uin)).enabled)
        XCTAssertTrue(try XCTUnwrap(try row(uin: op.uin)).enabled)
    }

    func testTheListingFindsByUinOrPartOfTheNameAndCountsPastTheEnd() throws {
        let op = try operatorAccount()
        let name = uniqueName("listed")
        let made = try asAccount(op.appId) { try TenantAccounts.create(name: name, in: $0) }
        let byUin = try asAccount(op.appId) { try TenantAccounts.list(MemberQuery(search: String(made.uin), offset: 0, limit: 10), in: $0) }
        XCTAssertEqual(byUin.total, 1)
        XCTAssertEqual(byUin.accounts.map(\.uin), [made.uin])
        let byPart = try asAccount(op.appId) { try TenantAccounts.list(MemberQuery(search: String(name.dropFirst(3)), offset: 0, limit: 10), in: $0) }
        XCTAssertEqual(byPart.accounts.map(\.uin), [made.uin])
        let past = try asAccount(op.appId) { try TenantAccounts.list(MemberQuery(search: name, offset: 5, limit: 10), in: $0) }
        XCTAssertEqual(past.total, 1)
        XCTAssertEqual(past.accounts.count, 0)
        let all = try asAccount(op.appId) { try TenantAccounts.list(MemberQuery(search: "", offset: 0, limit: 1000), in: $0) }
        XCTAssertFalse(all.accounts.contains { $0.kind == .operator })
    }
}
