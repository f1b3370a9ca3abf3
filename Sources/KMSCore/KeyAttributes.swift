/// Where a CMK's material came from.
public enum KeyOrigin: String, Sendable {
    case tencentKMS = "TENCENT_KMS"
    case external = "EXTERNAL"
}

/// The validated, caller-chosen attributes of a CMK.
public enum KeyAttributes {
    public static let maximumAliasLength = 60
    public static let maximumDescriptionBytes = 1024

    /// 1–60 of `[A-Za-z0-9_-]`, first a letter or digit; the prefix `kms-` is reserved.
    public static func validateAlias(_ alias: String) throws {
        guard (1...maximumAliasLength).contains(alias.utf8.count) else {
            throw KMSError(.invalidAlias, "The alias must be 1 to \(maximumAliasLength) characters.")
        }
        guard ASCII.isKeyName(alias) else {
            throw KMSError(.invalidAlias, "The alias may contain only letters, digits, '_' and '-', and must start with a letter or digit.")
        }
        if alias.lowercased().hasPrefix("kms-") {
            throw KMSError(.invalidAlias, "The alias prefix `kms-` is reserved.")
        }
    }

    public static func validateDescription(_ description: String) throws {
        guard description.utf8.count <= maximumDescriptionBytes else {
            throw KMSError.invalidValue("Description", "must be at most \(maximumDescriptionBytes) bytes")
        }
    }
}

/// Rotation and deletion windows (SPEC §3, §4).
public enum KeySchedule {
    public static let day: Int64 = 86_400
    public static let pendingWindowDays: ClosedRange<Int64> = 7...30
    public static let rotateDays: ClosedRange<Int64> = 7...365
    public static let defaultRotateDays: Int64 = 365

    public static func checkPendingWindow(_ days: Int64) throws {
        guard pendingWindowDays.contains(days) else { throw KMSError(.invalidPendingWindowInDays) }
    }

    /// RotateKey needs rotation enabled and runs at most once in 24 h. Any rotation counts toward
    /// the 24 h, automatic ones included (LastRotateTime), so a RotateKey just after the automatic
    /// rotation is refused; the automatic schedule itself is never held back by this.
    public static func checkManualRotation(rotationEnabled: Bool, lastRotateTime: Int64, now: Int64) throws {
        guard rotationEnabled else { throw KMSError(.rotateNotSupported) }
        if lastRotateTime != 0 && now - lastRotateTime < day { throw KMSError(.rotateRateLimited) }
    }

    public static func checkRotateDays(_ days: Int64) throws {
        guard rotateDays.contains(days) else { throw KMSError.invalidValue("RotateDays", "must be between 7 and 365") }
    }
}
