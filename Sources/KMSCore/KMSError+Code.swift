/// The Tencent Cloud error codes this service answers with, and their default messages.
/// This table is the only place a dotted code is spelled.
extension KMSError {
    public enum Code: String, CaseIterable, Sendable {
        // Common errors.
        case authFailureSignatureExpire = "AuthFailure.SignatureExpire"
        case authFailureSecretIdNotFound = "AuthFailure.SecretIdNotFound"
        case authFailureSignatureFailure = "AuthFailure.SignatureFailure"
        case authFailureInvalidAuthorization = "AuthFailure.InvalidAuthorization"
        case authFailureTokenFailure = "AuthFailure.TokenFailure"
        /// A CAM or Organization action the caller's policies do not allow.
        case authFailureUnauthorizedOperation = "AuthFailure.UnauthorizedOperation"
        /// A KMS action the caller's policies do not allow (KMS's own code for a CAM refusal).
        case unauthorizedOperation = "UnauthorizedOperation"
        case invalidAction = "InvalidAction"
        case noSuchVersion = "NoSuchVersion"
        case missingParameter = "MissingParameter"
        case invalidParameter = "InvalidParameter"
        case invalidParameterValue = "InvalidParameterValue"
        case unknownParameter = "UnknownParameter"
        case unsupportedRegion = "UnsupportedRegion"
        case requestLimitExceeded = "RequestLimitExceeded"
        case internalError = "InternalError"
        case unsupportedOperation = "UnsupportedOperation"

        // Parameter errors specific to KMS.
        case invalidCiphertext = "InvalidParameterValue.InvalidCiphertext"
        case invalidKeyUsage = "InvalidParameterValue.InvalidKeyUsage"
        case invalidType = "InvalidParameterValue.InvalidType"
        case invalidAlias = "InvalidParameterValue.InvalidAlias"
        case aliasAlreadyExists = "InvalidParameterValue.AliasAlreadyExists"
        case invalidPlaintext = "InvalidParameterValue.InvalidPlaintext"
        case invalidImportKeyMaterial = "InvalidParameterValue.InvalidImportKeyMaterial"
        case materialNotMatch = "InvalidParameterValue.MaterialNotMatch"
        case invalidPendingWindowInDays = "InvalidParameter.InvalidPendingWindowInDays"
        case decryptMaterialError = "InvalidParameter.DecryptMaterialError"
        case invalidKeyId = "InvalidParameterValue.InvalidKeyId"
        case duplicatedKeyId = "InvalidParameterValue.DuplicatedKeyId"
        case tagKeysDuplicated = "InvalidParameterValue.TagKeysDuplicated"
        case tagsNotExisted = "InvalidParameterValue.TagsNotExisted"

        // CAM policy documents (KMSAccess.PolicyDocument), as CAM 2019-01-16 CreatePolicy spells them.
        case policyDocumentError = "InvalidParameter.PolicyDocumentError"
        case policyDocumentLengthOverLimit = "InvalidParameter.PolicyDocumentLengthOverLimit"
        case policyVersionError = "InvalidParameter.VersionError"
        case policyStatementError = "InvalidParameter.StatementError"
        case policyEffectError = "InvalidParameter.EffectError"
        case policyActionError = "InvalidParameter.ActionError"
        case policyActionNotExist = "InvalidParameter.ActionNotExist"
        case policyActionServiceNotExist = "InvalidParameter.ActionServiceNotExist"
        case policyResourceError = "InvalidParameter.ResourceError"
        case policyResourceQcsError = "InvalidParameter.ResourceQcsError"
        case policyResourceServiceNotExist = "InvalidParameter.ResourceServiceNotExist"
        case policyResourceRegionError = "InvalidParameter.ResourceRegionError"
        case policyResourceUinError = "InvalidParameter.ResourceUinError"
        case policyResourceContentError = "InvalidParameter.ResourceContentError"
        case policyConditionError = "InvalidParameter.ConditionError"
        case policyConditionTypeError = "InvalidParameter.ConditionTypeError"
        case policyConditionContentError = "InvalidParameter.ConditionContentError"
        case policyPrincipalError = "InvalidParameter.PrincipalError"

        // Resource state errors.
        case cmkNotFound = "ResourceUnavailable.CmkNotFound"
        case cmkDisabled = "ResourceUnavailable.CmkDisabled"
        case cmkStateNotSupport = "ResourceUnavailable.CmkStateNotSupport"
        case cmkShouldBeDisabled = "ResourceUnavailable.CmkShouldBeDisabled"
        case cmkNotPendingDelete = "ResourceUnavailable.CmkNotPendingDelete"
        case keyPendingDelete = "ResourceUnavailable.KeyPendingDelete"
        case tokenExpired = "ResourceUnavailable.TokenExpired"
        case notExternalCmk = "UnsupportedOperation.NotExternalCmk"
        case externalCmkCanNotRotate = "UnsupportedOperation.ExternalCmkCanNotRotate"
        case cmkArchived = "ResourceUnavailable.CmkArchived"
        case rotateNotSupported = "UnsupportedOperation.RotateNotSupported"
        case rotateRateLimited = "RequestLimitExceeded.RotateRateLimited"
        case limitExceeded = "LimitExceeded"

        // Asymmetric keys, tags and cloud-resource bindings (SPEC §9).
        case unsupportedKeyUsageInCurrentRegion = "UnsupportedOperation.UnsupportedKeyUsageInCurrentRegion"
        case decryptError = "FailedOperation.DecryptError"
        case signError = "FailedOperation.SignError"
        case verifyError = "FailedOperation.VerifyError"
        case encryptionError = "FailedOperation.EncryptionError"
        case taggingError = "FailedOperation.TaggingError"
        case cmkUsedByCloudProduct = "FailedOperation.CmkUsedByCloudProduct"
        case cloudResourceBindingNotFound = "ResourceUnavailable.CloudResourceBindingNotFound"

        // KMS-hosted data keys (SPEC §10, docs/DATA_KEYS.md).
        case invalidDataKeyId = "InvalidParameterValue.InvalidDataKeyId"
        case invalidDataKeyName = "InvalidParameterValue.InvalidDataKeyName"
        case duplicatedDataKeyId = "InvalidParameterValue.DuplicatedDataKeyId"
        case dataKeyNameAlreadyExists = "InvalidParameterValue.DataKeyNameAlreadyExists"
        case invalidHsmClusterId = "InvalidParameterValue.InvalidHsmClusterId"
        case dataKeyLimitExceeded = "LimitExceeded.DataKeyLimitExceeded"
        case dataKeyNotFound = "ResourceUnavailable.DataKeyNotFound"
        case dataKeyDisabled = "ResourceUnavailable.DataKeyDisabled"
        case dataKeyPendingDelete = "ResourceUnavailable.DataKeyPendingDelete"
        case dataKeyStateNotSupport = "ResourceUnavailable.DataKeyStateNotSupport"
        case dataKeyNotPendingDelete = "ResourceUnavailable.DataKeyNotPendingDelete"
        /// MemberAccount(s) from a caller who is no trusted service's admin (every caller here).
        case notRoleOperation = "UnsupportedOperation.NotRoleOperation"

        // CAM users, access keys, policies and attachments.
        case camParamError = "InvalidParameter.ParamError"
        case camUserNameIllegal = "InvalidParameter.UserNameIllegal"
        case camSubUserNameInUse = "InvalidParameter.SubUserNameInUse"
        case camSubUserFull = "InvalidParameter.SubUserFull"
        case camUserNotExist = "ResourceNotFound.UserNotExist"
        case camHaveKeys = "OperationDenied.HaveKeys"
        case camAccessKeyOverLimit = "OperationDenied.AccessKeyOverLimit"
        case camSubUin = "OperationDenied.SubUin"
        case camSecretNotExist = "ResourceNotFound.SecretNotExist"
        case camAccessKeyFailed = "FailedOperation.Accesskey"
        case camDescriptionLengthOverlimit = "InvalidParameter.DescriptionLengthOverlimit"
        case camPolicyNameError = "InvalidParameter.PolicyNameError"
        case camPolicyNameInUse = "FailedOperation.PolicyNameInUse"
        case camPolicyFull = "FailedOperation.PolicyFull"
        case camPolicyIdError = "InvalidParameter.PolicyIdError"
        case camPolicyIdNotExist = "InvalidParameter.PolicyIdNotExist"
        case camPolicyIdNotFound = "ResourceNotFound.PolicyIdNotFound"
        case camOperatePoliciesOverLimit = "InvalidParameter.OperatePoliciesOverLimit"
        case camAttachmentFull = "InvalidParameter.AttachmentFull"
        case camScopeError = "InvalidParameter.ScopeError"
        case camSearchKeywordLengthError = "InvalidParameter.SearchKeywordLengthError"
        case camInvalidUserNotExist = "InvalidParameter.UserNotExist"

        // Organization (tenant accounts).
        /// CreateOrganizationMember: another account already has this name.
        case organizationMemberNameUsed = "FailedOperation.OrganizationMemberNameUsed"
        /// A MemberUin that names no tenant account.
        case organizationMemberNotExist = "ResourceNotFound.OrganizationMemberNotExist"
        /// A NodeId other than the organization's one (root) node.
        case organizationNodeNotExist = "ResourceNotFound.OrganizationNodeNotExist"
    }
}

extension KMSError.Code {
    /// The message shown when a handler gives no reason of its own.
    public func defaultMessage(english: Bool) -> String {
        switch self {
        case .authFailureSignatureExpire:
            return english ? "The request signature has expired: the timestamp is more than 300 seconds from server time." : "签名过期，Timestamp 与服务器时间相差超过 300 秒。"
        case .authFailureSecretIdNotFound:
            return english ? "The SecretId is not found or is disabled." : "密钥不存在或已被禁用。"
        case .authFailureSignatureFailure:
            return english ? "The request signature does not match." : "签名错误。"
        case .authFailureInvalidAuthorization:
            return english ? "The Authorization header is malformed." : "请求头部的 Authorization 不符合腾讯云标准。"
        case .authFailureTokenFailure:
            return english ? "The token is invalid." : "Token 错误。"
        case .authFailureUnauthorizedOperation:
            return english ? "The request is not authorized: see the CAM policies of the caller." : "请求未授权。请参考 CAM 文档对鉴权的说明。"
        case .unauthorizedOperation:
            return english ? "The operation is not authorized." : "未授权操作。"
        case .invalidAction:
            return english ? "The action does not exist." : "接口不存在。"
        case .noSuchVersion:
            return english ? "The API version does not exist." : "接口版本不存在。"
        case .missingParameter:
            return english ? "A required parameter is missing." : "缺少参数。"
        case .invalidParameter:
            return english ? "A parameter is invalid." : "参数错误。"
        case .invalidParameterValue:
            return english ? "A parameter value is invalid." : "参数取值错误。"
        case .unknownParameter:
            return english ? "An unknown parameter was given." : "未知参数错误。"
        case .unsupportedRegion:
            return english ? "The region is not supported." : "接口不支持所传地域。"
        case .requestLimitExceeded:
            return english ? "Too many requests." : "请求的次数超过了频率限制。"
        case .internalError:
            return english ? "An internal error occurred." : "内部错误。"
        case .unsupportedOperation:
            return english ? "The operation is not supported." : "操作不支持。"
        case .invalidCiphertext:
            return english ? "The ciphertext is invalid." : "密文格式错误。"
        case .invalidKeyUsage:
            return english ? "The KeyUsage is invalid." : "KeyUsage 参数错误。"
        case .invalidType:
            return english ? "The Type is invalid." : "Type 参数错误。"
        case .invalidAlias:
            return english ? "The alias is invalid." : "别名格式错误。"
        case .aliasAlreadyExists:
            return english ? "The alias already exists." : "别名已经存在。"
        case .invalidPlaintext:
            return english ? "The plaintext is invalid." : "明文不合法。"
        case .invalidImportKeyMaterial:
            return english ? "The imported key material is invalid." : "导入的密钥材料不合法。"
        case .materialNotMatch:
            return english ? "The key material does not match the material previously imported into this key." : "导入的密钥材料与之前导入的不一致。"
        case .invalidPendingWindowInDays:
            return english ? "PendingWindowInDays must be between 7 and 30." : "PendingWindowInDays 取值须在 7 到 30 之间。"
        case .decryptMaterialError:
            return english ? "The encrypted key material could not be decrypted." : "解密密钥材料失败。"
        case .invalidKeyId:
            return english ? "The KeyId is not a valid key id." : "KeyId 格式错误。"
        case .duplicatedKeyId:
            return english ? "The same KeyId is given more than once." : "KeyId 重复。"
        case .tagKeysDuplicated:
            return english ? "The same TagKey is given more than once." : "标签键重复。"
        case .tagsNotExisted:
            return english ? "The tag does not exist." : "标签不存在。"
        case .unsupportedKeyUsageInCurrentRegion:
            return english ? "This region does not offer keys of that KeyUsage." : "当前地域不支持该密钥用途。"
        case .decryptError:
            return english ? "The ciphertext could not be decrypted with this key and algorithm." : "解密失败。"
        case .signError:
            return english ? "The message could not be signed." : "签名失败。"
        case .verifyError:
            return english ? "The signature could not be verified." : "验签失败。"
        case .encryptionError:
            return english ? "The plaintext could not be encrypted." : "加密失败。"
        case .taggingError:
            return english ? "The tags could not be applied." : "标签操作失败。"
        case .cmkUsedByCloudProduct:
            return english ? "The CMK is bound to a cloud resource: unbind it first." : "CMK 已被云产品绑定使用，请先解绑。"
        case .cloudResourceBindingNotFound:
            return english ? "The key is not bound to that cloud resource." : "云资源绑定关系不存在。"
        case .policyDocumentError:
            return english ? "The policy document is not a valid policy." : "策略文档不合法。"
        case .policyDocumentLengthOverLimit:
            return english ? "The policy document is longer than 6144 characters." : "策略文档超过长度限制。"
        case .policyVersionError:
            return english ? "The policy's version must be \"2.0\"." : "策略文档的 version 字段不合法。"
        case .policyStatementError:
            return english ? "The policy's statement is invalid." : "策略文档的 statement 字段不合法。"
        case .policyEffectError:
            return english ? "A statement's effect must be allow or deny." : "策略文档的 effect 字段不合法。"
        case .policyActionError:
            return english ? "A statement's action is malformed." : "策略文档的 action 字段不合法。"
        case .policyActionNotExist:
            return english ? "A statement names an action that does not exist." : "策略语法中操作不存在。"
        case .policyActionServiceNotExist:
            return english ? "A statement names an action of a service that does not exist." : "策略语法中操作服务不存在。"
        case .policyResourceError:
            return english ? "A statement's resource is malformed." : "策略文档的 resource 字段不合法。"
        case .policyResourceQcsError:
            return english ? "A resource must start with qcs." : "资源 QCS 错误。"
        case .policyResourceServiceNotExist:
            return english ? "A resource names a service that does not exist." : "策略语法中资源服务不存在。"
        case .policyResourceRegionError:
            return english ? "A resource's region is invalid." : "策略语法中资源地域不正确。"
        case .policyResourceUinError:
            return english ? "A resource's account must be uin/<OwnerUin>." : "策略语法中资源所属主账号不正确。"
        case .policyResourceContentError:
            return english ? "A resource's last segment is invalid for its service." : "策略语法中资源内容不正确。"
        case .policyConditionError:
            return english ? "A statement's condition is malformed." : "策略文档的 condition 字段不合法。"
        case .policyConditionTypeError:
            return english ? "A condition names an unsupported operator." : "策略语法中条件操作符不正确。"
        case .policyConditionContentError:
            return english ? "A condition names an unsupported key or an invalid value." : "策略语法中条件内容不正确。"
        case .policyPrincipalError:
            return english ? "An identity policy may not name a principal." : "策略文档的 principal 字段不合法。"
        case .cmkArchived:
            return english ? "The CMK is archived." : "CMK 已被归档。"
        case .rotateNotSupported:
            return english ? "Key rotation is not enabled for this CMK." : "CMK 未开启密钥轮换，不支持该操作。"
        case .rotateRateLimited:
            return english ? "The CMK was rotated less than 24 hours ago." : "24 小时内只能轮换一次密钥。"
        case .cmkNotFound:
            return english ? "The CMK does not exist." : "CMK 不存在。"
        case .cmkDisabled:
            return english ? "The CMK is disabled." : "CMK 已被禁用。"
        case .cmkStateNotSupport:
            return english ? "The CMK's state does not support this operation." : "CMK 当前状态不支持该操作。"
        case .cmkShouldBeDisabled:
            return english ? "The CMK must be disabled first." : "CMK 只有在被禁用状态下才能执行该操作。"
        case .cmkNotPendingDelete:
            return english ? "The CMK is not pending deletion." : "CMK 不处于计划删除状态。"
        case .keyPendingDelete:
            return english ? "The CMK is pending deletion." : "CMK 处于计划删除状态。"
        case .tokenExpired:
            return english ? "The import token has expired." : "导入令牌已过期。"
        case .notExternalCmk:
            return english ? "The CMK is not an EXTERNAL key." : "CMK 不是外部导入类型。"
        case .externalCmkCanNotRotate:
            return english ? "EXTERNAL CMKs cannot be rotated." : "外部导入类型的 CMK 不支持轮换。"
        case .camParamError:
            return english ? "A parameter is invalid." : "非法入参。"
        case .camUserNameIllegal:
            return english ? "The user name is invalid: 1 to 64 characters of letters, digits and +=,.@_-." : "用户名不合法。"
        case .camSubUserNameInUse:
            return english ? "A sub-user of this name already exists." : "子用户名称重复。"
        case .camSubUserFull:
            return english ? "The account has the maximum number of sub-users." : "子账号数量达到上限。"
        case .camUserNotExist:
            return english ? "The user does not exist." : "用户不存在。"
        case .camHaveKeys:
            return english ? "The user still has access keys: delete them first, or pass Force=1." : "存在未删除的API密钥。"
        case .camAccessKeyOverLimit:
            return english ? "A user may have at most two access keys." : "每个账号最多支持两个AccessKey。"
        case .camSubUin:
            return english ? "A sub-user may not manage the root account's access keys." : "子用户不允许操作主账号密钥。"
        case .camSecretNotExist:
            return english ? "The access key does not exist." : "密钥不存在。"
        case .camAccessKeyFailed:
            return english ? "The access key operation failed." : "操作访问密钥错误。"
        case .camDescriptionLengthOverlimit:
            return english ? "The description is too long." : "Description入参长度超过限制。"
        case .camPolicyNameError:
            return english ? "The policy name is invalid: 1 to 128 characters of letters, digits and +=,.@_-." : "PolicyName字段不合法。"
        case .camPolicyNameInUse:
            return english ? "A policy of this name already exists." : "PolicyName字段指定的策略名已存在。"
        case .camPolicyFull:
            return english ? "The account has the maximum number of custom policies." : "用户策略数超过上限。"
        case .camPolicyIdError:
            return english ? "The PolicyId is invalid." : "输入参数PolicyId不合法。"
        case .camPolicyIdNotExist:
            return english ? "The policy does not exist." : "策略ID不存在。"
        case .camPolicyIdNotFound:
            return english ? "The policy does not exist." : "PolicyId指定的资源不存在。"
        case .camOperatePoliciesOverLimit:
            return english ? "Too many policies in one request." : "一次操作策略数过多。"
        case .camAttachmentFull:
            return english ? "The user has the maximum number of attached policies." : "授权对象关联策略数已达到上限。"
        case .camScopeError:
            return english ? "Scope must be All, QCS or Local." : "Scope字段不合法。"
        case .camSearchKeywordLengthError:
            return english ? "The keyword is too long." : "查询关键字长度错误。"
        case .camInvalidUserNotExist:
            return english ? "The user does not exist." : "用户对象不存在。"
        case .limitExceeded:
            return english ? "A quota is exceeded." : "超过配额限制。"
        case .invalidDataKeyId:
            return english ? "Invalid data key ID." : "不合法的数据密钥ID。"
        case .invalidDataKeyName:
            return english ? "Invalid data key name." : "不合法的数据密钥名称。"
        case .duplicatedDataKeyId:
            return english ? "Duplicate data key ID exists." : "存在重复的数据密钥ID。"
        case .dataKeyNameAlreadyExists:
            return english ? "The data key name already exists." : "数据密钥名称已存在。"
        case .invalidHsmClusterId:
            return english ? "Invalid HSM cluster ID." : "无效的 HSM 集群 ID。"
        case .dataKeyLimitExceeded:
            return english ? "DataKey exceeds the upper limit." : "DataKey超过上限。"
        case .dataKeyNotFound:
            return english ? "The data key does not exist." : "数据密钥不存在。"
        case .dataKeyDisabled:
            return english ? "The data key is disabled." : "数据密钥已禁用。"
        case .dataKeyPendingDelete:
            return english ? "The data key is scheduled for deletion." : "数据密钥已计划删除。"
        case .dataKeyStateNotSupport:
            return english ? "Data operation is not supported for the data key status." : "数据密钥状态不支持该操作。"
        case .notRoleOperation:
            return english ? "Unsupported operations for user roles." : "用户角色不支持的操作。"
        case .dataKeyNotPendingDelete:
            return english ? "The data key is not in scheduled deletion status and cannot execute cancel scheduled deletion." : "数据密钥不是计划删除状态不能被执行取消计划删除。"
        case .organizationMemberNameUsed:
            return english ? "The member name is already used." : "成员名已存在。"
        case .organizationMemberNotExist:
            return english ? "The organization member does not exist." : "组织成员不存在。"
        case .organizationNodeNotExist:
            return english ? "The organization node does not exist." : "组织节点不存在。"
        }
    }
}
