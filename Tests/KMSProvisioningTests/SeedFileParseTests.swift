import XCTest
import KMSCore
@testable import KMSProvisioning

/// Issue 18: a seed file, parsed and checked without a database. Every refusal names its line and field.
final class SeedFileParseTests: XCTestCase {
    let regions = try! RegionTable(spec: RegionTable.defaultSpec)
    let material32 = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"

    var issueExample: String {
        """
        accounts:
          - name: fixture
            AppId: 1300000001                      # optional; development stacks only for the next three
            Uin: 100000000001
            SecretId: AKIDfixturefixturefixturefixture0001
            SecretKey: fixturefixturefixturefixture0001
            regions:
              ap-guangzhou:
                keys:
                  - KeyId: 11111111-2222-3333-4444-555555555555
                    Alias: fixture-key
                    Description: orders
                    KeyState: Enabled
                    Material: \(material32)
        """
    }

    func parse(_ text: String) throws -> SeedFile { try SeedFile.parse(text, regions: regions) }

    func refusal(_ text: String, file: StaticString = #filePath, line: UInt = #line) -> SeedError? {
        do {
            _ = try parse(text)
            XCTFail("accepted", file: file, line: line)
            return nil
        } catch let error as SeedError {
            return error
        } catch {
            XCTFail("not a SeedError: \(error)", file: file, line: line)
            return nil
        }
    }

    func testTheIssuesExampleReadsAsWritten() throws {
        let seed = try parse(issueExample)
        XCTAssertEqual(seed.accounts.count, 1)
        let account = seed.accounts[0]
        XCTAssertEqual(account.name, "fixture")
        XCTAssertEqual(account.appId, 1_300_000_001)
        XCTAssertEqual(account.uin, 100_000_000_001)
        XCTAssertEqual(account.secretId, "AKIDfixturefixturefixturefixture0001")
        XCTAssertEqual(account.secretKey?.withUnsafeBytes { Array($0) }, Array("fixturefixturefixturefixture0001".utf8))
        XCTAssertTrue(account.hasFixedSecrets)
        XCTAssertEqual(account.regions.map(\.name), ["ap-guangzhou"])
        XCTAssertEqual(account.regions[0].profile, .fips)
        let key = account.regions[0].keys[0]
        XCTAssertEqual(key.keyID, KeyID("11111111-2222-3333-4444-555555555555"))
        XCTAssertEqual(key.alias, "fixture-key")
        XCTAssertEqual(key.description, "orders")
        XCTAssertEqual(key.state, .enabled)
        XCTAssertEqual(key.origin, .tencentKMS)
        XCTAssertEqual(key.line, 10)
        // Read as written: YAML would have taken the leading zeros for a number.
        XCTAssertEqual(key.material?.withUnsafeBytes { Array($0) }, Array(0..<32))
        XCTAssertNil(key.tags)
        XCTAssertNil(key.rotationEnabled)
    }

    func testJSONIsReadTheSameWay() throws {
        let json = """
        {"accounts": [{"name": "fixture", "regions": {"ap-shanghai-fsi": {"keys": [
          {"KeyId": "11111111-2222-3333-4444-555555555555", "Alias": "fixture-sm", "KeyState": "Disabled", "KeyRotationEnabled": true, "RotateDays": 30,
           "Tags": [{"TagKey": "team", "TagValue": "orders"}], "Material": "000102030405060708090a0b0c0d0e0f"},
          {"Alias": "imported", "Origin": "EXTERNAL", "Material": "0f0e0d0c0b0a09080706050403020100", "ValidTo": 0}]}}}]}
        """
        let seed = try parse(json)
        let region = seed.accounts[0].regions[0]
        XCTAssertEqual(region.profile, .sm)
        XCTAssertEqual(region.keys[0].state, .disabled)
        XCTAssertEqual(region.keys[0].rotationEnabled, true)
        XCTAssertEqual(region.keys[0].rotateDays, 30)
        XCTAssertEqual(region.keys[0].tags, [KeyTag(key: "team", value: "orders")])
        XCTAssertEqual(region.keys[1].origin, .external)
        XCTAssertNil(region.keys[1].keyID)
        XCTAssertEqual(region.keys[1].validTo, 0)
        XCTAssertFalse(seed.accounts[0].secretId != nil)
        XCTAssertTrue(seed.accounts[0].hasFixedSecrets)
    }

    func testEachRefusalNamesItsLineAndField() {
        let cases: [(String, Int, String, String)] = [
            (issueExample.replacingOccurrences(of: "Description: orders", with: "Descripton: orders"), 12,
             "accounts[0].regions.ap-guangzhou.keys[0].Descripton", "unknown field"),
            (issueExample.replacingOccurrences(of: "11111111-2222-3333-4444-555555555555", with: "11111111-2222-3333-4444-55555555555x"), 10,
             "accounts[0].regions.ap-guangzhou.keys[0].KeyId", "not a key id"),
            (issueExample.replacingOccurrences(of: "Alias: fixture-key", with: "Alias: kms-fixture"), 11,
             "accounts[0].regions.ap-guangzhou.keys[0].Alias", "reserved"),
            (issueExample.replacingOccurrences(of: "KeyState: Enabled", with: "KeyState: PendingDelete"), 13,
             "accounts[0].regions.ap-guangzhou.keys[0].KeyState", "Enabled, Disabled or Archived"),
            (issueExample.replacingOccurrences(of: "ap-guangzhou:", with: "ap-mars:"), 8,
             "accounts[0].regions.ap-mars", "does not serve the region"),
            (issueExample.replacingOccurrences(of: "Uin: 100000000001", with: "Uin: 100000000001\n    Uin: 2"), 5,
             "accounts[0].Uin", "given twice"),
            (issueExample.replacingOccurrences(of: "    SecretKey: fixturefixturefixturefixture0001\n", with: ""), 2,
             "accounts[0]", "go together"),
            (issueExample.replacingOccurrences(of: "AppId: 1300000001", with: "AppId: 13000x0001"), 3,
             "accounts[0].AppId", "whole number"),
            (issueExample + "\n          - Alias: fixture-key\n", 15, "accounts[0].regions.ap-guangzhou.keys", "named twice"),
            (issueExample.replacingOccurrences(of: "keys:", with: "keys: {"), 10, "(syntax)", "not valid YAML"),
        ]
        for (text, line, field, words) in cases {
            guard let error = refusal(text) else { continue }
            XCTAssertEqual(error.line, line, "\(error)")
            XCTAssertEqual(error.field, field, "\(error)")
            XCTAssertTrue(error.message.contains(words), "\(error)")
        }
    }

    func testMaterialMustFitTheRegionsProfileAndIsNeverRepeated() {
        // 32 bytes in an SM region (16 expected).
        let text = issueExample.replacingOccurrences(of: "ap-guangzhou:", with: "ap-shanghai-fsi:")
        guard let error = refusal(text) else { return }
        XCTAssertEqual(error.line, 14)
        XCTAssertEqual(error.field, "accounts[0].regions.ap-shanghai-fsi.keys[0].Material")
        XCTAssertEqual(error.message, "32 bytes; keys in a SM region take 16 (32 hexadecimal digits)")
        for text in [issueExample.replacingOccurrences(of: material32, with: "zz" + material32.dropFirst(2)),
                     issueExample.replacingOccurrences(of: "SecretKey: fixturefixturefixturefixture0001", with: "SecretKey: fixture-fixturefixturefixture001")] {
            guard let error = refusal(text) else { continue }
            XCTAssertFalse(error.description.contains("0a0b0c0d"), "\(error)")
            XCTAssertFalse(error.description.contains("fixturefixture"), "\(error)")
        }
    }

    func testScalarsAreReadStrictly() {
        // YAML 1.1's `yes` is not a boolean here, nor is a null a value.
        let rotation = issueExample.replacingOccurrences(of: "KeyState: Enabled", with: "KeyRotationEnabled: yes")
        XCTAssertEqual(refusal(rotation)?.message, "must be true or false")
        let empty = issueExample.replacingOccurrences(of: "Description: orders", with: "Description:")
        XCTAssertEqual(refusal(empty)?.field, "accounts[0].regions.ap-guangzhou.keys[0].Description")
        let list = issueExample.replacingOccurrences(of: "Description: orders", with: "Description: [orders]")
        XCTAssertEqual(refusal(list)?.message, "must be a value (text or a number), not a list")
    }

    func testExternalKeysAndWhatTheyCannotBe() throws {
        let external = """
        accounts:
          - name: a
            regions:
              ap-beijing:
                keys:
                  - Alias: byok
                    Origin: EXTERNAL
        """
        let key = try parse(external).accounts[0].regions[0].keys[0]
        XCTAssertEqual(key.origin, .external)
        XCTAssertNil(key.material)
        XCTAssertFalse(try parse(external).accounts[0].hasFixedSecrets)
        XCTAssertEqual(refusal(external + "\n            Material: \(material32)\n")?.field, "accounts[0].regions.ap-beijing.keys[0].ValidTo")
        XCTAssertEqual(refusal(external + "\n            KeyState: Enabled\n")?.message, "an EXTERNAL key without Material stays PendingImport")
        XCTAssertEqual(refusal(external.replacingOccurrences(of: "Origin: EXTERNAL", with: "ValidTo: 0"))?.message,
                       "only an EXTERNAL key's material has a ValidTo")
        XCTAssertEqual(refusal(external.replacingOccurrences(of: "Origin: EXTERNAL", with: "KeyUsage: SIGN_VERIFY_ECC"))?.field,
                       "accounts[0].regions.ap-beijing.keys[0].KeyUsage")
    }

    func testAccountsAreUniqueInAFile() {
        let twice = """
        accounts:
          - name: a
            AppId: 1300000001
          - name: b
            AppId: 1300000001
        """
        XCTAssertEqual(refusal(twice)?.message, "AppId 1300000001 is given to two accounts")
        XCTAssertEqual(refusal(twice.replacingOccurrences(of: "name: b", with: "name: a"))?.message, "AppId 1300000001 is given to two accounts")
        // Names need not be unique between accounts that give their AppIds; without one, a name is the account.
        XCTAssertNoThrow(try parse(twice.replacingOccurrences(of: "name: b", with: "name: a").replacingOccurrences(of: "AppId: 1300000001\n  - name", with: "AppId: 1300000002\n  - name")))
        XCTAssertEqual(refusal("accounts:\n  - name: a\n  - name: a\n    AppId: 1300000001\n")?.message,
                       "the account a is named twice (give each its AppId to tell them apart)")
        XCTAssertEqual(refusal("")?.message, "the file is empty: it needs `accounts:`")
        XCTAssertEqual(refusal("accounts: 3")?.message, "must be a list")
        XCTAssertEqual(refusal("accounts:\n  - regions: {}\n")?.field, "accounts[0].name")
        // CreateKey needs an alias, so the file must give each key one.
        XCTAssertEqual(refusal(issueExample.replacingOccurrences(of: "            Alias: fixture-key\n", with: ""))?.field,
                       "accounts[0].regions.ap-guangzhou.keys[0].Alias")
    }
}
