import Foundation
import XCTest
import KMSCore
import KMSCrypto
import KMSStorage
@testable import KMSAPI
@testable import KMSService

/// Asymmetric CMKs over the real database (SPEC §9): the private half stored only sealed to its
/// row, the cache and its invalidation covering signing keys as they cover symmetric ones, the
/// state machine and isolation holding for them.
final class AsymmetricKeyIntegrationTests: XCTestCase {
    let message = Base64.encode(Array("the message".utf8))

    func sign(_ h: ServiceHarness, _ account: IssuedCredential, _ keyId: String, region: String = "ap-guangzhou",
              algorithm: String = "ECC_P256_R1") -> JSONValue {
        h.call("SignByAsymmetricKey", ["KeyId": .string(keyId), "Algorithm": .string(algorithm), "Message": .string(message)],
               as: account, region: region)
    }

    func createKey(_ h: ServiceHarness, _ account: IssuedCredential, _ usage: String, region: String = "ap-guangzhou") -> String {
        let response = h.call("CreateKey", ["Alias": .string("k\(UInt32.random(in: 0...UInt32.max))"), "KeyUsage": .string(usage)],
                              as: account, region: region)
        XCTAssertNil(ServiceHarness.errorCode(response), "\(response)")
        XCTAssertEqual(ServiceHarness.string(response, "KeyUsage"), usage)
        return ServiceHarness.string(response, "KeyId")
    }

    func testThePrivateHalfIsStoredOnlySealedToItsRowAndSignsOnceTheCacheIsGone() throws {
        let h = try ServiceHarness(clock: TestClock(Int64(Date().timeIntervalSince1970)))
        let account = try h.newAccount()
        let keyId = createKey(h, account, "ASYMMETRIC_SIGN_VERIFY_ECC")
        let pem = ServiceHarness.string(h.call("GetPublicKey", ["KeyId": .string(keyId)], as: account), "PublicKeyPem")
        let publicKey = try PublicKey(pem: pem)

        let tenant = Tenant(appId: account.appId, region: "ap-guangzhou")
        let id = try XCTUnwrap(KeyID(keyId))
        let row = try XCTUnwrap(try h.database.query(tenant: tenant, FindKeyWithMaterial(tenant: tenant, keyID: id, version: nil)))
        let sealed = try XCTUnwrap(row.sealed)
        XCTAssertEqual(row.key.keyUsage, .asymmetricSignVerifyECC)
        // The stored value opens only under the master key and only for this row, to the key pair
        // whose public half GetPublicKey showed.
        let opened = try h.sealer.open(sealed, for: .keyMaterial(tenant, id, version: 1))
        XCTAssertEqual(try PrivateKey(pkcs8DER: opened).publicKeySPKIDER(), try publicKey.spkiDER())
        XCTAssertThrowsError(try h.sealer.open(sealed, for: .keyMaterial(tenant, id, version: 2)))
        XCTAssertNil(findSubsequence(opened.unsafeCopy, in: sealed), "the PKCS#8 key is not stored in the clear")

        for _ in 0..<2 {
            let signature = try XCTUnwrap(Base64.decode(ServiceHarness.string(sign(h, account, keyId), "Signature")))
            XCTAssertTrue(try publicKey.verify(signature, of: Array("the message".utf8), type: .raw, algorithm: .eccP256R1))
            h.service.keyCache.invalidateAll()  // the second round loads and opens it from the database
        }
    }

    func testAnotherProcessStopsSigningWithinOneSecondOfADisable() throws {
        let clock = TestClock(Int64(Date().timeIntervalSince1970))
        let a = try ServiceHarness(clock: clock)
        let (b, invalidator) = try a.secondProcess()
        defer { invalidator.stop() }
        let account = try a.newAccount()
        let keyId = createKey(a, account, "ASYMMETRIC_SIGN_VERIFY_ECC")
        XCTAssertNil(ServiceHarness.errorCode(sign(b, account, keyId)))
        XCTAssertNil(ServiceHarness.errorCode(a.call("DisableKey", ["KeyId": .string(keyId)], as: account)))
        XCTAssertEqual(ServiceHarness.errorCode(sign(a, account, keyId)), "ResourceUnavailable.CmkStateNotSupport")
        XCTAssertTrue(within(seconds: 1) { ServiceHarness.errorCode(sign(b, account, keyId)) == "ResourceUnavailable.CmkStateNotSupport" })
    }

    func testEveryStateButEnabledRefusesAndAKeyPastItsDeletionIsGone() throws {
        let clock = TestClock(Int64(Date().timeIntervalSince1970))
        let h = try ServiceHarness(clock: clock)
        let account = try h.newAccount()
        let keyId = createKey(h, account, "ASYMMETRIC_SIGN_VERIFY_SM2", region: "ap-shanghai-fsi")
        func refusal(_ action: String, _ params: JSONValue) -> String? {
            ServiceHarness.errorCode(h.call(action, params, as: account, region: "ap-shanghai-fsi"))
        }
        let key = JSONValue.object([("KeyId", .string(keyId))])
        XCTAssertNil(ServiceHarness.errorCode(sign(h, account, keyId, region: "ap-shanghai-fsi", algorithm: "SM2DSA")))
        XCTAssertNil(refusal("ArchiveKey", key))
        XCTAssertEqual(ServiceHarness.errorCode(sign(h, account, keyId, region: "ap-shanghai-fsi", algorithm: "SM2DSA")),
                       "ResourceUnavailable.CmkStateNotSupport")
        XCTAssertEqual(refusal("GetPublicKey", key), "ResourceUnavailable.CmkStateNotSupport")
        XCTAssertNil(refusal("CancelKeyArchive", key))
        XCTAssertNil(refusal("DisableKey", key))
        XCTAssertEqual(refusal("GetPublicKey", key), "ResourceUnavailable.CmkStateNotSupport")
        XCTAssertNil(refusal("ScheduleKeyDeletion", ["KeyId": .string(keyId), "PendingWindowInDays": 7]))
        XCTAssertEqual(ServiceHarness.errorCode(sign(h, account, keyId, region: "ap-shanghai-fsi", algorithm: "SM2DSA")),
                       "ResourceUnavailable.CmkStateNotSupport")
        clock.set(clock.now + 7 * 86_400)
        XCTAssertEqual(ServiceHarness.errorCode(sign(h, account, keyId, region: "ap-shanghai-fsi", algorithm: "SM2DSA")),
                       "ResourceUnavailable.CmkNotFound")
        XCTAssertEqual(refusal("GetPublicKey", key), "ResourceUnavailable.CmkNotFound")
    }

    func testAnotherAccountOrRegionFindsNoKey() throws {
        let h = try ServiceHarness(clock: TestClock(Int64(Date().timeIntervalSince1970)))
        let owner = try h.newAccount(), other = try h.newAccount()
        let keyId = createKey(h, owner, "ASYMMETRIC_DECRYPT_RSA_2048")
        for (account, region) in [(other, "ap-guangzhou"), (owner, "ap-beijing")] {
            XCTAssertEqual(ServiceHarness.errorCode(h.call("GetPublicKey", ["KeyId": .string(keyId)], as: account, region: region)),
                           "ResourceUnavailable.CmkNotFound")
            XCTAssertEqual(ServiceHarness.errorCode(h.call("AsymmetricRsaDecrypt", [
                "KeyId": .string(keyId), "Ciphertext": .string(Base64.encode([UInt8](repeating: 1, count: 256))),
                "Algorithm": "RSAES_OAEP_SHA_256"], as: account, region: region)), "ResourceUnavailable.CmkNotFound")
        }
    }

    private func findSubsequence(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard needle.count <= haystack.count else { return nil }
        return (0...(haystack.count - needle.count)).first { Array(haystack[$0..<($0 + needle.count)]) == needle }
    }
}
