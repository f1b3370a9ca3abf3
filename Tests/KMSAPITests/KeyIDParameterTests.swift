import XCTest
@testable import KMSAPI
import KMSCore

/// KeyId/KeyIds and the SDK's MemberAccount object as actions take them (issue 10 items 19, 20).
final class KeyIDParameterTests: XCTestCase {
    let a = "0f8e3a52-6c1d-4b7e-9a2f-1c3d5e7f9a0b"
    let b = "7a6b5c4d-3e2f-4a1b-8c9d-0e1f2a3b4c5d"

    func code(_ body: () throws -> Any) -> KMSError.Code? {
        do { _ = try body(); return nil } catch { return (error as? KMSError)?.code ?? .internalError }
    }

    func testAKeyIdThatIsNotAUUIDIsInvalidKeyId() {
        for bad in ["", "not-a-key-id", String(a.dropLast()), a + "0", String(a.dropLast()) + "g", a.replacingOccurrences(of: "-", with: "_")] {
            XCTAssertEqual(code { try Parameters.parseKeyID(bad) }, .invalidKeyId, bad)
            XCTAssertEqual(code { try Parameters.parseKeyIDs([a, bad]) }, .invalidKeyId, bad)
        }
        XCTAssertEqual(try Parameters.parseKeyID(a.uppercased()).description, a)
    }

    func testTheSameIdTwiceInABatchIsDuplicatedKeyIdInAnyCase() throws {
        XCTAssertEqual(try Parameters.parseKeyIDs([b, a]).map(\.description), [b, a])
        XCTAssertEqual(code { try Parameters.parseKeyIDs([a, b, a]) }, .duplicatedKeyId)
        XCTAssertEqual(code { try Parameters.parseKeyIDs([a, a.uppercased()]) }, .duplicatedKeyId)
        XCTAssertEqual(code { try Parameters.parseKeyIDs([]) }, .invalidParameterValue)
        XCTAssertEqual(code { try Parameters.parseKeyIDs(Array(repeating: a, count: 101)) }, .invalidParameterValue)
    }

    let specs: [ParameterSpec] = [.required("KeyId", .string), .memberAccount("MemberAccount", .object),
                                  .memberAccount("MemberAccounts", .objectArray), .unsupported("HsmClusterId", .string)]

    func decode(_ json: String) -> KMSError.Code? {
        code { try Parameters(decoding: try JSONValue.parse(json), specs: self.specs, fromForm: false) }
    }

    /// Naming a member is acting as a trusted service's admin, which no caller here is: Tencent's
    /// `UnsupportedOperation.NotRoleOperation`; other unsupported parameters stay `UnsupportedOperation`.
    func testAnEmptyMemberAccountObjectIsAcceptedAndANamedMemberIsNotThisRolesOperation() throws {
        XCTAssertNil(decode(#"{"KeyId":"k","MemberAccount":{}}"#))
        XCTAssertNil(decode(#"{"KeyId":"k","MemberAccount":{"MemberAppId":null,"MemberUin":null}}"#))
        XCTAssertNil(decode(#"{"KeyId":"k","MemberAccount":null,"MemberAccounts":[]}"#))
        XCTAssertEqual(decode(#"{"KeyId":"k","MemberAccount":{"MemberAppId":1}}"#), .notRoleOperation)
        XCTAssertEqual(decode(#"{"KeyId":"k","MemberAccounts":[{"MemberUin":2}]}"#), .notRoleOperation)
        XCTAssertEqual(decode(#"{"KeyId":"k","HsmClusterId":"cluster-1"}"#), .unsupportedOperation)
        XCTAssertEqual(decode(#"{"KeyId":"k","MemberAccount":"x"}"#), .invalidParameter)
        let form = try FormDecoding.unflatten(FormDecoding.pairs("KeyId=k&MemberAccount.MemberAppId=1"))
        XCTAssertEqual(code { try Parameters(decoding: form, specs: self.specs, fromForm: true) }, .notRoleOperation)
    }
}
