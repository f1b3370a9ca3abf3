import Foundation
import XCTest
import KMSCore
@testable import KMSAPI
@testable import KMSService
import KMSHTTP

final class FairUseIntegrationTests: XCTestCase {
    func testAnAccountOverItsRateIsToldRequestLimitExceededWhileOthersCarryOn() throws {
        let h = try ServiceHarness(clock: TestClock(Int64(Date().timeIntervalSince1970)), rateLimit: 5)
        let noisy = try h.newAccount(), quiet = try h.newAccount()
        let codes = (0..<30).map { _ in ServiceHarness.errorCode(h.call("GenerateRandom", ["NumberOfBytes": 8], as: noisy)) }
        XCTAssertTrue(codes.contains("RequestLimitExceeded"))
        XCTAssertEqual(codes.prefix(10).filter { $0 == nil }.count, 10, "the burst (twice the rate) is admitted")
        XCTAssertNil(ServiceHarness.errorCode(h.call("GenerateRandom", ["NumberOfBytes": 8], as: quiet)))
    }

    /// Asymmetric keys draw on the account's CPU budget like BYOK's unwrapping: an account that
    /// has spent it on RSA is refused the next public-key operation, while symmetric use and
    /// other accounts carry on.
    func testAsymmetricOperationsSpendTheAccountsCPUBudgetAndOnlyItsOwn() throws {
        // 2 ms per second, bursts of 10 ms: one RSA-2048 key pair (≈100 ms) overdraws it for a long while.
        let h = try ServiceHarness(clock: TestClock(Int64(Date().timeIntervalSince1970)),
                                   cpuBudget: CPUBudget(rate: 2, processRate: 100_000, burstSeconds: 5))
        let spender = try h.newAccount(), other = try h.newAccount()
        let created = h.call("CreateKey", ["Alias": "rsa", "KeyUsage": "ASYMMETRIC_SIGN_VERIFY_RSA_2048"], as: spender)
        XCTAssertNil(ServiceHarness.errorCode(created), "\(created)")
        let keyId = ServiceHarness.string(created, "KeyId")
        let sign = h.call("SignByAsymmetricKey", ["KeyId": .string(keyId), "Algorithm": "RSA_PSS_SHA_256", "Message": "eA=="],
                          as: spender)
        XCTAssertEqual(ServiceHarness.errorCode(sign), "RequestLimitExceeded")
        XCTAssertEqual(ServiceHarness.errorCode(h.call("CreateKey", ["Alias": "ecc", "KeyUsage": "ASYMMETRIC_SIGN_VERIFY_ECC"],
                                                       as: spender)), "RequestLimitExceeded")
        let symmetric = ServiceHarness.string(h.call("CreateKey", ["Alias": "aes"], as: spender), "KeyId")
        XCTAssertNil(ServiceHarness.errorCode(h.call("Encrypt", ["KeyId": .string(symmetric), "Plaintext": "eA=="], as: spender)))
        XCTAssertNil(ServiceHarness.errorCode(h.call("CreateKey", ["Alias": "ecc", "KeyUsage": "ASYMMETRIC_SIGN_VERIFY_ECC"],
                                                     as: other)))
    }
}
