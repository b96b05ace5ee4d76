/// A JSON document as parsed from the wire or a job file.
///
/// Objects keep their keys in document order, so a request serialises exactly as written;
/// equality ignores key order. Numbers keep their literal text, so money read from JSON never
/// passes through binary floating point.
public enum JSONValue: Sendable, Hashable {
    case null
    case bool(Bool)
    case number(JSONNumber)
    case string(String)
    case array([JSONValue])
    case object(JSONObject)
}

/// A JSON number, stored as its literal text (for example `0.00014` or `-3e2`).
public struct JSONNumber: Sendable, Hashable, CustomStringConvertible {
    /// The number as it appears in JSON.
    public let literal: String

    /// Wraps text that is already a valid JSON number literal.
    public init(unchecked literal: String) {
        self.literal = literal
    }

    public init(_ value: Int) {
        self.literal = String(value)
    }

    /// Binary floating point is fine for sampling parameters such as `temperature`, never for money.
    public init(_ value: Double) {
        precondition(value.isFinite, "JSON has no representation for \(value)")
        if value == value.rounded(), abs(value) < 1e15 {
            self.literal = String(Int64(value))
        } else {
            self.literal = "\(value)"
        }
    }

    public var description: String { literal }

    /// The value when the literal is an integer within `Int`'s range (`3`, not `3.0` or `3e0`).
    public var intValue: Int? { Int(literal) }

    public var doubleValue: Double? { Double(literal) }

    /// True when the value is integral (`3`, `3.0`, `3e0` and `1e2` are; `3.5` is not); exact for any length.
    public var isInteger: Bool {
        if Int(literal) != nil { return true }
        guard let decimal = ExactDecimal(literal) else { return false }
        return decimal.exponent >= 0
    }

    /// Equal when the literals are the same number, compared exactly in decimal: `1`, `1.0` and `10e-1` are
    /// equal; `0.1` and `0.1000000000000000000001` are not, though they are the same `Double`.
    public static func == (lhs: JSONNumber, rhs: JSONNumber) -> Bool {
        if lhs.literal == rhs.literal { return true }
        guard let l = ExactDecimal(lhs.literal), let r = ExactDecimal(rhs.literal) else { return false }
        return l == r
    }

    /// The number in one spelling per value, for hashing requests: the sign, the significant
    /// digits and `e` with the power of ten of the last digit when it is not 0 (`1.50` and `15e-1`
    /// are `15e-1`; `100` is `1e2`; `-0` is `0`). The literal itself when it is not valid JSON.
    public var canonicalLiteral: String {
        guard let decimal = ExactDecimal(literal) else { return literal }
        if decimal.digits.isEmpty { return "0" }
        var text = decimal.isNegative ? "-" : ""
        text += String(decoding: decimal.digits, as: UTF8.self)
        if decimal.exponent != 0 { text += "e\(decimal.exponent)" }
        return text
    }

    public func hash(into hasher: inout Hasher) {
        if let decimal = ExactDecimal(literal) {
            hasher.combine(decimal)
        } else {
            hasher.combine(literal)
        }
    }

    /// A JSON number literal in a canonical form: the sign, the significant digits without leading or trailing
    /// zeros, and the power of ten of the last digit. Zero is always `(false, [], 0)`, so `-0 == 0`.
    private struct ExactDecimal: Hashable {
        var isNegative = false
        var digits: [UInt8] = []
        var exponent = 0

        /// Nil unless `literal` follows the JSON number grammar.
        init?(_ literal: String) {
            var bytes = literal.utf8[...]
            if bytes.first == UInt8(ascii: "-") {
                isNegative = true
                bytes = bytes.dropFirst()
            }
            let integer = bytes.prefix { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
            guard !integer.isEmpty, integer.first != UInt8(ascii: "0") || integer.count == 1 else { return nil }
            digits.append(contentsOf: integer)
            bytes = bytes[integer.endIndex...]
            if bytes.first == UInt8(ascii: ".") {
                let fraction = bytes.dropFirst().prefix { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
                guard !fraction.isEmpty else { return nil }
                digits.append(contentsOf: fraction)
                exponent = -fraction.count
                bytes = bytes[fraction.endIndex...]
            }
            if let marker = bytes.first, marker == UInt8(ascii: "e") || marker == UInt8(ascii: "E") {
                bytes = bytes.dropFirst()
                var exponentIsNegative = false
                if let sign = bytes.first, sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") {
                    exponentIsNegative = sign == UInt8(ascii: "-")
                    bytes = bytes.dropFirst()
                }
                guard !bytes.isEmpty else { return nil }
                var written = 0
                for byte in bytes {
                    guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
                    // Saturate: exponents this large only arise in hostile input, and Int must not trap.
                    written = min(written * 10 + Int(byte - UInt8(ascii: "0")), 1 << 48)
                }
                exponent += exponentIsNegative ? -written : written
            } else if !bytes.isEmpty {
                return nil
            }
            guard let first = digits.firstIndex(where: { $0 != UInt8(ascii: "0") }) else {
                self = ExactDecimal(zero: ())
                return
            }
            let last = digits.lastIndex { $0 != UInt8(ascii: "0") }!
            exponent += digits.count - 1 - last
            digits = Array(digits[first...last])
        }

        private init(zero: ()) {}
    }
}

/// A JSON object whose keys keep their insertion order.
///
/// Members are stored as parallel arrays in document order. Small objects, which are nearly all of them,
/// are searched linearly, which beats hashing at these sizes and makes building one cheap; larger ones
/// also keep a hash index from key to position.
public struct JSONObject: Sendable, Hashable, Sequence, ExpressibleByDictionaryLiteral {
    public private(set) var keys: [String] = []
    private var values: [JSONValue] = []
    /// Position of each key, kept only while `count > JSONObject.linearSearchLimit`.
    private var index: [String: Int]? = nil

    private static let linearSearchLimit = 12

    public init() {}

    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        for (key, value) in elements { self[key] = value }
    }

    public init(_ pairs: some Sequence<(String, JSONValue)>) {
        for (key, value) in pairs { self[key] = value }
    }

    /// Makes room for `capacity` members, so building an object of known size allocates once.
    public mutating func reserveCapacity(_ capacity: Int) {
        keys.reserveCapacity(capacity)
        values.reserveCapacity(capacity)
    }

    public var count: Int { keys.count }
    public var isEmpty: Bool { keys.isEmpty }

    /// Where `key` is among the members, for readers in this module that walk by position.
    func position(of key: String) -> Int? {
        if let index { return index[key] }
        return keys.firstIndex(of: key)
    }

    /// ``position(of:)`` for a key of lowercase ASCII letters, digits and `_` (a wire field's
    /// name), comparing lengths first. Exact for such a key: no other string is canonically
    /// equivalent to it, so an equal key has the same UTF-8 length (`==` on two different
    /// strings takes Swift's slow comparison path, and a reader looks up a dozen fields most
    /// objects lack).
    func position(ofFieldName key: String) -> Int? {
        assert(key.utf8.allSatisfy { (0x61...0x7A).contains($0) || (0x30...0x39).contains($0) || $0 == 0x5F }, "not a field name: \(key)")
        if let index { return index[key] }
        let length = key.utf8.count
        return keys.firstIndex { $0.utf8.count == length && $0 == key }
    }

    /// The value of the member at `position` (in `0..<count`).
    func value(at position: Int) -> JSONValue {
        values[position]
    }

    private mutating func rebuildIndex() {
        guard keys.count > Self.linearSearchLimit else {
            index = nil
            return
        }
        var rebuilt = [String: Int](minimumCapacity: keys.count)
        for (position, key) in keys.enumerated() { rebuilt[key] = position }
        index = rebuilt
    }

    /// Setting `nil` removes the key; setting an existing key keeps its position.
    public subscript(key: String) -> JSONValue? {
        get { position(of: key).map { values[$0] } }
        set {
            if let newValue {
                if let existing = position(of: key) {
                    values[existing] = newValue
                } else {
                    keys.append(key)
                    values.append(newValue)
                    if index != nil {
                        index![key] = keys.count - 1
                    } else if keys.count > Self.linearSearchLimit {
                        rebuildIndex()
                    }
                }
            } else {
                removeValue(forKey: key)
            }
        }
    }

    /// Removes the key, keeping the others in order, with one search.
    /// - Returns: the value it had, or nil when it was absent.
    @discardableResult
    public mutating func removeValue(forKey key: String) -> JSONValue? {
        guard let existing = position(of: key) else { return nil }
        keys.remove(at: existing)
        let value = values.remove(at: existing)
        if index != nil { rebuildIndex() }
        return value
    }

    public func makeIterator() -> Iterator {
        Iterator(object: self)
    }

    /// Walks the members in order. A concrete type, not `AnyIterator`: serialising a request
    /// iterates every object in it, and a type-erased iterator costs an allocation and an
    /// indirect call per member.
    public struct Iterator: IteratorProtocol {
        private let object: JSONObject
        private var position = 0

        fileprivate init(object: JSONObject) {
            self.object = object
        }

        public mutating func next() -> (key: String, value: JSONValue)? {
            guard position < object.keys.count else { return nil }
            defer { position += 1 }
            return (object.keys[position], object.values[position])
        }
    }

    /// Equal when both have the same keys with equal values, in any order.
    public static func == (lhs: JSONObject, rhs: JSONObject) -> Bool {
        guard lhs.count == rhs.count else { return false }
        for (position, key) in lhs.keys.enumerated() {
            guard let other = rhs.position(of: key), lhs.values[position] == rhs.values[other] else { return false }
        }
        return true
    }

    public func hash(into hasher: inout Hasher) {
        // Order must not matter, so members are hashed separately and combined commutatively.
        var combined = 0
        for (key, value) in zip(keys, values) {
            var member = Hasher()
            member.combine(key)
            member.combine(value)
            combined &+= member.finalize()
        }
        hasher.combine(count)
        hasher.combine(combined)
    }
}

extension JSONObject {
    /// Takes the members of a parsed object in document order; nil when a key repeats, so the strict
    /// parser can report it (the parser finds which one).
    /// - Parameter keysAreASCII: every key is plain ASCII. Two such keys are equal only if
    ///   their bytes are, so keys of different lengths need no `==` (which takes Swift's slow
    ///   comparison path when two strings differ); other keys may be canonically equivalent.
    init?(uniqueKeys keys: [String], values: [JSONValue], keysAreASCII: Bool = false) {
        if keys.count > Self.linearSearchLimit {
            var index = [String: Int](minimumCapacity: keys.count)
            for (position, key) in keys.enumerated() where index.updateValue(position, forKey: key) != nil {
                return nil
            }
            self.index = index
        } else {
            for later in keys.indices.dropFirst() {
                let length = keys[later].utf8.count
                for earlier in 0..<later where (!keysAreASCII || keys[earlier].utf8.count == length) && keys[earlier] == keys[later] {
                    return nil
                }
            }
        }
        self.keys = keys
        self.values = values
    }
}

extension JSONValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral,
    ExpressibleByBooleanLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral, ExpressibleByNilLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int) { self = .number(JSONNumber(value)) }
    public init(floatLiteral value: Double) { self = .number(JSONNumber(value)) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, JSONValue)...) { self = .object(JSONObject(elements)) }
    public init(nilLiteral: ()) { self = .null }
}

extension JSONValue {
    public subscript(key: String) -> JSONValue? {
        if case .object(let object) = self { return object[key] }
        return nil
    }

    public subscript(index: Int) -> JSONValue? {
        if case .array(let array) = self, array.indices.contains(index) { return array[index] }
        return nil
    }

    public var stringValue: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    public var numberValue: JSONNumber? {
        if case .number(let value) = self { return value }
        return nil
    }

    public var intValue: Int? { numberValue?.intValue }

    public var doubleValue: Double? { numberValue?.doubleValue }

    public var boolValue: Bool? {
        if case .bool(let value) = self { return value }
        return nil
    }

    public var arrayValue: [JSONValue]? {
        if case .array(let value) = self { return value }
        return nil
    }

    public var objectValue: JSONObject? {
        if case .object(let value) = self { return value }
        return nil
    }

    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    /// The JSON type name as JSON Schema spells it (`integer` for integral numbers).
    public var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "boolean"
        case .number(let number): number.isInteger ? "integer" : "number"
        case .string: "string"
        case .array: "array"
        case .object: "object"
        }
    }
}
