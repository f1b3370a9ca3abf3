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
}
