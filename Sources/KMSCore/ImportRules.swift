/// The wrapping key a caller asks for: `WrappingKeySpec` with a matching `WrappingAlgorithm`.
public enum WrappingKeySpec: String, Sendable, CaseIterable {
    case rsa2048 = "RSA_2048"
    /// Beyond Tencent: an SM2 key pair, for the SM profile's users.
    case sm2 = "SM2"

    /// The algorithms each spec can wrap with.
    public var algorithms: Set<String> {
        switch self {
        case .rsa2048: return ["RSAES_PKCS1_V1_5", "RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"]
        case .sm2: return ["SM2PKE"]
        }
    }
}

/// The rules of importing key material (SPEC §5), free of I/O so they are tested with a fixed clock.
public enum ImportRules {
    /// How long a GetParametersForImport answer stays usable.
    public static let parametersLifetime: Int64 = 24 * 3600
    /// The latest ValidTo Tencent accepts.
    public static let latestValidTo: Int64 = 2_147_443_200
    /// Unexpired parameter sets kept per key; a further request evicts the oldest.
    public static let maximumParametersPerKey = 5
    /// Unexpired parameter sets one account may hold in a region; beyond it, LimitExceeded.
    public static let maximumParametersPerAccount = 1000

    /// How long an expired token is still recognised (answered TokenExpired) after its key was wiped.
    public static let tombstoneSeconds: Int64 = 7 * 24 * 3600

    /// Import attempts one token survives; then it is spent (TokenExpired) and the caller asks
    /// for new parameters. Three tries cannot drive a padding or timing oracle anywhere.
    public static let maximumImportAttempts = 3

    /// Checks a WrappingKeySpec / WrappingAlgorithm pair.
    public static func wrapping(spec: String, algorithm: String) throws -> WrappingKeySpec {
        guard let parsed = WrappingKeySpec(rawValue: spec) else {
            throw KMSError.invalidValue("WrappingKeySpec", "must be RSA_2048 or SM2")
        }
        guard parsed.algorithms.contains(algorithm) else {
            throw KMSError.invalidValue("WrappingAlgorithm", "must be one of \(parsed.algorithms.sorted().joined(separator: ", ")) for \(spec)")
        }
        return parsed
    }

    /// ValidTo: 0 means the material never expires; otherwise a future Unix time no later than 2147443200.
    public static func checkValidTo(_ validTo: Int64, now: Int64) throws {
        if validTo == 0 { return }
        guard validTo > now, validTo <= latestValidTo else {
            throw KMSError.invalidValue("ValidTo", "must be 0 or a future Unix time no later than \(latestValidTo)")
        }
    }

    /// Import parameters are usable strictly before their ParametersValidTo.
    public static func checkToken(validTo: Int64, now: Int64) throws {
        guard now < validTo else { throw KMSError(.tokenExpired) }
    }

    /// A token whose attempts are used up answers like an expired one.
    public static func checkAttempts(before attempts: Int) throws {
        guard attempts < maximumImportAttempts else {
            throw KMSError(.tokenExpired, "This ImportToken has been used for \(maximumImportAttempts) failed imports; call GetParametersForImport again.")
        }
    }

    /// The unwrapped material must be exactly the profile's length (256 bits FIPS, 128 bits SM).
    public static func checkMaterialLength(_ count: Int, profile: CryptoProfile) throws {
        guard count == profile.materialLength else {
            throw KMSError(.invalidImportKeyMaterial, "The key material must be \(profile.materialLength * 8) bits in this region.")
        }
    }

    /// Import is only for EXTERNAL keys.
    public static func checkExternal(_ key: CustomerMasterKey) throws {
        guard key.origin == .external else { throw KMSError(.notExternalCmk) }
    }
}

extension ImportRules {
    /// The states, as stored, in which an EXTERNAL key can take an import: with usable material,
    /// and without (none yet, or expired). Derived from `KeyStatus.lifecycle`, so the guard that
    /// storage puts on an import attempt's claim never disagrees with the rules.
    public static let importableStates: (withMaterial: [KeyState], withoutMaterial: [KeyState]) = {
        func importable(_ state: KeyState, material: Bool) -> Bool {
            let status = KeyStatus(state: state, origin: .external, validTo: 0, currentVersion: material ? 1 : 0)
            return (try? status.lifecycle(now: 0).applying(.importMaterial)) != nil
        }
        return (KeyState.allCases.filter { importable($0, material: true) },
                KeyState.allCases.filter { importable($0, material: false) })
    }()
}
