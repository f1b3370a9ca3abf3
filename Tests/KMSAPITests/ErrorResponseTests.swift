import XCTest
@testable import KMSAPI
import KMSHTTP
import KMSCore

/// The error mapping (SPEC §1): every code a Tencent dotted code with a Chinese and an English
/// default message, and the one response shape an SDK parses.
final class ErrorResponseTests: XCTestCase {
    /// Every code and its Tencent spelling (golden: a change here is a change of the wire contract).
    static let tencentCodes: [KMSError.Code: String] = [
        .authFailureSignatureExpire: "AuthFailure.SignatureExpire", .authFailureSecretIdNotFound: "AuthFailure.SecretIdNotFound",
        .authFailureSignatureFailure: "AuthFailure.SignatureFailure", .authFailureInvalidAuthorization: "AuthFailure.InvalidAuthorization",
        .authFailureTokenFailure: "AuthFailure.TokenFailure", .invalidAction: "InvalidAction", .noSuchVersion: "NoSuchVersion",
        .missingParameter: "MissingParameter", .invalidParameter: "InvalidParameter", .invalidParameterValue: "InvalidParameterValue",
        .unknownParameter: "UnknownParameter", .unsupportedRegion: "UnsupportedRegion", .requestLimitExceeded: "RequestLimitExceeded",
        .internalError: "InternalError", .unsupportedOperation: "UnsupportedOperation",
        .invalidCiphertext: "InvalidParameterValue.InvalidCiphertext", .invalidKeyUsage: "InvalidParameterValue.InvalidKeyUsage",
        .invalidType: "InvalidParameterValue.InvalidType", .invalidAlias: "InvalidParameterValue.InvalidAlias",
        .aliasAlreadyExists: "InvalidParameterValue.AliasAlreadyExists", .invalidPlaintext: "InvalidParameterValue.InvalidPlaintext",
        .invalidImportKeyMaterial: "InvalidParameterValue.InvalidImportKeyMaterial",
        .materialNotMatch: "InvalidParameterValue.MaterialNotMatch",
        .invalidPendingWindowInDays: "InvalidParameter.InvalidPendingWindowInDays",
        .decryptMaterialError: "InvalidParameter.DecryptMaterialError", .invalidKeyId: "InvalidParameterValue.InvalidKeyId",
        .duplicatedKeyId: "InvalidParameterValue.DuplicatedKeyId", .cmkNotFound: "ResourceUnavailable.CmkNotFound",
        .cmkDisabled: "ResourceUnavailable.CmkDisabled", .cmkStateNotSupport: "ResourceUnavailable.CmkStateNotSupport",
        .cmkShouldBeDisabled: "ResourceUnavailable.CmkShouldBeDisabled", .cmkNotPendingDelete: "ResourceUnavailable.CmkNotPendingDelete",
        .keyPendingDelete: "ResourceUnavailable.KeyPendingDelete", .tokenExpired: "ResourceUnavailable.TokenExpired",
        .notExternalCmk: "UnsupportedOperation.NotExternalCmk", .externalCmkCanNotRotate: "UnsupportedOperation.ExternalCmkCanNotRotate",
        .cmkArchived: "ResourceUnavailable.CmkArchived", .rotateNotSupported: "UnsupportedOperation.RotateNotSupported",
        .rotateRateLimited: "RequestLimitExceeded.RotateRateLimited", .limitExceeded: "LimitExceeded",
        // Asymmetric keys, tags and cloud-resource bindings.
        .tagKeysDuplicated: "InvalidParameterValue.TagKeysDuplicated", .tagsNotExisted: "InvalidParameterValue.TagsNotExisted",
        .unsupportedKeyUsageInCurrentRegion: "UnsupportedOperation.UnsupportedKeyUsageInCurrentRegion",
        .decryptError: "FailedOperation.DecryptError", .signError: "FailedOperation.SignError",
        .verifyError: "FailedOperation.VerifyError", .encryptionError: "FailedOperation.EncryptionError",
        .taggingError: "FailedOperation.TaggingError", .cmkUsedByCloudProduct: "FailedOperation.CmkUsedByCloudProduct",
        .cloudResourceBindingNotFound: "ResourceUnavailable.CloudResourceBindingNotFound",
        // KMS-hosted data keys.
        .invalidDataKeyId: "InvalidParameterValue.InvalidDataKeyId", .invalidDataKeyName: "InvalidParameterValue.InvalidDataKeyName",
        .duplicatedDataKeyId: "InvalidParameterValue.DuplicatedDataKeyId",
        .dataKeyNameAlreadyExists: "InvalidParameterValue.DataKeyNameAlreadyExists",
        .invalidHsmClusterId: "InvalidParameterValue.InvalidHsmClusterId", .dataKeyLimitExceeded: "LimitExceeded.DataKeyLimitExceeded",
        .dataKeyNotFound: "ResourceUnavailable.DataKeyNotFound", .dataKeyDisabled: "ResourceUnavailable.DataKeyDisabled",
        .dataKeyPendingDelete: "ResourceUnavailable.DataKeyPendingDelete",
        .dataKeyStateNotSupport: "ResourceUnavailable.DataKeyStateNotSupport",
        .dataKeyNotPendingDelete: "ResourceUnavailable.DataKeyNotPendingDelete",
        .notRoleOperation: "UnsupportedOperation.NotRoleOperation",
        // CAM users, access keys, policies and attachments.
        .camParamError: "InvalidParameter.ParamError", .camUserNameIllegal: "InvalidParameter.UserNameIllegal",
        .camSubUserNameInUse: "InvalidParameter.SubUserNameInUse", .camSubUserFull: "InvalidParameter.SubUserFull",
        .camUserNotExist: "ResourceNotFound.UserNotExist", .camHaveKeys: "OperationDenied.HaveKeys",
        .camAccessKeyOverLimit: "OperationDenied.AccessKeyOverLimit", .camSubUin: "OperationDenied.SubUin",
        .camSecretNotExist: "ResourceNotFound.SecretNotExist", .camAccessKeyFailed: "FailedOperation.Accesskey",
        .camDescriptionLengthOverlimit: "InvalidParameter.DescriptionLengthOverlimit", .camPolicyNameError: "InvalidParameter.PolicyNameError",
        .camPolicyNameInUse: "FailedOperation.PolicyNameInUse", .camPolicyFull: "FailedOperation.PolicyFull",
        .camPolicyIdError: "InvalidParameter.PolicyIdError", .camPolicyIdNotExist: "InvalidParameter.PolicyIdNotExist",
        .camPolicyIdNotFound: "ResourceNotFound.PolicyIdNotFound", .camOperatePoliciesOverLimit: "InvalidParameter.OperatePoliciesOverLimit",
        .camAttachmentFull: "InvalidParameter.AttachmentFull", .camScopeError: "InvalidParameter.ScopeError",
        .camSearchKeywordLengthError: "InvalidParameter.SearchKeywordLengthError", .camInvalidUserNotExist: "InvalidParameter.UserNotExist",
        // CAM refusals.
        .authFailureUnauthorizedOperation: "AuthFailure.UnauthorizedOperation", .unauthorizedOperation: "UnauthorizedOperation",
        // CAM policy documents.
        .policyDocumentError: "InvalidParameter.PolicyDocumentError",
        .policyDocumentLengthOverLimit: "InvalidParameter.PolicyDocumentLengthOverLimit",
        .policyVersionError: "InvalidParameter.VersionError", .policyStatementError: "InvalidParameter.StatementError",
        .policyEffectError: "InvalidParameter.EffectError", .policyActionError: "InvalidParameter.ActionError",
        .policyActionNotExist: "InvalidParameter.ActionNotExist", .policyActionServiceNotExist: "InvalidParameter.ActionServiceNotExist",
        .policyResourceError: "InvalidParameter.ResourceError", .policyResourceQcsError: "InvalidParameter.ResourceQcsError",
        .policyResourceServiceNotExist: "InvalidParameter.ResourceServiceNotExist",
        .policyResourceRegionError: "InvalidParameter.ResourceRegionError", .policyResourceUinError: "InvalidParameter.ResourceUinError",
        .policyResourceContentError: "InvalidParameter.ResourceContentError", .policyConditionError: "InvalidParameter.ConditionError",
        .policyConditionTypeError: "InvalidParameter.ConditionTypeError",
        .policyConditionContentError: "InvalidParameter.ConditionContentError", .policyPrincipalError: "InvalidParameter.PrincipalError",
        .organizationMemberNameUsed: "FailedOperation.OrganizationMemberNameUsed",
        .organizationMemberNotExist: "ResourceNotFound.OrganizationMemberNotExist",
        .organizationNodeNotExist: "ResourceNotFound.OrganizationNodeNotExist",
    ]

    func members(_ value: JSONValue?) -> [String] {
        guard case let .object(members)? = value else { return [] }
        return members.map(\.0)
    }

    func testEveryCodeIsTencentsDottedCodeAndNoTwoShareOne() {
        XCTAssertEqual(Set(KMSError.Code.allCases), Set(Self.tencentCodes.keys))
        for code in KMSError.Code.allCases { XCTAssertEqual(code.rawValue, Self.tencentCodes[code]) }
        XCTAssertEqual(Set(KMSError.Code.allCases.map(\.rawValue)).count, KMSError.Code.allCases.count)
        // Every service's families (a Set: one named twice counts once).
        let families: Set<String> = ["AuthFailure", "OperationDenied", "FailedOperation", "ResourceNotFound", "InvalidAction",
                                     "NoSuchVersion", "MissingParameter", "InvalidParameter",
                                     "InvalidParameterValue", "UnknownParameter", "UnsupportedRegion", "RequestLimitExceeded",
                                     "InternalError", "UnsupportedOperation", "ResourceUnavailable", "LimitExceeded",
                                     "UnauthorizedOperation"]
        for code in KMSError.Code.allCases {
            let parts = code.rawValue.split(separator: ".", omittingEmptySubsequences: false)
            XCTAssertTrue(families.contains(String(parts[0])) && parts.count <= 2, code.rawValue)
            XCTAssertTrue(parts.allSatisfy { $0.first!.isUppercase && $0.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) } }, code.rawValue)
        }
    }

    func testEveryCodeHasAChineseAndAnEnglishDefaultMessage() {
        for code in KMSError.Code.allCases {
            let chinese = code.defaultMessage(english: false), english = code.defaultMessage(english: true)
            XCTAssertTrue(chinese.unicodeScalars.contains { (0x4E00...0x9FFF).contains($0.value) }, code.rawValue)
            XCTAssertTrue(chinese.hasSuffix("。"), code.rawValue)
            XCTAssertTrue(english.unicodeScalars.allSatisfy { $0.isASCII } && english.first!.isUppercase && english.hasSuffix("."), code.rawValue)
            XCTAssertNotEqual(chinese, english)
        }
    }

    func testAnErrorResponseIsExactlyTheTencentShape() {
        let response = Service.errorResponse(KMSError(.cmkNotFound), requestId: "6b1e3c2a-4f5d-4e6a-8b7c-9d0e1f2a3b4c", english: false)
        XCTAssertEqual(response.status, 200)
        XCTAssertEqual(response.contentType, "application/json")
        XCTAssertEqual(String(decoding: response.body, as: UTF8.self),
                       #"{"Response":{"Error":{"Code":"ResourceUnavailable.CmkNotFound","Message":"CMK 不存在。"},"#
                           + #""RequestId":"6b1e3c2a-4f5d-4e6a-8b7c-9d0e1f2a3b4c"}}"#)
        let english = Service.errorResponse(KMSError(.invalidParameter, "The parameter `Limit` must be of type integer."),
                                            requestId: "r", english: true)
        XCTAssertEqual(String(decoding: english.body, as: UTF8.self),
                       #"{"Response":{"Error":{"Code":"InvalidParameter","Message":"The parameter `Limit` must be of type integer."},"RequestId":"r"}}"#)
    }

    func testEveryCodeRendersAsResponseErrorCodeMessageAndRequestIdOnly() throws {
        for code in KMSError.Code.allCases {
            for english in [false, true] {
                let body = Service.errorResponse(KMSError(code, "why \"it\" failed\n"), requestId: "r", english: english).body
                let parsed = try JSONValue.parse(body)
                XCTAssertEqual(members(parsed), ["Response"])
                XCTAssertEqual(members(parsed["Response"]), ["Error", "RequestId"])
                XCTAssertEqual(members(parsed["Response"]?["Error"]), ["Code", "Message"])
                XCTAssertEqual(parsed["Response"]?["Error"]?["Code"], .string(code.rawValue))
                XCTAssertEqual(parsed["Response"]?["RequestId"], "r")
            }
        }
    }

    func testAReasonIsAppendedToTheChineseDefaultAndReplacesTheEnglishOne() {
        func message(_ error: KMSError, english: Bool) throws -> JSONValue? {
            try JSONValue.parse(Service.errorResponse(error, requestId: "r", english: english).body)["Response"]?["Error"]?["Message"]
        }
        let error = KMSError(.invalidParameterValue, "The value of `Limit` must be between 1 and 200.")
        XCTAssertEqual(try message(error, english: false), "参数取值错误。（The value of `Limit` must be between 1 and 200.）")
        XCTAssertEqual(try message(error, english: true), "The value of `Limit` must be between 1 and 200.")
        XCTAssertEqual(try message(KMSError(.cmkDisabled), english: false), "CMK 已被禁用。")
        XCTAssertEqual(try message(KMSError(.cmkDisabled), english: true), "The CMK is disabled.")
    }

    func testAnInternalErrorNeverCarriesItsReason() throws {
        let error = KMSError(.internalError, "libpq: could not connect to server at /var/run/postgresql; key 3f9a")
        for english in [false, true] {
            let body = Service.errorResponse(error, requestId: "r", english: english).body
            XCTAssertEqual(try JSONValue.parse(body)["Response"]?["Error"]?["Message"],
                           .string(KMSError.Code.internalError.defaultMessage(english: english)))
            let text = String(decoding: body, as: UTF8.self)
            for leak in ["libpq", "postgresql", "3f9a"] { XCTAssertFalse(text.contains(leak), leak) }
        }
    }

    func testTheLanguageComesFromTheHeaderOrTheLanguageParameterAndDefaultsToChinese() {
        func prefersEnglish(_ parameters: [String: String], body: String = "") -> Bool {
            APIRequest.prefersEnglish(HTTPRequest(parameters: parameters, body: Array(body.utf8)))
        }
        XCTAssertFalse(prefersEnglish(["REQUEST_METHOD": "POST"]))
        XCTAssertTrue(prefersEnglish(["HTTP_X_TC_LANGUAGE": "en-US"]))
        XCTAssertFalse(prefersEnglish(["HTTP_X_TC_LANGUAGE": "zh-CN", "QUERY_STRING": "Language=en-US"]), "the header wins")
        XCTAssertTrue(prefersEnglish(["QUERY_STRING": "Action=ListKeys&Language=en-US"]))
        XCTAssertTrue(prefersEnglish(["CONTENT_TYPE": "application/x-www-form-urlencoded"], body: "Action=ListKeys&Language=en-US"))
        XCTAssertFalse(prefersEnglish(["CONTENT_TYPE": "application/json"], body: #"{"Language":"en-US"}"#))
    }
}
