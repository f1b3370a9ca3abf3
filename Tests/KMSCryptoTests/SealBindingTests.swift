import KMSCore
import KMSCrypto
import XCTest

/// Every binding's bytes, pinned to what the service has always written: values sealed before
/// `SealBinding` existed must keep opening.
final class SealBindingTests: XCTestCase {
    private let tenant = Tenant(appId: 1_250_000_000, region: "ap-guangzhou")
    private let keyID = KeyID("7c1d2e3f-0000-4000-8000-000000000001")!

    func testKeyMaterialBindingIsUnchanged() {
        XCTAssertEqual(SealBinding.keyMaterial(tenant, keyID, version: 12).text,
                       "key_material|1250000000|ap-guangzhou|7c1d2e3f-0000-4000-8000-000000000001|12")
    }

    func testCredentialSecretBindingIsUnchanged() {
        XCTAssertEqual(SealBinding.credentialSecret("AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE").text,
                       "credential|AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE")
    }

    func testImportPrivateKeyBindingIsUnchanged() {
        let hash = [0x00, 0x01, 0xab, 0xff] as [UInt8]
        XCTAssertEqual(SealBinding.importPrivateKey(tenant, keyID, tokenHash: hash).text,
                       "import_parameters|1250000000|ap-guangzhou|7c1d2e3f-0000-4000-8000-000000000001|0001abff")
    }

    func testMaterialFingerprintBindingIsUnchanged() {
        XCTAssertEqual(SealBinding.materialFingerprint(tenant, keyID).text,
                       "material_fingerprint|1250000000|ap-guangzhou|7c1d2e3f-0000-4000-8000-000000000001")
    }

    func testAuditCheckpointDomainIsUnchanged() {
        XCTAssertEqual(Array(SealBinding.auditCheckpoint.text.utf8), Array("kms-audit-checkpoint-v1\n".utf8))
    }

    func testValueSealedUnderTheOldSpellingOpensThroughTheBinding() throws {
        let sealer = try Sealer(masterKey: Random.secret(32))
        let secret = Random.secret(32)
        let old = sealer.seal(secret, binding: "key_material|1250000000|ap-guangzhou|7c1d2e3f-0000-4000-8000-000000000001|3")
        XCTAssertEqual(try sealer.open(old, for: .keyMaterial(tenant, keyID, version: 3)), secret)
        XCTAssertThrowsError(try sealer.open(old, for: .keyMaterial(tenant, keyID, version: 4)))
        XCTAssertEqual(sealer.fingerprint(secret, for: .materialFingerprint(tenant, keyID)),
                       sealer.fingerprint(secret, binding: "material_fingerprint|1250000000|ap-guangzhou|7c1d2e3f-0000-4000-8000-000000000001"))
    }
}
