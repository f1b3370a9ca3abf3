import XCTest
@testable import KMSCore

/// `SecureBytes` must zero every byte of every buffer that held a secret. Memory that has been
/// freed cannot be read, so the release path is watched through `releaseObserver` (debug builds):
/// it sees the whole capacity right after the buffer zeroed it and before it goes back to malloc.
final class SecureBytesTests: XCTestCase {
    /// The identifiers of buffers released while `body` ran, with the bytes each left behind.
    private func releases(_ body: () -> Void) -> [ObjectIdentifier: [UInt8]] {
        var seen: [ObjectIdentifier: [UInt8]] = [:]
        SecureBytes.releaseObserver = { id, bytes in seen[id] = Array(bytes) }
        defer { SecureBytes.releaseObserver = nil }
        body()
        return seen
    }

    /// Writes `byte` over the whole capacity, spare bytes included, as a secret that once filled
    /// a larger buffer would have left them.
    private func fillCapacity(_ secret: SecureBytes, with byte: UInt8) {
        secret.backing.withUnsafeMutablePointers { header, elements in
            elements.update(repeating: byte, count: header.pointee.capacity)
        }
    }

    func testReleaseZeroesTheWholeCapacityNotOnlyCount() throws {
        var id: ObjectIdentifier? = nil
        var capacity = 0
        let seen = releases {
            let secret = SecureBytes(Array("do-not-leak".utf8))
            capacity = secret.backing.header.capacity
            XCTAssertGreaterThan(capacity, secret.count, "the allocator rounds up: there is spare capacity to zero")
            fillCapacity(secret, with: 0xA5)
            id = ObjectIdentifier(secret.backing)
        }
        let left = try XCTUnwrap(seen[try XCTUnwrap(id)], "the buffer was released inside the scope")
        XCTAssertEqual(left.count, capacity, "the release path covers the whole capacity")
        XCTAssertTrue(left.allSatisfy { $0 == 0 }, "every byte is zero when the buffer goes back to malloc")
    }

    func testWipeZeroesEveryByteItIsGiven() {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 67, alignment: 1)
        defer { buffer.deallocate() }
        buffer.initializeMemory(as: UInt8.self, repeating: 0xFF)
        SecureBytes.wipe(buffer)
        XCTAssertTrue(buffer.allSatisfy { $0 == 0 })
    }

    func testSpareCapacityStartsZeroed() {
        for count in [0, 1, 16, 32, 100, 4096] {
            let secret = SecureBytes(zeros: count)
            let header = secret.backing.header
            XCTAssertEqual(header.count, count)
            XCTAssertGreaterThanOrEqual(header.capacity, count)
            secret.backing.withUnsafeMutablePointers { _, elements in
                XCTAssertTrue(UnsafeBufferPointer(start: elements, count: header.capacity).allSatisfy { $0 == 0 }, "\(count)")
            }
        }
    }

    func testAWriteCopiesASharedBufferAndLeavesTheOtherCopyAlone() {
        let original = SecureBytes([1, 2, 3])
        var copy = original
        XCTAssertTrue(copy.backing === original.backing, "a copy shares the buffer until it writes")
        copy.withUnsafeMutableBytes { $0[0] = 9 }
        XCTAssertFalse(copy.backing === original.backing)
        XCTAssertEqual(original.unsafeCopy, [1, 2, 3])
        XCTAssertEqual(copy.unsafeCopy, [9, 2, 3])
    }

    func testAWriteToAnUnsharedBufferWritesInPlace() {
        var secret = SecureBytes(zeros: 4)
        let before = ObjectIdentifier(secret.backing)
        secret.withUnsafeMutableBytes { $0[3] = 7 }
        XCTAssertEqual(ObjectIdentifier(secret.backing), before)
        XCTAssertEqual(secret.unsafeCopy, [0, 0, 0, 7])
    }

    func testEveryBufferACopyOnWriteMadeIsZeroedOnRelease() throws {
        var ids: [ObjectIdentifier] = []
        let seen = releases {
            let original = SecureBytes([0xA5, 0xA5, 0xA5])
            var copy = original
            copy.withUnsafeMutableBytes { $0[0] = 0x5A }
            ids = [ObjectIdentifier(original.backing), ObjectIdentifier(copy.backing)]
        }
        XCTAssertEqual(Set(ids).count, 2)
        for id in ids {
            let left = try XCTUnwrap(seen[id], "both buffers were released")
            XCTAssertTrue(left.allSatisfy { $0 == 0 })
        }
    }

    func testPrefixIsASecretOfItsOwn() {
        let secret = SecureBytes([1, 2, 3, 4])
        let head = secret.prefix(2)
        XCTAssertEqual(head.unsafeCopy, [1, 2])
        XCTAssertFalse(head.backing === secret.backing)
        XCTAssertEqual(secret.prefix(10).unsafeCopy, [1, 2, 3, 4])
    }

    func testZeroEmptiesAnArrayWithSpareCapacity() {
        var bytes = [UInt8](repeating: 0xA5, count: 3)
        bytes.reserveCapacity(64)
        SecureBytes.zero(&bytes)
        XCTAssertTrue(bytes.isEmpty)
    }

    func testEqualityComparesContents() {
        XCTAssertEqual(SecureBytes([1, 2]), SecureBytes([1, 2]))
        XCTAssertNotEqual(SecureBytes([1, 2]), SecureBytes([1, 3]))
        XCTAssertNotEqual(SecureBytes([1, 2]), SecureBytes([1, 2, 3]))
        XCTAssertTrue(SecureBytes([]).isEmpty)
    }
}
