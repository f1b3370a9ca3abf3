import XCTest
@testable import KMSAPI
import KMSCore

/// The action table: which actions exist, that each is a Tencent SDK action, which change state,
/// and that each declares exactly the parameters of the SDK's request model. KMS's actions only:
/// each other service has its own golden table (`OrganizationActionTableTests`).
final class ActionTableTests: XCTestCase {
    /// The KMS actions of the table.
    static var kms: [String: ActionSpec] { ActionTable.all.filter { $0.value.service == .kms } }

    /// Every action this service answers (golden: adding one is a deliberate change here too).
    static let implemented = [
        "ArchiveKey", "AsymmetricRsaDecrypt", "AsymmetricSm2Decrypt", "BindCloudResource", "CancelKeyArchive", "CancelKeyDeletion",
        "CreateKey", "Decrypt", "DeleteImportedKeyMaterial", "DescribeKey", "DescribeKeys", "DisableKey", "DisableKeyRotation",
        "DisableKeys", "EnableKey", "EnableKeyRotation", "EnableKeys", "Encrypt", "GenerateDataKey", "GenerateRandom",
        "GetKeyRotationStatus", "GetParametersForImport", "GetPublicKey", "GetRegions", "GetServiceStatus", "ImportKeyMaterial",
        "ListAlgorithms", "ListKeyDetail", "ListKeys", "ReEncrypt", "RotateKey", "ScheduleKeyDeletion", "SignByAsymmetricKey",
        "UnbindCloudResource", "UpdateAlias", "UpdateKeyDescription", "VerifyByAsymmetricKey",
        // KMS-hosted data keys (GenerateDataKey with IsHostedByKms=1 above).
        "CancelDataKeyDeletion", "DescribeDataKey", "DescribeDataKeys", "DisableDataKey", "DisableDataKeys", "EnableDataKey",
        "EnableDataKeys", "GetDataKeyCiphertextBlob", "GetDataKeyPlaintext", "ImportDataKey", "ListDataKeyDetail", "ListDataKeys",
        "ScheduleDataKeyDeletion", "UpdateDataKeyDescription", "UpdateDataKeyName",
    ].sorted()

    /// The action methods of `KmsClient` in tencentcloud-sdk-python 3.1.192
    /// (`tencentcloud/kms/v20190118/kms_client.py`), listed once with
    /// `re.findall(r'^    def ([A-Z]\w*)\(self', source, re.M)`.
    static let sdkActions: Set<String> = [
        "ArchiveKey", "AsymmetricRsaDecrypt", "AsymmetricSm2Decrypt", "BindCloudResource", "CancelDataKeyDeletion",
        "CancelKeyArchive", "CancelKeyDeletion", "CreateKey", "CreateWhiteBoxKey", "Decrypt", "DeleteImportedKeyMaterial",
        "DeleteWhiteBoxKey", "DescribeDataKey", "DescribeDataKeys", "DescribeKey", "DescribeKeys", "DescribeWhiteBoxDecryptKey",
        "DescribeWhiteBoxDeviceFingerprints", "DescribeWhiteBoxKey", "DescribeWhiteBoxKeyDetails", "DescribeWhiteBoxServiceStatus",
        "DisableDataKey", "DisableDataKeys", "DisableKey", "DisableKeyRotation", "DisableKeys", "DisableWhiteBoxKey",
        "DisableWhiteBoxKeys", "EnableDataKey", "EnableDataKeys", "EnableKey", "EnableKeyRotation", "EnableKeys",
        "EnableWhiteBoxKey", "EnableWhiteBoxKeys", "Encrypt", "EncryptByWhiteBox", "GenerateDataKey", "GenerateRandom",
        "GetDataKeyCiphertextBlob", "GetDataKeyPlaintext", "GetKeyRotationStatus", "GetParametersForImport", "GetPublicKey",
        "GetRegions", "GetServiceStatus", "ImportDataKey", "ImportKeyMaterial", "ListAlgorithms", "ListDataKeyDetail",
        "ListDataKeys", "ListKeyDetail", "ListKeys", "OverwriteWhiteBoxDeviceFingerprints", "PostQuantumCryptoDecrypt",
        "PostQuantumCryptoEncrypt", "PostQuantumCryptoSign", "PostQuantumCryptoVerify", "ReEncrypt", "RotateKey",
        "ScheduleDataKeyDeletion", "ScheduleKeyDeletion", "SignByAsymmetricKey", "UnbindCloudResource", "UpdateAlias",
        "UpdateDataKeyDescription", "UpdateDataKeyName", "UpdateKeyDescription", "VerifyByAsymmetricKey",
    ]

    /// The actions that change stored state: they write their audit record in the change's transaction.
    static let mutating: Set<String> = [
        "CreateKey", "UpdateAlias", "UpdateKeyDescription", "EnableKey", "DisableKey", "EnableKeys", "DisableKeys",
        "ScheduleKeyDeletion", "CancelKeyDeletion", "ArchiveKey", "CancelKeyArchive", "EnableKeyRotation",
        "DisableKeyRotation", "RotateKey", "GetParametersForImport", "ImportKeyMaterial", "DeleteImportedKeyMaterial",
        "BindCloudResource", "UnbindCloudResource",
        // GenerateDataKey stores the data key when IsHostedByKms=1 (and only reads otherwise).
        "GenerateDataKey", "ImportDataKey", "UpdateDataKeyName", "UpdateDataKeyDescription", "EnableDataKey", "EnableDataKeys",
        "DisableDataKey", "DisableDataKeys", "ScheduleDataKeyDeletion", "CancelDataKeyDeletion",
    ]

    func testTheTableHoldsExactlyTheImplementedActionsEachUnderItsOwnName() {
        XCTAssertEqual(ActionTable.names(of: .kms), Self.implemented)
        for (name, spec) in Self.kms { XCTAssertEqual(spec.name, name) }
    }

    func testEveryActionIsAnActionOfTencentsSDK() {
        XCTAssertEqual(Self.sdkActions.count, 69)
        XCTAssertEqual(Set(ActionTable.names(of: .kms)).subtracting(Self.sdkActions), [])
    }

    func testExactlyTheStateChangingActionsAreMarkedMutating() {
        XCTAssertEqual(Set(Self.kms.values.filter(\.mutates).map(\.name)), Self.mutating)
        // What only reads (or computes without storing) never writes its audit record in a transaction.
        for readOnly in ["Encrypt", "Decrypt", "ReEncrypt", "GenerateRandom", "DescribeKey", "DescribeKeys",
                         "ListKeys", "ListKeyDetail", "GetKeyRotationStatus", "GetServiceStatus", "ListAlgorithms", "GetRegions",
                         "DescribeDataKey", "DescribeDataKeys", "ListDataKeys", "ListDataKeyDetail", "GetDataKeyPlaintext",
                         "GetDataKeyCiphertextBlob"] {
            XCTAssertEqual(ActionTable.all[readOnly]?.mutates, false, readOnly)
        }
    }

    /// Each implemented action's request fields and types in tencentcloud-sdk-python 3.1.192's
    /// `kms/v20190118/models.py` (`<Action>Request`), generated once from the `:type` lines of
    /// each `__init__`: str → string, int → integer, list of str → stringArray, list of a model →
    /// objectArray, a model → object.
    static let sdkRequestFields: [String: [String: ParameterType]] = [
        "ArchiveKey": ["KeyId": .string, "MemberAccount": .object],
        "BindCloudResource": ["KeyId": .string, "ProductId": .string, "ResourceId": .string],
        "CancelKeyArchive": ["KeyId": .string, "MemberAccount": .object],
        "CancelKeyDeletion": ["KeyId": .string, "MemberAccount": .object],
        "CreateKey": ["Alias": .string, "Description": .string, "HsmClusterId": .string, "KeyUsage": .string, "Tags": .objectArray, "Type": .integer],
        "Decrypt": ["CiphertextBlob": .string, "EncryptionAlgorithm": .string, "EncryptionContext": .string, "EncryptionPublicKey": .string],
        "DeleteImportedKeyMaterial": ["KeyId": .string],
        "DescribeKey": ["KeyId": .string, "MemberAccount": .object],
        "DescribeKeys": ["KeyIds": .stringArray, "MemberAccount": .object],
        "DisableKey": ["KeyId": .string, "MemberAccount": .object],
        "DisableKeyRotation": ["KeyId": .string, "MemberAccount": .object],
        "DisableKeys": ["KeyIds": .stringArray, "MemberAccount": .object],
        "EnableKey": ["KeyId": .string, "MemberAccount": .object],
        "EnableKeyRotation": ["KeyId": .string, "MemberAccount": .object, "RotateDays": .integer],
        "EnableKeys": ["KeyIds": .stringArray, "MemberAccount": .object],
        "Encrypt": ["EncryptionContext": .string, "KeyId": .string, "Plaintext": .string],
        "GenerateDataKey": ["DataKeyName": .string, "Description": .string, "EncryptionAlgorithm": .string, "EncryptionContext": .string,
                            "EncryptionPublicKey": .string, "HsmClusterId": .string, "IsHostedByKms": .integer, "KeyId": .string,
                            "KeySpec": .string, "NumberOfBytes": .integer, "Tags": .objectArray],
        "GenerateRandom": ["NumberOfBytes": .integer],
        "GetKeyRotationStatus": ["KeyId": .string, "MemberAccount": .object],
        "GetParametersForImport": ["KeyId": .string, "WrappingAlgorithm": .string, "WrappingKeySpec": .string],
        "GetRegions": [:],
        "GetServiceStatus": [:],
        "ImportKeyMaterial": ["EncryptedKeyMaterial": .string, "ImportToken": .string, "KeyId": .string, "ValidTo": .integer],
        "ListAlgorithms": [:],
        "ListKeyDetail": ["HsmClusterId": .string, "KeyState": .integer, "KeyUsage": .string, "Limit": .integer, "MemberAccounts": .objectArray,
                          "Offset": .integer, "OrderType": .integer, "Origin": .string, "Role": .integer, "SearchKeyAlias": .string,
                          "TagFilters": .objectArray],
        "ListKeys": ["HsmClusterId": .string, "Limit": .integer, "Offset": .integer, "Role": .integer],
        "ReEncrypt": ["CiphertextBlob": .string, "DestinationEncryptionContext": .string, "DestinationKeyId": .string,
                      "SourceEncryptionContext": .string],
        "RotateKey": ["KeyId": .string, "MemberAccount": .object],
        "GetPublicKey": ["KeyId": .string],
        "AsymmetricRsaDecrypt": ["KeyId": .string, "Ciphertext": .string, "Algorithm": .string],
        "AsymmetricSm2Decrypt": ["KeyId": .string, "Ciphertext": .string],
        "SignByAsymmetricKey": ["Algorithm": .string, "Message": .string, "KeyId": .string, "MessageType": .string],
        "VerifyByAsymmetricKey": ["KeyId": .string, "SignatureValue": .string, "Message": .string, "Algorithm": .string,
                                  "MessageType": .string],
        "ScheduleKeyDeletion": ["KeyId": .string, "MemberAccount": .object, "PendingWindowInDays": .integer],
        "UnbindCloudResource": ["KeyId": .string, "ProductId": .string, "ResourceId": .string],
        "UpdateAlias": ["Alias": .string, "KeyId": .string, "MemberAccount": .object],
        "UpdateKeyDescription": ["Description": .string, "KeyId": .string, "MemberAccount": .object],
        // KMS-hosted data keys, from tencentcloud-sdk-python 3.1.193's models (the `:type` lines of each Request).
        "CancelDataKeyDeletion": ["DataKeyId": .string, "MemberAccount": .object],
        "DescribeDataKey": ["DataKeyId": .string, "MemberAccount": .object],
        "DescribeDataKeys": ["DataKeyIds": .stringArray, "MemberAccount": .object],
        "DisableDataKey": ["DataKeyId": .string, "MemberAccount": .object],
        "DisableDataKeys": ["DataKeyIds": .stringArray, "MemberAccount": .object],
        "EnableDataKey": ["DataKeyId": .string, "MemberAccount": .object],
        "EnableDataKeys": ["DataKeyIds": .stringArray, "MemberAccount": .object],
        "GetDataKeyCiphertextBlob": ["DataKeyId": .string, "MemberAccount": .object],
        "GetDataKeyPlaintext": ["DataKeyId": .string, "EncryptionAlgorithm": .string, "EncryptionPublicKey": .string],
        "ImportDataKey": ["DataKeyName": .string, "Description": .string, "HsmClusterId": .string, "ImportKeyMaterial": .string, "ImportType": .integer, "KeyId": .string, "Tags": .objectArray],
        "ListDataKeyDetail": ["DataKeyLen": .integer, "HsmClusterId": .string, "KeyId": .string, "KeyState": .integer, "Limit": .integer, "MemberAccounts": .objectArray, "Offset": .integer, "OrderType": .integer, "Origin": .string, "Role": .integer, "SearchKeyAlias": .string, "TagFilters": .objectArray],
        "ListDataKeys": ["HsmClusterId": .string, "Limit": .integer, "Offset": .integer, "Role": .integer],
        "ScheduleDataKeyDeletion": ["DataKeyId": .string, "MemberAccount": .object, "PendingWindowInDays": .integer],
        "UpdateDataKeyDescription": ["DataKeyId": .string, "Description": .string, "MemberAccount": .object],
        "UpdateDataKeyName": ["DataKeyId": .string, "DataKeyName": .string, "MemberAccount": .object],
    ]

    /// The parameters Tencent's API reference marks required, per action.
    static let required: [String: Set<String>] = [
        "ArchiveKey": ["KeyId"], "BindCloudResource": ["KeyId", "ProductId", "ResourceId"], "CancelKeyArchive": ["KeyId"], "CancelKeyDeletion": ["KeyId"], "CreateKey": ["Alias"],
        "Decrypt": ["CiphertextBlob"], "DeleteImportedKeyMaterial": ["KeyId"], "DescribeKey": ["KeyId"], "DescribeKeys": ["KeyIds"],
        "DisableKey": ["KeyId"], "DisableKeyRotation": ["KeyId"], "DisableKeys": ["KeyIds"], "EnableKey": ["KeyId"],
        "EnableKeyRotation": ["KeyId"], "EnableKeys": ["KeyIds"], "Encrypt": ["KeyId", "Plaintext"], "GenerateDataKey": ["KeyId"],
        "GenerateRandom": ["NumberOfBytes"], "GetKeyRotationStatus": ["KeyId"],
        "GetParametersForImport": ["KeyId", "WrappingAlgorithm", "WrappingKeySpec"], "GetRegions": [], "GetServiceStatus": [],
        "ImportKeyMaterial": ["EncryptedKeyMaterial", "ImportToken", "KeyId"], "ListAlgorithms": [], "ListKeyDetail": [],
        "ListKeys": [], "ReEncrypt": ["CiphertextBlob"], "RotateKey": ["KeyId"], "ScheduleKeyDeletion": ["KeyId", "PendingWindowInDays"],
        "UnbindCloudResource": ["KeyId", "ProductId", "ResourceId"],
        "UpdateAlias": ["Alias", "KeyId"], "UpdateKeyDescription": ["Description", "KeyId"],
        "GetPublicKey": ["KeyId"], "AsymmetricRsaDecrypt": ["KeyId", "Ciphertext", "Algorithm"],
        "AsymmetricSm2Decrypt": ["KeyId", "Ciphertext"], "SignByAsymmetricKey": ["Algorithm", "Message", "KeyId"],
        "VerifyByAsymmetricKey": ["KeyId", "SignatureValue", "Message", "Algorithm"],
        "CancelDataKeyDeletion": ["DataKeyId"], "DescribeDataKey": ["DataKeyId"], "DescribeDataKeys": ["DataKeyIds"], "DisableDataKey": ["DataKeyId"], "DisableDataKeys": ["DataKeyIds"], "EnableDataKey": ["DataKeyId"], "EnableDataKeys": ["DataKeyIds"], "GetDataKeyCiphertextBlob": ["DataKeyId"], "GetDataKeyPlaintext": ["DataKeyId"], "ImportDataKey": ["DataKeyName", "ImportKeyMaterial", "ImportType"], "ListDataKeyDetail": [], "ListDataKeys": [], "ScheduleDataKeyDeletion": ["DataKeyId", "PendingWindowInDays"], "UpdateDataKeyDescription": ["DataKeyId", "Description"], "UpdateDataKeyName": ["DataKeyId", "DataKeyName"],
    ]

    func testEveryActionDeclaresEachSDKRequestFieldOnceWithItsSDKType() {
        XCTAssertEqual(Set(Self.sdkRequestFields.keys), Set(Self.implemented))
        for (name, spec) in Self.kms {
            let names = spec.parameters.map(\.name)
            XCTAssertEqual(names.count, Set(names).count, "\(name) declares a parameter twice")
            let declared = Dictionary(spec.parameters.map { ($0.name, $0.type) }, uniquingKeysWith: { first, _ in first })
            XCTAssertEqual(declared, Self.sdkRequestFields[name], name)
        }
    }

    func testRequiredParametersAreTencentsAndNeverUnsupported() {
        for (name, spec) in Self.kms {
            XCTAssertEqual(Set(spec.parameters.filter(\.required).map(\.name)), Self.required[name], name)
            for parameter in spec.parameters {
                XCTAssertFalse(parameter.required && parameter.unsupported, "\(name).\(parameter.name)")
            }
        }
    }
}
