import XCTest
import KMSCore

final class HexTests: XCTestCase {
    func testEncodesLowerCaseTwoDigitsPerByte() {
        XCTAssertEqual(Hex.encode([0x00, 0x0f, 0xab, 0xff]), "000fabff")
        XCTAssertEqual(Hex.encode([UInt8]()), "")
        XCTAssertEqual(Hex.encodeBytes([0x5a][...]), Array("5a".utf8))
        XCTAssertEqual((0..<16).map { Hex.digit(UInt8($0)) }, Array("0123456789abcdef".utf8))
        XCTAssertEqual(Hex.encode([0x0a, 0xff], prefix: "\\x"), "\\x0aff")
        XCTAssertEqual(Hex.encode([UInt8](), prefix: "\\x"), "\\x")
        XCTAssertEqual(Hex.encode(([0xde, 0xad] as [UInt8]).lazy.map { $0 }), "dead", "a collection without contiguous storage")
    }

    func testDecodesEitherCaseAndRefusesEverythingElse() {
        XCTAssertEqual(Hex.decode("00ABff"), [0x00, 0xab, 0xff])
        XCTAssertEqual(Hex.decode(""), [])
        XCTAssertEqual(Hex.decode("\\x0a1B".utf8.dropFirst(2)), [0x0a, 0x1b])
        for bad in ["abc", "0g", "0 ", " 00", "0x00", "é0"] {
            XCTAssertNil(Hex.decode(bad), bad)
        }
    }

    func testDigitValues() {
        for (i, c) in "0123456789abcdef".utf8.enumerated() {
            XCTAssertEqual(Hex.value(c), UInt8(i))
        }
        XCTAssertEqual(Hex.value(UInt8(ascii: "F")), 15)
        for c in "gG/:@`%-".utf8 { XCTAssertNil(Hex.value(c)) }
    }

    func testRoundTripsEveryByte() {
        let all = (0...255).map { UInt8($0) }
        XCTAssertEqual(Hex.decode(Hex.encode(all)), all)
        XCTAssertEqual(Hex.decode(Hex.encode(all).uppercased()), all)
    }
}
