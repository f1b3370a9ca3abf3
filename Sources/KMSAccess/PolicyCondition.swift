/// One compiled test of a statement's `condition`: an operator applied to one condition key with its
/// values. A statement holds when every one of its conditions holds (several operators or keys = AND);
/// a condition holds when any of its values does (OR), and a negated operator holds when none does.
///
/// Operators and keys are Tencent's (CAM "条件键和条件运算符"): `ip_equal`, `ip_not_equal` on `qcs:ip`;
/// `date_equal`, `date_not_equal`, `date_less_than[_equal]`, `date_greater_than[_equal]` on
/// `qcs:current_time`; `bool_equal` (and `bool`, the same) on `qcs:secure_transport`, which is this
/// service's key for "the request came over HTTPS". Each takes the `_if_exist` suffix: the condition
/// also holds when the request carries no value for the key.
///
/// A request without a value for a key and without `_if_exist` is undecided, and an undecided
/// condition never grants and never lifts a deny: it fails in an allow statement and holds in a deny
/// statement (Tencent is silent on this; see docs/SECURITY.md "Policies").
final class PolicyCondition: Sendable {
    enum Test: Sendable {
        case ipIn([IPAddressRange], negated: Bool)
        case time([Int64], Comparison)
        case secureTransport(Bool)
    }

    enum Comparison: Sendable { case equal, notEqual, less, lessOrEqual, greater, greaterOrEqual }

    let test: Test
    /// What the condition evaluates to when the request has no value for its key.
    let whenMissing: Bool

    init(test: Test, whenMissing: Bool) {
        self.test = test
        self.whenMissing = whenMissing
    }

    @inline(__always)
    func holds(in context: ConditionInputs) -> Bool {
        switch test {
        case let .ipIn(ranges, negated):
            guard let address = context.address else { return whenMissing }
            let inside = ranges.withUnsafeBufferPointer { ranges in
                for i in ranges.indices where ranges[i].contains(address) { return true }
                return false
            }
            return inside != negated
        case let .time(instants, comparison):
            let now = context.now
            switch comparison {
            case .notEqual:
                for t in instants where t == now { return false }
                return true
            default:
                for t in instants {
                    switch comparison {
                    case .equal: if now == t { return true }
                    case .less: if now < t { return true }
                    case .lessOrEqual: if now <= t { return true }
                    case .greater: if now > t { return true }
                    case .greaterOrEqual: if now >= t { return true }
                    case .notEqual: break
                    }
                }
                return false
            }
        case let .secureTransport(expected):
            return context.secureTransport == expected
        }
    }
}

extension PolicyCondition {
    /// The operators this service understands, by Tencent's names without the `_if_exist` suffix.
    enum Operator: String, CaseIterable {
        case ipEqual = "ip_equal", ipNotEqual = "ip_not_equal"
        case dateEqual = "date_equal", dateNotEqual = "date_not_equal"
        case dateLessThan = "date_less_than", dateLessThanEqual = "date_less_than_equal"
        case dateGreaterThan = "date_greater_than", dateGreaterThanEqual = "date_greater_than_equal"
        case boolEqual = "bool_equal", bool = "bool"

        /// The one condition key the operator applies to.
        var key: String {
            switch self {
            case .ipEqual, .ipNotEqual: return "qcs:ip"
            case .boolEqual, .bool: return "qcs:secure_transport"
            default: return "qcs:current_time"
            }
        }
    }

    static let supportedKeys: Set<String> = ["qcs:ip", "qcs:current_time", "qcs:secure_transport"]

    /// Compiles one operator/key pair; `values` are the strings (or booleans) the policy lists.
    /// Throws the reason a value is refused, for the caller to place.
    static func compile(_ op: Operator, ifExist: Bool, values: [PolicyConditionValue], deny: Bool) throws -> PolicyCondition {
        let whenMissing = ifExist || deny
        switch op {
        case .ipEqual, .ipNotEqual:
            var ranges: [IPAddressRange] = []
            for (i, value) in values.enumerated() {
                guard case let .text(text) = value, let range = IPAddressRange(text) else {
                    throw ConditionValueError(index: i, what: "is not an IPv4/IPv6 address or CIDR block")
                }
                ranges.append(range)
            }
            return PolicyCondition(test: .ipIn(ranges, negated: op == .ipNotEqual), whenMissing: whenMissing)
        case .boolEqual, .bool:
            guard values.count == 1 else { throw ConditionValueError(index: 1, what: "is one value too many (a boolean takes one)") }
            let flag: Bool
            switch values[0] {
            case let .flag(b): flag = b
            case let .text(t) where t.lowercased() == "true": flag = true
            case let .text(t) where t.lowercased() == "false": flag = false
            default: throw ConditionValueError(index: 0, what: "is not true or false")
            }
            return PolicyCondition(test: .secureTransport(flag), whenMissing: whenMissing)
        default:
            var instants: [Int64] = []
            for (i, value) in values.enumerated() {
                guard case let .text(text) = value, let t = PolicyTime.unixSeconds(text) else {
                    throw ConditionValueError(index: i, what: "is not an ISO 8601 time like 2026-01-01T00:00:00Z")
                }
                instants.append(t)
            }
            let comparison: Comparison
            switch op {
            case .dateEqual: comparison = .equal
            case .dateNotEqual: comparison = .notEqual
            case .dateLessThan: comparison = .less
            case .dateLessThanEqual: comparison = .lessOrEqual
            case .dateGreaterThan: comparison = .greater
            default: comparison = .greaterOrEqual
            }
            return PolicyCondition(test: .time(instants, comparison), whenMissing: whenMissing)
        }
    }
}

/// A value listed under a condition key: CAM writes them as strings, booleans may be JSON booleans.
enum PolicyConditionValue: Sendable {
    case text(String)
    case flag(Bool)
}

/// Why one listed value was refused: its index in the list and what is wrong with it.
struct ConditionValueError: Error {
    let index: Int
    let what: String
}
