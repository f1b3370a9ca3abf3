// libFuzzer target: a hostile form body or query string through the form decoder
// (FormDecoding.pairs), the un-flattener (FormDecoding.unflatten) and the declared-parameter
// decoding of every action (Parameters with form coercion).
#if DEBUG  // @testable import needs modules built for testing, as debug builds are
@testable import KMSAPI
import KMSCore

/// Every action's declared parameters, in a fixed order.
let actions = ActionTable.names.map { ActionTable.all[$0]! }

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    let tree: JSONValue
    do {
        tree = try FormDecoding.unflatten(FormDecoding.pairs(text))
    } catch let error as KMSError {
        precondition(error.code == .invalidParameter, "unexpected form error \(error)")
        return 0
    } catch {
        preconditionFailure("form decoding threw a non-KMSError: \(error)")
    }
    // Every leaf of a form tree is a string; lists are numbered from 0 without gaps.
    precondition(leavesAreStrings(tree), "un-flattened tree has a non-string leaf")
    for spec in actions {
        do {
            let parameters = try Parameters(decoding: tree, specs: spec.parameters, fromForm: true)
            for declared in spec.parameters {
                _ = parameters.string(declared.name)
                _ = parameters.strings(declared.name)
                _ = try? parameters.int(declared.name, default: 0, in: -1...1)
                _ = parameters.bool(declared.name)
            }
        } catch let error as KMSError {
            precondition(error.code != .internalError, "form parameters produced InternalError: \(error)")
        } catch {
            preconditionFailure("parameter decoding threw a non-KMSError: \(error)")
        }
    }
    return 0
}

func leavesAreStrings(_ value: JSONValue) -> Bool {
    switch value {
    case .string: return true
    case .array(let elements): return elements.allSatisfy(leavesAreStrings)
    case .object(let members): return members.allSatisfy { leavesAreStrings($0.1) }
    default: return false
    }
}
#endif
