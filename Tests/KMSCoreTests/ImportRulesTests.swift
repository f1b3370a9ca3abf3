import XCTest
@testable import KMSCore

final class ImportRulesTests: XCTestCase {
    let now: Int64 = 1_800_000_000

    func code(_ body: () throws -> Void) -> KMSError.Code? {
        do { try body(); return nil } catch { return (error as? KMSError)?.code }
    }

    func testValidToIsZeroOrAFutureTimeNoLaterThanTencentsLimit() {
        XCTAssertNil(code { try ImportRules.checkValidTo(0, now: now) })
        XCTAssertNil(code { try ImportRules.checkValidTo(now + 1, now: now) })
        XCTAssertNil(code { try ImportRules.checkValidTo(2_147_443_200, now: now) })
        XCTAssertEqual(code { try ImportRules.checkValidTo(now, now: now) }, .invalidParameterValue)
        XCTAssertEqual(code { try ImportRules.checkValidTo(now - 1, now: now) }, .invalidParameterValue)
        XCTAssertEqual(code { try ImportRules.checkValidTo(2_147_443_201, now: now) }, .invalidParameterValue)
        XCTAssertEqual(code { try ImportRules.checkValidTo(-5, now: now) }, .invalidParameterValue)
    }

    func testTokenIsUsableStrictlyBeforeItsValidTo() {
        let validTo = now + ImportRules.parametersLifetime
        XCTAssertNil(code { try ImportRules.checkToken(validTo: validTo, now: validTo - 1) })
        XCTAssertEqual(code { try ImportRules.checkToken(validTo: validTo, now: validTo) }, .tokenExpired)
        XCTAssertEqual(code { try ImportRules.checkToken(validTo: validTo, now: validTo + 3600) }, .tokenExpired)
    }

    func testMaterialLengthFollowsTheProfile() {
        XCTAssertNil(code { try ImportRules.checkMaterialLength(32, profile: .fips) })
        XCTAssertNil(code { try ImportRules.checkMaterialLength(16, profile: .sm) })
        for (length, profile) in [(16, CryptoProfile.fips), (31, .fips), (33, .fips), (0, .fips), (32, .sm), (15, .sm), (17, .sm)] {
            XCTAssertEqual(code { try ImportRules.checkMaterialLength(length, profile: profile) }, .invalidImportKeyMaterial, "\(length) \(profile)")
        }
    }

    func testATokenAllowsThreeAttemptsThenAnswersTokenExpired() {
        for before in 0..<3 { XCTAssertNil(code { try ImportRules.checkAttempts(before: before) }, "\(before)") }
        for before in [3, 4, 100] { XCTAssertEqual(code { try ImportRules.checkAttempts(before: before) }, .tokenExpired) }
    }

    func testWrappingPairs() throws {
        for algorithm in ["RSAES_PKCS1_V1_5", "RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"] {
            XCTAssertEqual(try ImportRules.wrapping(spec: "RSA_2048", algorithm: algorithm), .rsa2048)
        }
        XCTAssertEqual(try ImportRules.wrapping(spec: "SM2", algorithm: "SM2PKE"), .sm2)
        for (spec, algorithm) in [("RSA_2048", "SM2PKE"), ("SM2", "RSAES_OAEP_SHA_256"), ("RSA_4096", "RSAES_OAEP_SHA_256"), ("", ""), ("rsa_2048", "RSAES_OAEP_SHA_1")] {
            XCTAssertEqual(code { _ = try ImportRules.wrapping(spec: spec, algorithm: algorithm) }, .invalidParameterValue, "\(spec) \(algorithm)")
        }
    }

    func testOnlyExternalKeysImport() {
        var key = CustomerMasterKey(id: KeyID(random: Array(repeating: 3, count: 16)), appId: 1, region: "r", alias: "a",
                                    description: "", keyUsage: .encryptDecrypt, origin: .tencentKMS, state: .enabled,
                                    creatorUin: 1, createTime: 0, currentVersion: 1)
        XCTAssertEqual(code { try ImportRules.checkExternal(key) }, .notExternalCmk)
        key.origin = .external
        XCTAssertNil(code { try ImportRules.checkExternal(key) })
    }
}
