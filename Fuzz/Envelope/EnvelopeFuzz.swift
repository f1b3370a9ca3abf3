// libFuzzer target: hostile bytes through every parser of a Decrypt request's values in the
// domain core: CiphertextEnvelope (bytes and Base64), Base64, EncryptionContext and JSONValue.
import KMSCore

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = size == 0 ? [] : Array(UnsafeBufferPointer(start: data, count: size))
    let text = String(decoding: bytes, as: UTF8.self)

    // The envelope is self-describing: what parses must serialise back to the same bytes.
    if let envelope = parsed({ try CiphertextEnvelope(bytes: bytes) }, expecting: .invalidCiphertext) {
        precondition(envelope.serialized == bytes, "envelope does not round-trip")
        precondition(envelope.nonce.count == CiphertextEnvelope.nonceSize && envelope.tag.count == CiphertextEnvelope.tagSize
                     && !envelope.ciphertext.isEmpty, "envelope parts have wrong sizes")
    }
    _ = parsed({ try CiphertextEnvelope(base64: text) }, expecting: .invalidCiphertext)

    // Decoding is strict: only canonical Base64 decodes, so it re-encodes to the same text.
    if let decoded = Base64.decode(text) {
        precondition(Base64.encode(decoded) == text, "Base64 accepted a non-canonical encoding")
    }

    if let context = parsed({ try EncryptionContext(parameter: text) }, expecting: .invalidParameterValue) {
        _ = context.canonicalEncoding
    }

    // JSON: what parses serialises to JSON that parses to the same value.
    if let value = try? JSONValue.parse(bytes) {
        guard let again = try? JSONValue.parse(value.serialized()) else {
            preconditionFailure("serialised JSON does not parse again")
        }
        precondition(again == value, "JSON does not round-trip")
    }
    return 0
}

/// The value, or nil when the parser refused the input with the expected error code.
func parsed<T>(_ parse: () throws -> T, expecting code: KMSError.Code) -> T? {
    do {
        return try parse()
    } catch let error as KMSError {
        precondition(error.code == code, "expected \(code.rawValue), got \(error)")
        return nil
    } catch {
        preconditionFailure("parser threw a non-KMSError: \(error)")
    }
}
