extension JSONValue {
    /// Compact JSON text, keys in insertion order, with no insignificant whitespace.
    public var serialized: String {
        String(decoding: serializedBytes, as: UTF8.self)
    }

    /// The serialised text as UTF-8 bytes.
    public var serializedBytes: [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(256)
        write(to: &output)
        return output
    }

    /// Appends the compact JSON text of this value to `output`.
    public func write(to output: inout String) {
        output += serialized
    }

    /// Appends the compact JSON text of this value to `output` as UTF-8. Bytes, not a
    /// `String`: appending to a byte array is a copy, where a string append also re-checks
    /// what it is given (the serialiser is on the hot path of every submit and request).
    public func write(to output: inout [UInt8]) {
        switch self {
        case .null: output.append(contentsOf: "null".utf8)
        case .bool(let value): output.append(contentsOf: (value ? "true" : "false").utf8)
        case .number(let number): output.append(contentsOf: number.literal.utf8)
        case .string(let string): Self.writeString(string, to: &output)
        case .array(let array):
            output.append(UInt8(ascii: "["))
            for (index, element) in array.enumerated() {
                if index > 0 { output.append(UInt8(ascii: ",")) }
                element.write(to: &output)
            }
            output.append(UInt8(ascii: "]"))
        case .object(let object):
            output.append(UInt8(ascii: "{"))
            var isFirst = true
            for (key, value) in object {
                if !isFirst { output.append(UInt8(ascii: ",")) }
                isFirst = false
                Self.writeString(key, to: &output)
                output.append(UInt8(ascii: ":"))
                value.write(to: &output)
            }
            output.append(UInt8(ascii: "}"))
        }
    }

    static func writeString(_ string: String, to output: inout String) {
        var bytes: [UInt8] = []
        writeString(string, to: &bytes)
        output += String(decoding: bytes, as: UTF8.self)
    }

    static func writeString(_ string: String, to output: inout [UInt8]) {
        output.append(UInt8(ascii: "\""))
        var string = string
        string.withUTF8 { utf8 in
            // Copy runs of plain bytes at once; only quote, backslash and control bytes need
            // escaping. Eight bytes are tested at a time, one by one only around such a byte.
            var runStart = 0
            func escape(_ byte: UInt8, at index: Int) {
                output.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<index]))
                runStart = index + 1
                switch byte {
                case 0x22: output.append(contentsOf: #"\""#.utf8)
                case 0x5C: output.append(contentsOf: #"\\"#.utf8)
                case 0x0A: output.append(contentsOf: #"\n"#.utf8)
                case 0x0D: output.append(contentsOf: #"\r"#.utf8)
                case 0x09: output.append(contentsOf: #"\t"#.utf8)
                case 0x08: output.append(contentsOf: #"\b"#.utf8)
                case 0x0C: output.append(contentsOf: #"\f"#.utf8)
                default:
                    let hex = Array("0123456789abcdef".utf8)
                    output.append(contentsOf: #"\u00"#.utf8)
                    output.append(hex[Int(byte >> 4)])
                    output.append(hex[Int(byte & 0x0F)])
                }
            }
            var index = 0
            if let base = utf8.baseAddress {
                while index + 8 <= utf8.count {
                    let word = UInt64(littleEndian: UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self))
                    if JSONWord.specialBytes(word, orNonASCII: false) != 0 {
                        for offset in index..<index + 8 where Self.needsEscaping(utf8[offset]) { escape(utf8[offset], at: offset) }
                    }
                    index += 8
                }
            }
            for offset in index..<utf8.count where Self.needsEscaping(utf8[offset]) { escape(utf8[offset], at: offset) }
            output.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart...]))
        }
        output.append(UInt8(ascii: "\""))
    }

    static func needsEscaping(_ byte: UInt8) -> Bool {
        byte == 0x22 || byte == 0x5C || byte < 0x20
    }
}
