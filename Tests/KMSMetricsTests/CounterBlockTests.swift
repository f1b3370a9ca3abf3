import Dispatch
import XCTest
@testable import KMSMetrics

final class CounterBlockTests: XCTestCase {
    func testConcurrentAddsAreAllCounted() {
        let block = CounterBlock(count: 3)
        DispatchQueue.concurrentPerform(iterations: 8) { _ in
            for _ in 0..<10_000 { block.add(1) }
        }
        block.add(2, 5)
        XCTAssertEqual(block.load(0), 0)
        XCTAssertEqual(block.load(1), 80_000)
        var totals = [UInt64](repeating: 1, count: 3)
        block.accumulate(into: &totals)
        XCTAssertEqual(totals, [1, 80_001, 6])
    }
}
