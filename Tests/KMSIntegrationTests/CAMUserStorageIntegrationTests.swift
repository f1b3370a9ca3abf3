import Foundation
import XCTest
import KMSCore
import KMSCrypto
@testable import KMSService
import KMSStorage

/// Sub-users and their access keys against a real PostgreSQL as the application role: row-level
/// security keeps accounts apart, a deleted user takes its keys and attachments with it, and the
/// per-user key limit holds when two requests race.
final class CAMUserStorageIntegrationTests: XCTestCase {
    let sealer = try! Sealer(masterKey: Random.secret(32))

    func owner() throws -> Database { try TestDatabase.owner() }

    func app() throws -> Database { try TestDatabase.app() }

    func requester(_ account: IssuedCredential) -> AccessRequester {
        AccessRequester(appId: account.appId, rootUin: account.uin, userUin: nil, isOperator: false, secretId: account.secretId)
    }

    /// `body` in one transaction of `account`'s tenant (CAM's: no region), as a handler runs it.
    func inAccount<R>(_ db: Database, _ account: IssuedCredential, _ body: (KeyTransaction) throws -> R) throws -> R {
        let tenant = Tenant(appId: account.appId, region: "")
        return try db.transaction(tenant: tenant) { try body(KeyTransaction(db: $0, tenant: tenant, now: 1_700_000_000)) }
    }

    func testAnotherAccountNeverSeesOrDeletesTheSubUsers() throws {
        let registry = AccountRegistry(sealer: sealer, database: try owner())
        let a = try registry.createAccount(name: "cam-a", now: 1), b = try registry.createAccount(name: "cam-b", now: 1)
        let db = try app()
        let users = SubUsers(sealer: sealer)
        let (user, key) = try inAccount(db, a) { try users.add(name: "web", remark: "", consoleLogin: false, withAccessKey: true,
                                                               rootUin: a.uin, in: $0) }
        XCTAssertTrue((200_000_000_000...299_999_999_999).contains(user.uin))
        XCTAssertEqual(try db.run(FindCredential(secretId: key!.secretId))?.userUin, user.uin)

        try inAccount(db, b) { tx in
            XCTAssertNil(try tx.db.run(FindCAMUserByName(name: "web")))
            XCTAssertNil(try tx.db.run(FindCAMUserByUin(uin: user.uin)))
            XCTAssertEqual(try tx.db.run(ListCAMUsers()), [])
            XCTAssertFalse(try tx.db.run(DeleteCAMUser(uin: user.uin)))
            // B's own "web" is another user.
            let (own, _) = try users.add(name: "web", remark: "", consoleLogin: false, withAccessKey: false, rootUin: b.uin, in: tx)
            XCTAssertNotEqual(own.uin, user.uin)
        }
        XCTAssertEqual(try inAccount(db, a) { try users.get(name: "web", in: $0) }, user)
    }

    func testDeletingASubUserTakesItsAccessKeysAndAttachmentsWithIt() throws {
        let a = try AccountRegistry(sealer: sealer, database: try owner()).createAccount(name: "cam-cascade", now: 1)
        let db = try app()
        let users = SubUsers(sealer: sealer)
        let (user, key) = try inAccount(db, a) { tx -> (CAMUserRow, IssuedCredential?) in
            let added = try users.add(name: "batch", remark: "", consoleLogin: false, withAccessKey: true, rootUin: a.uin, in: tx)
            let policy = try tx.db.run(InsertCAMPolicy(appId: a.appId, name: "p-\(added.0.uin)", description: "",
                                                       document: #"{"version":"2.0","statement":[]}"#, now: 1))!
            XCTAssertTrue(try tx.db.run(InsertCAMAttachment(appId: a.appId, policyId: policy, userUin: added.0.uin, now: 1)))
            return added
        }
        XCTAssertThrowsError(try inAccount(db, a) { try users.delete(name: "batch", force: false, in: $0) }) {
            XCTAssertEqual(($0 as? KMSError)?.code, .camHaveKeys)
        }
        XCTAssertNotNil(try db.run(FindCredential(secretId: key!.secretId)))
        try inAccount(db, a) { try users.delete(name: "batch", force: true, in: $0) }
        XCTAssertNil(try db.run(FindCredential(secretId: key!.secretId)))
        try inAccount(db, a) { tx in
            XCTAssertEqual(try tx.db.run(CountCAMAttachments(userUin: user.uin)), 0)
            XCTAssertNil(try tx.db.run(FindCAMUserByUin(uin: user.uin)))
        }
    }

    func testAnAccountCannotWriteAnotherAccountsCredentialsEvenWithTheStatementsItself() throws {
        let registry = AccountRegistry(sealer: sealer, database: try owner())
        let a = try registry.createAccount(name: "cam-rls-a", now: 1), b = try registry.createAccount(name: "cam-rls-b", now: 1)
        let db = try app()
        // AccessKeys never names another account's root for a tenant...
        XCTAssertThrowsError(try inAccount(db, a) {
            try AccessKeys(sealer: sealer).create(target: b.uin, description: "", requester: requester(a), in: $0)
        }) { XCTAssertEqual(($0 as? KMSError)?.code, .camUserNotExist) }
        // ...and row-level security refuses the rows even if it did.
        XCTAssertThrowsError(try inAccount(db, a) {
            try CredentialIssuer(sealer: sealer).issue(appId: b.appId, uin: b.uin, now: 1, in: $0.db)
        })
        try inAccount(db, a) { tx in
            XCTAssertFalse(try tx.db.run(SetAccessKeyEnabled(owner: AccessKeyOwner(appId: b.appId, userUin: nil), secretId: b.secretId,
                                                             enabled: false)))
            XCTAssertFalse(try tx.db.run(DeleteAccessKey(owner: AccessKeyOwner(appId: b.appId, userUin: nil), secretId: b.secretId)))
        }
        XCTAssertEqual(try db.run(FindCredential(secretId: b.secretId))?.enabled, true)
    }

    func testTwoRacingCreatesNeverGiveAUserMoreThanTwoAccessKeys() throws {
        let a = try AccountRegistry(sealer: sealer, database: try owner()).createAccount(name: "cam-race", now: 1)
        let setup = try app()
        let (user, _) = try inAccount(setup, a) {
            try SubUsers(sealer: sealer).add(name: "racer", remark: "", consoleLogin: false, withAccessKey: true, rootUin: a.uin, in: $0)
        }
        for round in 0..<5 {
            let connections = [try app(), try app()]
            let results = ResultBox()
            let group = DispatchGroup()
            for db in connections {
                DispatchQueue.global().async(group: group) {
                    do {
                        _ = try self.inAccount(db, a) {
                            try AccessKeys(sealer: self.sealer).create(target: user.uin, description: "", requester: self.requester(a), in: $0)
                        }
                        results.add("created")
                    } catch let error as KMSError {
                        results.add(error.code.rawValue)
                    } catch {
                        results.add("\(error)")
                    }
                }
            }
            group.wait()
            let keys = try inAccount(setup, a) { try $0.db.run(ListAccessKeys(owner: AccessKeyOwner(appId: a.appId, userUin: user.uin))) }
            XCTAssertEqual(keys.count, 2, "round \(round): \(results.values)")
            XCTAssertEqual(results.values.sorted(), ["OperationDenied.AccessKeyOverLimit", "created"], "round \(round)")
            // Back to one key for the next round.
            try inAccount(setup, a) { _ = try $0.db.run(DeleteAccessKey(owner: AccessKeyOwner(appId: a.appId, userUin: user.uin),
                                                                         secretId: keys[1].secretId)) }
        }
    }
}

/// Results gathered from several threads.
final class ResultBox: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var values: [String] = []
    func add(_ value: String) { lock.lock(); values.append(value); lock.unlock() }
}
