import KMSCore

/// Walks a parsed policy document element by element, compiling statements and refusing the first
/// problem with its CAM code and its path (`statement[1].action[0]`).
enum PolicyReader {
    static func statements(of json: JSONValue) throws -> [PolicyStatement] {
        guard case let .object(members) = json else {
            throw KMSError(.policyDocumentError, "The policy document must be a JSON object.")
        }
        var version: JSONValue?
        var statement: JSONValue?
        for (name, value) in members {
            switch name {
            case "version": version = value
            case "statement": statement = value
            default: throw KMSError(.policyDocumentError, "\(quoted(name)): unknown element\(caseHint(name, ["version", "statement"])).")
            }
        }
        guard case .string("2.0")? = version else {
            throw KMSError(.policyVersionError, version == nil ? "version: is missing; it must be \"2.0\"." : "version: must be the string \"2.0\".")
        }
        switch statement {
        case nil:
            throw KMSError(.policyStatementError, "statement: is missing.")
        case let .object(members)?:
            return [try compile(members, path: "statement")]
        case let .array(elements)? where !elements.isEmpty:
            return try elements.enumerated().map { index, element in
                guard case let .object(members) = element else {
                    throw KMSError(.policyStatementError, "statement[\(index)]: must be an object.")
                }
                return try compile(members, path: "statement[\(index)]")
            }
        default:
            throw KMSError(.policyStatementError, "statement: must be a non-empty array of statements.")
        }
    }

    static func compile(_ members: [(String, JSONValue)], path: String) throws -> PolicyStatement {
        var effect: JSONValue?, action: JSONValue?, resource: JSONValue?, condition: JSONValue?
        let known = ["effect", "action", "resource", "condition"]
        for (name, value) in members {
            switch name {
            case "effect": effect = value
            case "action": action = value
            case "resource": resource = value
            case "condition": condition = value
            case "principal":
                throw KMSError(.policyPrincipalError, "\(path).principal: a policy attached to a user may not name a principal.")
            default:
                throw KMSError(.policyStatementError, "\(path).\(quoted(name)): unknown element\(caseHint(name, known)).")
            }
        }
        let deny: Bool
        switch effect {
        case let .string(text)? where text.lowercased() == "allow": deny = false
        case let .string(text)? where text.lowercased() == "deny": deny = true
        case nil: throw KMSError(.policyEffectError, "\(path).effect: is missing.")
        default: throw KMSError(.policyEffectError, "\(path).effect: must be allow or deny.")
        }
        let actions = try strings(action, path: "\(path).action", code: .policyActionError).map { text, place in
            switch ActionPattern.parse(text) {
            case let .pattern(pattern): return pattern
            case let .malformed(what): throw KMSError(.policyActionError, "\(place): \(quoted(text)) \(what).")
            case let .unknownService(service): throw KMSError(.policyActionServiceNotExist, "\(place): \(quoted(service)) is not a service of this endpoint (kms, cam, organization).")
            case .unknownAction: throw KMSError(.policyActionNotExist, "\(place): \(quoted(text)) names no action of its service.")
            }
        }
        let resources = try strings(resource, path: "\(path).resource", code: .policyResourceError).map { text, place in
            do {
                return try ResourcePattern.parse(text)
            } catch let refusal as ResourcePattern.Refusal {
                let code: KMSError.Code
                switch refusal.kind {
                case .malformed: code = .policyResourceError
                case .qcs: code = .policyResourceQcsError
                case .service: code = .policyResourceServiceNotExist
                case .region: code = .policyResourceRegionError
                case .uin: code = .policyResourceUinError
                case .content: code = .policyResourceContentError
                }
                throw KMSError(code, "\(place): \(quoted(text)) \(refusal.what).")
            }
        }
        let conditions = try condition.map { try compileConditions($0, path: "\(path).condition", deny: deny) } ?? []
        return PolicyStatement(deny: deny, actions: actions, resources: resources, conditions: conditions)
    }

    /// A string, or a non-empty array of strings, each with its path.
    static func strings(_ value: JSONValue?, path: String, code: KMSError.Code) throws -> [(String, String)] {
        switch value {
        case nil:
            throw KMSError(code, "\(path): is missing.")
        case let .string(text)?:
            guard !text.isEmpty else { throw KMSError(code, "\(path): is empty.") }
            return [(text, path)]
        case let .array(elements)? where !elements.isEmpty:
            return try elements.enumerated().map { index, element in
                guard case let .string(text) = element, !text.isEmpty else {
                    throw KMSError(code, "\(path)[\(index)]: must be a non-empty string.")
                }
                return (text, "\(path)[\(index)]")
            }
        default:
            throw KMSError(code, "\(path): must be a string or a non-empty array of strings.")
        }
    }

    static func compileConditions(_ value: JSONValue, path: String, deny: Bool) throws -> [PolicyCondition] {
        guard case let .object(operators) = value else {
            throw KMSError(.policyConditionError, "\(path): must be an object of operators.")
        }
        var compiled: [PolicyCondition] = []
        for (name, keys) in operators {
            let opPath = "\(path).\(quoted(name))"
            let ifExist = name.hasSuffix("_if_exist")
            guard let op = PolicyCondition.Operator(rawValue: ifExist ? String(name.dropLast(9)) : name) else {
                throw KMSError(.policyConditionTypeError, "\(opPath): unsupported condition operator.")
            }
            guard case let .object(pairs) = keys, !pairs.isEmpty else {
                throw KMSError(.policyConditionError, "\(opPath): must be a non-empty object of condition keys.")
            }
            for (key, listed) in pairs {
                let keyPath = "\(opPath).\(quoted(key))"
                guard PolicyCondition.supportedKeys.contains(key) else {
                    throw KMSError(.policyConditionContentError, "\(keyPath): unsupported condition key (qcs:ip, qcs:current_time, qcs:secure_transport).")
                }
                guard key == op.key else {
                    throw KMSError(.policyConditionContentError, "\(keyPath): \(op.rawValue) does not apply to this key.")
                }
                let (values, isList) = try conditionValues(listed, path: keyPath)
                do {
                    compiled.append(try PolicyCondition.compile(op, ifExist: ifExist, values: values, deny: deny))
                } catch let error as ConditionValueError {
                    throw KMSError(.policyConditionContentError, "\(keyPath)\(isList ? "[\(error.index)]" : ""): \(error.what).")
                }
            }
        }
        return compiled
    }

    static func conditionValues(_ value: JSONValue, path: String) throws -> ([PolicyConditionValue], Bool) {
        func one(_ element: JSONValue) -> PolicyConditionValue? {
            switch element {
            case let .string(text): return .text(text)
            case let .bool(flag): return .flag(flag)
            default: return nil
            }
        }
        if case let .array(elements) = value {
            guard !elements.isEmpty else { throw KMSError(.policyConditionContentError, "\(path): lists no value.") }
            return (try elements.enumerated().map { index, element in
                guard let v = one(element) else {
                    throw KMSError(.policyConditionContentError, "\(path)[\(index)]: must be a string.")
                }
                return v
            }, true)
        }
        guard let v = one(value) else { throw KMSError(.policyConditionContentError, "\(path): must be a string or an array of strings.") }
        return ([v], false)
    }

    /// A token of the document for a message: quoted, and cut short so a message never carries more
    /// than a short piece of what the caller sent.
    static func quoted(_ token: String) -> String {
        let printable = String(String.UnicodeScalarView(token.unicodeScalars.prefix(40).map {
            $0.value >= 0x20 && $0.value != 0x7F ? $0 : "?"
        }))
        return "`\(printable)\(token.unicodeScalars.count > 40 ? "…" : "")`"
    }

    /// " (element names are lowercase)" when `name` is a known element in another case.
    static func caseHint(_ name: String, _ known: [String]) -> String {
        known.contains(name.lowercased()) || name.lowercased() == "principal" ? " (element names are lowercase)" : ""
    }
}
