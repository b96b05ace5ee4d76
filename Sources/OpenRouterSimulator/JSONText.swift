import Foundation

/// Hand-rolled JSON writing helpers; cheaper than `JSONEncoder` on the hot path.
enum JSONText {
    /// Appends `value` as a quoted, escaped JSON string.
    static func appendString(_ value: String, to out: inout String) {
        out += "\""
        var needsEscaping = false
        for byte in value.utf8 where byte < 0x20 || byte == 0x22 || byte == 0x5C {
            needsEscaping = true
            break
        }
        if !needsEscaping {
            out += value
        } else {
            for scalar in value.unicodeScalars {
                switch scalar {
                case "\"": out += "\\\""
                case "\\": out += "\\\\"
                case "\n": out += "\\n"
                case "\r": out += "\\r"
                case "\t": out += "\\t"
                case let s where s.value < 0x20:
                    let hex = String(s.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                default: out.unicodeScalars.append(scalar)
                }
            }
        }
        out += "\""
    }

    static func quoted(_ value: String) -> String {
        var out = ""
        appendString(value, to: &out)
        return out
    }

    /// `value` as a plain decimal literal (`0.0000123`, never `1.23e-05`), as OpenRouter
    /// writes costs and prices.
    static func decimalLiteral(_ value: Decimal) -> String {
        let text = value.description
        guard text.contains(where: { $0 == "e" || $0 == "E" }) else { return text }
        // Defensive: rebuild from significand and exponent if a Foundation ever uses
        // scientific notation.
        let negative = value < 0
        var digits = (negative ? -value : value).significand.description
        var exponent = Int(value.exponent)
        if let dot = digits.firstIndex(of: ".") {
            exponent -= digits.distance(from: dot, to: digits.endIndex) - 1
            digits.remove(at: dot)
        }
        if exponent >= 0 {
            digits += String(repeating: "0", count: exponent)
        } else {
            let fraction = -exponent
            if digits.count <= fraction {
                digits = String(repeating: "0", count: fraction - digits.count + 1) + digits
            }
            digits.insert(".", at: digits.index(digits.endIndex, offsetBy: -fraction))
        }
        return (negative ? "-" : "") + digits
    }
}
