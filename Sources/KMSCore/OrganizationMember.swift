/// Tencent Organization's rules for what a member (here: a tenant account) is created with,
/// checked before anything is written.
public enum OrganizationMember {
    /// The organization's one node: every member hangs off the root (no departments here).
    public static let rootNodeId: Int64 = 1
    /// The only relationship policy Tencent offers (`PolicyType`).
    public static let policyType = "Financial"
    /// Financial permission ids Tencent defines (1 view bills … 10 credit limit).
    public static let permissionIds: ClosedRange<Int64> = 1...10
    /// The ids every member must be given: 1 (view bills) and 2 (view balance).
    public static let requiredPermissionIds: [Int64] = [1, 2]
    /// Most characters in a member or account name.
    public static let maximumNameLength = 25
    static let nameSymbols = Set("+@&._[]-:,".unicodeScalars)

    /// `Name` / `AccountName`: 1–25 characters, letters, digits, Chinese characters and `+@&._[]-:,`.
    public static func validateName(_ name: String, parameter: String) throws {
        let count = name.count
        guard count >= 1, count <= maximumNameLength else {
            throw KMSError.invalidValue(parameter, "must be 1 to \(maximumNameLength) characters")
        }
        for scalar in name.unicodeScalars {
            let isASCIIAlphanumeric = scalar.isASCII && (("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar)
                                                        || ("0"..."9").contains(scalar))
            let isHan = (0x4E00...0x9FFF).contains(scalar.value) || (0x3400...0x4DBF).contains(scalar.value)
            guard isASCIIAlphanumeric || isHan || nameSymbols.contains(scalar) else {
                throw KMSError.invalidValue(parameter, "may hold only letters, digits, Chinese characters and +@&._[]-:,")
            }
        }
    }

    /// `PolicyType` and `PermissionIds`, as Tencent checks them (they mean nothing here: no billing).
    public static func validateFinancialPolicy(type: String, permissions: [Int64]) throws {
        guard type == policyType else { throw KMSError.invalidValue("PolicyType", "must be \(policyType)") }
        guard permissions.allSatisfy(permissionIds.contains) else {
            throw KMSError.invalidValue("PermissionIds", "must be ids from \(permissionIds.lowerBound) to \(permissionIds.upperBound)")
        }
        guard requiredPermissionIds.allSatisfy(permissions.contains) else {
            throw KMSError.invalidValue("PermissionIds", "must include 1 (view bills) and 2 (view balance)")
        }
    }

    /// A node id given by the caller: only the root exists.
    public static func checkNode(_ nodeId: Int64) throws {
        guard nodeId == rootNodeId else {
            throw KMSError(.organizationNodeNotExist, "The only node is the root, NodeId \(rootNodeId).")
        }
    }

    /// Tencent's time text, `2021-04-17 12:19:07` (UTC here).
    public static func timeText(_ unixSeconds: Int64) -> String {
        let days = Int((Double(unixSeconds) / 86400).rounded(.down))
        let (year, month, day) = CivilDate.of(daysSinceEpoch: days)
        let second = Int(unixSeconds - Int64(days) * 86400)
        func two(_ n: Int) -> String { n < 10 ? "0\(n)" : String(n) }
        return "\(year)-\(two(month))-\(two(day)) \(two(second / 3600)):\(two(second / 60 % 60)):\(two(second % 60))"
    }
}
