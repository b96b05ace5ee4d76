import Foundation

/// Money in the database is an integer count of pico-dollars (10⁻¹² USD): sums in SQL stay exact.
///
/// Amounts are never negative and saturate at ``maximumPicoUSD`` instead of overflowing: a
/// hostile or broken server cannot make a recorded cost wrap around, go below zero, or crash
/// the program that adds it up.
public enum Money {
    /// The largest amount kept anywhere: `Int64.max` pico-dollars, about 9.2 million USD.
    public static let maximumPicoUSD = Int64.max

    /// USD as a decimal → pico-dollars, rounded half-up to the nearest one, clamped to
    /// `0...maximumPicoUSD` (NaN is 0).
    public static func picoUSD(_ usd: Decimal) -> Int64 {
        picoUSD(usd, rounding: .plain)
    }

    /// USD → pico-dollars like ``picoUSD(_:)``, but rounded up: for worst cases, which must
    /// not come out below what they bound.
    public static func picoUSDRoundedUp(_ usd: Decimal) -> Int64 {
        picoUSD(usd, rounding: .up)
    }

    private static func picoUSD(_ usd: Decimal, rounding: NSDecimalNumber.RoundingMode) -> Int64 {
        // Read, not computed: the sign, and the exponent moved by 12 (Decimal's `>` and `*`
        // were two thirds of this function's cost, paid for every attempt's cost).
        guard !usd.isNaN, !usd.isZero, usd.sign == .plus else { return 0 }
        var scaled = usd.exponent <= Self.largestShiftableExponent
            ? Decimal(sign: .plus, exponent: usd.exponent + 12, significand: usd.significand)
            : usd * Decimal(sign: .plus, exponent: 12, significand: 1)
        var rounded = Decimal()
        NSDecimalRound(&rounded, &scaled, 0, rounding)
        guard rounded < Self.maximumAsDecimal else { return maximumPicoUSD }
        return NSDecimalNumber(decimal: rounded).int64Value
    }

    /// Decimal's exponent is at most 127; one 12 below moves by 12 without overflowing.
    private static let largestShiftableExponent = 115
    private static let maximumAsDecimal = Decimal(maximumPicoUSD)

    /// `a × n` for an amount in `0...maximumPicoUSD` and a count, saturating.
    public static func multiplying(_ a: Int64, by n: Int) -> Int64 {
        let (product, overflow) = max(a, 0).multipliedReportingOverflow(by: Int64(max(n, 0)))
        return overflow ? maximumPicoUSD : product
    }

    /// USD as plain decimal text (`"0.05"`, `"12"`) → pico-dollars; nil for anything else
    /// (negative, an exponent, not a number). Never through binary floating point.
    public static func picoUSD(parsing text: String) -> Int64? {
        guard !text.isEmpty, text.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }),
              text.filter({ $0 == "." }).count <= 1, text != ".",
              let usd = Decimal(string: text, locale: Locale(identifier: "en_US_POSIX")) else { return nil }
        return picoUSD(usd)
    }

    /// `a + b` for amounts in `0...maximumPicoUSD`, saturating instead of overflowing.
    public static func adding(_ a: Int64, _ b: Int64) -> Int64 {
        let (sum, overflow) = max(a, 0).addingReportingOverflow(max(b, 0))
        return overflow ? maximumPicoUSD : sum
    }

    /// Pico-dollars → a plain decimal string of USD with no exponent and no trailing zeros
    /// (`0.00014`, `12.5`, `0`).
    public static func usdString(picoUSD: Int64) -> String {
        var bytes: [UInt8] = []
        appendUSD(picoUSD: picoUSD, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Appends ``usdString(picoUSD:)``'s text to a byte buffer.
    static func appendUSD(picoUSD: Int64, to bytes: inout [UInt8]) {
        if picoUSD < 0 { bytes.append(UInt8(ascii: "-")) }
        let magnitude = picoUSD.magnitude
        CSV.appendInteger(Int64(magnitude / 1_000_000_000_000), to: &bytes)
        var fraction = magnitude % 1_000_000_000_000
        guard fraction > 0 else { return }
        bytes.append(UInt8(ascii: "."))
        var divisor: UInt64 = 100_000_000_000
        while fraction > 0 {
            bytes.append(UInt8(ascii: "0") + UInt8(fraction / divisor))
            fraction %= divisor
            divisor /= 10
        }
    }
}
