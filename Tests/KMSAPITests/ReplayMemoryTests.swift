import XCTest
@testable import KMSAPI
import KMSCore
import KMSHTTP

/// SPEC §6 "A signature authorises one request shape": the replay memory, without a server.
final class ReplayMemoryTests: XCTestCase {
    let now: Int64 = 1_700_000_000

    func signature(_ n: Int) -> [UInt8] {
        Array((String(format: "%032x", n) + String(repeating: "0", count: 32)).utf8)
    }

    func code(_ body: () throws -> Void) -> KMSError.Code? {
        do { try body(); return nil } catch { return (error as? KMSError)?.code }
    }

    func testIdenticalRepeatsOfASignatureAreAllowed() throws {
        let memory = ReplayMemory()
        for _ in 0..<3 {
            try memory.admitTC3(signatureHex: signature(1), action: "Encrypt", region: "ap-guangzhou", version: "2019-01-18",
                                timestamp: now, now: now)
        }
    }

    func testASignatureIsRefusedWithAnotherActionRegionOrVersion() throws {
        let memory = ReplayMemory()
        try memory.admitTC3(signatureHex: signature(7), action: "DescribeKey", region: "ap-guangzhou", version: "2019-01-18",
                            timestamp: now, now: now)
        for (action, region, version) in [("DisableKey", "ap-guangzhou", "2019-01-18"), ("DescribeKey", "ap-beijing", "2019-01-18"),
                                          ("DescribeKey", "ap-guangzhou", "2017-03-12")] {
            XCTAssertEqual(code { try memory.admitTC3(signatureHex: signature(7), action: action, region: region, version: version,
                                                      timestamp: now, now: now + 10) }, .authFailureSignatureFailure)
        }
        // The original shape still passes; another signature is independent.
        try memory.admitTC3(signatureHex: signature(7), action: "DescribeKey", region: "ap-guangzhou", version: "2019-01-18",
                            timestamp: now, now: now + 20)
        try memory.admitTC3(signatureHex: signature(8), action: "DisableKey", region: "ap-guangzhou", version: "2019-01-18",
                            timestamp: now, now: now + 20)
    }

    func testAV1NonceIsSingleUse() throws {
        let memory = ReplayMemory()
        try memory.admitNonce(secretId: "AKIDa", nonce: "42", timestamp: now, now: now)
        XCTAssertEqual(code { try memory.admitNonce(secretId: "AKIDa", nonce: "42", timestamp: now, now: now) }, .authFailureSignatureFailure)
        // Another credential, timestamp or nonce is another key.
        try memory.admitNonce(secretId: "AKIDb", nonce: "42", timestamp: now, now: now)
        try memory.admitNonce(secretId: "AKIDa", nonce: "42", timestamp: now + 1, now: now)
        try memory.admitNonce(secretId: "AKIDa", nonce: "43", timestamp: now, now: now)
    }

    func testEntriesExpireWithTheirWindow() throws {
        let memory = ReplayMemory(capacity: 64 * 16)
        try memory.admitTC3(signatureHex: signature(3), action: "DescribeKey", region: "r", version: "v", timestamp: now, now: now)
        // Past the window the old entry is gone (its timestamp is refused as expired by then anyway),
        // so the memory never fills with dead entries: thousands of seconds of traffic fit in a tiny memory.
        for second in 0..<2000 {
            try memory.admitTC3(signatureHex: signature(1000 + second), action: "Encrypt", region: "r", version: "v",
                                timestamp: now + Int64(second), now: now + Int64(second))
        }
        XCTAssertEqual(memory.forgottenEarly, 0)
    }

    func testAFullMemoryRefusesOldTimestampsInsteadOfForgettingLiveSignatures() throws {
        // One entry per stripe: the second signature to land in a stripe forgets the first.
        let memory = ReplayMemory(capacity: 64)
        var admitted: [(Int, Int64)] = []
        for n in 0..<256 {
            let ts = now - 100 + Int64(n / 64)
            if code({ try memory.admitTC3(signatureHex: signature(n), action: "Encrypt", region: "r", version: "v",
                                         timestamp: ts, now: now) }) == nil {
                admitted.append((n, ts))
            }
        }
        XCTAssertGreaterThan(memory.forgottenEarly, 0)
        // Whatever was forgotten cannot be replayed as another action: it is refused as expired.
        for (n, ts) in admitted {
            let result = code { try memory.admitTC3(signatureHex: signature(n), action: "DisableKey", region: "r", version: "v",
                                                    timestamp: ts, now: now) }
            XCTAssertTrue(result == .authFailureSignatureFailure || result == .authFailureSignatureExpire, "\(n): \(String(describing: result))")
        }
        // A fresh request is still served.
        try memory.admitTC3(signatureHex: signature(99_999), action: "Encrypt", region: "r", version: "v", timestamp: now, now: now)
    }

    /// Random traffic over 1,500 s, with repeats, replays as another action, and clock steps, against
    /// a dictionary that remembers everything within the window: the table (probing past and reusing
    /// stale entries, rebuilt as it fills) must decide every request as the dictionary does.
    func testDecisionsMatchAMemoryThatForgetsNothingWithinTheWindow() throws {
        var generator = SystemRandomNumberGenerator()
        let memory = ReplayMemory(capacity: 1 << 16, window: 300)
        var model: [Int: (action: String, timestamp: Int64)] = [:]
        var issued: [(n: Int, timestamp: Int64)] = []
        var clock = now
        var decisions = 0
        for step in 0..<40_000 {
            if step % 25 == 0 { clock += 1 }
            let action = ["Encrypt", "Decrypt"][Int.random(in: 0..<2, using: &generator)]
            let n: Int, timestamp: Int64
            if !issued.isEmpty, Int.random(in: 0..<3, using: &generator) == 0 {
                (n, timestamp) = issued[Int.random(in: 0..<issued.count, using: &generator)]
            } else {
                n = step
                timestamp = clock + Int64.random(in: -250...250, using: &generator)
                issued.append((n, timestamp))
                if issued.count > 3_000 { issued.removeFirst(1_000) }
            }
            // What the signature check lets through: timestamps within the window.
            guard abs(timestamp - clock) <= 300 else { continue }
            let expected: KMSError.Code?
            if let seen = model[n], seen.timestamp >= clock - 300 {
                expected = seen.action == action ? nil : .authFailureSignatureFailure
            } else {
                expected = nil
                model[n] = (action, timestamp)
            }
            let got = code { try memory.admitTC3(signatureHex: signature(n), action: action, region: "r", version: "v",
                                                 timestamp: timestamp, now: clock) }
            XCTAssertEqual(got, expected, "step \(step), signature \(n)")
            decisions += 1
        }
        XCTAssertGreaterThan(decisions, 30_000)
        XCTAssertEqual(memory.forgottenEarly, 0)
    }

    /// An entry costs a 32-byte slot at a load between a quarter and three quarters; once a burst of
    /// signatures has expired, the next rebuilds drop them and the table shrinks again.
    func testTheTableHoldsLiveEntriesCompactlyAndShrinksWhenTheyExpire() throws {
        let memory = ReplayMemory()
        let idle = memory.tableSlots
        let burst = 100_000
        for n in 0..<burst {
            try memory.admitTC3(signatureHex: signature(n), action: "Encrypt", region: "r", version: "v", timestamp: now, now: now)
        }
        XCTAssertLessThanOrEqual(memory.tableSlots, 4 * burst + idle)
        XCTAssertGreaterThanOrEqual(memory.tableSlots * 3, 4 * burst)
        // Past the window, a trickle of new signatures rebuilds each stripe without the burst.
        for n in 0..<20_000 {
            try memory.admitTC3(signatureHex: signature(burst + n), action: "Encrypt", region: "r", version: "v",
                                timestamp: now + 400, now: now + 400)
        }
        XCTAssertLessThanOrEqual(memory.tableSlots, 4 * 20_000 + idle)
        // A signature of the burst is forgotten with its window (its timestamp is refused first in
        // the service); a live one is still remembered.
        XCTAssertEqual(code { try memory.admitTC3(signatureHex: signature(burst + 7), action: "Decrypt", region: "r", version: "v",
                                                  timestamp: now + 400, now: now + 400) }, .authFailureSignatureFailure)
    }

    func testARepeatedSignatureHeaderIsRefused() {
        for name in ["HTTP_X_TC_ACTION", "HTTP_X_TC_REGION", "HTTP_X_TC_VERSION", "HTTP_AUTHORIZATION"] {
            let entries = ["REQUEST_METHOD=POST", "CONTENT_TYPE=application/json", "HTTP_X_TC_ACTION=DescribeKey",
                           "HTTP_X_TC_REGION=ap-guangzhou", "HTTP_X_TC_VERSION=2019-01-18", "HTTP_AUTHORIZATION=x",
                           "\(name)=Other"]
            let http = HTTPRequestTestSupport.request(entries)
            XCTAssertEqual(http.repeatedSignatureHeader, name)
            XCTAssertThrowsError(try APIRequest(http)) { XCTAssertEqual(($0 as? KMSError)?.code, .invalidParameter) }
        }
        let single = HTTPRequestTestSupport.request(["REQUEST_METHOD=POST", "HTTP_X_TC_ACTION=DescribeKey", "HTTP_X_TC_REGION=r"])
        XCTAssertNil(single.repeatedSignatureHeader)
    }
}

enum HTTPRequestTestSupport {
    /// A request built the way the transport builds it, from raw `NAME=value` entries (repeats kept).
    static func request(_ entries: [String]) -> HTTPRequest {
        let copies = entries.map { text -> UnsafeMutableRawBufferPointer in
            let bytes = Array(text.utf8)
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes.count, alignment: 1)
            buffer.copyBytes(from: bytes)
            return buffer
        }
        defer { copies.forEach { $0.deallocate() } }
        return HTTPRequest(entries: copies.map { UnsafeRawBufferPointer($0) }, body: [])
    }
}
