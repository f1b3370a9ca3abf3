import XCTest
import KMSCore

final class ASCIITests: XCTestCase {
    func testTrimsSpaceTabCRAndLFAtBothEndsOnly() {
        XCTAssertEqual(" \t application/json \r\n".trimmingASCIIWhitespace(), "application/json")
        XCTAssertEqual("a b\tc".trimmingASCIIWhitespace(), "a b\tc")
        XCTAssertEqual("ERROR:  relation missing\n".trimmingASCIIWhitespace(), "ERROR:  relation missing")
        XCTAssertEqual(" \t\r\n ".trimmingASCIIWhitespace(), "")
        XCTAssertEqual("".trimmingASCIIWhitespace(), "")
        XCTAssertEqual("ap-guangzhou=FIPS, ap-beijing = FIPS".split(separator: ",")[1].trimmingASCIIWhitespace(), "ap-beijing = FIPS")
    }

    func testTrimsByteSlicesWithoutCopying() {
        let bytes = Array("  Credential=x\t".utf8)
        let trimmed = bytes[2...].trimmingASCIIWhitespace()
        XCTAssertEqual(String(decoding: trimmed, as: UTF8.self), "Credential=x")
        XCTAssertEqual(trimmed.startIndex, 2, "a slice of the same array")
        XCTAssertTrue(Array(" \t".utf8)[...].trimmingASCIIWhitespace().isEmpty)
    }

    func testOtherBytesAreNotWhitespace() {
        for c: UInt8 in [0x00, 0x0B, 0x0C, 0x41, 0xA0] { XCTAssertFalse(ASCII.isWhitespace(c), "\(c)") }
    }

    func testRegionTableTrimsItsEntries() throws {
        let table = try RegionTable(spec: " ap-guangzhou = FIPS ,ap-shanghai-fsi=sm")
        XCTAssertEqual(table.regions.map(\.name), ["ap-guangzhou", "ap-shanghai-fsi"])
        XCTAssertEqual(table.profile(of: "ap-shanghai-fsi"), .sm)
    }
}
