import KMSCrypto
import XCTest

/// `Random.bytes` hands out a per-thread buffer of DRBG output: each byte once, across refills.
final class RandomTests: XCTestCase {
    func testBytesAreNeverHandedOutTwiceAcrossRefills() {
        // 16-byte values (RequestIds) and 12-byte ones (IVs), 40 KiB in all: ten refills.
        var seen = Set<[UInt8]>()
        for i in 0..<2_000 {
            let value = Random.bytes(i % 2 == 0 ? 16 : 12)
            XCTAssertEqual(value.count, i % 2 == 0 ? 16 : 12)
            XCTAssertTrue(seen.insert(value).inserted, "value \(i) repeated")
        }
    }

    func testLargeAndOddSizesComeWhole() {
        for count in [0, 1, 31, 1_023, 1_024, 1_025, 4_096, 10_000] {
            let value = Random.bytes(count)
            XCTAssertEqual(value.count, count)
            if count >= 31 { XCTAssertFalse(value.allSatisfy { $0 == 0 }, "\(count) zero bytes") }
        }
    }

    func testThreadsGetTheirOwnBytes() {
        let lock = NSLock()
        var all: [[UInt8]] = []
        DispatchQueue.concurrentPerform(iterations: 8) { _ in
            let mine = (0..<500).map { _ in Random.bytes(16) }
            lock.lock(); all += mine; lock.unlock()
        }
        XCTAssertEqual(Set(all).count, all.count)
    }
}
