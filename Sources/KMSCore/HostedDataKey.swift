/// A data key KMS keeps for an account (SPEC §10, docs/DATA_KEYS.md): named, described, in a
/// state, and sealed under one of the account's CMKs. The service never stores the data key
/// itself: only the ciphertext envelope its CMK made, as GenerateDataKey's CiphertextBlob.
public struct HostedDataKey: Sendable, Equatable {
    /// Its DataKeyId: a random UUID, like a CMK's.
    public let id: KeyID
    public let appId: Int64
    public let region: String
    /// The CMK it is sealed under.
    public let keyID: KeyID
    /// DataKeyName: unique among the account's data keys in the region.
    public var name: String
    public var description: String
    /// The data key's length (1–1024).
    public let numberOfBytes: Int
    public var state: DataKeyState
    /// The state a PendingDelete key had when it was scheduled (CancelDataKeyDeletion restores it).
    public var stateBeforeDeletion: DataKeyState?
    /// TENCENT_KMS (GenerateDataKey) or EXTERNAL (ImportDataKey).
    public let origin: KeyOrigin
    public let creatorUin: Int64
    public let createTime: Int64
    /// Unix seconds; 0 unless PendingDelete.
    public var deletionDate: Int64
    /// The ciphertext envelope (serialized) of the data key under its CMK: GetDataKeyCiphertextBlob's
    /// CiphertextBlob.
    public let ciphertext: [UInt8]
    /// The EncryptionContext the envelope is bound to, as the caller gave it ("" for none).
    public let encryptionContext: String
    /// The CMK's alias, as read with the data key (DataKeyMetadata.KeyName); not stored with it.
    public var keyName: String

    public init(id: KeyID, appId: Int64, region: String, keyID: KeyID, name: String, description: String, numberOfBytes: Int,
                state: DataKeyState = .enabled, stateBeforeDeletion: DataKeyState? = nil, origin: KeyOrigin, creatorUin: Int64,
                createTime: Int64, deletionDate: Int64 = 0, ciphertext: [UInt8], encryptionContext: String, keyName: String = "") {
        self.id = id; self.appId = appId; self.region = region; self.keyID = keyID; self.name = name
        self.description = description; self.numberOfBytes = numberOfBytes; self.state = state
        self.stateBeforeDeletion = stateBeforeDeletion; self.origin = origin; self.creatorUin = creatorUin
        self.createTime = createTime; self.deletionDate = deletionDate; self.ciphertext = ciphertext
        self.encryptionContext = encryptionContext; self.keyName = keyName
    }

    /// Past its DeletionDate at `now`: gone for every action, even before the scheduled worker
    /// has destroyed it (as a CMK).
    public func isDeleted(now: Int64) -> Bool {
        state == .pendingDelete && deletionDate != 0 && deletionDate <= now
    }

    /// `DataKeyNotFound` for a key past its DeletionDate, answered exactly as for one that never existed.
    public func checkExists(now: Int64) throws {
        if isDeleted(now: now) { throw KMSError(.dataKeyNotFound) }
    }

    /// Applies `transition` (docs/DATA_KEYS.md, States); `deletionDate` is ScheduleDataKeyDeletion's.
    /// Enabling an Enabled key or disabling a Disabled one changes nothing and succeeds.
    public mutating func apply(_ transition: DataKeyTransition, deletionDate: Int64 = 0) throws {
        switch (transition, state) {
        case (.enable, .enabled), (.enable, .disabled): state = .enabled
        case (.disable, .enabled), (.disable, .disabled): state = .disabled
        case (.scheduleDeletion, .enabled), (.scheduleDeletion, .disabled):
            stateBeforeDeletion = state
            state = .pendingDelete
            self.deletionDate = deletionDate
        case (.cancelDeletion, .pendingDelete):
            state = stateBeforeDeletion ?? .disabled
            stateBeforeDeletion = nil
            self.deletionDate = 0
        case (.cancelDeletion, _):
            throw KMSError(.dataKeyNotPendingDelete)
        case (.enable, .pendingDelete), (.disable, .pendingDelete), (.scheduleDeletion, .pendingDelete):
            throw KMSError(.dataKeyStateNotSupport, "The data key is PendingDelete.")
        }
    }

    /// GetDataKeyPlaintext: an Enabled key only, each other state with its own code.
    public func checkPlaintextReadable() throws {
        switch state {
        case .enabled: return
        case .disabled: throw KMSError(.dataKeyDisabled)
        case .pendingDelete: throw KMSError(.dataKeyPendingDelete)
        }
    }

    /// GetDataKeyCiphertextBlob: an Enabled key only. Decrypt of the blob would otherwise hand
    /// out what disabling the key withholds.
    public func checkCiphertextReadable() throws {
        guard state == .enabled else {
            throw KMSError(.dataKeyStateNotSupport, "The data key is \(state.rawValue); its ciphertext is given out only while it is Enabled.")
        }
    }
}

/// The caller-chosen attributes of a data key and the account's quota (docs/DATA_KEYS.md).
public enum DataKeyRules {
    public static let maximumNameLength = 60
    public static let maximumDescriptionBytes = 100
    public static let numberOfBytes: ClosedRange<Int> = 1...1024
    /// Ids in one DescribeDataKeys, EnableDataKeys or DisableDataKeys.
    public static let maximumBatch = 100
    /// The default quota per account and region (`--data-key-limit`).
    public static let defaultLimit = 10_000

    /// 1–60 of `[A-Za-z0-9_-]`, the first a letter or digit (Tencent documents no rule for
    /// DataKeyName; this is a CMK Alias's, which every name in Tencent's examples meets).
    public static func validateName(_ name: String) throws {
        guard (1...maximumNameLength).contains(name.utf8.count) else {
            throw KMSError(.invalidDataKeyName, "The DataKeyName must be 1 to \(maximumNameLength) characters.")
        }
        guard ASCII.isKeyName(name) else {
            throw KMSError(.invalidDataKeyName,
                           "The DataKeyName may contain only letters, digits, '_' and '-', and must start with a letter or digit.")
        }
    }

    /// At most 100 bytes (Tencent's limit), without control characters; empty is allowed.
    public static func validateDescription(_ description: String) throws {
        guard description.utf8.count <= maximumDescriptionBytes else {
            throw KMSError.invalidValue("Description", "must be at most \(maximumDescriptionBytes) bytes")
        }
        guard !description.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else {
            throw KMSError.invalidValue("Description", "must not contain control characters")
        }
    }
}
