import Foundation
import Testing

@testable import OpenRouter

/// `Decimal(exactly:)` reads JSON number literals digit by digit and must agree with
/// Foundation's parser on every one, in value and in how it prints.
@Suite("Decimal literals")
struct DecimalLiteralTests {
    static let literals = [
        "0", "-0", "0.0", "1", "-1", "12", "0.00014", "0.00014000000000000001", "0.0000123",
        "3.5e-7", "3.5E-7", "1e-5", "1.5E+3", "2e2", "-4.25e-3", "0.000000000000000001",
        "123456789012345678", "0.123456789012345678", "1000000", "999999.999999", "100e-2",
        "1234567890123456789", "0.1234567890123456789", "1e200", "1e-200", "5e127", "1e100", "1e-100",
    ]

    @Test(arguments: literals)
    func agreesWithFoundation(literal: String) {
        let foundation = Decimal(string: literal, locale: Locale(identifier: "en_US_POSIX"))
        let ours = Decimal(exactly: literal)
        #expect(ours == foundation)
        #expect(ours?.description == foundation?.description)
    }

    @Test func longOrExtremeLiteralsAreLeftToFoundation() {
        #expect(Decimal.parseJSONLiteral("1234567890123456789") == nil)
        #expect(Decimal.parseJSONLiteral("1e200") == nil)
        #expect(Decimal.parseJSONLiteral("0.00014") == Decimal(string: "0.00014"))
    }

    @Test(arguments: ["", "-", ".", "abc", "1e", "1e+", "1.2.3", "1x", "--1"])
    func whatIsNotANumberIsNotOne(literal: String) {
        #expect(Decimal.parseJSONLiteral(literal) == nil)
        #expect(Decimal(exactly: literal) == Decimal(string: literal, locale: Locale(identifier: "en_US_POSIX")))
    }
}
