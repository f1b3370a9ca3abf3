import XCTest
@testable import KMSAPI
import KMSCore

/// Which resource a sub-user's policy must allow each KMS action on (golden: a new action that names
/// a key is a deliberate change here too), and that the resource comes from the request's parameters.
final class AccessRuleTests: XCTestCase {
    static let expected: [String: AccessRule] = [
        "ArchiveKey": .key, "BindCloudResource": .key, "CancelKeyArchive": .key, "CancelKeyDeletion": .key, "CreateKey": .account,
        "Decrypt": .ciphertext(destination: false), "DeleteImportedKeyMaterial": .key, "DescribeKey": .key, "DescribeKeys": .keys,
        "DisableKey": .key, "DisableKeyRotation": .key, "DisableKeys": .keys, "EnableKey": .key, "EnableKeyRotation": .key,
        "EnableKeys": .keys, "Encrypt": .key, "GenerateDataKey": .key, "GenerateRandom": .account, "GetKeyRotationStatus": .key,
        "GetParametersForImport": .key, "GetRegions": .account, "GetServiceStatus": .account, "ImportKeyMaterial": .key,
        "ListAlgorithms": .account, "ListKeyDetail": .account, "ListKeys": .account, "ReEncrypt": .ciphertext(destination: true),
        "RotateKey": .key, "ScheduleKeyDeletion": .key, "UnbindCloudResource": .key, "UpdateAlias": .key, "UpdateKeyDescription": .key,
        "GetPublicKey": .key, "AsymmetricRsaDecrypt": .key, "AsymmetricSm2Decrypt": .key, "SignByAsymmetricKey": .key,
        "VerifyByAsymmetricKey": .key,
    ]

    func testEveryKMSActionIsCheckedOnTheKeysItNames() {
        var rules: [String: AccessRule] = [:]
        for name in ActionTable.names(of: .kms) { rules[name] = ActionTable.all[name]!.access }
        XCTAssertEqual(rules, Self.expected)
    }

    func testPoliciesNameActionsByServiceAndName() {
        XCTAssertEqual(ActionTable.all["Encrypt"]?.policyAction, "kms:Encrypt")
    }

    func parameters(_ json: String, of action: String) throws -> Parameters {
        try Parameters(decoding: try JSONValue.parse(json), specs: ActionTable.all[action]!.parameters, fromForm: false)
    }

    func testTheKeysComeFromTheRequestAndMalformedOnesGetTheActionsOwnErrors() throws {
        let id = "11111111-2222-3333-4444-555555555555", other = "66666666-7777-8888-9999-000000000000"
        XCTAssertEqual(try AccessRule.key.keyIDs(try parameters(#"{"KeyId":"\#(id)","Plaintext":"eA=="}"#, of: "Encrypt")),
                       [KeyID(id)!])
        XCTAssertEqual(try AccessRule.keys.keyIDs(try parameters(#"{"KeyIds":["\#(id)","\#(other)"]}"#, of: "DescribeKeys")),
                       [KeyID(id)!, KeyID(other)!])
        XCTAssertNil(try AccessRule.account.keyIDs(try parameters("{}", of: "ListKeys")))
        XCTAssertThrowsError(try AccessRule.key.keyIDs(try parameters(#"{"KeyId":"nope","Plaintext":"eA=="}"#, of: "Encrypt"))) {
            XCTAssertEqual(($0 as? KMSError)?.code, .invalidKeyId)
        }
        XCTAssertThrowsError(try AccessRule.ciphertext(destination: false).keyIDs(try parameters(#"{"CiphertextBlob":"AAAA"}"#, of: "Decrypt"))) {
            XCTAssertEqual(($0 as? KMSError)?.code, .invalidCiphertext)
        }
    }
}
