import COpenSSL
import KMSCore

/// One-shot message digests.
public enum Digest {
    /// SHA-256 of any byte collection (`[UInt8]`, `ArraySlice<UInt8>`, `String.UTF8View`, ...).
    public static func sha256<D: Collection>(_ data: D) -> [UInt8] where D.Element == UInt8 {
        digest(Algorithms.sha256, data)
    }

    /// Lower-case hex of the SHA-256 of `bytes` (TC3 signing hashes payloads this way).
    public static func sha256Hex(_ bytes: [UInt8]) -> String {
        Hex.encode(sha256(bytes))
    }

    /// Lower-case hex of the SHA-256 of any byte collection (e.g. `string.utf8`).
    public static func sha256Hex<D: Collection>(_ data: D) -> String where D.Element == UInt8 {
        Hex.encode(sha256(data))
    }

    /// SM3 (GB/T 32905) of `data`.
    public static func sm3(_ data: [UInt8]) -> [UInt8] {
        digest(Algorithms.sm3, data)
    }

    private static func digest<D: Collection>(_ md: OpaquePointer?, _ data: D) -> [UInt8]
    where D.Element == UInt8 {
        if let result = data.withContiguousStorageIfAvailable({ digest(md, UnsafeRawBufferPointer($0)) }) {
            return result
        }
        return Array(data).withUnsafeBytes { digest(md, $0) }
    }

    private static func digest(_ md: OpaquePointer?, _ data: UnsafeRawBufferPointer) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        // EVP_Digest writes at most EVP_MAX_MD_SIZE bytes into `out` and reports how many.
        let status = data.withNonNullBase { input in
            EVP_Digest(input.baseAddress, input.count, &out, &length, md, nil)
        }
        guard status == 1 else {
            fatalError("\(CryptoError.openSSL("EVP_Digest failed"))")
        }
        return Array(out.prefix(Int(length)))
    }
}

extension UnsafeRawBufferPointer {
    /// Calls `body` with a buffer whose base address is never nil: OpenSSL treats a NULL
    /// input pointer as "no input" in some functions even when the length is 0.
    func withNonNullBase<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        if baseAddress != nil { return try body(self) }
        var placeholder: UInt8 = 0
        return try withUnsafeBytes(of: &placeholder) { try body(UnsafeRawBufferPointer(start: $0.baseAddress, count: 0)) }
    }
}
