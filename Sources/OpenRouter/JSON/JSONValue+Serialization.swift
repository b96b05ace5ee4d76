extension JSONValue {
    /// Compact JSON text, keys in insertion order, with no insignificant whitespace.
    public var serialized: String {
        var output = ""
        write(to: &output)
        return output
    }

    /// The serialised text as UTF-8 bytes.
    public var serializedBytes: [UInt8] { Array(serialized.utf8) }

    /// Appends the compact JSON text of this value to `output`.
    public func write(to output: inout String) {
        switch self {
        case .null: output += "null"
        case .bool(let value): output += value ? "true" : "false"
        case .number(let number): output += number.literal
        case .string(let string): Self.writeString(string, to: &output)
        case .array(let array):
            output += "["
            for (index, element) in array.enumerated() {
                if index > 0 { output += "," }
                element.write(to: &output)
            }
            output += "]"
        case .object(let object):
            output += "{"
            var isFirst = true
            for (key, value) in object {
                if !isFirst { output += "," }
                isFirst = false
                Self.writeString(key, to: &output)
                output += ":"
                value.write(to: &output)
            }
            output += "}"
        }
    }

    static func writeString(_ string: String, to output: inout String) {
        output += "\""
        var utf8 = string.utf8[...]
        // Copy runs of plain bytes at once; only quote, backslash and control bytes need escaping.
        while let special = utf8.firstIndex(where: { $0 == 0x22 || $0 == 0x5C || $0 < 0x20 }) {
            output += Substring(utf8[utf8.startIndex..<special])
            let byte = utf8[special]
            switch byte {
            case 0x22: output += "\\\""
            case 0x5C: output += "\\\\"
            case 0x0A: output += "\\n"
            case 0x0D: output += "\\r"
            case 0x09: output += "\\t"
            case 0x08: output += "\\b"
            case 0x0C: output += "\\f"
            default:
                let hex = String(byte, radix: 16)
                output += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            }
            utf8 = utf8[utf8.index(after: special)...]
        }
        output += Substring(utf8)
        output += "\""
    }
}
