import XCTest
@testable import KMSCore

final class CiphertextEnvelopeTests: XCTestCase {
    let keyID = KeyID("0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9")!

    func sample() -> CiphertextEnvelope {
        CiphertextEnvelope(profile: .sm, keyID: keyID, materialVersion: 3, nonce: Array(repeating: 7, count: 12),
                           ciphertext: [1, 2, 3, 4, 5], tag: Array(repeating: 9, count: 16))
    }

    func testSerializedEnvelopeParsesBackIdentically() throws {
        let envelope = sample()
        XCTAssertEqual(try CiphertextEnvelope(base64: envelope.base64), envelope)
        XCTAssertEqual(envelope.serialized.count, 22 + 12 + 5 + 16)
        XCTAssertEqual(Array(envelope.serialized.prefix(2)), [1, 2])
    }

    func testEveryTruncationIsInvalidCiphertext() {
        let bytes = sample().serialized
        for length in 0..<(22 + 12 + 1 + 16) {
            XCTAssertThrowsError(try CiphertextEnvelope(bytes: Array(bytes.prefix(length)))) { error in
                XCTAssertEqual(error as? KMSError, KMSError(.invalidCiphertext))
            }
        }
    }

    func testUnknownFormatAlgorithmOrZeroVersionIsRefused() {
        var bytes = sample().serialized
        bytes[0] = 2
        XCTAssertThrowsError(try CiphertextEnvelope(bytes: bytes))
        bytes = sample().serialized
        bytes[1] = 9
        XCTAssertThrowsError(try CiphertextEnvelope(bytes: bytes))
        bytes = sample().serialized
        bytes[18...21] = [0, 0, 0, 0]
        XCTAssertThrowsError(try CiphertextEnvelope(bytes: bytes))
    }

    func testGarbageBase64IsInvalidCiphertext() {
        for text in ["", "!!!!", "abc", "a===", String(repeating: "A", count: 5)] {
            XCTAssertThrowsError(try CiphertextEnvelope(base64: text), text) { error in
                XCTAssertEqual(error as? KMSError, KMSError(.invalidCiphertext))
            }
        }
    }

    func testAssociatedDataBindsKeyVersionRegionAndContext() throws {
        let ctx = try EncryptionContext(parameter: #"{"a":"b"}"#)
        let base = CiphertextEnvelope.associatedData(profile: .fips, keyID: keyID, materialVersion: 1, region: "ap-guangzhou", context: ctx)
        let otherKey = KeyID("0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0fa")!
        XCTAssertNotEqual(base, CiphertextEnvelope.associatedData(profile: .fips, keyID: otherKey, materialVersion: 1, region: "ap-guangzhou", context: ctx))
        XCTAssertNotEqual(base, CiphertextEnvelope.associatedData(profile: .fips, keyID: keyID, materialVersion: 2, region: "ap-guangzhou", context: ctx))
        XCTAssertNotEqual(base, CiphertextEnvelope.associatedData(profile: .fips, keyID: keyID, materialVersion: 1, region: "ap-beijing", context: ctx))
        XCTAssertNotEqual(base, CiphertextEnvelope.associatedData(profile: .fips, keyID: keyID, materialVersion: 1, region: "ap-guangzhou", context: .empty))
    }
}
