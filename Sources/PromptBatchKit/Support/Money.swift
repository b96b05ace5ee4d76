import Foundation

/// Money in the database is an integer count of pico-dollars (10⁻¹² USD): sums in SQL stay exact.
public enum Money {
    /// USD as a decimal → pico-dollars, rounded half-up to the nearest one.
    public static func picoUSD(_ usd: Decimal) -> Int64 {
        var scaled = usd * Decimal(sign: .plus, exponent: 12, significand: 1)
        var rounded = Decimal()
        NSDecimalRound(&rounded, &scaled, 0, .plain)
        return NSDecimalNumber(decimal: rounded).int64Value
    }

    /// Pico-dollars → a plain decimal string of USD with no exponent and no trailing zeros
    /// (`0.00014`, `12.5`, `0`).
    public static func usdString(picoUSD: Int64) -> String {
        let negative = picoUSD < 0
        let magnitude = picoUSD.magnitude
        let whole = magnitude / 1_000_000_000_000
        var fraction = String(magnitude % 1_000_000_000_000)
        fraction = String(repeating: "0", count: 12 - fraction.count) + fraction
        while fraction.hasSuffix("0") { fraction.removeLast() }
        let text = fraction.isEmpty ? "\(whole)" : "\(whole).\(fraction)"
        return negative ? "-" + text : text
    }
}
