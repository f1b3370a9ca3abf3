import Foundation
import XCTest
import KMSCore
import KMSCrypto
import KMSStorage
@testable import KMSAPI
@testable import KMSService
import KMSHTTP

final class MasterKeyRotationTests: XCTestCase {
    func testRotationReSealsEverythingAndTheServiceKeepsWorking() throws {
        let h = try ServiceHarness(clock: TestClock(Int64(Date().timeIntervalSince1970)))
        let account = try h.newAccount()
        let keyId = ServiceHarness.string(h.call("CreateKey", ["Alias": "rotating"], as: account), "KeyId")
        let blob = ServiceHarness.string(h.call("Encrypt", ["KeyId": .string(keyId), "Plaintext": "aGVsbG8="], as: account), "CiphertextBlob")
        let external = ServiceHarness.string(h.call("CreateKey", ["Alias": "rotating-ext", "Type": 2], as: account), "KeyId")
        let params = h.call("GetParametersForImport", ["KeyId": .string(external), "WrappingAlgorithm": "RSAES_OAEP_SHA_256",
                                                      "WrappingKeySpec": "RSA_2048"], as: account)
        let tenant = Tenant(appId: account.appId, region: "ap-guangzhou")
        func sealedIds() throws -> [UInt8?] {
            let material = try h.owner.transaction(tenant: tenant) { try $0.run(ListSealedMaterial(tenant: tenant)) }
            let imports = try h.owner.transaction(tenant: tenant) { try $0.run(ListSealedImportKeys(tenant: tenant)) }
            let credential = try h.owner.run(FindCredential(secretId: account.secretId))!.secretKeySealed
            return (material + imports).map { Sealer.keyId(of: $0.sealed) } + [Sealer.keyId(of: credential)]
        }
        XCTAssertEqual(Set(try sealedIds()), [1])

        // The ring gains key 2 (as the responder's watcher would install it) and everything is re-sealed.
        try h.sealer.install([(1, h.rootKey), (2, Random.secret(32))])
        let rotation = MasterKeyRotation(sealer: h.sealer, database: h.owner)
        let counts = try rotation.reseal()
        XCTAssertGreaterThanOrEqual(counts.materials, 1)
        XCTAssertGreaterThanOrEqual(counts.importKeys, 1)
        XCTAssertGreaterThanOrEqual(counts.credentials, 1)
        XCTAssertEqual(Set(try sealedIds()), [2])
        // (The shared test database also holds other tests' rows, sealed under their own master keys.)

        // With only the new key and the root loaded, old ciphertexts decrypt and the import token works.
        h.service.keyCache.invalidateAll()
        h.service.credentialCache.invalidateAll()
        XCTAssertEqual(h.call("Decrypt", ["CiphertextBlob": .string(blob)], as: account)["Plaintext"], "aGVsbG8=")
        let wrapped = try PublicKey(spkiDER: Base64.decode(ServiceHarness.string(params, "PublicKey"))!)
            .encrypt(Random.secret(32), algorithm: .rsaesOAEPSHA256)
        XCTAssertNil(ServiceHarness.errorCode(h.call("ImportKeyMaterial", [
            "KeyId": .string(external), "ImportToken": .string(ServiceHarness.string(params, "ImportToken")),
            "EncryptedKeyMaterial": .string(Base64.encode(wrapped))], as: account)))
    }

    func testKeyRingFilesAddAndRetire() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ring-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let base = dir + "/master.key"
        XCTAssertTrue(try MasterKeyFile.create(path: base))
        XCTAssertEqual(try MasterKeyRing.addKey(base: base), 2)
        XCTAssertEqual(try MasterKeyRing.addKey(base: base), 3)
        XCTAssertEqual(try MasterKeyRing.load(base: base).map(\.id), [1, 2, 3])
        XCTAssertEqual(try Sealer(masterKeys: MasterKeyRing.load(base: base)).currentKeyId, 3)
        try MasterKeyRing.retire(base: base, keep: 3)
        XCTAssertEqual(try MasterKeyRing.load(base: base).map(\.id), [1, 3])
    }
}
