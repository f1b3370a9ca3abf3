import XCTest
import KMSCore

/// The version rules of a key, as Vault's transit policy has them, without a database.
final class KeyVersionsTests: XCTestCase {
    func code(_ body: () throws -> Void) -> KMSError.Code? {
        do { try body(); return nil } catch { return (error as? KMSError)?.code }
    }

    func testGeneratedKeyStartsAtVersionOneAndExternalKeyWithNone() {
        XCTAssertEqual(KeyVersions.initial(hasMaterial: true), KeyVersions(latest: 1, minimumDecryption: 1))
        XCTAssertEqual(KeyVersions.initial(hasMaterial: false).latest, 0)
    }

    func testRotateIncrementsLatestAndEncryptsWithIt() {
        var versions = KeyVersions(latest: 1)
        XCTAssertEqual(versions.rotate(), 2)
        XCTAssertEqual(versions.rotate(), 3)
        XCTAssertEqual(versions.latest, 3)
        XCTAssertEqual(versions.encryption, 3)
        XCTAssertEqual(versions.minimumDecryption, 1, "rotating retires nothing")
    }

    func testEveryExistingVersionDecryptsWhileNoneIsRetired() {
        let versions = KeyVersions(latest: 3)
        for version: UInt32 in 1...3 { XCTAssertNil(code { try versions.checkDecryptable(version) }, "\(version)") }
    }

    func testDecryptRefusesVersionsThatDoNotExist() {
        let versions = KeyVersions(latest: 3)
        XCTAssertEqual(code { try versions.checkDecryptable(0) }, .invalidCiphertext)
        XCTAssertEqual(code { try versions.checkDecryptable(4) }, .invalidCiphertext)
        XCTAssertEqual(code { try KeyVersions(latest: 0).checkDecryptable(1) }, .invalidCiphertext)
    }

    func testRetiringRaisesTheMinimumAndDecryptRefusesVersionsBelowIt() throws {
        var versions = KeyVersions(latest: 4)
        try versions.retire(below: 3)
        XCTAssertEqual(versions.minimumDecryption, 3)
        XCTAssertEqual(code { try versions.checkDecryptable(1) }, .invalidCiphertext)
        XCTAssertEqual(code { try versions.checkDecryptable(2) }, .invalidCiphertext)
        XCTAssertNil(code { try versions.checkDecryptable(3) })
        XCTAssertNil(code { try versions.checkDecryptable(4) })
        XCTAssertEqual(versions.rotate(), 5)
        XCTAssertEqual(versions.minimumDecryption, 3, "a rotation keeps the minimum")
    }

    func testRetiringIsOneWayAndNeverRetiresTheLatest() throws {
        var versions = KeyVersions(latest: 4, minimumDecryption: 2)
        XCTAssertEqual(code { try versions.retire(below: 1) }, .invalidParameterValue, "the minimum never goes down")
        XCTAssertEqual(code { try versions.retire(below: 5) }, .invalidParameterValue, "the latest always decrypts")
        try versions.retire(below: 4)
        XCTAssertEqual(versions, KeyVersions(latest: 4, minimumDecryption: 4))
    }

    func testExternalMaterialDestroyedAndImportedAgain() {
        var versions = KeyVersions(latest: 1)
        versions.destroyMaterial()
        XCTAssertEqual(versions.latest, 0)
        XCTAssertEqual(code { try versions.checkDecryptable(1) }, .invalidCiphertext)
        versions.importMaterial()
        XCTAssertEqual(versions, KeyVersions(latest: 1, minimumDecryption: 1))
    }

    func testStoredMinimumBelowOneReadsAsNothingRetired() {
        XCTAssertEqual(KeyVersions(latest: 2, minimumDecryption: 0).minimumDecryption, 1)
    }

    func testKeyExposesItsVersionsAndStoresChangesBack() throws {
        var key = CustomerMasterKey(id: KeyID(random: Array(repeating: 7, count: 16)), appId: 1, region: "r", alias: "a",
                                    description: "", keyUsage: .encryptDecrypt, origin: .tencentKMS, state: .enabled,
                                    creatorUin: 1, createTime: 0, currentVersion: 2)
        XCTAssertEqual(key.versions, KeyVersions(latest: 2))
        key.versions.rotate()
        try key.versions.retire(below: 2)
        XCTAssertEqual(key.currentVersion, 3)
        XCTAssertEqual(key.minDecryptionVersion, 2)
        XCTAssertEqual(key.status.versions, KeyVersions(latest: 3, minimumDecryption: 2))
    }
}
