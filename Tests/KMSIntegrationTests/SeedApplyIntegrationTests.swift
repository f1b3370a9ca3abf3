import XCTest
import KMSCore
import KMSCrypto
import KMSStorage
import KMSProvisioning
@testable import KMSService
@testable import KMSAPI

/// Issue 18: `kmsctl apply` against the real database, its result used through the real API service.
final class SeedApplyIntegrationTests: XCTestCase {
    let clock = TestClock(1_800_000_000)
    let plaintext = Base64.encode(Array("seeded secret".utf8))

    struct Fixture {
        let appId = AccountRegistry.randomNumber(in: 1_250_000_000...1_399_999_999)
        let uin = AccountRegistry.randomNumber(in: 100_000_000_000...199_999_999_999)
        let secretId = "AKID" + Fixture.alphanumerics(32)
        let secretKey = Fixture.alphanumerics(32)
        let keyId = KeyID(random: Random.bytes(16))
        let material = Hex.encode(Random.bytes(32))

        static func alphanumerics(_ n: Int) -> String {
            String(decoding: AccountRegistry.randomAlphanumerics(n), as: UTF8.self)
        }

        var credential: IssuedCredential {
            IssuedCredential(appId: appId, uin: uin, secretId: secretId, secretKey: SecureBytes(Array(secretKey.utf8)))
        }

        /// The example, with this fixture's numbers; `key` lines go under the first key.
        func file(name: String = "fixture", key: String = "", more: String = "") -> String {
            """
            accounts:
              - name: \(name)
                AppId: \(appId)
                Uin: \(uin)
                SecretId: \(secretId)
                SecretKey: \(secretKey)
                regions:
                  ap-guangzhou:
                    keys:
                      - KeyId: \(keyId)
                        Alias: fixture-key
                        Description: orders
                        KeyState: Enabled
                        Material: \(material)
            \(key)
            \(more)
            """
        }
    }

    /// A further key of the file's region, its fields under it.
    func key(_ fields: [String]) -> String {
        (["          - " + fields[0]] + fields.dropFirst().map { "            " + $0 }).joined(separator: "\n")
    }

    struct AccountAuditRows: Statement {
        static let sql = "SELECT action, secret_id FROM audit_log WHERE app_id = $1 AND key_id IS NULL AND client = 'kmsctl apply' ORDER BY seq"
        let appId: Int64
        var bindings: [PostgresValue] { [.int64(appId)] }
        func decode(_ result: QueryResult) throws -> [[String]] {
            try result.rows.map { [try $0.decode(String.self, "action"), try $0.decode(String?.self, "secret_id") ?? "-"] }
        }
    }

    struct KeyAuditRows: Statement {
        static let sql = "SELECT action, client, caller_uin FROM audit_log WHERE app_id = $1 AND key_id = $2::uuid ORDER BY seq"
        let appId: Int64
        let keyID: KeyID
        var bindings: [PostgresValue] { [.int64(appId), .text(keyID.description)] }
        func decode(_ result: QueryResult) throws -> [[String]] {
            try result.rows.map { [try $0.decode(String.self, "action"), try $0.decode(String.self, "client"),
                                   String(try $0.decode(Int64.self, "caller_uin"))] }
        }
    }

    func apply(_ text: String, _ harness: ServiceHarness, dryRun: Bool = false) throws -> SeedApplier.Outcome {
        let seed = try SeedFile.parse(text, regions: harness.service.regions)
        return try SeedApplier(sealer: harness.sealer, regions: harness.service.regions, database: harness.owner)
            .apply(seed, dryRun: dryRun, now: clock.now)
    }

    func describe(_ f: Fixture, _ h: ServiceHarness) -> JSONValue {
        h.call("DescribeKey", ["KeyId": .string(f.keyId.description)], as: f.credential)["KeyMetadata"] ?? .null
    }

    func testASeededAccountAndKeyServeTheAPIAndASecondApplyChangesNothing() throws {
        let h = try ServiceHarness(clock: clock)
        let f = Fixture()
        let first = try apply(f.file(), h)
        XCTAssertEqual(first.changes, ["fixture: create the account (AppId \(f.appId), Uin \(f.uin))",
                                       "fixture: add the credential \(f.secretId)",
                                       "fixture: create the key \(f.keyId) (fixture-key) in ap-guangzhou"])
        XCTAssertTrue(first.issued.isEmpty)
        let metadata = describe(f, h)
        XCTAssertEqual(metadata["Alias"], .string("fixture-key"))
        XCTAssertEqual(metadata["Description"], .string("orders"))
        XCTAssertEqual(metadata["KeyState"], .string("Enabled"))
        XCTAssertEqual(metadata["CreatorUin"], .int(f.uin))
        let blob = ServiceHarness.string(h.call("Encrypt", ["KeyId": .string(f.keyId.description), "Plaintext": .string(plaintext)],
                                                as: f.credential), "CiphertextBlob")
        XCTAssertEqual(h.call("Decrypt", ["CiphertextBlob": .string(blob)], as: f.credential)["Plaintext"], .string(plaintext))
        // The material is the file's: AES-256-GCM under it opens the blob without the service.
        let envelope = try CiphertextEnvelope(base64: blob)
        let opened = try Keyring(sealer: h.sealer).decrypt(envelope, material: SecureBytes(Hex.decode(f.material)!), region: "ap-guangzhou",
                                                           context: .empty)
        XCTAssertEqual(opened.withUnsafeBytes { Array($0) }, Array("seeded secret".utf8))

        XCTAssertTrue(try apply(f.file(), h).changes.isEmpty)
        // The creation is audited like CreateKey, as the account's root.
        let audited = try h.owner.run(KeyAuditRows(appId: f.appId, keyID: f.keyId))
        XCTAssertEqual(audited, [["CreateKey", "kmsctl apply", String(f.uin)]])
        XCTAssertEqual(try h.owner.run(AccountAuditRows(appId: f.appId)), [["CreateAccount", "-"], ["CreateCredential", f.secretId]])
    }

    func testStacksWithDifferentMasterKeysDecryptEachOthersCiphertexts() throws {
        let a = try ServiceHarness(clock: clock), b = try ServiceHarness(clock: clock)
        XCTAssertNotEqual(a.rootKey.withUnsafeBytes { Array($0) }, b.rootKey.withUnsafeBytes { Array($0) })
        let fa = Fixture()
        // The same key and material in another account: what a second stack of the same file holds.
        var text = fa.file()
        let fb = Fixture()
        text = text.replacingOccurrences(of: String(fa.appId), with: String(fb.appId))
            .replacingOccurrences(of: String(fa.uin), with: String(fb.uin))
            .replacingOccurrences(of: fa.secretId, with: fb.secretId).replacingOccurrences(of: fa.secretKey, with: fb.secretKey)
        _ = try apply(fa.file(), a)
        _ = try apply(text, b)
        let credentialB = fb.credential
        for (encrypter, e, decrypter, d) in [(a, fa.credential, b, credentialB), (b, credentialB, a, fa.credential)] {
            let blob = ServiceHarness.string(encrypter.call("Encrypt", ["KeyId": .string(fa.keyId.description), "Plaintext": .string(plaintext)],
                                                            as: e), "CiphertextBlob")
            XCTAssertFalse(blob.isEmpty)
            XCTAssertEqual(decrypter.call("Decrypt", ["CiphertextBlob": .string(blob)], as: d)["Plaintext"], .string(plaintext))
        }
    }

    func testADryRunSaysWhatChangesAndChangesNothingThenApplyChangesExactlyThat() throws {
        let h = try ServiceHarness(clock: clock)
        let f = Fixture()
        _ = try apply(f.file(), h)
        let changed = f.file().replacingOccurrences(of: "Description: orders", with: "Description: invoices")
            .replacingOccurrences(of: "KeyState: Enabled", with: "KeyState: Archived\n            Tags: [{TagKey: team, TagValue: billing}]\n            KeyRotationEnabled: true\n            RotateDays: 90")
        let expected = ["fixture: \(f.keyId) (fixture-key) in ap-guangzhou: Description changed",
                        "fixture: \(f.keyId) (fixture-key) in ap-guangzhou: Tags set to 1",
                        "fixture: \(f.keyId) (fixture-key) in ap-guangzhou: ArchiveKey",
                        "fixture: \(f.keyId) (fixture-key) in ap-guangzhou: rotation every 90 days"]
        XCTAssertEqual(try apply(changed, h, dryRun: true).changes, expected)
        XCTAssertEqual(describe(f, h)["Description"], .string("orders"))
        XCTAssertEqual(describe(f, h)["KeyState"], .string("Enabled"))
        XCTAssertEqual(try apply(changed, h).changes, expected)
        let metadata = describe(f, h)
        XCTAssertEqual(metadata["Description"], .string("invoices"))
        XCTAssertEqual(metadata["KeyState"], .string("Archived"))
        XCTAssertEqual(h.call("GetKeyRotationStatus", ["KeyId": .string(f.keyId.description)], as: f.credential)["KeyRotationEnabled"],
                       .bool(true))
        XCTAssertTrue(try apply(changed, h).changes.isEmpty)
        // What the file no longer names is left alone: without Tags and rotation, they stay.
        XCTAssertEqual(try apply(f.file(), h).changes, ["fixture: \(f.keyId) (fixture-key) in ap-guangzhou: Description changed",
                                                        "fixture: \(f.keyId) (fixture-key) in ap-guangzhou: CancelKeyArchive"])
    }

    func testAFailedApplyChangesNothing() throws {
        let h = try ServiceHarness(clock: clock)
        let f = Fixture()
        _ = try apply(f.file(), h)
        XCTAssertNil(ServiceHarness.errorCode(h.call("CreateKey", ["Alias": .string("taken")], as: f.credential)))
        let newKey = KeyID(random: Random.bytes(16))
        // A new key, then one whose alias a key made through the API holds: the second is refused,
        // and the first is not made either.
        let text = f.file(more: key(["KeyId: \(newKey)", "Alias: fresh-key"]) + "\n"
                            + key(["KeyId: \(KeyID(random: Random.bytes(16)))", "Alias: taken"]))
        XCTAssertThrowsError(try apply(text, h)) { error in
            guard let refusal = error as? SeedApplier.Refusal else { return XCTFail("\(error)") }
            XCTAssertEqual(refusal.line, 18)
            XCTAssertTrue(refusal.what.hasPrefix("accounts[0].regions.ap-guangzhou.keys[2].Alias: key "), refusal.what)
            XCTAssertTrue(refusal.what.contains("AliasAlreadyExists"), refusal.what)
        }
        XCTAssertEqual(ServiceHarness.errorCode(h.call("DescribeKey", ["KeyId": .string(newKey.description)], as: f.credential)),
                       "ResourceUnavailable.CmkNotFound")
        // Renaming the seeded key to an alias another key holds is refused the same way.
        XCTAssertThrowsError(try apply(f.file().replacingOccurrences(of: "Alias: fixture-key", with: "Alias: taken"), h)) {
            XCTAssertTrue("\($0)".contains("keys[0].Alias: key \(f.keyId) (taken): InvalidParameterValue.AliasAlreadyExists"), "\($0)")
        }
        // A key's material never changes, and another SecretKey for a SecretId is refused.
        let otherMaterial = f.file().replacingOccurrences(of: f.material, with: Hex.encode(Random.bytes(32)))
        XCTAssertThrowsError(try apply(otherMaterial, h)) {
            XCTAssertTrue("\($0)".contains("keys[0].Material: key \(f.keyId) (fixture-key): InvalidParameterValue.MaterialNotMatch"), "\($0)")
        }
        let otherSecret = f.file().replacingOccurrences(of: f.secretKey, with: Fixture.alphanumerics(32))
        XCTAssertThrowsError(try apply(otherSecret, h)) { XCTAssertTrue("\($0)".contains("another credential"), "\($0)") }
    }

    func testAnExternalKeyTakesItsMaterialOnceAndOnlyTheSameAgain() throws {
        let h = try ServiceHarness(clock: clock)
        let f = Fixture()
        let external = f.file(more: key(["Alias: byok", "Origin: EXTERNAL", "Material: \(f.material)", "ValidTo: 0"]))
        let changes = try apply(external, h).changes
        XCTAssertEqual(changes.suffix(2), ["fixture: create the key byok in ap-guangzhou", "fixture: byok in ap-guangzhou: import its material (never expires)"])
        let listed = h.call("ListKeyDetail", ["Limit": .int(10)], as: f.credential)["KeyMetadatas"]
        guard case let .array(keys)? = listed, let byok = keys.first(where: { $0["Alias"] == .string("byok") }),
              case let .string(byokId)? = byok["KeyId"] else { return XCTFail("no byok key: \(String(describing: listed))") }
        XCTAssertEqual(byok["KeyState"], .string("Enabled"))
        XCTAssertEqual(byok["Origin"], .string("EXTERNAL"))
        XCTAssertNil(ServiceHarness.errorCode(h.call("Encrypt", ["KeyId": .string(byokId), "Plaintext": .string(plaintext)], as: f.credential)))
        XCTAssertTrue(try apply(external, h).changes.isEmpty)
        // A ValidTo already past is refused, as ImportKeyMaterial refuses it.
        let past = f.file(more: key(["Alias: byok-past", "Origin: EXTERNAL", "Material: \(f.material)", "ValidTo: \(clock.now - 1)"]))
        XCTAssertThrowsError(try apply(past, h)) { XCTAssertTrue("\($0)".contains("ValidTo"), "\($0)") }
        let other = external.replacingOccurrences(of: "Material: \(f.material)\n            ValidTo",
                                                  with: "Material: \(Hex.encode(Random.bytes(32)))\n            ValidTo")
        XCTAssertThrowsError(try apply(other, h)) { XCTAssertTrue("\($0)".contains("MaterialNotMatch"), "\($0)") }
    }

    func testAnExportAppliesAsNoChangeAndHoldsNoSecret() throws {
        let h = try ServiceHarness(clock: clock)
        let f = Fixture()
        _ = try apply(f.file(name: "export-\(f.appId)"), h)
        // Keys made through the API, in every shape the export writes or leaves out.
        func create(_ params: JSONValue) -> String {
            ServiceHarness.string(h.call("CreateKey", params, as: f.credential), "KeyId")
        }
        let tagged = create(["Alias": "tagged", "Description": "with \"quotes\" and 中文",
                             "Tags": [["TagKey": "team", "TagValue": "a:b"]]])
        XCTAssertNil(ServiceHarness.errorCode(h.call("EnableKeyRotation", ["KeyId": .string(tagged), "RotateDays": 30], as: f.credential)))
        XCTAssertNil(ServiceHarness.errorCode(h.call("DisableKey", ["KeyId": .string(tagged)], as: f.credential)))
        _ = create(["Alias": "pending-import", "Type": 2])
        let asymmetric = create(["Alias": "signer", "KeyUsage": "ASYMMETRIC_SIGN_VERIFY_ECC"])
        XCTAssertFalse(asymmetric.isEmpty)
        let seeded = try SeedExporter(regions: h.service.regions, database: h.owner).export(account: "export-\(f.appId)", now: clock.now)
        XCTAssertFalse(seeded.contains(f.secretKey))
        XCTAssertFalse(seeded.contains(f.secretId))
        XCTAssertFalse(seeded.contains(f.material))
        XCTAssertTrue(seeded.contains("# \(asymmetric) (signer): ASYMMETRIC_SIGN_VERIFY_ECC"), seeded)
        let file = try SeedFile.parse(seeded, regions: h.service.regions)
        // In creation order, then by id: these were made in the same second.
        let keys = file.accounts[0].regions[0].keys.sorted { $0.alias < $1.alias }
        XCTAssertEqual(keys.map(\.alias), ["fixture-key", "pending-import", "tagged"])
        XCTAssertEqual(keys[2].description, "with \"quotes\" and 中文")
        XCTAssertEqual(keys[2].tags, [KeyTag(key: "team", value: "a:b")])
        XCTAssertEqual(keys[2].state, .disabled)
        XCTAssertEqual(keys[2].rotateDays, 30)
        XCTAssertEqual(keys[1].origin, .external)
        XCTAssertTrue(try apply(seeded, h).changes.isEmpty)
        XCTAssertThrowsError(try SeedExporter(regions: h.service.regions, database: h.owner).export(account: "no-such-\(f.appId)", now: clock.now))
    }
}
