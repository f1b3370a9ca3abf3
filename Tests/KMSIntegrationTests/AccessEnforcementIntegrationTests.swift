import Foundation
import XCTest
import KMSCore
import KMSCrypto
import KMSStorage
@testable import KMSAPI
@testable import KMSService
import KMSHTTP

/// Enforcement of CAM policies on KMS actions, against a real PostgreSQL: sub-users and policies
/// are set up with the owner's SQL here (the CAM actions that make them have their own e2e tests),
/// requests go through `Service.handle` as from nginx.
final class AccessEnforcementIntegrationTests: XCTestCase {
    /// A sub-user of `account` with its own credential, and `documents` attached as policies.
    func subUser(_ h: ServiceHarness, of account: IssuedCredential, policies documents: [String]) throws -> IssuedCredential {
        let uin = AccountRegistry.randomNumber(in: 200_000_000_000...299_999_999_999)
        let secretId = "AKID" + String(decoding: AccountRegistry.randomAlphanumerics(32), as: UTF8.self)
        let secretKey = SecureBytes(AccountRegistry.randomAlphanumerics(32))
        try h.owner.transaction(tenant: Tenant(appId: account.appId, region: "")) { db in
            _ = try db.connection.execute(name: "t_cam_user", sql: """
                INSERT INTO cam_users (app_id, uin, uid, name, created_at) VALUES ($1, $2, $2, $3, 0)
                """, parameters: [String(account.appId), String(uin), "app-\(uin)"])
            _ = try db.connection.execute(name: "t_cam_credential", sql: """
                INSERT INTO credentials (secret_id, app_id, secret_key_sealed, created_at, user_uin) VALUES ($1, $2, $3, 0, $4)
                """, parameters: [secretId, String(account.appId),
                                  Hex.encode(h.sealer.seal(secretKey, for: .credentialSecret(secretId)), prefix: "\\x"), String(uin)])
            for document in documents { try attach(document, to: uin, appId: account.appId, db) }
        }
        return IssuedCredential(appId: account.appId, uin: uin, secretId: secretId, secretKey: secretKey)
    }

    func attach(_ document: String, to uin: Int64, appId: Int64, _ db: Database) throws {
        let result = try db.connection.execute(name: "t_cam_policy", sql: """
            INSERT INTO cam_policies (app_id, name, document, created_at, updated_at)
            VALUES ($1, 'p' || nextval('cam_policy_ids')::text, $2, 0, 0) RETURNING policy_id
            """, parameters: [String(appId), document])
        let policyId = try XCTUnwrap(result.rows.first).decode(Int64.self, "policy_id")
        _ = try db.connection.execute(name: "t_cam_attach", sql: """
            INSERT INTO cam_attachments (app_id, policy_id, user_uin, attached_at) VALUES ($1, $2, $3, 0)
            """, parameters: [String(appId), String(policyId), String(uin)])
    }

    func allow(_ actions: String, on resource: String, effect: String = "allow") -> String {
        #"{"version":"2.0","statement":[{"effect":"\#(effect)","action":[\#(actions)],"resource":["\#(resource)"]}]}"#
    }

    func key(_ h: ServiceHarness, _ root: IssuedCredential, region: String = "ap-guangzhou") -> String {
        ServiceHarness.string(h.call("CreateKey", ["Alias": .string("k\(UInt32.random(in: 0...UInt32.max))")], as: root, region: region), "KeyId")
    }

    func resource(_ root: IssuedCredential, _ keyId: String, region: String = "ap-guangzhou") -> String {
        "qcs::kms:\(region):uin/\(root.uin):key/creatorUin/\(root.uin)/\(keyId)"
    }

    func code(_ response: JSONValue) -> String? { ServiceHarness.errorCode(response) }

    func encrypt(_ h: ServiceHarness, _ keyId: String, as caller: IssuedCredential, region: String = "ap-guangzhou") -> JSONValue {
        h.call("Encrypt", ["KeyId": .string(keyId), "Plaintext": "eA=="], as: caller, region: region)
    }

    func testASubUserWithNoPolicyCanDoNothingWhileTheRootCanDoEverything() throws {
        let h = try ServiceHarness(clock: TestClock(Int64(Date().timeIntervalSince1970)))
        let root = try h.newAccount()
        let keyId = key(h, root)
        let user = try subUser(h, of: root, policies: [])
        XCTAssertNil(code(encrypt(h, keyId, as: root)))
        XCTAssertEqual(code(encrypt(h, keyId, as: user)), "UnauthorizedOperation")
        XCTAssertEqual(code(h.call("ListKeys", [:], as: user)), "UnauthorizedOperation")
        XCTAssertEqual(code(h.call("CreateKey", ["Alias": "nope"], as: user)), "UnauthorizedOperation")
        XCTAssertEqual(code(h.call("ScheduleKeyDeletion", ["KeyId": .string(keyId), "PendingWindowInDays": 7], as: user)),
                       "UnauthorizedOperation")
        let message = h.call("Encrypt", ["KeyId": .string(keyId), "Plaintext": "eA=="], as: user)["Error"]?["Message"]
        XCTAssertEqual(message, .string("You are not authorized to perform operation (kms:Encrypt) on resource (\(resource(root, keyId))): no policy allows it."))
    }

    func testAPolicyOnOneKeyAllowsThatKeyAndThoseActionsOnly() throws {
        let h = try ServiceHarness(clock: TestClock(Int64(Date().timeIntervalSince1970)))
        let root = try h.newAccount()
        let mine = key(h, root), other = key(h, root)
        let user = try subUser(h, of: root, policies: [allow(#""kms:Encrypt","kms:Decrypt""#, on: resource(root, mine))])
        let encrypted = encrypt(h, mine, as: user)
        XCTAssertNil(code(encrypted))
        let blob = ServiceHarness.string(encrypted, "CiphertextBlob")
        XCTAssertNil(code(h.call("Decrypt", ["CiphertextBlob": .string(blob)], as: user)))
        XCTAssertEqual(code(encrypt(h, other, as: user)), "UnauthorizedOperation")
        // Decrypt is decided on the key the ciphertext names: a blob of the other key is refused.
        let otherBlob = ServiceHarness.string(encrypt(h, other, as: root), "CiphertextBlob")
        XCTAssertEqual(code(h.call("Decrypt", ["CiphertextBlob": .string(otherBlob)], as: user)), "UnauthorizedOperation")
        XCTAssertEqual(code(h.call("DisableKey", ["KeyId": .string(mine)], as: user)), "UnauthorizedOperation")
        XCTAssertEqual(code(h.call("GenerateDataKey", ["KeyId": .string(mine), "KeySpec": "AES_256"], as: user)), "UnauthorizedOperation")
        // The same key id in another region is another resource.
        XCTAssertEqual(code(encrypt(h, mine, as: user, region: "ap-beijing")), "UnauthorizedOperation")
        // ReEncrypt needs the action on the source and the destination key.
        let reencrypting = try subUser(h, of: root, policies: [allow(#""kms:ReEncrypt""#, on: resource(root, mine))])
        XCTAssertNil(code(h.call("ReEncrypt", ["CiphertextBlob": .string(blob)], as: reencrypting)))
        XCTAssertEqual(code(h.call("ReEncrypt", ["CiphertextBlob": .string(blob), "DestinationKeyId": .string(other)], as: reencrypting)),
                       "UnauthorizedOperation")
    }

    func testAnExplicitDenyWinsOverAnyAllow() throws {
        let h = try ServiceHarness(clock: TestClock(Int64(Date().timeIntervalSince1970)))
        let root = try h.newAccount()
        let keyId = key(h, root)
        let user = try subUser(h, of: root, policies: [
            allow(#""kms:*""#, on: "*"), allow(#""kms:Encrypt""#, on: resource(root, keyId), effect: "deny"),
        ])
        XCTAssertNil(code(h.call("ListKeys", [:], as: user)))
        XCTAssertNil(code(h.call("DescribeKey", ["KeyId": .string(keyId)], as: user)))
        let refused = encrypt(h, keyId, as: user)
        XCTAssertEqual(code(refused), "UnauthorizedOperation")
        XCTAssertEqual(refused["Error"]?["Message"],
                       .string("You are not authorized to perform operation (kms:Encrypt) on resource (\(resource(root, keyId))): a policy explicitly denies it."))
        // A batch is allowed only if every key of it is.
        let second = key(h, root)
        let deniesOne = try subUser(h, of: root, policies: [
            allow(#""kms:DescribeKeys""#, on: "*"), allow(#""kms:DescribeKeys""#, on: resource(root, second), effect: "deny"),
        ])
        XCTAssertNil(code(h.call("DescribeKeys", ["KeyIds": [.string(keyId)]], as: deniesOne)))
        XCTAssertEqual(code(h.call("DescribeKeys", ["KeyIds": [.string(keyId), .string(second)]], as: deniesOne)), "UnauthorizedOperation")
    }

    func testAPolicyNeverReachesAnotherAccountsKeys() throws {
        let h = try ServiceHarness(clock: TestClock(Int64(Date().timeIntervalSince1970)))
        let a = try h.newAccount(), b = try h.newAccount()
        let bKey = key(h, b)
        // A's sub-user is allowed everything, on every resource, even on B's key by name.
        let user = try subUser(h, of: a, policies: [allow(#""*""#, on: "*"), allow(#""kms:*""#, on: resource(b, bKey))])
        XCTAssertEqual(code(encrypt(h, bKey, as: user)), "ResourceUnavailable.CmkNotFound")
        let blob = ServiceHarness.string(encrypt(h, bKey, as: b), "CiphertextBlob")
        XCTAssertEqual(code(h.call("Decrypt", ["CiphertextBlob": .string(blob)], as: user)), "ResourceUnavailable.CmkNotFound")
    }

    func testADetachedPolicyStopsWorkingInEveryProcessWithinOneSecond() throws {
        let clock = TestClock(Int64(Date().timeIntervalSince1970))
        let a = try ServiceHarness(clock: clock)
        let (b, invalidator) = try a.secondProcess()
        defer { invalidator.stop() }
        let root = try a.newAccount()
        let keyId = key(a, root)
        let user = try subUser(a, of: root, policies: [allow(#""kms:Encrypt""#, on: resource(root, keyId))])
        XCTAssertNil(code(encrypt(b, keyId, as: user)), "allowed, and now cached in B")
        try a.owner.transaction(tenant: Tenant(appId: root.appId, region: "")) { db in
            _ = try db.connection.execute(name: "t_cam_detach", sql: "DELETE FROM cam_attachments WHERE user_uin = $1",
                                          parameters: [String(user.uin)])
        }
        XCTAssertTrue(within(seconds: 1) { code(encrypt(b, keyId, as: user)) == "UnauthorizedOperation" },
                      "B still allowed the detached policy after one second")
        // And attaching again works as quickly.
        try a.owner.transaction(tenant: Tenant(appId: root.appId, region: "")) { db in
            try attach(allow(#""kms:Encrypt""#, on: resource(root, keyId)), to: user.uin, appId: root.appId, db)
        }
        XCTAssertTrue(within(seconds: 1) { code(encrypt(b, keyId, as: user)) == nil })
    }

    func testConditionsOnSourceAddressAndTransportAreApplied() throws {
        let h = try ServiceHarness(clock: TestClock(Int64(Date().timeIntervalSince1970)))
        let root = try h.newAccount()
        let keyId = key(h, root)
        // The harness's requests come from no address over no TLS: an ip_equal or secure_transport
        // condition does not hold, and the allow does not apply.
        let onlyFromTen = #"{"version":"2.0","statement":[{"effect":"allow","action":"kms:Encrypt","resource":"*","condition":{"ip_equal":{"qcs:ip":"10.0.0.0/8"}}}]}"#
        let onlyOverTLS = #"{"version":"2.0","statement":[{"effect":"allow","action":"kms:Encrypt","resource":"*","condition":{"bool":{"qcs:secure_transport":"true"}}}]}"#
        XCTAssertEqual(code(encrypt(h, keyId, as: try subUser(h, of: root, policies: [onlyFromTen]))), "UnauthorizedOperation")
        XCTAssertEqual(code(encrypt(h, keyId, as: try subUser(h, of: root, policies: [onlyOverTLS]))), "UnauthorizedOperation")
        let anyTime = #"{"version":"2.0","statement":[{"effect":"allow","action":"kms:Encrypt","resource":"*","condition":{"date_greater_than":{"qcs:current_time":"2020-01-01T00:00:00Z"}}}]}"#
        XCTAssertNil(code(encrypt(h, keyId, as: try subUser(h, of: root, policies: [anyTime]))))
    }
}
