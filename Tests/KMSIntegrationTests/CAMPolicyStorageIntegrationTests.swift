import Foundation
import XCTest
import KMSCore
import KMSCrypto
@testable import KMSService
import KMSStorage

/// Custom policies against a real PostgreSQL as the application role: a bad document writes
/// nothing, keywords are literal text, deleting is all or nothing, and accounts stay apart.
final class CAMPolicyStorageIntegrationTests: XCTestCase {
    let sealer = try! Sealer(masterKey: Random.secret(32))
    let allowEncrypt = #"{"version":"2.0","statement":[{"effect":"allow","action":["kms:Encrypt"],"resource":"*"}]}"#

    func account() throws -> IssuedCredential {
        let owner = try TestDatabase.owner()
        return try AccountRegistry(sealer: sealer, database: owner).createAccount(name: "cam-policies", now: 1)
    }

    func app() throws -> Database { try TestDatabase.app() }

    func inAccount<R>(_ db: Database, _ account: IssuedCredential, _ body: (KeyTransaction) throws -> R) throws -> R {
        let tenant = Tenant(appId: account.appId, region: "")
        return try db.transaction(tenant: tenant) { try body(KeyTransaction(db: $0, tenant: tenant, now: 1_700_000_000)) }
    }

    func testABadDocumentWritesNothingAndAGoodOneIsStoredNormalised() throws {
        let a = try account(), db = try app(), policies = Policies()
        XCTAssertThrowsError(try inAccount(db, a) {
            try policies.create(name: "bad", document: #"{"version":"2.0","statement":[{"effect":"allow","action":["kms:Nope"],"resource":"*"}]}"#,
                                description: "", in: $0)
        }) { XCTAssertEqual(($0 as? KMSError)?.code, .policyActionNotExist) }
        XCTAssertEqual(try inAccount(db, a) { try $0.db.run(CountCAMPolicies()) }, 0)

        let spaced = "{\n  \"version\": \"2.0\",\n  \"statement\": [{\"effect\": \"allow\", \"action\": [\"kms:Encrypt\"], \"resource\": \"*\"}]\n}"
        let id = try inAccount(db, a) { try policies.create(name: "good", document: spaced, description: "d", in: $0) }
        let stored = try inAccount(db, a) { try policies.get(id, in: $0) }
        XCTAssertEqual(stored.document, allowEncrypt)
        XCTAssertEqual(stored.name, "good")
    }

    func testKeywordsAreLiteralTextAndPagesCountEverythingThatMatched() throws {
        let a = try account(), db = try app(), policies = Policies()
        for name in ["app_100%", "app-1000", "APP_2", "other"] {
            _ = try inAccount(db, a) { try policies.create(name: name.replacingOccurrences(of: "%", with: "p"), document: allowEncrypt,
                                                           description: "", in: $0) }
        }
        let names = { (keyword: String) in try self.inAccount(db, a) { try policies.list(keyword: keyword, page: 1, perPage: 20, in: $0) } }
        XCTAssertEqual(try names("app_").items.map(\.name), ["app_100p", "APP_2"])  // `_` is not a wildcard
        XCTAssertEqual(try names("%").total, 0)  // nor `%`
        XCTAssertEqual(try names("app").total, 3)
        let beyond = try inAccount(db, a) { try policies.list(keyword: "app", page: 9, perPage: 2, in: $0) }
        XCTAssertEqual(beyond.total, 3)
        XCTAssertEqual(beyond.items, [])
    }

    func testDeletingIsAllOrNothingAndAnotherAccountsIdsAreUnknown() throws {
        let a = try account(), b = try account(), db = try app(), policies = Policies()
        let mine = try inAccount(db, a) { try policies.create(name: "mine", document: allowEncrypt, description: "", in: $0) }
        let theirs = try inAccount(db, b) { try policies.create(name: "mine", document: allowEncrypt, description: "", in: $0) }
        XCTAssertThrowsError(try inAccount(db, a) { try policies.delete([mine, theirs], in: $0) }) {
            XCTAssertEqual(($0 as? KMSError)?.code, .camPolicyIdNotExist)
        }
        XCTAssertEqual(try inAccount(db, a) { try policies.get(mine, in: $0) }.policyId, mine)
        XCTAssertEqual(try inAccount(db, b) { try policies.get(theirs, in: $0) }.policyId, theirs)
        try inAccount(db, a) { try policies.delete([mine, mine], in: $0) }
        XCTAssertThrowsError(try inAccount(db, a) { try policies.get(mine, in: $0) }) {
            XCTAssertEqual(($0 as? KMSError)?.code, .camPolicyIdNotFound)
        }
    }
}
