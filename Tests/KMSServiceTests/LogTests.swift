import XCTest
@testable import KMSService

final class LogTests: XCTestCase {
    func testTimestampPadsMillisecondsToThreeDigits() {
        XCTAssertEqual(Log.timestamp(seconds: 1_796_009_963, nanoseconds: 5_000_000), "1796009963.005")
        XCTAssertEqual(Log.timestamp(seconds: 1_796_009_963, nanoseconds: 98_765_432), "1796009963.098")
        XCTAssertEqual(Log.timestamp(seconds: 1_796_009_963, nanoseconds: 123_456_789), "1796009963.123")
        XCTAssertEqual(Log.timestamp(seconds: 0, nanoseconds: 0), "0.000")
        XCTAssertEqual(Log.timestamp(seconds: 1, nanoseconds: 999_999_999), "1.999")
    }
}
