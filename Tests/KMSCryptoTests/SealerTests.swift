import KMSCore
import KMSCrypto
import XCTest

final class SealerTests: XCTestCase {
    private let binding = "key_material|1250000000|ap-guangzhou|7c1d2e3f-0000-4000-8000-000000000001|1"

    func testOpenRecoversWhatSealSealed() throws {
        let sealer = try Sealer(masterKey: Random.secret(32))
        let secret = Random.secret(32)
        let sealed = sealer.seal(secret, binding: binding)
        XCTAssertEqual(sealed.count, Sealer.overhead + 32)
        XCTAssertEqual(Array(sealed.prefix(2)), [0x01, 0x01])
        XCTAssertEqual(try sealer.open(sealed, binding: binding), secret)
    }

    func testSealingTwiceGivesDifferentBytes() throws {
        let sealer = try Sealer(masterKey: Random.secret(32))
        let secret = Random.secret(16)
        XCTAssertNotEqual(sealer.seal(secret, binding: binding), sealer.seal(secret, binding: binding))
    }

    func testEmptySecretRoundTrips() throws {
        let sealer = try Sealer(masterKey: Random.secret(32))
        XCTAssertEqual(try sealer.open(sealer.seal(SecureBytes([]), binding: binding), binding: binding).count, 0)
    }

    func testOpenFailsForAnotherRowsBinding() throws {
        let sealer = try Sealer(masterKey: Random.secret(32))
        let sealed = sealer.seal(Random.secret(32), binding: binding)
        XCTAssertThrowsError(try sealer.open(sealed, binding: binding.replacingOccurrences(of: "|1", with: "|2")))
        XCTAssertThrowsError(try sealer.open(sealed, binding: ""))
    }

    func testOpenFailsForTruncatedOrFlippedBytes() throws {
        let sealer = try Sealer(masterKey: Random.secret(32))
        let sealed = sealer.seal(Random.secret(32), binding: binding)
        for length in [0, 1, 2, Sealer.overhead - 1, sealed.count - 1] {
            XCTAssertThrowsError(try sealer.open(Array(sealed.prefix(length)), binding: binding), "truncated to \(length)")
        }
        for index in sealed.indices {
            XCTAssertThrowsError(try sealer.open(flipped(sealed, at: index), binding: binding), "byte \(index) flipped")
        }
        XCTAssertThrowsError(try sealer.open(sealed + [0], binding: binding))
    }

    func testOpenFailsUnderAnotherMasterKey() throws {
        let sealed = try Sealer(masterKey: Random.secret(32)).seal(Random.secret(32), binding: binding)
        XCTAssertThrowsError(try Sealer(masterKey: Random.secret(32)).open(sealed, binding: binding))
    }

    func testInitRefusesAMasterKeyThatIsNot32Bytes() {
        XCTAssertThrowsError(try Sealer(masterKey: Random.secret(16)))
        XCTAssertThrowsError(try Sealer(masterKey: Random.secret(33)))
    }

    func testErrorsNeverContainTheSecret() throws {
        let sealer = try Sealer(masterKey: Random.secret(32))
        let secret = SecureBytes(Array("do-not-leak-this-secret-value!!!".utf8))
        let sealed = sealer.seal(secret, binding: binding)
        do {
            _ = try sealer.open(flipped(sealed, at: 20), binding: binding)
            XCTFail("tampered value opened")
        } catch {
            XCTAssertFalse("\(error)".contains("do-not-leak"))
        }
    }
}
