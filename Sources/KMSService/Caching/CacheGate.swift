import KMSCore
import Synchronization

/// The instant after which a cache's entries may no longer be used (`StalenessWindow`), read on
/// every lookup: one atomic load. `CacheInvalidator` moves it when its channel breaks and back to
/// "always" once the channel listens again and the cache was emptied.
public final class CacheGate: Sendable {
    private let usableUntil = Atomic<UInt64>(.max)

    public init() {}

    /// Whether entries may be used at `now` (monotonic nanoseconds).
    func allows(_ now: UInt64) -> Bool {
        StalenessWindow.allowsCachedUse(at: now, usableUntil: usableUntil.load(ordering: .acquiring))
    }

    /// Entries may be used before `instant` only (`.max`: no limit).
    func allow(until instant: UInt64) {
        usableUntil.store(instant, ordering: .releasing)
    }
}
