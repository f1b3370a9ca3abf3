/// How long a responder may go on using what it has cached (keys, credentials, CAM policies)
/// while the change notifications that keep those caches true are not reaching it — in practice
/// while PostgreSQL fails over and its LISTEN connection is down.
///
/// The trade (docs/DEPLOYMENT.md, SECURITY.md): a change made while a responder is blind (a key
/// disabled, a credential removed) can go unseen for at most `seconds` after the channel broke;
/// in exchange, Encrypt and Decrypt with cached keys keep answering through a failover instead of
/// failing with the database. Past the window nothing cached is used (fail closed: every lookup
/// goes to the database, which answers or fails); once the channel is back everything cached is
/// dropped, so nothing loaded before or during the blind spell survives it.
/// `seconds == 0` is the strict rule: the caches are emptied the moment the channel breaks.
///
/// Instants are monotonic nanoseconds (`DispatchTimeNow.nanoseconds`); a value type, so the rule is
/// tested without threads or a database (`StalenessWindowTests`).
public struct StalenessWindow: Sendable, Equatable {
    /// What the caches must do when the channel breaks.
    public enum Loss: Equatable, Sendable {
        /// Empty everything now (`seconds == 0`).
        case emptyNow
        /// Keep serving cached entries before this instant, none at or after it.
        case serveUntil(UInt64)
    }

    /// The longest a cached entry is used after the channel broke.
    public let seconds: UInt64
    /// Cached entries may be used before this instant: `UInt64.max` while the channel is up.
    public private(set) var usableUntil: UInt64 = .max

    public init(seconds: UInt64) {
        self.seconds = seconds
    }

    /// Whether the channel is down (since `channelLost`, until `channelRestored`).
    public var isBlind: Bool { usableUntil != .max }

    /// The channel broke at `now` (or another reconnection attempt failed). The window opens at
    /// the first loss only: failed retries do not extend it.
    public mutating func channelLost(at now: UInt64) -> Loss {
        guard seconds > 0 else { return .emptyNow }
        if !isBlind { usableUntil = now &+ seconds &* 1_000_000_000 }
        return .serveUntil(usableUntil)
    }

    /// The channel listens again. The caller empties every cache before publishing this (entries
    /// kept or loaded while blind may have missed a notification).
    public mutating func channelRestored() {
        usableUntil = .max
    }

    /// Whether a cached entry may be used at `now`.
    public static func allowsCachedUse(at now: UInt64, usableUntil: UInt64) -> Bool {
        now < usableUntil
    }
}
