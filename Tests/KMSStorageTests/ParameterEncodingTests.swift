import XCTest
@testable import KMSStorage

/// How bindings reach libpq: bytes binary, everything else as PostgreSQL's text input.
final class ParameterEncodingTests: XCTestCase {
    func testBytesGoBinaryAndEverythingElseAsText() throws {
        let encoded = try EncodedParameters([.int64(Int64.min), .int32(7), .bool(false), .text("é"), .null,
                                             .bytes([0, 0x5C, 255]), .bytes([])])
        encoded.withLibpqArrays { count, types, values, lengths, formats in
            XCTAssertEqual(count, 7)
            guard let types, let values, let lengths, let formats else { return XCTFail("binary parameters need all four arrays") }
            let text = { (i: Int) in String(cString: values[i]!) }
            XCTAssertEqual(text(0), "-9223372036854775808")
            XCTAssertEqual(text(1), "7")
            XCTAssertEqual(text(2), "f")
            XCTAssertEqual(text(3), "é")
            XCTAssertNil(values[4])
            XCTAssertEqual((0..<7).map { formats[$0] }, [0, 0, 0, 0, 0, 1, 1])
            XCTAssertEqual((0..<7).map { types[$0] }, [0, 0, 0, 0, 0, 17, 17])
            XCTAssertEqual(lengths[5], 3)
            XCTAssertEqual(Array(UnsafeRawBufferPointer(start: values[5], count: 3)), [0, 0x5C, 255])
            // An empty bytea is a value with an address, not a NULL.
            XCTAssertEqual(lengths[6], 0)
            XCTAssertNotNil(values[6])
        }
    }

    func testTextOnlyParametersLeaveTypesLengthsAndFormatsToLibpq() throws {
        try EncodedParameters([.int64(42), .text("x")]).withLibpqArrays { count, types, values, lengths, formats in
            XCTAssertEqual(count, 2)
            XCTAssertNil(types)
            XCTAssertNil(lengths)
            XCTAssertNil(formats)
            XCTAssertEqual(values.map { String(cString: $0[0]!) }, "42")
        }
    }

    func testArraysAreLiteralsWithQuotedElementsAndUnquotedNulls() throws {
        let encoded = try EncodedParameters([.textArray(["a\"b\\c", nil]), .int64Array([1, nil, -2]), .bytesArray([[0xAB, 0x01]]),
                                             .textArray([])])
        encoded.withLibpqArrays { _, _, values, _, _ in
            let text = { (i: Int) in String(cString: values![i]!) }
            XCTAssertEqual(text(0), #"{"a\"b\\c",NULL}"#)
            XCTAssertEqual(text(1), "{1,NULL,-2}")
            XCTAssertEqual(text(2), #"{"\\xab01"}"#)
            XCTAssertEqual(text(3), "{}")
        }
    }

    func testATextParameterHoldingANulIsRefusedRatherThanCutShort() {
        XCTAssertThrowsError(try EncodedParameters([.text("a\u{0}b")]))
        XCTAssertThrowsError(try EncodedParameters([.textArray(["a\u{0}b"])]))
    }
}
