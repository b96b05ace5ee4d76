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
        guard let value = Decimal(string: literal, locale: Locale(identifier: "en_US_POSIX")) else { return nil }
        self = value
    }
}
