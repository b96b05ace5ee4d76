import Foundation
import OpenRouter
import Testing

// Only the public API is used, so these also run under `swift test -c release`,
// where the throughput figure printed by the last test means something.

/// The error parsing `bytes` throws, or nil when it parses.
private func parseFailure(_ bytes: [UInt8], maximumDepth: Int = 512) -> JSONParseError? {
    do {
        _ = try JSONValue(parsing: bytes, maximumDepth: maximumDepth)
        return nil
    } catch {
        return error
    }
}

private func parseFailure(_ text: String, maximumDepth: Int = 512) -> JSONParseError? {
    parseFailure(Array(text.utf8), maximumDepth: maximumDepth)
}


/// Random JSON values that exercise escapes, astral characters, awkward numbers and larger objects.
private struct RandomJSON {
    var rng: SeededGenerator

    static let stringPieces = [
        "a", "Z", "0", " ", "model", "\"", "\\", "/", "\n", "\r", "\t", "\u{8}", "\u{C}", "\u{0}", "\u{1}", "\u{1F}",
        "\u{7F}", "é", "ß", "日本語", "😀", "𝄞", "\u{2028}", "\u{FEFF}", "e\u{301}", "👩‍👩‍👧", "sk-or-v1-abc",
        "a long run of plain ascii text that crosses several eight byte words",
    ]

    static let numberLiterals = [
        "0", "-0", "1", "-1", "1e-7", "0.00014", "123456789012345678901234567890", "-0.0", "1E+2", "1e2", "2.5e-3",
        "3.141592653589793", "-12.5E+3", "0e0", "1.7976931348623157e308", "5e-324", "0.1", "100", "9007199254740993",
    ]

    mutating func int(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &rng) }

    mutating func string() -> String {
        (0..<int(0...6)).map { _ in Self.stringPieces[int(0...Self.stringPieces.count - 1)] }.joined()
    }

    mutating func number() -> JSONNumber {
        switch int(0...3) {
        case 0: return JSONNumber(unchecked: Self.numberLiterals[int(0...Self.numberLiterals.count - 1)])
        case 1: return JSONNumber(int(Int.min...Int.max))
        case 2:
            let magnitude = Double(int(-30...30))
            return JSONNumber(Double.random(in: -1...1, using: &rng) * pow(10, magnitude))
        default:
            // A literal built from the grammar: sign, integer part, optional fraction, optional exponent.
            var literal = int(0...1) == 0 ? "-" : ""
            literal += int(0...3) == 0 ? "0" : String(int(1...9)) + (0..<int(0...25)).map { _ in String(int(0...9)) }.joined()
            if int(0...1) == 0 { literal += "." + (0..<int(1...12)).map { _ in String(int(0...9)) }.joined() }
            if int(0...2) == 0 { literal += ["e", "E"][int(0...1)] + ["", "+", "-"][int(0...2)] + String(int(0...40)) }
            return JSONNumber(unchecked: literal)
        }
    }

    mutating func value(depth: Int = 0) -> JSONValue {
        switch int(0...(depth >= 4 ? 3 : 5)) {
        case 0: return .null
        case 1: return .bool(int(0...1) == 0)
        case 2: return .number(number())
        case 3: return .string(string())
        case 4: return .array((0..<int(0...5)).map { _ in value(depth: depth + 1) })
        default:
            // Up to 20 members, so objects on both sides of the linear-search limit occur.
            var object = JSONObject()
            for _ in 0..<int(0...20) { object[string()] = value(depth: depth + 1) }
            return .object(object)
        }
    }
}

@Suite("JSONValue parsing")
struct JSONValueParsingTests {

    // MARK: Accepting

    @Test("Scalars parse to the right cases")
    func scalars() throws {
        #expect(try JSONValue(parsing: "null") == .null)
        #expect(try JSONValue(parsing: "true") == .bool(true))
        #expect(try JSONValue(parsing: "false") == .bool(false))
        #expect(try JSONValue(parsing: "\"\"") == .string(""))
        #expect(try JSONValue(parsing: "\"hello\"") == .string("hello"))
        #expect(try JSONValue(parsing: "42") == .number(JSONNumber(42)))
        #expect(try JSONValue(parsing: "[]") == .array([]))
        #expect(try JSONValue(parsing: "{}") == .object(JSONObject()))
    }

    @Test(
        "Numbers keep their literal text exactly",
        arguments: [
            "0", "-0", "7", "-7", "10", "1e-7", "0.00014", "123456789012345678901234567890", "-0.0", "1E+2", "1e2",
            "1E-2", "2.5e-3", "0e0", "0E+0", "1.0", "1.7976931348623157e308", "5e-324", "1e-400", "0e999999999999",
            "-123.456e-78", "1e05", String(repeating: "9", count: 308),
        ]
    )
    func numberLiterals(literal: String) throws {
        let value = try JSONValue(parsing: literal)
        #expect(value.numberValue?.literal == literal)
        let inArray = try JSONValue(parsing: " [ \(literal) , \(literal)] ")
        #expect(inArray[1]?.numberValue?.literal == literal)
    }

    @Test("Every escape decodes, surrogate pairs combine and raw UTF-8 passes through")
    func stringEscapes() throws {
        let cases: [(String, String)] = [
            (#""\"\\\/\b\f\n\r\t""#, "\"\\/\u{8}\u{C}\n\r\t"),
            (#""\u0041\u00e9\u00E9\u4e2d""#, "Aéé中"),
            (#""\u0000""#, "\u{0}"),
            (#""\ud83d\ude00""#, "😀"),
            (#""\uD834\uDD1E!""#, "𝄞!"),
            (#""\uDBFF\uDFFF""#, "\u{10FFFF}"),
            (#""a\nb""#, "a\nb"),
            ("\"é日本😀\u{2028}\u{7F}\"", "é日本😀\u{2028}\u{7F}"),
            ("\"mixed é \\n 😀 \\u00e9 tail of plain text\"", "mixed é \n 😀 é tail of plain text"),
            ("\"\(String(repeating: "x", count: 100))\\\"\(String(repeating: "y", count: 100))\"",
             String(repeating: "x", count: 100) + "\"" + String(repeating: "y", count: 100)),
        ]
        for (json, expected) in cases {
            #expect(try JSONValue(parsing: json) == .string(expected), "\(json)")
        }
    }

    @Test("Valid UTF-8 at every boundary is accepted", arguments: [
        [0x7F], [0xC2, 0x80], [0xDF, 0xBF], [0xE0, 0xA0, 0x80], [0xED, 0x9F, 0xBF], [0xEE, 0x80, 0x80],
        [0xEF, 0xBF, 0xBF], [0xF0, 0x90, 0x80, 0x80], [0xF4, 0x8F, 0xBF, 0xBF],
    ] as [[UInt8]])
    func validUTF8Boundaries(sequence: [UInt8]) throws {
        let value = try JSONValue(parsing: [0x22] + sequence + [0x22])
        #expect(value.stringValue.map { Array($0.utf8) } == sequence)
    }

    @Test("Whitespace is allowed around every token, and only the four JSON whitespace bytes")
    func whitespace() throws {
        let value = try JSONValue(parsing: " \t\n\r[ 1 ,\n{ \"a\" :\t2 } , [ ] , { } ]\r\n ")
        #expect(value == [1, ["a": 2], [], [:]])
        #expect(parseFailure("\u{0B}1") == JSONParseError(byteOffset: 0, message: "expected a JSON value"))
        #expect(parseFailure("\u{A0}1")?.byteOffset == 0)
    }

    @Test("Nested documents parse to the expected structure")
    func nested() throws {
        let text = #"{"custom_id":"job-1","model":"openai/gpt-4o-mini","messages":[{"role":"user","content":"Hi \"there\""}],"max_tokens":100,"temperature":0.7,"stream":false,"stop":null}"#
        let value = try JSONValue(parsing: text)
        let expected: JSONValue = [
            "custom_id": "job-1", "model": "openai/gpt-4o-mini",
            "messages": [["role": "user", "content": "Hi \"there\""]],
            "max_tokens": 100, "temperature": 0.7, "stream": false, "stop": nil,
        ]
        #expect(value == expected)
        #expect(value.serialized == text)
    }

    @Test("Key order survives parse and serialise, byte for byte")
    func keyOrder() throws {
        for text in [
            #"{"b":1,"a":2}"#,
            #"{"z":{"y":[1,{"x":true,"w":null}],"a":"s"},"m":0.00014,"b":-0}"#,
            "{" + (0..<40).reversed().map { "\"k\($0)\":\($0)" }.joined(separator: ",") + "}",
        ] {
            #expect(try JSONValue(parsing: text).serialized == text)
        }
    }

    @Test("Large objects (past the linear-search limit) look keys up correctly")
    func largeObjects() throws {
        let text = "{" + (0..<200).map { "\"key\($0)\":\($0)" }.joined(separator: ",") + "}"
        let value = try JSONValue(parsing: text)
        for index in [0, 1, 12, 13, 99, 199] {
            #expect(value["key\(index)"] == .number(JSONNumber(index)))
        }
        #expect(value["key200"] == nil)
        #expect(value.objectValue?.count == 200)
    }

    @Test("Removing a key returns its value and keeps the others in order, small or large", arguments: [3, 200])
    func removeValue(count: Int) throws {
        let text = "{" + (0..<count).map { "\"key\($0)\":\($0)" }.joined(separator: ",") + "}"
        var object = try #require(try JSONValue(parsing: text).objectValue)
        #expect(object.removeValue(forKey: "key1") == .number(JSONNumber(1)))
        #expect(object.removeValue(forKey: "key1") == nil)
        #expect(object.removeValue(forKey: "absent") == nil)
        let kept = (0..<count).filter { $0 != 1 }
        #expect(object.count == count - 1)
        #expect(object.keys == kept.map { "key\($0)" })
        for index in kept {
            #expect(object["key\(index)"] == .number(JSONNumber(index)))
        }
        #expect(JSONValue.object(object).serialized == "{" + kept.map { "\"key\($0)\":\($0)" }.joined(separator: ",") + "}")
    }

    @Test("Every input type parses the same")
    func inputTypes() throws {
        let text = #"{"a":[1,"é",{"b":null}]}"#
        let bytes = Array(text.utf8)
        let expected = try JSONValue(parsing: text)
        #expect(try JSONValue(parsing: bytes) == expected)
        #expect(try JSONValue(parsing: Data(bytes)) == expected)
        #expect(try JSONValue(parsing: ([0x20] + bytes + [0x20])[1...]) == expected)
        #expect(try JSONValue(parsing: bytes.lazy.map { $0 }) == expected)  // not contiguous: copied first
        #expect(try JSONValue(parsing: text.utf8) == expected)
        #expect(try JSONValue(parsing: Substring(text).utf8) == expected)
        #expect(try bytes.withUnsafeBytes { try JSONValue(parsing: $0) } == expected)
    }

    @Test("Random values survive serialise → parse unchanged, and Foundation accepts what we write")
    func randomRoundTrip() throws {
        var random = RandomJSON(rng: SeededGenerator(seed: 0x5EED))
        for iteration in 0..<400 {
            let value = random.value()
            let text = value.serialized
            let parsed = try JSONValue(parsing: text)
            #expect(parsed == value, "iteration \(iteration): \(text)")
            #expect(parsed.serialized == text, "iteration \(iteration)")
            #expect(throws: Never.self, "iteration \(iteration)") {
                try JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])
            }
        }
    }

    @Test("Depth up to the limit parses; one more level throws without touching the stack")
    func depthLimit() throws {
        func nested(_ depth: Int) -> String {
            String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
        }
        #expect(parseFailure(nested(512)) == nil)
        #expect(parseFailure(nested(513)) == JSONParseError(byteOffset: 512, message: "nesting deeper than 512 levels"))
        let objects = String(repeating: #"{"a":"#, count: 513) + "1" + String(repeating: "}", count: 513)
        #expect(parseFailure(objects) == JSONParseError(byteOffset: 512 * 5, message: "nesting deeper than 512 levels"))
        #expect(parseFailure(nested(3), maximumDepth: 3) == nil)
        #expect(parseFailure(nested(4), maximumDepth: 3) == JSONParseError(byteOffset: 3, message: "nesting deeper than 3 levels"))
        #expect(parseFailure("[]", maximumDepth: 0) == JSONParseError(byteOffset: 0, message: "nesting deeper than 0 levels"))
        #expect(parseFailure("1", maximumDepth: 0) == nil)
    }

    @Test("100,000 open brackets throw at the limit, and with no limit reach the end of input without overflowing")
    func hostileNesting() {
        let brackets = String(repeating: "[", count: 100_000)
        #expect(parseFailure(brackets) == JSONParseError(byteOffset: 512, message: "nesting deeper than 512 levels"))
        #expect(parseFailure(brackets, maximumDepth: .max) == JSONParseError(byteOffset: 100_000, message: "unexpected end of input"))
        let objects = String(repeating: #"{"a":"#, count: 100_000)
        #expect(parseFailure(objects, maximumDepth: .max) == JSONParseError(byteOffset: 500_000, message: "unexpected end of input"))
    }

    // MARK: Rejecting

    @Test(
        "Malformed documents throw with the right offset and message",
        arguments: [
            ("", 0, "unexpected end of input"),
            ("   \n\t", 5, "unexpected end of input"),
            ("[1,]", 3, "trailing comma"),
            ("[1,\n ]", 5, "trailing comma"),
            (#"{"a":1,}"#, 7, "trailing comma"),
            ("[,1]", 1, "expected a JSON value"),
            ("[1 2]", 3, "expected ',' or ']' after array element"),
            ("[1}", 2, "expected ',' or ']' after array element"),
            (#"{"a" 1}"#, 5, "expected ':' after object key"),
            (#"{"a":1 "b":2}"#, 7, "expected ',' or '}' after object member"),
            (#"{"a":1]"#, 6, "expected ',' or '}' after object member"),
            ("{1:2}", 1, "expected '\"' to begin an object key"),
            ("{'a':2}", 1, "expected '\"' to begin an object key"),
            (#"{"a":}"#, 5, "expected a JSON value"),
            ("// comment\n1", 0, "expected a JSON value"),
            ("/* comment */ 1", 0, "expected a JSON value"),
            ("[1 /* c */]", 3, "expected ',' or ']' after array element"),
            ("1 // comment", 2, "trailing characters after JSON value"),
            ("NaN", 0, "expected a JSON value"),
            ("Infinity", 0, "expected a JSON value"),
            ("-Infinity", 1, "expected digit in number"),
            ("[nan]", 1, "invalid literal"),
            ("01", 0, "leading zero in number"),
            ("-01", 1, "leading zero in number"),
            ("[00]", 1, "leading zero in number"),
            ("+1", 0, "expected a JSON value"),
            (".5", 0, "expected a JSON value"),
            ("[-.5]", 2, "expected digit in number"),
            ("1.", 2, "unexpected end of input"),
            ("[1.]", 3, "expected digit after decimal point"),
            ("[1.e5]", 3, "expected digit after decimal point"),
            ("1e", 2, "unexpected end of input"),
            ("[1e]", 3, "expected digit in exponent"),
            ("[1e+]", 4, "expected digit in exponent"),
            ("[1E-x]", 4, "expected digit in exponent"),
            ("-", 1, "unexpected end of input"),
            ("[-]", 2, "expected digit in number"),
            ("0x10", 1, "trailing characters after JSON value"),
            ("1.5.2", 3, "trailing characters after JSON value"),
            ("1e400", 0, "number out of range"),
            ("[-1e400]", 1, "number out of range"),
            ("[1e99999999999999999999]", 1, "number out of range"),
            (String(repeating: "9", count: 400), 0, "number out of range"),
            ("1 x", 2, "trailing characters after JSON value"),
            ("1x", 1, "trailing characters after JSON value"),
            ("{} {}", 3, "trailing characters after JSON value"),
            ("[1]]", 3, "trailing characters after JSON value"),
            ("\"a\"\"b\"", 3, "trailing characters after JSON value"),
            ("tru", 3, "unexpected end of input"),
            ("trux", 0, "invalid literal"),
            ("[nul]", 1, "invalid literal"),
            ("True", 0, "expected a JSON value"),
            ("None", 0, "expected a JSON value"),
            ("'a'", 0, "expected a JSON value"),
            ("\"abc", 4, "unexpected end of input"),
            ("\"abc\\", 5, "unexpected end of input"),
            (#""\u00""#, 5, "invalid hex digit in \\u escape"),
            (#""\u12G4""#, 5, "invalid hex digit in \\u escape"),
            (#""\x41""#, 1, "invalid escape sequence"),
            (#""\'""#, 1, "invalid escape sequence"),
            (#""ok\U0041""#, 3, "invalid escape sequence"),
            (#""\ud800""#, 1, "lone surrogate in \\u escape"),
            (#""\udc00""#, 1, "lone surrogate in \\u escape"),
            (#""ab\udfff\ud800""#, 3, "lone surrogate in \\u escape"),
            (#""\ud800\u0041""#, 1, "lone surrogate in \\u escape"),
            (#""\ud800\ud800""#, 1, "lone surrogate in \\u escape"),
            (#""\ud800x""#, 1, "lone surrogate in \\u escape"),
            (#""\ud800\n""#, 1, "lone surrogate in \\u escape"),
            (#""\ud800"#, 7, "unexpected end of input"),
            ("\"a\tb\"", 2, "control character in string"),
            ("\"a\nb\"", 2, "control character in string"),
            ("\"\u{1F}\"", 1, "control character in string"),
            ("\"\\n\u{1}\"", 3, "control character in string"),
            ("\"\u{0}\"", 1, "control character in string"),
            ("{\"a\u{0}\":1}", 3, "control character in string"),
            ("[1,\u{0}]", 3, "expected a JSON value"),
            ("1\u{0}", 1, "trailing characters after JSON value"),
            ("\u{0}", 0, "expected a JSON value"),
            ("\u{FEFF}{}", 0, "byte order mark is not allowed"),
            ("é", 0, "expected a JSON value"),
        ] as [(String, Int, String)]
    )
    func malformed(text: String, offset: Int, message: String) {
        #expect(parseFailure(text) == JSONParseError(byteOffset: offset, message: message))
    }

    @Test(
        "Invalid UTF-8 inside a string throws at the sequence's first byte",
        arguments: [
            [0x80], [0xBF], [0x80, 0x80],  // stray continuation bytes
            [0xC0, 0xAF], [0xC1, 0xBF], [0xE0, 0x80, 0xAF], [0xE0, 0x9F, 0xBF], [0xF0, 0x80, 0x80, 0xAF],
            [0xF0, 0x8F, 0xBF, 0xBF],  // overlong encodings
            [0xED, 0xA0, 0x80], [0xED, 0xBF, 0xBF], [0xED, 0xAD, 0xBF, 0xED, 0xB0, 0x80],  // UTF-16 surrogates
            [0xF4, 0x90, 0x80, 0x80], [0xF5, 0x80, 0x80, 0x80], [0xF7, 0xBF, 0xBF, 0xBF],  // past U+10FFFF
            [0xF8, 0x88, 0x80, 0x80, 0x80], [0xFC, 0x84, 0x80, 0x80, 0x80, 0x80], [0xFE], [0xFF],
            [0xC3], [0xE2, 0x82], [0xF0, 0x9F, 0x98],  // truncated by the closing quote
            [0xC3, 0x41], [0xE2, 0x41, 0xAC], [0xE2, 0x82, 0x41], [0xF0, 0x9F, 0x98, 0x41],  // bad continuation
        ] as [[UInt8]]
    )
    func invalidUTF8InStrings(sequence: [UInt8]) {
        let quote: UInt8 = 0x22
        // Plain string, after valid text, after an escape (the slow path), and as a key.
        #expect(parseFailure([quote] + sequence + [quote]) == JSONParseError(byteOffset: 1, message: "invalid UTF-8"))
        #expect(parseFailure(Array("\"ok é ".utf8) + sequence + [quote]) == JSONParseError(byteOffset: 7, message: "invalid UTF-8"))
        #expect(parseFailure(Array("\"\\n".utf8) + sequence + [quote]) == JSONParseError(byteOffset: 3, message: "invalid UTF-8"))
        #expect(parseFailure(Array("{\"".utf8) + sequence + Array("\":1}".utf8)) == JSONParseError(byteOffset: 2, message: "invalid UTF-8"))
        // Long plain runs go through the eight-bytes-at-a-time scan first.
        let prefix = Array("\"\(String(repeating: "abcdefgh", count: 3))".utf8)
        #expect(parseFailure(prefix + sequence + [quote]) == JSONParseError(byteOffset: prefix.count, message: "invalid UTF-8"))
    }

    @Test("Invalid UTF-8 outside strings is named as such; a string cut inside a character throws")
    func invalidUTF8Elsewhere() {
        #expect(parseFailure([0x80]) == JSONParseError(byteOffset: 0, message: "invalid UTF-8"))
        #expect(parseFailure(Array("[1,".utf8) + [0xFF] + Array("]".utf8)) == JSONParseError(byteOffset: 3, message: "invalid UTF-8"))
        #expect(parseFailure(Array("\"a".utf8) + [0xE2, 0x82]) == JSONParseError(byteOffset: 2, message: "invalid UTF-8"))
        #expect(parseFailure([0xEF, 0xBB]) == JSONParseError(byteOffset: 0, message: "invalid UTF-8"))
    }

    @Test("Every truncation of a valid document throws, at or before the cut")
    func truncations() throws {
        let documents = [
            #"{"custom_id":"job-1","model":"openai/gpt-4o-mini","messages":[{"role":"user","content":"Say \"hi\" é 😀\n"}],"max_tokens":100}"#,
            #"{"id":"gen-1","choices":[{"message":{"role":"assistant","content":"\u00e9\ud83d\ude00 done"},"finish_reason":"stop"}],"usage":{"prompt_tokens":12,"cost":0.00014,"x":[true,false,null,-1.5e-3]}}"#,
            #"[{"a":[[[{}]]]},"日本語",{"b":{"c":"\\"}}]"#,
        ]
        for document in documents {
            let bytes = Array(document.utf8)
            #expect(parseFailure(bytes) == nil)
            for cut in 0..<bytes.count {
                let error = parseFailure(Array(bytes[..<cut]))
                #expect(error != nil, "prefix of \(cut) bytes parsed")
                #expect((error?.byteOffset ?? 0) <= cut)
            }
        }
    }

    @Test("Random byte mutations throw or parse, never crash, and whatever parses round-trips")
    func mutations() throws {
        var rng = SeededGenerator(seed: 42)
        let seed = Array(#"{"a":[1,-2.5e3,"x\"y\u00e9",{"b":null,"c":true}],"d":"日本😀","e":{}}"#.utf8)
        let interesting: [UInt8] = Array("{}[]\",:\\-+.eE0123456789 \tntfu".utf8) + [0x00, 0x1F, 0x80, 0xC3, 0xE2, 0xF0, 0xFF]
        for _ in 0..<3000 {
            var bytes = seed
            for _ in 0..<Int.random(in: 1...3, using: &rng) {
                let position = Int.random(in: 0..<bytes.count, using: &rng)
                switch Int.random(in: 0...2, using: &rng) {
                case 0: bytes[position] = interesting.randomElement(using: &rng)!
                case 1: bytes.remove(at: position)
                default: bytes.insert(interesting.randomElement(using: &rng)!, at: position)
                }
            }
            let value: JSONValue
            do {
                value = try JSONValue(parsing: bytes)
            } catch {
                #expect(error.byteOffset >= 0 && error.byteOffset <= bytes.count)
                continue
            }
            #expect(try JSONValue(parsing: value.serialized) == value)
            // Whatever we accept, a conforming parser accepts too.
            #expect(throws: Never.self) { try JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed]) }
        }
    }

    // MARK: Duplicate keys

    @Test("Duplicate keys throw at the repeated key, naming it")
    func duplicateKeys() {
        #expect(parseFailure(#"{"model":"a","model":"b"}"#) == JSONParseError(byteOffset: 13, message: #"duplicate key "model""#))
        #expect(parseFailure(#"[{"a":{"b":1,"b":2}}]"#) == JSONParseError(byteOffset: 13, message: #"duplicate key "b""#))
        #expect(parseFailure(#"{"a":1,"b":2,"a":3}"#) == JSONParseError(byteOffset: 13, message: #"duplicate key "a""#))
        // An escaped spelling is the same key.
        #expect(parseFailure(#"{"a":1,"\u0061":2}"#) == JSONParseError(byteOffset: 7, message: #"duplicate key "a""#))
        // Swift compares strings by canonical equivalence, so JSONObject cannot hold both spellings of é.
        #expect(parseFailure("{\"\u{E9}\":1,\"e\u{301}\":2}")?.message.hasPrefix("duplicate key") == true)
        // Keys that are all ASCII are told apart by length first; a non-ASCII key anywhere in
        // the object (not in a nested one) makes every comparison a full one.
        #expect(parseFailure("{\"ab\":1,\"\u{E9}\":1,\"cd\":3,\"e\u{301}\":2}")?.message.hasPrefix("duplicate key") == true)
        #expect(parseFailure("{\"x\":{\"\u{E9}\":1},\"yy\":2,\"x\":3}") == JSONParseError(byteOffset: 21, message: #"duplicate key "x""#))
        #expect(parseFailure("{\"x\":{\"\u{E9}\":1,\"e\u{301}\":2},\"y\":2}")?.message.hasPrefix("duplicate key") == true)
        #expect((try? JSONValue(parsing: "{\"x\":{\"\u{E9}\":1},\"xy\":2,\"y\":{\"a\":1,\"b\":2}}")) != nil)
        // Past the linear-search limit the hash index finds it.
        let many = (0..<30).map { "\"k\($0)\":\($0)" }.joined(separator: ",")
        #expect(parseFailure("{\(many),\"k7\":0}") == JSONParseError(byteOffset: many.utf8.count + 2, message: #"duplicate key "k7""#))
        // Keys are shown escaped, and cut at 64 characters.
        #expect(parseFailure(#"{"a\"\n":1,"a\"\n":2}"#)?.message == #"duplicate key "a\"\n""#)
        let long = String(repeating: "k", count: 100)
        #expect(parseFailure(#"{"\#(long)":1,"\#(long)":2}"#)?.message == "duplicate key \"\(String(repeating: "k", count: 64))…\"")
    }

    @Test("The first problem in document order wins, whether a duplicate key or a syntax error")
    func duplicateKeyOrdering() {
        // The duplicate comes first, though the object never closes.
        #expect(parseFailure(#"{"a":1,"a":2,"#) == JSONParseError(byteOffset: 7, message: #"duplicate key "a""#))
        #expect(parseFailure(#"{"a":1,"a":{"b":}}"#) == JSONParseError(byteOffset: 7, message: #"duplicate key "a""#))
        #expect(parseFailure(#"{"a":1,"a":[1,,2]}"#) == JSONParseError(byteOffset: 7, message: #"duplicate key "a""#))
        #expect(parseFailure(#"{"x":{"a":1,"a":2},"x":3}"#) == JSONParseError(byteOffset: 12, message: #"duplicate key "a""#))
        #expect(parseFailure(#"{"x":1,"y":{"a":1,"a":2},"x":3}"#) == JSONParseError(byteOffset: 18, message: #"duplicate key "a""#))
        #expect(parseFailure(#"{"x":1,"x":{"a":1,"a":2}}"#) == JSONParseError(byteOffset: 7, message: #"duplicate key "x""#))
        // The syntax error comes first.
        #expect(parseFailure(#"{"a":1 x "a":2}"#) == JSONParseError(byteOffset: 7, message: "expected ',' or '}' after object member"))
        #expect(parseFailure(#"{"a":01,"a":2}"#) == JSONParseError(byteOffset: 5, message: "leading zero in number"))
    }

    // MARK: Error text

    @Test("Error descriptions name the problem and offset but never the input's contents")
    func errorsDoNotLeakInput() {
        let secret = "sk-or-v1-SECRET0123456789abcdef"
        let documents = [
            #"{"api_key":"\#(secret)","x":tru}"#,
            #"{"api_key":"\#(secret)"  "x":1}"#,
            #"{"api_key":"\#(secret)","x":[1,]}"#,
            #"{"api_key":"\#(secret)\q"}"#,
            #"{"api_key":"\#(secret)"#,
            "{\"api_key\":\"\(secret)\u{1}\"}",
            #"{"api_key":"\#(secret)","api_key":"\#(secret)"}"#,
            #"{"\#(secret)":1,"x":01}"#,
            #"["\#(secret)"] trailing \#(secret)"#,
            #"\#(secret)"#,
        ]
        for document in documents {
            guard let error = parseFailure(document) else {
                Issue.record("\(document) parsed")
                continue
            }
            #expect(error.description == "\(error.message) at byte \(error.byteOffset)")
            #expect(!error.description.contains("SECRET"), "\(error.description)")
            #expect(!error.description.contains("sk-or"), "\(error.description)")
        }
        var invalidUTF8 = Array(#"{"api_key":"\#(secret)"#.utf8)
        invalidUTF8 += [0xC0, 0x80] + Array(#""}"#.utf8)
        #expect(parseFailure(invalidUTF8).map { !$0.description.contains("SECRET") } == true)
        #expect(JSONParseError(byteOffset: 7, message: "unexpected end of input").description == "unexpected end of input at byte 7")
    }

    // MARK: Speed

    @Test("Throughput on OpenRouter-shaped lines, ours against JSONSerialization (printed)")
    func throughput() throws {
        let line = Array(#"{"custom_id":"job-1","model":"openai/gpt-4o-mini","messages":[{"role":"system","content":"You are a concise assistant."},{"role":"user","content":"Summarise in one sentence: The quick brown fox jumps over the lazy dog while the farmer watches, sipping coffee."}],"max_tokens":100}"#.utf8)
        let data = Data(line)
        let rounds = 2_000
        // Thread CPU time, not wall time: tests run in parallel on a shared machine, and time spent
        // descheduled is not the parser's. Nothing here suspends, so the thread stays the same.
        func cpuSeconds(_ work: () throws -> Void) rethrows -> Double {
            var start = timespec()
            var end = timespec()
            clock_gettime(CLOCK_THREAD_CPUTIME_ID, &start)
            try work()
            clock_gettime(CLOCK_THREAD_CPUTIME_ID, &end)
            return Double(end.tv_sec - start.tv_sec) + Double(end.tv_nsec - start.tv_nsec) / 1e9
        }
        var oursBest = Double.infinity
        var foundationBest = Double.infinity
        for _ in 0..<3 {
            oursBest = min(oursBest, try cpuSeconds {
                for _ in 0..<rounds { _ = try JSONValue(parsing: line) }
            })
            foundationBest = min(foundationBest, try cpuSeconds {
                for _ in 0..<rounds { _ = try JSONSerialization.jsonObject(with: data) }
            })
        }
        let ours = Double(line.count * rounds) / oursBest / 1e6
        let foundation = Double(line.count * rounds) / foundationBest / 1e6
        #if DEBUG
        let build = "debug build, so not meaningful: use swift test -c release"
        #else
        let build = "release build"
        #expect(ours > foundation)
        #endif
        print("JSONValue(parsing:) \(Int(ours)) MB/s, JSONSerialization \(Int(foundation)) MB/s, on a \(line.count)-byte request line (\(build))")
    }
}
