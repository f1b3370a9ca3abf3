import Foundation
import XCTest
import KMSCore
import KMSCrypto
@testable import KMSAPI

/// ImportKeyMaterial claims its attempt in its first round trip, guarded by the key's state:
/// the guard must agree with the lifecycle rules exactly.
extension ImportIntegrationTests {
    func corrupted(_ w: (token: String, blob: String)) -> (token: String, blob: String) {
        var bytes = Base64.decode(w.blob) ?? []
        bytes[bytes.count - 1] ^= 0x01
        return (w.token, Base64.encode(bytes))
    }

    func testAnImportTheKeysStateRefusesSpendsNoAttempt() throws {
        let h = try ServiceHarness(clock: TestClock(t0))
        let account = try h.newAccount()
        let keyId = externalKey(h, account)
        let material = Random.secret(32)
        XCTAssertNil(importMaterial(h, account, keyId, try wrapped(h, account, keyId, material)))
        let again = try wrapped(h, account, keyId, material)
        XCTAssertNil(ServiceHarness.errorCode(h.call("DisableKey", ["KeyId": .string(keyId)], as: account)))
        for _ in 0..<4 {
            XCTAssertEqual(importMaterial(h, account, keyId, again), "ResourceUnavailable.CmkStateNotSupport")
        }
        XCTAssertNil(ServiceHarness.errorCode(h.call("EnableKey", ["KeyId": .string(keyId)], as: account)))
        for _ in 0..<2 { XCTAssertNotNil(importMaterial(h, account, keyId, corrupted(again))) }
        XCTAssertNil(importMaterial(h, account, keyId, again), "the third attempt: the refusals spent none")
    }

    func testADisabledKeyWhoseMaterialExpiredTakesAnImport() throws {
        let clock = TestClock(t0)
        let h = try ServiceHarness(clock: clock)
        let account = try h.newAccount()
        let keyId = externalKey(h, account)
        let material = Random.secret(32)
        XCTAssertNil(importMaterial(h, account, keyId, try wrapped(h, account, keyId, material), validTo: t0 + 100))
        XCTAssertNil(ServiceHarness.errorCode(h.call("DisableKey", ["KeyId": .string(keyId)], as: account)))
        // Expired material reads as none, so the Disabled key is PendingImport and may be imported
        // into, before the scheduled worker has destroyed anything.
        clock.set(t0 + 200)
        XCTAssertNil(importMaterial(h, account, keyId, try wrapped(h, account, keyId, material)))
        let described = h.call("DescribeKey", ["KeyId": .string(keyId)], as: account)
        XCTAssertEqual(described["KeyMetadata"]?["KeyState"], .string("Enabled"))
    }
}
