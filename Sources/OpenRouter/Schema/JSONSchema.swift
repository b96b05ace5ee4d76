/// A JSON Schema as used by `response_format: json_schema` and tool `parameters`.
///
/// Only the subset that OpenAI/OpenRouter structured outputs ("strict mode") accept is understood:
/// `type`, `properties`, `required`, `additionalProperties`, `items`, `enum`, `const`, `anyOf`,
/// `$defs`/`definitions` and local `$ref`. `minimum`, `maximum`, `minLength`, `maxLength`,
/// `minItems` and `maxItems` are checked too. `pattern` and `format` are shape-checked in the
/// schema but never applied to instances (there is no ECMA-262 regex engine here). Any other
/// keyword (`oneOf`, `allOf`, `not`, `prefixItems`, …) is passed through and ignored, so an
/// instance can pass `firstViolation(in:)` here and still be rejected by a provider that does
/// understand it.
///
/// Creating a value checks the schema's own structure, so a `JSONSchema` is always well formed:
/// every `$ref` resolves and no `$ref` chain loops without descending into the instance, which is
/// what lets validation terminate on any finite instance.
public struct JSONSchema: Sendable, Hashable {
    /// The schema exactly as given; serialise this to send it.
    public let value: JSONValue

    /// How many schema levels may nest, the root being level 1.
    public static let maximumDepth = 64

    /// Checks the schema's own structure before anything is sent. Throws the first problem found.
    ///
    /// Problems are looked for in this order: the size limit; then the schema tree, pre-order —
    /// for each schema, the JSON shape of each of its keywords in the order they are written, then
    /// (when `strict`) the strict-mode rules for that schema, then its sub-schemas in the order they
    /// are written; last, `$ref` cycles.
    ///
    /// - Parameters:
    ///   - strict: also enforce OpenAI strict-mode rules: root `type: "object"`; every object
    ///     schema (one whose `type` includes `"object"` or that has `properties`) has
    ///     `additionalProperties: false`, lists only declared properties in `required`, and lists
    ///     every declared property there.
    ///   - maximumBytes: size of the compactly serialized schema in UTF-8 bytes (default 50_000,
    ///     as in the service plan).
    public init(_ value: JSONValue, strict: Bool = false, maximumBytes: Int = 50_000) throws(SchemaDefinitionError) {
        // Size first: it is one linear pass and bounds the work of everything after it.
        let size = value.serialized.utf8.count
        if size > maximumBytes {
            throw SchemaDefinitionError(
                path: "", message: "schema is \(size) bytes, more than the limit of \(maximumBytes)")
        }
        var checker = SchemaDefinitionChecker(root: value, strict: strict)
        try checker.check()
        self.value = value
    }
}

/// Why a schema cannot be used, found by `JSONSchema.init`.
public struct SchemaDefinitionError: Error, Sendable, Hashable, CustomStringConvertible {
    /// JSON Pointer into the schema of the offending keyword or schema, e.g.
    /// `/properties/items/type`; `""` for the root.
    public var path: String
    public var message: String

    public init(path: String, message: String) {
        self.path = path
        self.message = message
    }

    public var description: String {
        path.isEmpty ? "invalid schema: \(message)" : "invalid schema at \(path): \(message)"
    }
}

/// The first place where an instance does not conform to a schema.
public struct SchemaViolation: Sendable, Hashable, CustomStringConvertible {
    /// Where the offending value sits in the instance, e.g. `$.ingredients[2].quantity`;
    /// `$` is the root and keys that are not identifiers are written `$["odd key"]`.
    public var path: String
    /// What is wrong, e.g. `expected string, got number` or `missing required property "confidence"`.
    public var message: String

    public init(path: String, message: String) {
        self.path = path
        self.message = message
    }

    public var description: String { "\(path): \(message)" }
}

// MARK: - Definition checking

/// Walks a schema once, checking keyword shapes and (optionally) strict-mode rules, and records
/// which schemas apply to the same instance value so `$ref` loops can be found afterwards.
struct SchemaDefinitionChecker {
    let root: JSONValue
    let strict: Bool

    /// An edge between two schemas that are applied to the same instance value (a `$ref` or an
    /// `anyOf` branch). A cycle made only of these never consumes any of the instance.
    private struct Edge {
        var target: String
        /// Pointer of the keyword that creates the edge, for the error message.
        var source: String
    }

    private var schemaPointers: [String] = []
    private var edges: [String: [Edge]] = [:]

    init(root: JSONValue, strict: Bool) {
        self.root = root
        self.strict = strict
    }

    mutating func check() throws(SchemaDefinitionError) {
        guard case .object = root else {
            throw SchemaDefinitionError(path: "", message: "schema must be a JSON object, got \(root.typeName)")
        }
        try walk(root, at: "", level: 1)
        try checkForCycles()
    }

    private mutating func walk(_ schema: JSONValue, at pointer: String, level: Int) throws(SchemaDefinitionError) {
        schemaPointers.append(pointer)
        // `true`/`false` are complete schemas; their shape was checked by the parent.
        guard case .object(let object) = schema else { return }

        var children: [(schema: JSONValue, pointer: String)] = []
        var sameInstance: [Edge] = []

        for (key, value) in object {
            let keyPointer = pointer + "/" + Self.escape(key)
            switch key {
            case "type":
                try checkType(value, at: keyPointer)
            case "properties", "$defs", "definitions":
                let members = try requireObject(value, at: keyPointer, keyword: key)
                for (name, member) in members {
                    let memberPointer = keyPointer + "/" + Self.escape(name)
                    try requireSchema(member, at: memberPointer)
                    children.append((member, memberPointer))
                }
            case "required":
                try checkRequired(value, at: keyPointer)
            case "additionalProperties", "items":
                try requireSchema(value, at: keyPointer)
                children.append((value, keyPointer))
            case "anyOf":
                let branches = try requireNonEmptyArray(value, at: keyPointer, keyword: key)
                for (index, branch) in branches.enumerated() {
                    let branchPointer = keyPointer + "/\(index)"
                    try requireSchema(branch, at: branchPointer)
                    children.append((branch, branchPointer))
                    sameInstance.append(Edge(target: branchPointer, source: branchPointer))
                }
            case "enum":
                _ = try requireNonEmptyArray(value, at: keyPointer, keyword: key)
            case "examples":
                guard case .array = value else {
                    throw SchemaDefinitionError(
                        path: keyPointer, message: "examples must be an array, got \(value.typeName)")
                }
            case "$ref":
                let target = try resolveReference(value, at: keyPointer)
                sameInstance.append(Edge(target: target, source: keyPointer))
            case "description", "title", "format", "pattern", "$comment", "$schema", "$id":
                guard case .string = value else {
                    throw SchemaDefinitionError(
                        path: keyPointer, message: "\(key) must be a string, got \(value.typeName)")
                }
            case "minimum", "maximum":
                guard case .number = value else {
                    throw SchemaDefinitionError(
                        path: keyPointer, message: "\(key) must be a number, got \(value.typeName)")
                }
            case "minLength", "maxLength", "minItems", "maxItems":
                guard Self.count(value) != nil else {
                    throw SchemaDefinitionError(
                        path: keyPointer, message: "\(key) must be a non-negative integer, got \(value.serialized)")
                }
            default:
                // `const`, `default` and unknown keywords: any value; providers pass unknown ones on.
                break
            }
        }

        if strict { try checkStrictRules(object, at: pointer) }

        if !sameInstance.isEmpty { edges[pointer] = sameInstance }
        for child in children {
            if level + 1 > JSONSchema.maximumDepth {
                throw SchemaDefinitionError(
                    path: child.pointer, message: "schema nests deeper than \(JSONSchema.maximumDepth) levels")
            }
            try walk(child.schema, at: child.pointer, level: level + 1)
        }
    }

    // MARK: Keyword shapes

    static let typeNames: Set<String> = ["object", "array", "string", "number", "integer", "boolean", "null"]

    private func checkType(_ value: JSONValue, at pointer: String) throws(SchemaDefinitionError) {
        switch value {
        case .string(let name):
            guard Self.typeNames.contains(name) else {
                throw SchemaDefinitionError(path: pointer, message: "unknown type \(value.serialized)")
            }
        case .array(let names):
            guard !names.isEmpty else {
                throw SchemaDefinitionError(path: pointer, message: "type array must not be empty")
            }
            var seen: Set<String> = []
            for (index, name) in names.enumerated() {
                let elementPointer = pointer + "/\(index)"
                guard case .string(let string) = name, Self.typeNames.contains(string) else {
                    throw SchemaDefinitionError(path: elementPointer, message: "unknown type \(name.serialized)")
                }
                guard seen.insert(string).inserted else {
                    throw SchemaDefinitionError(path: elementPointer, message: "duplicate type \(name.serialized)")
                }
            }
        default:
            throw SchemaDefinitionError(
                path: pointer, message: "type must be a string or an array of strings, got \(value.typeName)")
        }
    }

    private func checkRequired(_ value: JSONValue, at pointer: String) throws(SchemaDefinitionError) {
        guard case .array(let names) = value else {
            throw SchemaDefinitionError(
                path: pointer, message: "required must be an array of strings, got \(value.typeName)")
        }
        var seen: Set<String> = []
        for (index, name) in names.enumerated() {
            guard case .string(let string) = name else {
                throw SchemaDefinitionError(
                    path: pointer + "/\(index)", message: "required entries must be strings, got \(name.typeName)")
            }
            guard seen.insert(string).inserted else {
                throw SchemaDefinitionError(
                    path: pointer + "/\(index)", message: "duplicate required property \(name.serialized)")
            }
        }
    }

    private func requireObject(_ value: JSONValue, at pointer: String, keyword: String) throws(SchemaDefinitionError) -> JSONObject {
        guard case .object(let object) = value else {
            throw SchemaDefinitionError(
                path: pointer, message: "\(keyword) must be an object of schemas, got \(value.typeName)")
        }
        return object
    }

    private func requireNonEmptyArray(_ value: JSONValue, at pointer: String, keyword: String) throws(SchemaDefinitionError) -> [JSONValue] {
        guard case .array(let array) = value else {
            throw SchemaDefinitionError(path: pointer, message: "\(keyword) must be an array, got \(value.typeName)")
        }
        guard !array.isEmpty else {
            throw SchemaDefinitionError(path: pointer, message: "\(keyword) must not be empty")
        }
        return array
    }

    private func requireSchema(_ value: JSONValue, at pointer: String) throws(SchemaDefinitionError) {
        switch value {
        case .object, .bool: return
        default:
            throw SchemaDefinitionError(
                path: pointer, message: "schema must be an object or a boolean, got \(value.typeName)")
        }
    }

    /// A non-negative integral count such as `minItems` (`2.0` counts, as JSON Schema allows).
    static func count(_ value: JSONValue) -> Int? {
        guard case .number(let number) = value else { return nil }
        if let int = number.intValue { return int >= 0 ? int : nil }
        guard number.isInteger, let double = number.doubleValue, double >= 0 else { return nil }
        // Counts beyond Int are unreachable in practice; clamp rather than reject.
        return Int(exactly: double) ?? Int.max
    }

    // MARK: Strict mode

    private func checkStrictRules(_ object: JSONObject, at pointer: String) throws(SchemaDefinitionError) {
        let types = Self.declaredTypes(object["type"])
        if pointer.isEmpty, object["type"] != .string("object") {
            throw SchemaDefinitionError(
                path: object["type"] == nil ? "" : "/type",
                message: "strict mode: the root schema must have type \"object\"")
        }
        guard types.contains("object") || object["properties"] != nil else { return }

        switch object["additionalProperties"] {
        case .bool(false): break
        case nil:
            throw SchemaDefinitionError(
                path: pointer, message: "strict mode: object schema must set \"additionalProperties\": false")
        case .some:
            throw SchemaDefinitionError(
                path: pointer + "/additionalProperties",
                message: "strict mode: additionalProperties must be false")
        }

        let properties = object["properties"]?.objectValue ?? JSONObject()
        let required = object["required"]?.arrayValue?.compactMap(\.stringValue) ?? []
        for (index, name) in required.enumerated() where properties[name] == nil {
            throw SchemaDefinitionError(
                path: pointer + "/required/\(index)",
                message: "strict mode: required property \(JSONValue.string(name).serialized) is not in properties")
        }
        let requiredSet = Set(required)
        for name in properties.keys where !requiredSet.contains(name) {
            throw SchemaDefinitionError(
                path: pointer + "/properties/" + Self.escape(name),
                message: "strict mode: property \(JSONValue.string(name).serialized) must be listed in required")
        }
    }

    static func declaredTypes(_ value: JSONValue?) -> [String] {
        switch value {
        case .string(let name): [name]
        case .array(let names): names.compactMap(\.stringValue)
        default: []
        }
    }

    // MARK: References

    /// Resolves a `$ref` and returns the canonical JSON Pointer of its target.
    private func resolveReference(_ value: JSONValue, at pointer: String) throws(SchemaDefinitionError) -> String {
        guard case .string(let reference) = value else {
            throw SchemaDefinitionError(path: pointer, message: "$ref must be a string, got \(value.typeName)")
        }
        guard let (container, name) = try Self.parseReference(reference, at: pointer) else {
            return ""  // "#": the root, which is an object by now.
        }
        guard let target = root[container]?.objectValue?[name] else {
            throw SchemaDefinitionError(path: pointer, message: "unresolvable $ref \(value.serialized)")
        }
        try requireSchema(target, at: "/" + container + "/" + Self.escape(name))
        return "/" + container + "/" + Self.escape(name)
    }

    /// Splits a supported local reference into its container (`$defs` or `definitions`) and
    /// unescaped name; `nil` for `#`.
    static func parseReference(_ reference: String, at pointer: String) throws(SchemaDefinitionError) -> (String, String)? {
        if reference == "#" { return nil }
        let tokens = reference.split(separator: "/", omittingEmptySubsequences: false)
        guard tokens.count == 3, tokens[0] == "#", tokens[1] == "$defs" || tokens[1] == "definitions" else {
            throw SchemaDefinitionError(
                path: pointer,
                message: "unsupported $ref \(JSONValue.string(reference).serialized): only \"#\", \"#/$defs/Name\" and \"#/definitions/Name\" are supported")
        }
        guard let name = unescape(tokens[2]) else {
            throw SchemaDefinitionError(
                path: pointer, message: "invalid JSON Pointer escape in $ref \(JSONValue.string(reference).serialized)")
        }
        return (String(tokens[1]), name)
    }

    /// Finds a loop of `$ref`/`anyOf` edges, which would make validation recurse forever
    /// without consuming the instance.
    private func checkForCycles() throws(SchemaDefinitionError) {
        enum State { case onPath, done }
        var state: [String: State] = [:]
        // Iterative depth-first search: a long chain of definitions must not exhaust the stack.
        for start in schemaPointers where state[start] == nil {
            var path: [(pointer: String, nextEdge: Int)] = [(start, 0)]
            state[start] = .onPath
            while let top = path.last {
                let outgoing = edges[top.pointer] ?? []
                guard top.nextEdge < outgoing.count else {
                    state[top.pointer] = .done
                    path.removeLast()
                    continue
                }
                path[path.count - 1].nextEdge += 1
                let edge = outgoing[top.nextEdge]
                switch state[edge.target] {
                case .done: continue
                case .onPath:
                    let loopStart = path.firstIndex { $0.pointer == edge.target } ?? 0
                    let chain = path[loopStart...].map { "#" + $0.pointer } + ["#" + edge.target]
                    throw SchemaDefinitionError(
                        path: edge.source,
                        message: "$ref cycle that never descends into the instance: " + chain.joined(separator: " → "))
                case nil:
                    state[edge.target] = .onPath
                    path.append((edge.target, 0))
                }
            }
        }
    }

    // MARK: JSON Pointer tokens

    static func escape(_ token: String) -> String {
        guard token.contains(where: { $0 == "~" || $0 == "/" }) else { return token }
        return token.replacingAll("~", with: "~0").replacingAll("/", with: "~1")
    }

    static func unescape(_ token: Substring) -> String? {
        var result = ""
        var iterator = token.makeIterator()
        while let character = iterator.next() {
            guard character == "~" else {
                result.append(character)
                continue
            }
            switch iterator.next() {
            case "0": result.append("~")
            case "1": result.append("/")
            default: return nil
            }
        }
        return result
    }
}

extension String {
    /// Foundation-free replacement, so this module needs nothing beyond the standard library.
    fileprivate func replacingAll(_ target: Character, with replacement: String) -> String {
        var result = ""
        result.reserveCapacity(count)
        for character in self {
            if character == target { result += replacement } else { result.append(character) }
        }
        return result
    }
}
