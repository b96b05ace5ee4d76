extension JSONSchema {
    /// How deep an instance may nest below the root before validation reports it as a violation.
    ///
    /// Only recursive (`$ref`) schemas can lead validation this deep. Validation recurses, using
    /// under 1 KB of stack per instance level in release builds (3–5 KB in debug builds), so this
    /// keeps it well inside a 512 KB secondary-thread stack.
    public static let maximumInstanceDepth = 128

    /// Validates an instance; returns nil when it conforms, else the FIRST violation found.
    ///
    /// The search is depth-first in document order. At each schema the checks run in this order:
    /// 1. `true`/`false` schemas (`false` admits nothing);
    /// 2. `type`;
    /// 3. `const`, then `enum`;
    /// 4. by the instance's type: `minimum`/`maximum` for numbers; `minLength`/`maxLength`
    ///    (Unicode scalars) for strings; `minItems`/`maxItems`, then each element against `items`
    ///    in index order for arrays; for objects, each present property in the *instance's* key
    ///    order (against its `properties` schema, else `additionalProperties`), and only then the
    ///    `required` properties that are missing, in `required` order;
    /// 5. `$ref`, against the same value;
    /// 6. `anyOf`: the value must match at least one branch; no branch's detail is reported.
    ///
    /// An unexpected property is reported at the property's own path (`$.extra`); a missing one at
    /// its object's path. A value nested deeper than ``maximumInstanceDepth`` is reported at the
    /// path of its container at that depth. `pattern` and `format` are never applied.
    ///
    /// Cost is linear in the instance for schemas without `anyOf`; each `anyOf` may try every
    /// branch, so nested `anyOf`s multiply.
    public func firstViolation(in instance: JSONValue) -> SchemaViolation? {
        var validator = SchemaValidator(root: value)
        return validator.validate(instance, against: value)
    }
}

/// Walks an instance against a checked schema. The instance path is kept as components and only
/// rendered when a violation is reported, because `anyOf` discards most violations it finds.
struct SchemaValidator {
    enum PathComponent {
        case key(String)
        case index(Int)
    }

    let root: JSONValue
    private var path: [PathComponent] = []

    init(root: JSONValue) {
        self.root = root
    }

    // The recursive path (validate → checkArray/checkObject/checkReference/checkAnyOf → descend →
    // validate) is kept to small frames: checks that do not recurse, and most message building, live
    // in functions that are never inlined into it, so deep instances need less stack, above all in
    // debug builds, where every temporary gets its own stack slot.

    mutating func validate(_ instance: JSONValue, against schema: JSONValue) -> SchemaViolation? {
        guard case .object(let object) = schema else { return checkBoolean(schema) }
        if let found = checkValue(instance, object) { return found }
        switch instance {
        case .array(let elements):
            if let found = checkArray(elements, object) { return found }
        case .object(let members):
            if let found = checkObject(members, object) { return found }
        default:
            break
        }
        if let found = checkReference(instance, object) { return found }
        return checkAnyOf(instance, object)
    }

    // MARK: Checks that do not recurse

    @inline(never)
    private func checkBoolean(_ schema: JSONValue) -> SchemaViolation? {
        // Anything but `false` is `true` here; nothing else gets past the definition check.
        schema == .bool(false) ? violation("no value is allowed here (schema is false)") : nil
    }

    /// `type`, `const`, `enum`, and the bounds of numbers, strings and arrays: everything that
    /// looks at the value itself rather than at its members.
    @inline(never)
    private func checkValue(_ instance: JSONValue, _ schema: JSONObject) -> SchemaViolation? {
        if let type = schema["type"] {
            let names = SchemaDefinitionChecker.declaredTypes(type)
            if !names.contains(where: { Self.instance(instance, hasType: $0) }) {
                return violation("expected \(names.joined(separator: " or ")), got \(instance.typeName)")
            }
        }
        if let constant = schema["const"], constant != instance {
            return violation("does not equal const")
        }
        if let members = schema["enum"]?.arrayValue, !members.contains(instance) {
            return violation("value not in enum")
        }
        switch instance {
        case .number(let number): return checkBounds(number, schema)
        case .string(let string): return checkLength(string, schema)
        case .array(let elements): return checkCount(elements.count, schema)
        default: return nil
        }
    }

    private func checkBounds(_ number: JSONNumber, _ schema: JSONObject) -> SchemaViolation? {
        // Doubles are exact enough for bounds a schema author writes; money limits would need decimals.
        guard let value = number.doubleValue else { return nil }
        if let minimum = schema["minimum"]?.numberValue, let bound = minimum.doubleValue, value < bound {
            return violation("\(number) is less than minimum \(minimum)")
        }
        if let maximum = schema["maximum"]?.numberValue, let bound = maximum.doubleValue, value > bound {
            return violation("\(number) is greater than maximum \(maximum)")
        }
        return nil
    }

    private func checkLength(_ string: String, _ schema: JSONObject) -> SchemaViolation? {
        let minimum = schema["minLength"].flatMap(SchemaDefinitionChecker.count)
        let maximum = schema["maxLength"].flatMap(SchemaDefinitionChecker.count)
        guard minimum != nil || maximum != nil else { return nil }
        // JSON Schema counts code points, which are Unicode scalars, not grapheme clusters.
        let length = string.unicodeScalars.count
        if let minimum, length < minimum {
            return violation("string has \(length) characters, fewer than minLength \(minimum)")
        }
        if let maximum, length > maximum {
            return violation("string has \(length) characters, more than maxLength \(maximum)")
        }
        return nil
    }

    private func checkCount(_ count: Int, _ schema: JSONObject) -> SchemaViolation? {
        if let minimum = schema["minItems"].flatMap(SchemaDefinitionChecker.count), count < minimum {
            return violation("array has \(count) items, fewer than minItems \(minimum)")
        }
        if let maximum = schema["maxItems"].flatMap(SchemaDefinitionChecker.count), count > maximum {
            return violation("array has \(count) items, more than maxItems \(maximum)")
        }
        return nil
    }

    @inline(never)
    private mutating func unexpectedProperty(_ key: String) -> SchemaViolation {
        path.append(.key(key))
        defer { path.removeLast() }
        return violation("unexpected property \(JSONValue.string(key).serialized)")
    }

    @inline(never)
    private func missingRequired(_ members: JSONObject, _ schema: JSONObject) -> SchemaViolation? {
        guard let required = schema["required"]?.arrayValue else { return nil }
        for case .string(let name) in required where members[name] == nil {
            return violation("missing required property \(JSONValue.string(name).serialized)")
        }
        return nil
    }

    @inline(never)
    private func tooDeep() -> SchemaViolation {
        violation("value nests deeper than \(JSONSchema.maximumInstanceDepth) levels")
    }

    // MARK: Checks that recurse

    private mutating func checkArray(_ elements: [JSONValue], _ schema: JSONObject) -> SchemaViolation? {
        guard let items = schema["items"] else { return nil }
        for index in elements.indices {
            if let found = descend(into: .index(index), elements[index], against: items) { return found }
        }
        return nil
    }

    private mutating func checkObject(_ members: JSONObject, _ schema: JSONObject) -> SchemaViolation? {
        let properties = schema["properties"]?.objectValue
        let additional = schema["additionalProperties"]
        for (key, member) in members {
            guard let memberSchema = properties?[key] ?? additional else { continue }
            if memberSchema == .bool(false), properties?[key] == nil { return unexpectedProperty(key) }
            if let found = descend(into: .key(key), member, against: memberSchema) { return found }
        }
        return missingRequired(members, schema)
    }

    private mutating func checkReference(_ instance: JSONValue, _ schema: JSONObject) -> SchemaViolation? {
        guard case .string(let reference) = schema["$ref"], let target = resolve(reference) else { return nil }
        return validate(instance, against: target)
    }

    private mutating func checkAnyOf(_ instance: JSONValue, _ schema: JSONObject) -> SchemaViolation? {
        guard let branches = schema["anyOf"]?.arrayValue else { return nil }
        for branch in branches where validate(instance, against: branch) == nil {
            return nil
        }
        return violation("matches none of anyOf")
    }

    private mutating func descend(
        into component: PathComponent, _ instance: JSONValue, against schema: JSONValue
    ) -> SchemaViolation? {
        if path.count >= JSONSchema.maximumInstanceDepth { return tooDeep() }
        path.append(component)
        defer { path.removeLast() }
        return validate(instance, against: schema)
    }

    // MARK: Helpers

    private static func instance(_ instance: JSONValue, hasType name: String) -> Bool {
        switch (name, instance) {
        case ("null", .null), ("boolean", .bool), ("string", .string), ("array", .array),
            ("object", .object), ("number", .number):
            true
        case ("integer", .number(let number)):
            number.isInteger
        default:
            false
        }
    }

    /// Looks up a reference the definition check has already proved resolvable.
    private func resolve(_ reference: String) -> JSONValue? {
        if reference == "#" { return root }
        guard let (container, name) = try? SchemaDefinitionChecker.parseReference(reference, at: "") else {
            return nil
        }
        return root[container]?.objectValue?[name]
    }

    private func violation(_ message: String) -> SchemaViolation {
        SchemaViolation(path: Self.render(path), message: message)
    }

    static func render(_ path: [PathComponent]) -> String {
        var text = "$"
        for component in path {
            switch component {
            case .index(let index):
                text += "[\(index)]"
            case .key(let key) where isIdentifier(key):
                text += "." + key
            case .key(let key):
                text += "["
                JSONValue.writeString(key, to: &text)
                text += "]"
            }
        }
        return text
    }

    private static func isIdentifier(_ key: String) -> Bool {
        guard let first = key.utf8.first, !(0x30...0x39).contains(first) else { return false }
        return key.utf8.allSatisfy { byte in
            (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte) || byte == 0x5F
        }
    }
}
