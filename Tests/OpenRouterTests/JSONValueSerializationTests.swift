import Foundation
import OpenRouter
import Testing

@Suite("JSONValue serialisation")
struct JSONValueSerializationTests {

    @Test("Quote, backslash and control characters are escaped; everything else passes through")
    func stringEscaping() {
        #expect(JSONValue.string(#"say "hi""#).serialized == #""say \"hi\"""#)
        #expect(JSONValue.string(#"C:\path"#).serialized == #""C:\\path""#)
        #expect(JSONValue.string("a\nb\rc\td\u{8}e\u{C}f").serialized == #""a\nb\rc\td\be\ff""#)
        #expect(JSONValue.string("\u{0}\u{1}\u{1F}").serialized == #""\u0000\u0001\u001f""#)
        // Solidus, DEL and line separators need no escape in JSON.
        #expect(JSONValue.string("/\u{7F}\u{2028}\u{2029}").serialized == "\"/\u{7F}\u{2028}\u{2029}\"")
        #expect(JSONValue.string("").serialized == #""""#)
    }

    @Test("Every control character gets its short escape or a \\u00XX one")
    func everyControlCharacter() throws {
        let short: [UInt8: String] = [0x08: #"\b"#, 0x09: #"\t"#, 0x0A: #"\n"#, 0x0C: #"\f"#, 0x0D: #"\r"#]
        for byte in UInt8(0)..<0x20 {
            let text = String(decoding: [byte], as: UTF8.self)
            let expected = short[byte] ?? "\\u00" + (byte < 0x10 ? "0" : "") + String(byte, radix: 16)
            let serialized = JSONValue.string(text).serialized
            #expect(serialized == "\"\(expected)\"")
            #expect(try JSONValue(parsing: serialized) == .string(text))
        }
    }

    @Test("A byte needing an escape is found at every position of an eight-byte word and of the tail")
    func escapesAtEveryPosition() throws {
        func reference(_ text: String) -> String {
            var out = "\""
            for scalar in text.unicodeScalars {
                switch scalar {
                case "\"": out += "\\\""
                case "\\": out += "\\\\"
                case "\n": out += "\\n"
                case "\r": out += "\\r"
                case "\t": out += "\\t"
                case "\u{8}": out += "\\b"
                case "\u{C}": out += "\\f"
                case _ where scalar.value < 0x20: out += "\\u00" + (scalar.value < 0x10 ? "0" : "") + String(scalar.value, radix: 16)
                default: out.unicodeScalars.append(scalar)
                }
            }
            return out + "\""
        }
        // Bytes either side of the ones that need escaping, and non-ASCII (high bit set).
        let specials: [String] = ["\"", "\\", "\n", "\u{0}", "\u{1F}", "\u{7}", " ", "!", "#", "[", "]", "\u{7F}", "é"]
        for length in 0...19 {
            for position in 0..<max(length, 1) {
                for special in specials {
                    var scalars = Array(repeating: Character("a"), count: length)
                    if length > 0 { scalars[position] = Character(special) }
                    let text = String(scalars) + (length == 0 ? special : "")
                    let serialized = JSONValue.string(text).serialized
                    #expect(serialized == reference(text), "\(text.debugDescription)")
                    #expect(try JSONValue(parsing: serialized) == .string(text))
                }
            }
        }
        #expect(JSONValue.string(String(repeating: "abcdefg\"", count: 9)).serialized == reference(String(repeating: "abcdefg\"", count: 9)))
    }

    @Test("Non-ASCII text is written as raw UTF-8, not escaped")
    func nonASCII() {
        let text = "é 日本語 😀 𝄞 e\u{301} 👩‍👩‍👧"
        let value = JSONValue.string(text)
        #expect(value.serialized == "\"\(text)\"")
        #expect(value.serializedBytes == [0x22] + Array(text.utf8) + [0x22])
    }

    @Test("Output is compact, in insertion order, with numbers exactly as their literals")
    func compactAndOrdered() {
        var object = JSONObject()
        object["z"] = 1
        object["a"] = [true, false, nil, [], [:]]
        object["m"] = .number(JSONNumber(unchecked: "0.00014"))
        object["big"] = .number(JSONNumber(unchecked: "123456789012345678901234567890"))
        object["neg"] = .number(JSONNumber(unchecked: "-0"))
        object["z"] = 2  // an existing key keeps its position
        #expect(JSONValue.object(object).serialized
            == #"{"z":2,"a":[true,false,null,[],{}],"m":0.00014,"big":123456789012345678901234567890,"neg":-0}"#)
        object["a"] = nil
        #expect(JSONValue.object(object).serialized == #"{"z":2,"m":0.00014,"big":123456789012345678901234567890,"neg":-0}"#)
    }

    @Test("JSONNumber(Double) writes the shortest form, and integral values without a fraction")
    func doubleNumbers() throws {
        #expect(JSONNumber(0.7).literal == "0.7")
        #expect(JSONNumber(500.0).literal == "500")
        #expect(JSONNumber(-3.0).literal == "-3")
        #expect(JSONNumber(0.1 + 0.2).literal == "0.30000000000000004")
        #expect(JSONNumber(1e-7).doubleValue == 1e-7)
        #expect(JSONValue(floatLiteral: 0.7).serialized == "0.7")
        #expect(JSONNumber(Int.min).literal == "-9223372036854775808")
        // Whatever Swift prints for a Double must be a JSON number that reads back as the same Double.
        var rng = SystemRandomNumberGenerator()
        let specials: [Double] = [1e-7, 1e15, 1e16, 1e300, -1e-300, .leastNonzeroMagnitude, .greatestFiniteMagnitude, -0.0, 123456.789]
        let randoms = (0..<500).map { _ in Double(bitPattern: rng.next()) }.filter(\.isFinite)
        for double in specials + randoms {
            let number = JSONNumber(double)
            let parsed = try JSONValue(parsing: number.literal)
            #expect(parsed.numberValue?.literal == number.literal)
            #expect(number.doubleValue == double, "\(double) wrote \(number.literal)")
        }
    }

    @Test("Foundation reads our output as the same structure")
    func foundationAgrees() throws {
        let value: JSONValue = [
            "text": "quote \" backslash \\ newline \n nul \u{0} é 😀",
            "numbers": [0, -1, 0.5, 1e-7, 500.0],
            "nested": ["empty": [:], "list": [], "flag": true, "nothing": nil],
        ]
        let object = try #require(
            try JSONSerialization.jsonObject(with: Data(value.serializedBytes)) as? [String: Any])
        #expect(object["text"] as? String == "quote \" backslash \\ newline \n nul \u{0} é 😀")
        #expect((object["numbers"] as? [Any])?.count == 5)
        #expect((object["nested"] as? [String: Any])?["flag"] as? Bool == true)
    }

    @Test("serializedBytes is the UTF-8 of serialized")
    func serializedBytes() {
        let value: JSONValue = ["k": ["é", 1, nil]]
        #expect(value.serializedBytes == Array(value.serialized.utf8))
    }
}

@Suite("JSONNumber and JSONObject semantics")
struct JSONValueModelTests {

    @Test("Numbers compare exactly as decimals, never through Double")
    func numberEquality() {
        func number(_ literal: String) -> JSONNumber { JSONNumber(unchecked: literal) }
        #expect(number("1") == number("1.0"))
        #expect(number("1") == number("1e0"))
        #expect(number("1") == number("10e-1"))
        #expect(number("100") == number("1E+2"))
        #expect(number("0") == number("-0"))
        #expect(number("0") == number("0.000e5"))
        #expect(number("0.00014") == number("1.4e-4"))
        #expect(number("0.1") != number("0.1000000000000000000001"))
        #expect(number("123456789012345678901234567890") != number("123456789012345678901234567891"))
        #expect(number("9007199254740993") != number("9007199254740992"))
        #expect(number("1") != number("-1"))
        #expect(number("1e400") != number("2e400"))
        #expect(JSONNumber(0.7) == number("0.70"))
        #expect(JSONNumber(500.0) == number("5e2"))
        // Equal numbers hash alike, so sets and dictionaries agree with ==.
        let set: Set<JSONNumber> = [number("1"), number("1.0"), number("1e0"), number("2"), number("-0"), number("0")]
        #expect(set.count == 3)
    }

    @Test("isInteger is exact for long literals")
    func isInteger() {
        #expect(JSONNumber(unchecked: "3").isInteger)
        #expect(JSONNumber(unchecked: "3.0").isInteger)
        #expect(JSONNumber(unchecked: "1e2").isInteger)
        #expect(JSONNumber(unchecked: "1234567890123456789012345678901234567890").isInteger)
        #expect(!JSONNumber(unchecked: "3.5").isInteger)
        #expect(!JSONNumber(unchecked: "1e-2").isInteger)
        #expect(!JSONNumber(unchecked: "123456789012345678901234567890.5").isInteger)
        #expect(JSONValue.number(JSONNumber(unchecked: "2.0")).typeName == "integer")
    }

    @Test("A key is found by Swift's string equality: canonically equivalent keys are one key")
    func keyLookupKeepsStringEquality() {
        var object: JSONObject = ["model": "m", "max_tokens": 5, "top_p": 1, "e\u{301}": "decomposed", "\u{212A}": "kelvin sign"]
        #expect(object["model"] == "m")
        #expect(object["max_tokens"] == 5)
        #expect(object["top_k"] == nil && object["modelx"] == nil && object["mode"] == nil)
        // A fast path for field names must not change this for other keys.
        #expect(object["é"] == "decomposed")
        #expect(object["K"] == "kelvin sign")
        object["é"] = "precomposed"
        #expect(object.count == 5 && object["e\u{301}"] == "precomposed")
    }

    @Test("Objects compare and hash without regard to key order, at any size")
    func objectEquality() throws {
        for size in [0, 1, 5, 12, 13, 40] {
            let pairs = (0..<size).map { ("key\($0)", JSONValue.number(JSONNumber($0))) }
            let forward = JSONObject(pairs)
            let backward = JSONObject(pairs.reversed())
            #expect(forward == backward)
            #expect(forward.hashValue == backward.hashValue)
            #expect(Array(forward.keys) == pairs.map(\.0))
            if size > 0 {
                var changed = backward
                changed["key0"] = "different"
                #expect(changed != forward)
                var missing = backward
                missing["key0"] = nil
                missing["other"] = 0
                #expect(missing != forward)
            }
        }
        let parsed = try JSONValue(parsing: #"{"b":1,"a":{"y":[1,2],"x":null}}"#)
        let reordered = try JSONValue(parsing: #"{"a":{"x":null,"y":[1,2]},"b":1.0}"#)
        #expect(parsed == reordered)
        #expect(parsed.hashValue == reordered.hashValue)
    }

    @Test("Setting, replacing and removing keys keeps order and lookups right past the linear-search limit")
    func objectMutation() {
        var object = JSONObject()
        for index in 0..<30 { object["k\(index)"] = .number(JSONNumber(index)) }
        object["k3"] = "three"
        #expect(object.keys[3] == "k3")
        #expect(object["k3"] == "three")
        for index in stride(from: 0, to: 30, by: 2) { object["k\(index)"] = nil }
        #expect(object.count == 15)
        #expect(object.keys == stride(from: 1, to: 30, by: 2).map { "k\($0)" })
        #expect(object["k3"] == "three")
        #expect(object["k29"] == 29)
        #expect(object["k28"] == nil)
        for index in stride(from: 1, to: 30, by: 2) where index > 5 { object["k\(index)"] = nil }
        #expect(object.keys == ["k1", "k3", "k5"])
        #expect(object["k5"] == 5)
        object["k0"] = 0
        #expect(object.keys == ["k1", "k3", "k5", "k0"])
        let pairs = object.map { "\($0.key)=\($0.value.serialized)" }
        #expect(pairs == ["k1=1", "k3=\"three\"", "k5=5", "k0=0"])
    }
}
