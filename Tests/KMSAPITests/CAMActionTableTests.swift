import XCTest
@testable import KMSAPI
import KMSCore

/// The action table's CAM actions (API 2019-01-16): which exist, that each is an action of
/// Tencent's CAM SDK, which change state, and that each declares exactly the fields of the SDK's
/// request model with their types.
final class CAMActionTableTests: XCTestCase {
    /// Every CAM action this service answers (golden: adding one is a deliberate change here too).
    static let implemented = [
        "AddUser", "AttachUserPolicy", "CreateAccessKey", "CreatePolicy", "DeleteAccessKey", "DeletePolicy", "DeleteUser",
        "DetachUserPolicy", "GetPolicy", "GetUser", "GetUserAppId", "ListAccessKeys", "ListAttachedUserPolicies", "ListPolicies",
        "ListUsers", "UpdateAccessKey",
    ]

    static let mutating: Set<String> = [
        "AddUser", "DeleteUser", "CreateAccessKey", "UpdateAccessKey", "DeleteAccessKey", "CreatePolicy", "DeletePolicy",
        "AttachUserPolicy", "DetachUserPolicy",
    ]

    /// The request fields of each action in tencentcloud-sdk-python 3.1.195's `cam/v20190116/models.py`
    /// (`<Action>Request`, from the `:type` lines of each `__init__`): str → string, int → integer,
    /// list of int → integerArray, list of a model → objectArray. Every one of these is a method of
    /// that SDK's `CamClient`.
    static let sdkRequestFields: [String: [String: ParameterType]] = [
        "AddUser": ["Name": .string, "Remark": .string, "ConsoleLogin": .integer, "UseApi": .integer, "Password": .string,
                    "NeedResetPassword": .integer, "PhoneNum": .string, "CountryCode": .string, "Email": .string],
        "GetUser": ["Name": .string],
        "ListUsers": [:],
        "DeleteUser": ["Name": .string, "Force": .integer],
        "GetUserAppId": [:],
        "CreateAccessKey": ["TargetUin": .integer, "Description": .string],
        "ListAccessKeys": ["TargetUin": .integer],
        "UpdateAccessKey": ["AccessKeyId": .string, "Status": .string, "TargetUin": .integer],
        "DeleteAccessKey": ["AccessKeyId": .string, "TargetUin": .integer],
        "CreatePolicy": ["PolicyName": .string, "PolicyDocument": .string, "Description": .string, "Tags": .objectArray],
        "GetPolicy": ["PolicyId": .integer],
        "ListPolicies": ["Rp": .integer, "Page": .integer, "Scope": .string, "Keyword": .string],
        "DeletePolicy": ["PolicyId": .integerArray],
        "AttachUserPolicy": ["PolicyId": .integer, "AttachUin": .integer],
        "DetachUserPolicy": ["PolicyId": .integer, "DetachUin": .integer],
        "ListAttachedUserPolicies": ["TargetUin": .integer, "Page": .integer, "Rp": .integer],
    ]

    /// The parameters Tencent's API reference marks required.
    static let required: [String: Set<String>] = [
        "AddUser": ["Name"], "GetUser": ["Name"], "ListUsers": [], "DeleteUser": ["Name"], "GetUserAppId": [], "CreateAccessKey": [],
        "ListAccessKeys": [], "UpdateAccessKey": ["AccessKeyId", "Status"], "DeleteAccessKey": ["AccessKeyId"],
        "CreatePolicy": ["PolicyName", "PolicyDocument"], "GetPolicy": ["PolicyId"], "ListPolicies": [], "DeletePolicy": ["PolicyId"],
        "AttachUserPolicy": ["PolicyId", "AttachUin"], "DetachUserPolicy": ["PolicyId", "DetachUin"],
        "ListAttachedUserPolicies": ["TargetUin"],
    ]

    func testTheCAMGroupHoldsExactlyTheImplementedActions() {
        XCTAssertEqual(ActionTable.names(of: .cam), Self.implemented)
        XCTAssertEqual(Set(Self.sdkRequestFields.keys), Set(Self.implemented))
        // Names are unique across services: none of CAM's is a KMS action.
        XCTAssertTrue(Set(ActionTable.names(of: .cam)).isDisjoint(with: ActionTable.names(of: .kms)))
    }

    func testExactlyTheStateChangingCAMActionsAreMarkedMutating() {
        XCTAssertEqual(Set(ActionTable.all.values.filter { $0.service == .cam && $0.mutates }.map(\.name)), Self.mutating)
    }

    func testEveryCAMActionDeclaresEachSDKRequestFieldOnceWithItsSDKType() {
        for name in Self.implemented {
            let spec = ActionTable.all[name]!
            let names = spec.parameters.map(\.name)
            XCTAssertEqual(names.count, Set(names).count, "\(name) declares a parameter twice")
            XCTAssertEqual(Dictionary(spec.parameters.map { ($0.name, $0.type) }, uniquingKeysWith: { a, _ in a }),
                           Self.sdkRequestFields[name], name)
            XCTAssertEqual(Set(spec.parameters.filter(\.required).map(\.name)), Self.required[name], name)
        }
    }

    func testWhatNeedsAConsoleOrTagsIsRefusedNotStored() {
        let unsupported = Set(ActionTable.all.values.filter { $0.service == .cam }.flatMap { spec in
            spec.parameters.filter(\.unsupported).map { "\(spec.name).\($0.name)" }
        })
        XCTAssertEqual(unsupported, ["AddUser.Password", "AddUser.NeedResetPassword", "AddUser.PhoneNum", "AddUser.CountryCode",
                                     "AddUser.Email", "CreatePolicy.Tags"])
    }

    func testEveryCAMActionIsDecidedOnTheWholeAccount() {
        for name in Self.implemented { XCTAssertEqual(ActionTable.all[name]?.access, .account, name) }
    }
}
