import Foundation
import XCTest
import KMSCore
import KMSStorage
@testable import KMSAPI

/// A key's minimum decryptable version is stored with the key and Decrypt honours it (nothing on
/// the Tencent API raises it yet: the test does, as a future retirement would).
final class KeyVersionsIntegrationTests: XCTestCase {
    func testDecryptRefusesARetiredVersionAndTheMinimumIsStored() throws {
        let h = try ServiceHarness(clock: TestClock(1_900_000_000))
        let account = try h.newAccount()
        let created = h.call("CreateKey", ["Alias": .string("kv\(UInt32.random(in: 0...UInt32.max))")], as: account)
        let keyId = ServiceHarness.string(created, "KeyId")
        func encrypt(_ text: String) -> String {
            ServiceHarness.string(h.call("Encrypt", ["KeyId": .string(keyId), "Plaintext": .string(Base64.encode(Array(text.utf8)))],
                                         as: account), "CiphertextBlob")
        }
        let v1 = encrypt("version one")
        XCTAssertNil(ServiceHarness.errorCode(h.call("EnableKeyRotation", ["KeyId": .string(keyId)], as: account)))
        XCTAssertNil(ServiceHarness.errorCode(h.call("RotateKey", ["KeyId": .string(keyId)], as: account)))
        let v2 = encrypt("version two")

        let tenant = Tenant(appId: account.appId, region: "ap-guangzhou")
        let id = try XCTUnwrap(KeyID(keyId))
        try h.owner.transaction(tenant: tenant) { db in
            var key = try XCTUnwrap(try db.run(FindKeyForUpdate(tenant: tenant, keyID: id)))
            XCTAssertEqual(key.versions, KeyVersions(latest: 2, minimumDecryption: 1))
            try key.versions.retire(below: 2)
            _ = try db.run(UpdateKey(key))
        }
        h.service.keyCache.invalidateAll()
        let stored = try h.owner.transaction(tenant: tenant) { try $0.run(FindKey(tenant: tenant, keyID: id)) }
        XCTAssertEqual(stored?.versions, KeyVersions(latest: 2, minimumDecryption: 2))

        let retired = h.call("Decrypt", ["CiphertextBlob": .string(v1)], as: account)
        XCTAssertEqual(ServiceHarness.errorCode(retired), "InvalidParameterValue.InvalidCiphertext")
        let current = h.call("Decrypt", ["CiphertextBlob": .string(v2)], as: account)
        XCTAssertEqual(ServiceHarness.string(current, "Plaintext"), Base64.encode(Array("version two".utf8)))
    }
}
