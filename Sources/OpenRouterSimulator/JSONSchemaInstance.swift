import Foundation

/// Builds the smallest value that satisfies a JSON Schema, the way the simulator
/// "answers" structured-output and tool-call requests.
///
/// Rules: objects get all `required` properties (all properties if there is no
/// `required`), strings `"example"`, integers `1`, numbers `1.5`, booleans `true`,
/// null `null`, arrays one item (of `items`, `"example"` if missing), `enum`/`const` the
/// first value, `anyOf`/`oneOf` the first branch, `allOf` the merge of its object branches,
/// `$ref` to `#/$defs/…` or `#/definitions/…` resolved, type arrays the first non-null
/// type. Anything else (e.g. an empty schema) becomes `"example"`.
struct JSONSchemaInstance {
    let root: JSONValue

    func instance() -> JSONValue {
        build(root, depth: 0)
    }

    private func build(_ schema: JSONValue, depth: Int) -> JSONValue {
        // Recursive schemas ($ref cycles) must terminate; 32 levels is far beyond real use.
        guard depth < 32, case .object(let node) = schema else { return .string("example") }
        if let ref = node["$ref"]?.stringValue {
            return build(resolve(ref), depth: depth + 1)
        }
        if let const = node["const"] { return const }
        if let first = node["enum"]?.arrayValue?.first { return first }
        if let first = (node["anyOf"] ?? node["oneOf"])?.arrayValue?.first {
            return build(first, depth: depth + 1)
        }
        if let branches = node["allOf"]?.arrayValue, !branches.isEmpty {
            var merged: [String: JSONValue] = [:]
            for branch in branches {
                guard case .object(let part) = build(branch, depth: depth + 1) else {
                    return build(branches[0], depth: depth + 1)
                }
                merged.merge(part) { _, new in new }
            }
            return .object(merged)
        }
        switch type(of: node) {
        case "object":
            let properties = node["properties"]?.objectValue ?? [:]
            let names: [String]
            if let required = node["required"]?.arrayValue {
                names = required.compactMap(\.stringValue)
            } else {
                names = Array(properties.keys)
            }
            var result: [String: JSONValue] = [:]
            for name in names {
                result[name] = build(properties[name] ?? .object([:]), depth: depth + 1)
            }
            return .object(result)
        case "array":
            return .array([build(node["items"] ?? .object([:]), depth: depth + 1)])
        case "integer": return .int(1)
        case "number": return .double(1.5)
        case "boolean": return .bool(true)
        case "null": return .null
        default: return .string("example")
        }
    }

    private func type(of node: [String: JSONValue]) -> String? {
        switch node["type"] {
        case .string(let type): return type
        case .array(let types):
            let names = types.compactMap(\.stringValue)
            return names.first { $0 != "null" } ?? names.first
        default:
            return node["properties"] != nil ? "object" : (node["items"] != nil ? "array" : nil)
        }
    }

    private func resolve(_ ref: String) -> JSONValue {
        var node: JSONValue? = root
        guard ref.hasPrefix("#") else { return .object([:]) }
        for part in ref.dropFirst().split(separator: "/") {
            let key = part.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
            node = node?[key]
        }
        return node ?? .object([:])
    }
}
