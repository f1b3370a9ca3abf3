// libFuzzer target: a hostile `Authorization` header value through TC3Authorization(parsing:).
#if DEBUG  // @testable import needs modules built for testing, as debug builds are
@testable import KMSAPI
import KMSCore

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let header = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    do {
        let auth = try TC3Authorization(parsing: header)
        // What the verifier relies on once parsing succeeded.
        precondition(!auth.secretId.isEmpty, "empty SecretId accepted")
        precondition(auth.signatureBytes.count == 64 && auth.signatureBytes.allSatisfy { isLowerHex($0) },
                     "signature is not 64 lower-case hex digits")
        precondition(auth.signedHeaders.contains("content-type") && auth.signedHeaders.contains("host"),
                     "SignedHeaders lacks content-type or host")
        precondition(auth.signedHeaders.allSatisfy { !$0.isEmpty } && auth.signedHeaders.count <= 32,
                     "SignedHeaders has an empty or excess name")
        precondition(header.utf8.count <= 2048, "oversized header accepted")
    } catch let error as KMSError {
        precondition(error.code == .authFailureInvalidAuthorization, "unexpected error \(error)")
    } catch {
        preconditionFailure("Authorization parsing threw a non-KMSError: \(error)")
    }
    return 0
}

func isLowerHex(_ c: UInt8) -> Bool { (0x30...0x39).contains(c) || (0x61...0x66).contains(c) }
#endif
