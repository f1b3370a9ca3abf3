import Foundation
import XCTest
@testable import KMSService

/// Which master key files a database needs, from its census of sealed values (no database needed).
final class KeyRingCheckTests: XCTestCase {
    private var directory = ""

    override func setUpWithError() throws {
        directory = NSTemporaryDirectory() + "keyring-check-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }
    override func tearDown() { try? FileManager.default.removeItem(atPath: directory) }

    private func touch(_ name: String) {
        FileManager.default.createFile(atPath: directory + "/" + name, contents: Data(count: 32))
    }

    func testEmptyDatabaseNeedsNoKeyFile() {
        let check = KeyRingCheck(census: [("credentials", "secret_key_sealed", 1, 0)])
        XCTAssertEqual(check.required, [])
        XCTAssertTrue(check.missing(ringBase: directory + "/master.key").isEmpty)
    }

    func testEveryKeyIdASealedValueNamesIsRequiredAndKeyOneAlways() {
        let check = KeyRingCheck(census: [("credentials", "secret_key_sealed", 2, 3),
                                          ("key_material", "material_sealed", 3, 4),
                                          ("key_material", "material_sealed", 2, 1),
                                          ("key_material", "material_sealed", -1, 9)])
        XCTAssertEqual(check.required, [.init(id: 1, values: 0), .init(id: 2, values: 4), .init(id: 3, values: 4)])
    }

    func testMissingNamesExactlyTheAbsentRotatedKeyFile() {
        touch("master.key")
        touch("master.key.3")
        let check = KeyRingCheck(census: [("key_material", "material_sealed", 1, 2), ("key_material", "material_sealed", 2, 1),
                                          ("key_material", "material_sealed", 3, 5)])
        let missing = check.missing(ringBase: directory + "/master.key")
        XCTAssertEqual(missing.map(\.path), [directory + "/master.key.2"])
        XCTAssertEqual(missing.map(\.requirement.values), [1])
    }

    func testMissingOriginalKeyIsNamedEvenWhenEverythingWasResealed() {
        touch("master.key.2")
        let check = KeyRingCheck(census: [("credentials", "secret_key_sealed", 2, 1)])
        XCTAssertEqual(check.missing(ringBase: directory + "/master.key").map(\.path), [directory + "/master.key"])
    }

    func testColumnsTheCensusCannotCountAreReportedAndStillNeedKeyOne() {
        let check = KeyRingCheck(census: [("new_table", "blob_sealed", -2, 1)])
        XCTAssertEqual(check.uncountable, ["new_table.blob_sealed"])
        XCTAssertEqual(check.required.map(\.id), [1])
    }
}
