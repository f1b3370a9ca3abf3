import Foundation
import XCTest
import KMSCore
import KMSCrypto
import KMSStorage
@testable import KMSAPI
@testable import KMSService
import KMSHTTP

/// `kmsctl master-key rotate --retire` (issue 10 #6): every value of every account and region is
/// re-sealed, a region no longer served included, and no key file is deleted while any value in
/// the database is still sealed under it.
final class MasterKeyRetireTests: XCTestCase {
    /// Key ids no other test uses: the shared test database holds other tests' rows under 1 and 2.
    let oldId: UInt8 = 250
    let regions = ["ap-nanjing", "ap-guangzhou", "ap-shanghai-fsi"]

    func testRetireReSealsUnservedRegionsAndRefusesWhileValuesRemainUnderTheOldKey() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("retire-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let base = dir + "/master.key"
        XCTAssertTrue(try MasterKeyFile.create(path: base))
        XCTAssertTrue(try MasterKeyFile.create(path: MasterKeyRing.path(base, id: oldId)))

        // ap-nanjing is served while the values are written; the deployment drops it later.
        let h = try ServiceHarness(clock: TestClock(Int64(Date().timeIntervalSince1970)),
                                   regions: RegionTable.defaultSpec + ",ap-nanjing=FIPS")
        try h.sealer.install(MasterKeyRing.load(base: base))
        XCTAssertEqual(h.sealer.currentKeyId, oldId)
        let account = try h.newAccount()
        var blobs: [(region: String, blob: String, plaintext: String)] = []
        for region in regions {
            let keyId = ServiceHarness.string(h.call("CreateKey", ["Alias": .string("retire-\(region)")], as: account, region: region), "KeyId")
            let plaintext = Base64.encode(Array("sealed in \(region)".utf8))
            let blob = ServiceHarness.string(h.call("Encrypt", ["KeyId": .string(keyId), "Plaintext": .string(plaintext)],
                                                    as: account, region: region), "CiphertextBlob")
            blobs.append((region, blob, plaintext))
        }
        let external = ServiceHarness.string(h.call("CreateKey", ["Alias": "retire-ext", "Type": 2], as: account, region: "ap-nanjing"), "KeyId")
        let params = h.call("GetParametersForImport", ["KeyId": .string(external), "WrappingAlgorithm": "RSAES_OAEP_SHA_256",
                                                      "WrappingKeySpec": "RSA_2048"], as: account, region: "ap-nanjing")

        // A new master key, loaded as the responders' watchers load it.
        let newId = try MasterKeyRing.addKey(base: base)
        try h.sealer.install(MasterKeyRing.load(base: base))
        let rotation = MasterKeyRotation(sealer: h.sealer, database: h.owner)

        // Before re-sealing, retiring is refused, names what is left, and deletes nothing.
        XCTAssertThrowsError(try rotation.retire(ringBase: base, keep: newId)) { error in
            let left = (error as? MasterKeyRotation.RetirementRefused)?.left ?? []
            XCTAssertTrue(Set(left.map(\.table)).isSuperset(of: ["credentials", "key_material", "import_parameters"]), "\(left)")
            XCTAssertTrue(left.allSatisfy { $0.masterKeyId == Int(oldId) })
        }
        XCTAssertEqual(access(MasterKeyRing.path(base, id: oldId), F_OK), 0, "nothing deleted")

        // Re-sealing finds every tenant in the data, the unserved region included.
        let counts = try rotation.reseal()
        XCTAssertGreaterThanOrEqual(counts.materials, 3)
        XCTAssertGreaterThanOrEqual(counts.importKeys, 1)
        XCTAssertGreaterThanOrEqual(counts.credentials, 1)
        for region in regions {
            let tenant = Tenant(appId: account.appId, region: region)
            let rows = try h.owner.transaction(tenant: tenant) {
                try $0.run(ListSealedMaterial(tenant: tenant)) + $0.run(ListSealedImportKeys(tenant: tenant))
            }
            XCTAssertFalse(rows.isEmpty, region)
            XCTAssertEqual(Set(rows.map { Sealer.keyId(of: $0.sealed) }), [newId], region)
        }
        XCTAssertEqual(try rotation.valuesUnder([oldId]), [])

        XCTAssertEqual(try rotation.retire(ringBase: base, keep: newId), [oldId])
        XCTAssertNotEqual(access(MasterKeyRing.path(base, id: oldId), F_OK), 0, "the old key file is gone")

        // With only key 1 and the new key, every ciphertext still decrypts and the import token works.
        try h.sealer.install(MasterKeyRing.load(base: base))
        XCTAssertEqual(h.sealer.keyIds, [1, newId])
        h.service.keyCache.invalidateAll()
        h.service.credentialCache.invalidateAll()
        for (region, blob, plaintext) in blobs {
            let response = h.call("Decrypt", ["CiphertextBlob": .string(blob)], as: account, region: region)
            XCTAssertEqual(response["Plaintext"], .string(plaintext), "\(region): \(response)")
        }
        let wrapped = try PublicKey(spkiDER: Base64.decode(ServiceHarness.string(params, "PublicKey"))!)
            .encrypt(Random.secret(32), algorithm: .rsaesOAEPSHA256)
        XCTAssertNil(ServiceHarness.errorCode(h.call("ImportKeyMaterial", [
            "KeyId": .string(external), "ImportToken": .string(ServiceHarness.string(params, "ImportToken")),
            "EncryptedKeyMaterial": .string(Base64.encode(wrapped))], as: account, region: "ap-nanjing")))
    }

    func testRetireRefusesWhileATenantTableCannotBeCountedAcrossTenants() throws {
        let h = try ServiceHarness(clock: TestClock(Int64(Date().timeIntervalSince1970)))
        let table = "unseen_\(UInt32.random(in: 0...UInt32.max))"
        // A tenant table added later without the owner_maintenance policy: its rows are invisible to the census.
        _ = try h.owner.connection.execute(script: """
            CREATE TABLE \(table) (app_id bigint, region text, secret_sealed bytea);
            ALTER TABLE \(table) ENABLE ROW LEVEL SECURITY; ALTER TABLE \(table) FORCE ROW LEVEL SECURITY;
            """)
        defer { try? h.owner.connection.execute(script: "DROP TABLE \(table)") }
        let rotation = MasterKeyRotation(sealer: h.sealer, database: h.owner)
        let left = try rotation.valuesUnder([oldId])
        XCTAssertTrue(left.contains { $0.table == table && $0.column == "secret_sealed" && $0.masterKeyId == SealedValueCount.uncountable },
                      "\(left)")
    }
}
