import XCTest
import KMSCore
@testable import KMSService

/// CAM's rules for what a caller names: sub-user names and remarks, access-key descriptions.
final class CAMNameRulesTests: XCTestCase {
    func testSubUserNamesAreOneTo64LettersDigitsAndTencentsPunctuation() throws {
        for name in ["a", "web-app", "svc_1", "a+b=c,d.e@f", String(repeating: "x", count: 64)] {
            XCTAssertNoThrow(try SubUsers.checkName(name), name)
        }
        for name in ["", String(repeating: "x", count: 65), "web app", "a/b", "应用", "a\u{0}b", "tab\t", "a:b", "a#b"] {
            XCTAssertThrowsError(try SubUsers.checkName(name), name) {
                XCTAssertEqual(($0 as? KMSError)?.code, .camUserNameIllegal, name)
            }
        }
    }

    func testRemarksAreAtMost256CharactersWithoutControlCharacters() {
        XCTAssertNoThrow(try SubUsers.checkRemark(""))
        XCTAssertNoThrow(try SubUsers.checkRemark("支付服务 — the payments web service"))
        XCTAssertNoThrow(try SubUsers.checkRemark(String(repeating: "备", count: 256)))
        for remark in [String(repeating: "r", count: 257), "line\nbreak", "bell\u{7}"] {
            XCTAssertThrowsError(try SubUsers.checkRemark(remark)) { XCTAssertEqual(($0 as? KMSError)?.code, .camParamError) }
        }
    }

    func testAccessKeyDescriptionsFollowTencentsPattern() {
        for description in ["", "rotation-2026", "ci:deploy/prod", "a+b=c,d.e@f_g", String(repeating: "d", count: 1024)] {
            XCTAssertNoThrow(try AccessKeys.checkDescription(description), description)
        }
        for description in ["two words", "中文", String(repeating: "d", count: 1025), "semi;colon"] {
            XCTAssertThrowsError(try AccessKeys.checkDescription(description), description) {
                XCTAssertEqual(($0 as? KMSError)?.code, .camParamError)
            }
        }
    }

    func testTheKeySigningARequestCannotSwitchItselfOff() {
        let requester = AccessRequester(appId: 1, rootUin: 100_000_000_001, userUin: nil, isOperator: false, secretId: "AKIDself")
        XCTAssertThrowsError(try AccessKeys.checkNotSigning("AKIDself", requester)) {
            XCTAssertEqual(($0 as? KMSError)?.code, .camAccessKeyFailed)
        }
        XCTAssertNoThrow(try AccessKeys.checkNotSigning("AKIDother", requester))
    }
}
