/// A CMK's lifecycle state (SPEC §3).
public enum KeyState: String, Sendable, CaseIterable {
    case enabled = "Enabled"
    case disabled = "Disabled"
    case pendingDelete = "PendingDelete"
    case pendingImport = "PendingImport"
    case archived = "Archived"

    /// The `KeyState` filter numbers of ListKeyDetail (0 means all).
    public init?(filterNumber: Int64) {
        switch filterNumber {
        case 1: self = .enabled
        case 2: self = .disabled
        case 3: self = .pendingDelete
        case 4: self = .pendingImport
        case 5: self = .archived
        default: return nil
        }
    }

    /// States ListKeys returns.
    public var isListed: Bool { self == .enabled || self == .disabled || self == .pendingImport }
}

/// Every change of state an action can ask for.
public enum KeyTransition: Sendable, CaseIterable {
    case enable, disable, scheduleDeletion, cancelDeletion, archive, cancelArchive, importMaterial, removeMaterial
}

/// The rules of SPEC §3 and §9 in one place: which transitions and uses each state (and each
/// usage) allows. A use is checked in one order: the key exists, its usage allows the use, its
/// state allows it.
public struct KeyLifecycle: Sendable {
    public let state: KeyState
    /// Whether the key currently has usable key material (false for EXTERNAL keys before import).
    public let hasMaterial: Bool
    /// Past its DeletionDate: the key no longer exists for any action, even before the
    /// scheduled worker has destroyed it.
    public let isDeleted: Bool
    /// What the key is for.
    public let keyUsage: KeyUsage

    public init(state: KeyState, hasMaterial: Bool, isDeleted: Bool = false, keyUsage: KeyUsage = .encryptDecrypt) {
        self.state = state
        self.hasMaterial = hasMaterial
        self.isDeleted = isDeleted
        self.keyUsage = keyUsage
    }

    /// `CmkNotFound` for a key past its DeletionDate, answered exactly as for a key that never existed.
    public func checkExists() throws {
        if isDeleted { throw KMSError.notFound() }
    }

    /// The state after `transition`, or the exact error Tencent answers with.
    public func applying(_ transition: KeyTransition) throws -> KeyState {
        try checkExists()
        switch (transition, state) {
        // Enabling an Enabled key and disabling a Disabled one succeed and change nothing (as Tencent).
        case (.enable, .disabled), (.enable, .enabled): return .enabled
        case (.disable, .enabled), (.disable, .disabled): return .disabled
        case (.scheduleDeletion, .disabled), (.scheduleDeletion, .pendingImport): return .pendingDelete
        case (.scheduleDeletion, .enabled): throw KMSError(.cmkShouldBeDisabled)
        case (.cancelDeletion, .pendingDelete): return hasMaterial ? .disabled : .pendingImport
        case (.cancelDeletion, _): throw KMSError(.cmkNotPendingDelete)
        case (.archive, .enabled): return .archived
        case (.cancelArchive, .archived): return .enabled
        case (.importMaterial, .pendingImport), (.importMaterial, .enabled): return .enabled
        case (.removeMaterial, .enabled), (.removeMaterial, .disabled), (.removeMaterial, .archived): return .pendingImport
        default: throw KMSError(.cmkStateNotSupport)
        }
    }

    /// Encrypt, GenerateDataKey and ReEncrypt's destination (and RotateKey).
    public func checkCanEncrypt() throws {
        try checkExists()
        try keyUsage.checkSymmetric()
        switch state {
        case .enabled: return
        case .disabled: throw KMSError(.cmkDisabled)
        case .pendingDelete: throw KMSError(.keyPendingDelete)
        case .archived: throw KMSError(.cmkArchived)
        case .pendingImport: throw KMSError(.cmkStateNotSupport)
        }
    }

    /// Decrypt and ReEncrypt's source. Envelopes are made only under symmetric keys: one naming
    /// a key of another usage was never made by this service.
    public func checkCanDecrypt() throws {
        try checkExists()
        guard keyUsage == .encryptDecrypt else {
            throw KMSError(.invalidCiphertext, "The ciphertext names a key that does not encrypt.")
        }
        switch state {
        case .enabled, .archived: return
        case .disabled: throw KMSError(.cmkDisabled)
        case .pendingDelete: throw KMSError(.keyPendingDelete)
        case .pendingImport: throw KMSError(.cmkStateNotSupport)
        }
    }

    /// An asymmetric key's private or public half (SPEC §9): `allows` checks the usage (each
    /// action's own rule and code); then every state but Enabled answers `CmkStateNotSupport`,
    /// the code Tencent documents for these actions.
    public func checkCanUseKeyPair(_ allows: (KeyUsage) throws -> Void) throws {
        try checkExists()
        try allows(keyUsage)
        guard state == .enabled else {
            throw KMSError(.cmkStateNotSupport, "The key is \(state.rawValue); asymmetric operations need an Enabled key.")
        }
    }

    /// Reading a hosted data key's plaintext (GetDataKeyPlaintext): the CMK must be Enabled; a
    /// Disabled one answers `CmkDisabled`, any other state `CmkStateNotSupport` (the codes of the
    /// action's error list: Archived, PendingDelete and expired or deleted BYOK material alike).
    public func checkCanOpenDataKey() throws {
        try checkExists()
        switch state {
        case .enabled: return
        case .disabled: throw KMSError(.cmkDisabled)
        case .pendingDelete, .archived, .pendingImport:
            throw KMSError(.cmkStateNotSupport, "The data key's CMK is \(state.rawValue).")
        }
    }

    /// Making a hosted data key usable again (EnableDataKey(s), CancelDataKeyDeletion back to
    /// Enabled): only under an Enabled CMK, else `CmkStateNotSupport`.
    public func checkCanEnableDataKey() throws {
        try checkExists()
        guard state == .enabled else {
            throw KMSError(.cmkStateNotSupport, "The data key's CMK is \(state.rawValue).")
        }
    }

    /// Renaming and re-describing (UpdateAlias, UpdateKeyDescription).
    public func checkCanEditMetadata() throws {
        try checkExists()
        if state == .pendingDelete { throw KMSError(.cmkStateNotSupport) }
    }
}
