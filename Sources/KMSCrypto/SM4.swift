import COpenSSL
import KMSCore

/// Raw SM4 (GB/T 32907) block encryption, exposed for published test vectors only.
/// Product code uses `SM4CTRHMACSM3`.
public enum SM4 {
    /// SM4 key and block length in bytes.
    public static let blockSize = 16

    /// Encrypts one 16-byte block with a 16-byte key (SM4-ECB, no padding).
    public static func encryptBlock(key: [UInt8], block: [UInt8]) throws -> [UInt8] {
        guard key.count == blockSize, block.count == blockSize else {
            throw CryptoError("SM4 key and block must be \(blockSize) bytes each")
        }
        let context = try key.withUnsafeBytes { try CipherContext(Algorithms.sm4ECB, encrypt: true, key: $0, iv: nil) }
        context.disablePadding()
        var out = [UInt8](repeating: 0, count: blockSize)
        _ = try block.withUnsafeBytes { input in try out.withUnsafeMutableBytes { try context.update(input, into: $0) } }
        try context.finish()
        return out
    }

    /// SM4-CTR over `input` with a 16-byte initial counter block; the counter is big-endian
    /// over all 128 bits, as OpenSSL's CTR mode increments it. Writes into `output`.
    static func ctr(key: SecureBytes, counter: [UInt8], input: UnsafeRawBufferPointer,
                    into output: UnsafeMutableRawBufferPointer) throws {
        let context = try key.withUnsafeBytes { try CipherContext(Algorithms.sm4CTR, encrypt: true, key: $0, iv: counter) }
        let written = try context.update(input, into: output)
        precondition(written == input.count, "SM4-CTR wrote an unexpected length")
        try context.finish()
    }
}
