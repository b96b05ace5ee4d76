// Fuzz target `json`: JSONValue(parsing:) and JSONValue.serialized.
//
// The input is a JSON document (or not). Invariants:
// - what parses is valid UTF-8, and its serialisation parses back to an equal value with an
//   equal hash and the same serialisation (serialising is a fixed point);
// - the byte, String and non-contiguous overloads agree, on values and on errors;
// - `maximumDepth` is exact: the value's own depth is accepted, one less is refused;
// - an error's offset lies inside the input.

import OpenRouter

func fuzz(_ input: UnsafeRawBufferPointer) {
    let bytes = Array(input)
    let parsed: Result<JSONValue, JSONParseError> = Result { () throws(JSONParseError) in try JSONValue(parsing: input) }

    // Other ways in must agree exactly, errors included.
    let fromArray = Result { () throws(JSONParseError) in try JSONValue(parsing: bytes) }
    expect(fromArray == parsed, "[UInt8] overload differs: \(fromArray) vs \(parsed)")
    let nonContiguous = Result { () throws(JSONParseError) in try JSONValue(parsing: bytes.lazy.map { $0 }) }
    expect(nonContiguous == parsed, "non-contiguous overload differs: \(nonContiguous) vs \(parsed)")
    if let text = String(validating: bytes, as: UTF8.self) {
        let fromString = Result { () throws(JSONParseError) in try JSONValue(parsing: text) }
        expect(fromString == parsed, "String overload differs: \(fromString) vs \(parsed)")
    }

    let value: JSONValue
    switch parsed {
    case .failure(let error):
        expect(error.byteOffset >= 0 && error.byteOffset <= input.count, "error offset \(error.byteOffset) outside the input of \(input.count) bytes")
        expect(!error.message.isEmpty, "an error without a message")
        return
    case .success(let success):
        value = success
    }
    expect(String(validating: bytes, as: UTF8.self) != nil, "accepted invalid UTF-8")

    let text = value.serialized
    expect(Array(text.utf8) == value.serializedBytes, "serialized and serializedBytes differ")
    let reparsed: JSONValue
    do {
        reparsed = try JSONValue(parsing: text)
    } catch {
        expect(false, "serialisation does not parse: \(error) in \(text)")
        return
    }
    expect(reparsed == value, "round trip changed the value: \(text)")
    expect(reparsed.hashValue == value.hashValue, "equal values hash differently: \(text)")
    expect(reparsed.serialized == text, "serialising is not a fixed point: \(text) then \(reparsed.serialized)")
    expect(text.utf8.count <= input.count, "the compact form is longer than the input: \(text)")

    let depth = nestingDepth(of: value)
    let atDepth = Result { () throws(JSONParseError) in try JSONValue(parsing: input, maximumDepth: depth) }
    expect(atDepth == parsed, "refused at maximumDepth \(depth), its own depth: \(atDepth)")
    if depth > 0 {
        do {
            _ = try JSONValue(parsing: input, maximumDepth: depth - 1)
            expect(false, "accepted at maximumDepth \(depth - 1), below its depth \(depth)")
        } catch {
            expect(error.message.hasPrefix("nesting deeper than"), "refused at maximumDepth \(depth - 1) for another reason: \(error)")
        }
    }
}

/// Arrays and objects nested, the outermost counting 1; scalars are 0.
func nestingDepth(of value: JSONValue) -> Int {
    switch value {
    case .array(let elements): 1 + (elements.map(nestingDepth(of:)).max() ?? 0)
    case .object(let object): 1 + (object.map { nestingDepth(of: $0.value) }.max() ?? 0)
    default: 0
    }
}
