import Foundation
import KMSCore
import KMSCrypto
import XCTest

final class MasterKeyFileTests: XCTestCase {
    private var directory: TemporaryDirectory!

    override func setUpWithError() throws { directory = try TemporaryDirectory() }
    override func tearDown() { directory.remove() }

    func testCreateMakesTheFileOnceAndKeepsItsBytes() throws {
        let path = directory.path("master.key")
        XCTAssertTrue(try MasterKeyFile.create(path: path))
        let first = try MasterKeyFile.load(path: path)
        XCTAssertEqual(first.count, 32)
        XCTAssertFalse(try MasterKeyFile.create(path: path))
        XCTAssertEqual(try MasterKeyFile.load(path: path), first)
    }

    func testCreatedFileIsReadableOnlyByItsOwner() throws {
        let path = directory.path("master.key")
        try MasterKeyFile.create(path: path)
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        XCTAssertEqual((attributes[.posixPermissions] as? NSNumber)?.intValue, 0o600)
        XCTAssertEqual((attributes[.size] as? NSNumber)?.intValue, 32)
    }

    func testLoadRefusesFilesThatAreNotExactly32Bytes() throws {
        for length in [0, 31, 33, 64] {
            let path = try directory.write("key-\(length)", Random.bytes(length))
            XCTAssertThrowsError(try MasterKeyFile.load(path: path), "\(length) bytes") { error in
                XCTAssertTrue("\(error)".contains("exactly 32"), "\(error)")
            }
        }
    }

    func testLoadReturnsTheFilesBytes() throws {
        let bytes = Random.bytes(32)
        let path = try directory.write("key", bytes)
        XCTAssertEqual(try MasterKeyFile.load(path: path).unsafeCopy, bytes)
    }

    func testLoadFailsForAMissingFileOrADirectory() {
        XCTAssertThrowsError(try MasterKeyFile.load(path: directory.path("absent")))
        XCTAssertThrowsError(try MasterKeyFile.load(path: directory.url.path))
    }

    func testCreateFailsWhenTheDirectoryDoesNotExist() {
        XCTAssertThrowsError(try MasterKeyFile.create(path: directory.path("no/such/dir/master.key")))
    }
}
