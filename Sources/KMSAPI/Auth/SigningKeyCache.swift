import Foundation
import KMSCore

/// Derived TC3 signing keys by (SecretId, date, service): the four-HMAC chain is computed once
/// a day per credential instead of on every request. A SecretId's secret never changes (a
/// credential is disabled, never re-keyed), and a disabled credential is refused before its
/// signature is checked, so entries need no invalidation; they are bounded in number.
final class SigningKeyCache: @unchecked Sendable {
    private let lock = NSLock()
    private struct Slot: Hashable {
        let secretId: String
        let date: String
        let service: String
    }

    private var keys: [Slot: SecureBytes] = [:]
    private let capacity: Int

    init(capacity: Int = 100_000) { self.capacity = capacity }

    func key(secretId: String, date: String, service: String, secretKey: SecureBytes) -> SecureBytes {
        let slot = Slot(secretId: secretId, date: date, service: service)
        lock.lock()
        if let key = keys[slot] { lock.unlock(); return key }
        lock.unlock()
        let key = RequestSignature.tc3SigningKey(secretKey: secretKey, date: date, service: service)
        lock.lock()
        if keys.count >= capacity { keys.removeAll(keepingCapacity: true) }
        keys[slot] = key
        lock.unlock()
        return key
    }
}
