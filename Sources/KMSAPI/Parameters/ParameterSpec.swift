import KMSCore

/// The declared type of an action parameter, as in Tencent's API reference.
enum ParameterType {
    case string
    case integer
    case boolean
    case stringArray
    /// A list of integers (Organization's `MemberUin`, `PermissionIds`).
    case integerArray
    /// A list of objects (Tags, TagFilters, MemberAccounts).
    case objectArray
    /// One object (MemberAccount): the SDK sends `{}` for an empty model object.
    case object
}

/// One parameter an action defines.
struct ParameterSpec {
    let name: String
    let type: ParameterType
    let required: Bool
    /// Defined by Tencent but not offered by this service: refused when given a value.
    let unsupported: Bool
    /// What an unsupported parameter given a value answers.
    var refusal = KMSError.Code.unsupportedOperation

    static func required(_ name: String, _ type: ParameterType) -> ParameterSpec {
        ParameterSpec(name: name, type: type, required: true, unsupported: false)
    }
    static func optional(_ name: String, _ type: ParameterType) -> ParameterSpec {
        ParameterSpec(name: name, type: type, required: false, unsupported: false)
    }
    static func unsupported(_ name: String, _ type: ParameterType) -> ParameterSpec {
        ParameterSpec(name: name, type: type, required: false, unsupported: true)
    }
    /// `MemberAccount` / `MemberAccounts`: acting for a member account of an organization's trusted
    /// service, which only its admin or delegated admin may do. No caller here is one (the operator
    /// holds no keys), so naming a member answers the code Tencent lists for that,
    /// `UnsupportedOperation.NotRoleOperation`; the SDK's empty object is accepted.
    static func memberAccount(_ name: String, _ type: ParameterType) -> ParameterSpec {
        ParameterSpec(name: name, type: type, required: false, unsupported: true, refusal: .notRoleOperation)
    }
}

/// An action's parameters after declaration-driven decoding: known names only, declared types only.
struct Parameters {
    private var values: [String: JSONValue]

    /// Checks `object` against `specs`. Form leaves (always strings) are coerced to the
    /// declared type; JSON values must already have it.
    init(decoding object: JSONValue, specs: [ParameterSpec], fromForm: Bool) throws {
        guard case let .object(members) = object else { throw KMSError(.invalidParameter, "The parameters must be an object.") }
        var values: [String: JSONValue] = [:]
        for (name, raw) in members {
            guard let spec = specs.first(where: { $0.name == name }) else {
                throw KMSError(.unknownParameter, "The parameter `\(FormDecoding.sanitized(name))` is not recognized.")
            }
            if raw == .null { continue }
            let value = try Parameters.coerce(raw, to: spec.type, name: name, fromForm: fromForm)
            if spec.unsupported {
                if Parameters.isEmpty(value) { continue }
                if spec.refusal == .notRoleOperation {
                    throw KMSError(.notRoleOperation, "`\(name)` acts for a member account of a trusted service, which only its admin or delegated admin may do; no account of this service is one.")
                }
                throw KMSError(spec.refusal, "The parameter `\(name)` is not supported by this service.")
            }
            values[name] = value
        }
        for spec in specs where spec.required && values[spec.name] == nil {
            throw KMSError.missing(spec.name)
        }
        self.values = values
    }

    static func isEmpty(_ value: JSONValue) -> Bool {
        switch value {
        case .string(let s): return s.isEmpty
        case .array(let a): return a.isEmpty
        case .object(let members): return members.allSatisfy { $0.1 == .null }
        case .int(let i): return i == 0
        case .bool(let b): return !b
        default: return false
        }
    }

    static func coerce(_ raw: JSONValue, to type: ParameterType, name: String, fromForm: Bool) throws -> JSONValue {
        // Built only on failure: describing `type` goes through reflection, which is costly.
        var wrong: KMSError { KMSError.invalid(name, "must be of type \(type)") }
        // No parameter has a use for NUL, and the database's text protocol would cut the value
        // short at it: refuse rather than store something other than what was acknowledged.
        if containsNUL(raw) { throw KMSError.invalidValue(name, "must not contain NUL characters") }
        switch (type, raw) {
        case (.string, .string): return raw
        case (.integer, .int): return raw
        case (.integer, .double(let d)) where !fromForm && d == d.rounded() && abs(d) < 9.0e15: return .int(Int64(d))
        case (.integer, .string(let s)) where fromForm:
            guard let i = Int64(s) else { throw wrong }
            return .int(i)
        case (.boolean, .bool): return raw
        case (.boolean, .string(let s)) where fromForm:
            switch s.lowercased() {
            case "true", "1": return .bool(true)
            case "false", "0": return .bool(false)
            default: throw wrong
            }
        case (.stringArray, .array(let elements)):
            guard elements.allSatisfy({ if case .string = $0 { return true } else { return false } }) else { throw wrong }
            return raw
        case (.integerArray, .array(let elements)):
            return .array(try elements.map { try coerce($0, to: .integer, name: name, fromForm: fromForm) })
        case (.object, .object): return raw
        case (.objectArray, .array(let elements)):
            guard elements.allSatisfy({ if case .object = $0 { return true } else { return false } }) else { throw wrong }
            return raw
        default:
            throw wrong
        }
    }

    static func containsNUL(_ value: JSONValue) -> Bool {
        switch value {
        case .string(let s): return s.utf8.contains(0)
        case .array(let elements): return elements.contains(where: containsNUL)
        case .object(let members): return members.contains { $0.0.utf8.contains(0) || containsNUL($0.1) }
        default: return false
        }
    }

    func string(_ name: String) -> String? {
        if case let .string(s)? = values[name] { return s }
        return nil
    }

    func int(_ name: String) -> Int64? {
        if case let .int(i)? = values[name] { return i }
        return nil
    }

    func bool(_ name: String) -> Bool? {
        if case let .bool(b)? = values[name] { return b }
        return nil
    }

    func strings(_ name: String) -> [String]? {
        guard case let .array(elements)? = values[name] else { return nil }
        return elements.compactMap { if case let .string(s) = $0 { return s } else { return nil } }
    }

    /// A list parameter's elements (objectArray: Tags, TagFilters), as given.
    func elements(_ name: String) -> [JSONValue]? {
        if case let .array(elements)? = values[name] { return elements }
        return nil
    }

    func ints(_ name: String) -> [Int64]? {
        guard case let .array(elements)? = values[name] else { return nil }
        return elements.compactMap { if case let .int(i) = $0 { return i } else { return nil } }
    }

    /// A required string (presence was checked by decoding).
    func requiredString(_ name: String) throws -> String {
        guard let s = string(name) else { throw KMSError.missing(name) }
        return s
    }

    /// An integer with a default and an inclusive range; out of range is InvalidParameterValue.
    func int(_ name: String, default value: Int64, in range: ClosedRange<Int64>) throws -> Int64 {
        let v = int(name) ?? value
        guard range.contains(v) else { throw KMSError.invalidValue(name, "must be between \(range.lowerBound) and \(range.upperBound)") }
        return v
    }
}
