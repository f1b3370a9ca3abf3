#if canImport(Glibc)
import Glibc
#endif
import KMSCore

/// The master keys of a deployment: the original file (`master.key`, id 1) and one file per
/// rotation beside it (`master.key.2`, `master.key.3`, …), each 32 raw bytes, mode 0600, with the
/// original's owner. The newest seals; all open what they sealed.
public enum MasterKeyRing {
    public static func path(_ base: String, id: UInt8) -> String { id == 1 ? base : "\(base).\(id)" }

    /// Every key present, ids ascending.
    public static func load(base: String) throws -> [(id: UInt8, key: SecureBytes)] {
        var keys: [(UInt8, SecureBytes)] = [(1, try MasterKeyFile.load(path: base))]
        for id in UInt8(2)...UInt8(255) {
            let candidate = path(base, id: id)
            guard access(candidate, F_OK) == 0 else { continue }
            keys.append((id, try MasterKeyFile.load(path: candidate)))
        }
        return keys
    }

    /// Creates the next key file (owned like the original) and returns its id.
    public static func addKey(base: String) throws -> UInt8 {
        let ids = try load(base: base).map(\.id)
        guard let last = ids.last, last < 255 else { throw CryptoError("no master key id left") }
        let id = last + 1
        let file = path(base, id: id)
        guard try MasterKeyFile.create(path: file) else { throw CryptoError("\(file) already exists") }
        var info = stat()
        if stat(base, &info) == 0 { _ = chown(file, info.st_uid, info.st_gid) }
        return id
    }

    /// Removes the files of every key but id 1 and `keep`.
    public static func retire(base: String, keep: UInt8) throws {
        for (id, _) in try load(base: base) where id != 1 && id != keep {
            unlink(path(base, id: id))
        }
    }
}
