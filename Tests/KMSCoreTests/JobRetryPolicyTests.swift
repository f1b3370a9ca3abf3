import XCTest
import KMSCore

final class JobRetryPolicyTests: XCTestCase {
    func testBackOffDoublesFromTheFirstDelayUpToTheBound() {
        let policy = JobRetryPolicy(maxAttempts: 20, firstDelay: 30, maxDelay: 3600)
        let waits = (1...9).map { attempt -> Int64 in
            guard case .retry(let notBefore) = policy.afterFailure(attempts: attempt, now: 1000) else { return -1 }
            return notBefore - 1000
        }
        XCTAssertEqual(waits, [30, 60, 120, 240, 480, 960, 1920, 3600, 3600])
    }

    func testJobIsDeadAfterMaxAttempts() {
        let policy = JobRetryPolicy.standard
        XCTAssertNotEqual(policy.afterFailure(attempts: policy.maxAttempts - 1, now: 0), .dead)
        XCTAssertEqual(policy.afterFailure(attempts: policy.maxAttempts, now: 0), .dead)
        XCTAssertEqual(policy.afterFailure(attempts: policy.maxAttempts + 5, now: 0), .dead)
    }

    func testHugeAttemptCountsDoNotOverflow() {
        let policy = JobRetryPolicy(maxAttempts: Int.max, firstDelay: 30, maxDelay: 3600)
        XCTAssertEqual(policy.afterFailure(attempts: 10_000, now: 5), .retry(notBefore: 3605))
    }
}
