import KMSCore
import Yams

/// Reading YAML nodes strictly, each refusal a `SeedError` at the node's line.
extension SeedFile {
    /// A mapping's fields, each name once, all of them `allowed` (nil: any name).
    struct Fields {
        let pairs: [(name: (text: String, line: Int), value: Node)]
        let line: Int

        init(_ node: Node, path: String, allowed: Set<String>?) throws {
            guard case let .mapping(mapping) = node else {
                throw SeedError(line: SeedFile.line(node), field: path, "must be a mapping of names to values")
            }
            var seen = Set<String>()
            var pairs: [(name: (text: String, line: Int), value: Node)] = []
            for (name, value) in mapping {
                guard case let .scalar(scalar) = name else {
                    throw SeedError(line: SeedFile.line(name), field: path, "a field's name must be plain text")
                }
                let text = scalar.string
                if let allowed, !allowed.contains(text) {
                    let known = allowed.sorted().joined(separator: ", ")
                    throw SeedError(line: SeedFile.line(name), field: "\(path).\(text)", "unknown field (known here: \(known))")
                }
                guard seen.insert(text).inserted else {
                    throw SeedError(line: SeedFile.line(name), field: "\(path).\(text)", "given twice")
                }
                pairs.append(((text, SeedFile.line(name)), value))
            }
            self.pairs = pairs
            line = SeedFile.line(node)
        }

        subscript(name: String) -> Node? { pairs.first { $0.name.text == name }?.value }
    }

    static func line(_ node: Node) -> Int { node.mark?.line ?? 0 }

    static func sequence(_ node: Node, path: String) throws -> [Node] {
        guard case let .sequence(sequence) = node else { throw SeedError(line: line(node), field: path, "must be a list") }
        return Array(sequence)
    }

    /// A scalar as written; a null (`~`, nothing) is not one.
    static func string(_ node: Node, path: String) throws -> String {
        guard case let .scalar(scalar) = node, !(scalar.style == .plain && ["", "~", "null", "Null", "NULL"].contains(scalar.string)) else {
            throw SeedError(line: line(node), field: path, "must be a value (text or a number), not \(kind(node))")
        }
        return scalar.string
    }

    static func number(_ node: Node, path: String, in range: ClosedRange<Int64>) throws -> Int64 {
        let text = try string(node, path: path)
        guard text.utf8.allSatisfy({ (0x30...0x39).contains($0) }), let value = Int64(text), range.contains(value) else {
            throw SeedError(line: line(node), field: path, "must be a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return value
    }

    static func boolean(_ node: Node, path: String) throws -> Bool {
        switch try string(node, path: path) {
        case "true": return true
        case "false": return false
        default: throw SeedError(line: line(node), field: path, "must be true or false")
        }
    }

    static func kind(_ node: Node) -> String {
        switch node {
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        default: return "empty"
        }
    }

    /// Runs one of the API's own checks, its refusal re-worded as a `SeedError` at `node`.
    static func rule<R>(_ node: Node, path: String, _ check: () throws -> R) throws -> R {
        do {
            return try check()
        } catch let error as KMSError {
            throw SeedError(line: line(node), field: path, error.reason.isEmpty ? error.code.rawValue : error.reason)
        }
    }
}

extension SeedError {
    /// A YAML syntax error at its line, without the text around it (which may hold secrets).
    init(yaml error: YamlError) {
        switch error {
        case let .scanner(_, problem, mark, _), let .parser(_, problem, mark, _), let .composer(_, problem, mark, _):
            self.init(line: mark.line, field: "(syntax)", "not valid YAML or JSON: \(problem)")
        case let .reader(problem, _, _, _):
            self.init(line: 0, field: "(file)", "cannot be read: \(problem)")
        default:
            self.init(line: 0, field: "(file)", "not valid YAML or JSON")
        }
    }
}
