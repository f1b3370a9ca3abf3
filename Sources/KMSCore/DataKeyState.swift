/// The states of a KMS-hosted data key (SPEC §10): fewer than a CMK's, since a data key has no
/// material of its own to import and is never archived.
public enum DataKeyState: String, Sendable, CaseIterable {
    case enabled = "Enabled"
    case disabled = "Disabled"
    case pendingDelete = "PendingDelete"

    /// ListDataKeyDetail's `KeyState` filter: 1 Enabled, 2 Disabled, 3 PendingDelete (0 is "all").
    public init?(filterNumber: Int64) {
        switch filterNumber {
        case 1: self = .enabled
        case 2: self = .disabled
        case 3: self = .pendingDelete
        default: return nil
        }
    }

    /// Whether the key counts against the account's quota: PendingDelete keys do not (Tencent's
    /// CancelDataKeyDeletion can answer DataKeyLimitExceeded: cancelling counts the key again).
    public var countsAgainstQuota: Bool { self != .pendingDelete }
}

/// Every change of state a data-key action can ask for.
public enum DataKeyTransition: Sendable, CaseIterable {
    case enable, disable, scheduleDeletion, cancelDeletion
}
