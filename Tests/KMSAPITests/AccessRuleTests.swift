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
        // KMS-hosted data keys: hosted GenerateDataKey names its CMK (above); ImportDataKey the CMK that seals it;
        // the others the data keys they name; listing is not resource-level.
        "ImportDataKey": .importedDataKey, "DescribeDataKey": .dataKey, "DescribeDataKeys": .dataKeys, "ListDataKeys": .account,
        "ListDataKeyDetail": .account, "GetDataKeyPlaintext": .dataKey, "GetDataKeyCiphertextBlob": .dataKey,
        "UpdateDataKeyName": .dataKey, "UpdateDataKeyDescription": .dataKey, "EnableDataKey": .dataKey, "EnableDataKeys": .dataKeys,
        "DisableDataKey": .dataKey, "DisableDataKeys": .dataKeys, "ScheduleDataKeyDeletion": .dataKey, "CancelDataKeyDeletion": .dataKey,
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

    func testDataKeyActionsNameEachDataKeyAsADatakeyResource() throws {
        let id = "11111111-2222-3333-4444-555555555555", other = "66666666-7777-8888-9999-000000000000"
        let resource = { (dataKey: String) in "qcs::kms:ap-guangzhou:uin/42:datakey/creatorUin/42/\(dataKey)" }
        XCTAssertEqual(try AccessRule.dataKey.resources(try parameters(#"{"DataKeyId":"\#(id)"}"#, of: "GetDataKeyPlaintext"),
                                                        region: "ap-guangzhou", ownerUin: 42), [resource(id)])
        XCTAssertEqual(try AccessRule.dataKeys.resources(try parameters(#"{"DataKeyIds":["\#(id)","\#(other)"]}"#, of: "EnableDataKeys"),
                                                         region: "ap-guangzhou", ownerUin: 42), [resource(id), resource(other)])
        XCTAssertThrowsError(try AccessRule.dataKey.resources(try parameters(#"{"DataKeyId":"nope"}"#, of: "DescribeDataKey"),
                                                              region: "ap-guangzhou", ownerUin: 42)) {
            XCTAssertEqual(($0 as? KMSError)?.code, .invalidDataKeyId)
        }
        XCTAssertThrowsError(try AccessRule.dataKeys.resources(try parameters(#"{"DataKeyIds":["\#(id)","\#(id.uppercased())"]}"#,
                                                                              of: "DisableDataKeys"), region: "ap-guangzhou", ownerUin: 42)) {
            XCTAssertEqual(($0 as? KMSError)?.code, .duplicatedDataKeyId)
        }
    }

    func testImportDataKeyIsCheckedOnTheKeyIdOrElseOnTheCMKOfTheImportedBlob() throws {
        let id = "11111111-2222-3333-4444-555555555555"
        XCTAssertEqual(try AccessRule.importedDataKey.keyIDs(try parameters(
            #"{"DataKeyName":"n","ImportKeyMaterial":"MTIz","ImportType":2,"KeyId":"\#(id)"}"#, of: "ImportDataKey")), [KeyID(id)!])
        // A plaintext import names its CMK only by KeyId.
        XCTAssertThrowsError(try AccessRule.importedDataKey.keyIDs(try parameters(
            #"{"DataKeyName":"n","ImportKeyMaterial":"MTIz","ImportType":2}"#, of: "ImportDataKey"))) {
            XCTAssertEqual(($0 as? KMSError)?.code, .missingParameter)
        }
        let envelope = CiphertextEnvelope(profile: .fips, keyID: KeyID(id)!, materialVersion: 1, nonce: Array(repeating: 1, count: 12),
                                          ciphertext: [1, 2, 3], tag: Array(repeating: 2, count: 16))
        XCTAssertEqual(try AccessRule.importedDataKey.keyIDs(try parameters(
            #"{"DataKeyName":"n","ImportKeyMaterial":"\#(envelope.base64)","ImportType":1}"#, of: "ImportDataKey")), [KeyID(id)!])
        XCTAssertThrowsError(try AccessRule.importedDataKey.keyIDs(try parameters(
            #"{"DataKeyName":"n","ImportKeyMaterial":"bm90IGEgYmxvYg==","ImportType":1}"#, of: "ImportDataKey"))) {
            XCTAssertEqual(($0 as? KMSError)?.code, .invalidImportKeyMaterial)
        }
    }
}
