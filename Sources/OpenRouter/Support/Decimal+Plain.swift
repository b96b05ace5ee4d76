import Foundation

extension Decimal {
    /// The value as a plain decimal literal: no exponent, no grouping, `.` as separator.
    public var plainString: String {
        var value = self
        var rounded = Decimal()
        NSDecimalRound(&rounded, &value, 18, .plain)
        return rounded.exactPlainString
    }

    /// The value as ``plainString`` writes it, but not rounded: JSON that must read back as
    /// the same value (a folded stream's `usage.cost`) uses this.
    var exactPlainString: String {
        let text = description
        guard text.contains("e") || text.contains("E") else { return text }
        // `description` uses an exponent only for very large or small magnitudes; build it by hand then.
        return NSDecimalNumber(decimal: self).stringValue
    }

    /// Parses a plain or exponent decimal literal without binary floating point.
    public init?(exactly literal: String) {
        if let value = Self.parseJSONLiteral(literal) {
            self = value
            return
        }
        guard let value = Decimal(string: literal, locale: Locale(identifier: "en_US_POSIX")) else { return nil }
        self = value
    }

    /// A JSON number literal with at most 18 significant digits, read digit by digit (costs
    /// and prices are; `Decimal(string:locale:)` builds a locale each call). Nil for anything
    /// else, which the caller hands to Foundation.
    static func parseJSONLiteral(_ literal: String) -> Decimal? {
        var literal = literal
        return literal.withUTF8 { bytes -> Decimal? in
            var index = 0
            let count = bytes.count
            var isNegative = false
            if index < count, bytes[index] == UInt8(ascii: "-") {
                isNegative = true
                index += 1
            }
            var significand: UInt64 = 0
            var digits = 0
            var exponent = 0
            var sawDigit = false
            var sawPoint = false
            while index < count {
                let byte = bytes[index]
                if byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") {
                    sawDigit = true
                    if significand != 0 || byte != UInt8(ascii: "0") {
                        guard digits < 18 else { return nil }
                        significand = significand * 10 + UInt64(byte - UInt8(ascii: "0"))
                        digits += 1
                    }
                    if sawPoint { exponent -= 1 }
                } else if byte == UInt8(ascii: "."), !sawPoint {
                    sawPoint = true
                } else {
                    break
                }
                index += 1
            }
            guard sawDigit else { return nil }
            if index < count {
                guard bytes[index] | 0x20 == UInt8(ascii: "e") else { return nil }
                index += 1
                var exponentIsNegative = false
                if index < count, bytes[index] == UInt8(ascii: "-") || bytes[index] == UInt8(ascii: "+") {
                    exponentIsNegative = bytes[index] == UInt8(ascii: "-")
                    index += 1
                }
                var written = 0
                var exponentDigits = 0
                while index < count, bytes[index] >= UInt8(ascii: "0"), bytes[index] <= UInt8(ascii: "9") {
                    guard exponentDigits < 4 else { return nil }
                    written = written * 10 + Int(bytes[index] - UInt8(ascii: "0"))
                    exponentDigits += 1
                    index += 1
                }
                guard exponentDigits > 0, index == count else { return nil }
                exponent += exponentIsNegative ? -written : written
            }
            // Decimal's exponent is an Int8; leave the edges to Foundation.
            guard (-100...100).contains(exponent) else { return nil }
            if significand == 0 { return Decimal.zero }
            return Decimal(sign: isNegative ? .minus : .plus, exponent: exponent, significand: Decimal(significand))
        }
    }
}
