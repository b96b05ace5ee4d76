import Foundation
import GRDB
import OpenRouterSimulator
@testable import OpenRouter
@testable import PromptBatchKit
import Testing

/// Recorded money never goes negative and never overflows `Int64` pico-dollars, whatever a
/// server or a price list says: amounts saturate at `Money.maximumPicoUSD`.
///
/// The client already refuses a reported cost outside 0..<1,000,000 USD as `invalid_response`
/// (see `HostileResponseTests`); these cover what gets past it — costs estimated from absurd
/// `/models` prices, and sums of many large attempts.
@Suite struct MoneySaturationTests {
    static let maximum = Money.maximumPicoUSD

    @Test(arguments: [
        ("0.00014", Int64(140_000_000)),
        ("999999.999999999999", Int64(999_999_999_999_999_999)),
        ("9223372.036854775807", Int64.max),
        ("9223372.036854775808", Int64.max),
        ("1e30", Int64.max),
        ("-0.5", Int64(0)),
        ("-1e30", Int64(0)),
        ("0.0000000000004", Int64(0)),
        ("0.0000000000005", Int64(1)),
    ])
    func usdBecomePicoDollarsClampedToTheRecordableRange(usd: String, pico: Int64) throws {
        #expect(Money.picoUSD(try #require(Decimal(string: usd, locale: Locale(identifier: "en_US_POSIX")))) == pico)
    }

    /// The exponent shift agrees with multiplying by 10¹² over magnitudes from 10⁻²⁰ to 10⁸
    /// USD, both roundings, and the largest and smallest exponents Decimal holds.
    @Test func shiftingTheExponentAgreesWithMultiplying() throws {
        var generator = SplitMix64(seed: 2026)
        var cases: [Decimal] = [
            Decimal.greatestFiniteMagnitude, Decimal.leastNonzeroMagnitude,
            Decimal(sign: .plus, exponent: 115, significand: 7), Decimal(sign: .plus, exponent: 116, significand: 7),
            Decimal(sign: .plus, exponent: -128, significand: 5),
        ]
        for _ in 0..<2_000 {
            let significand = Decimal(UInt64.random(in: 1...999_999_999_999_999_999, using: &generator))
            cases.append(Decimal(sign: .plus, exponent: Int.random(in: -38...(-10), using: &generator), significand: significand))
        }
        let scale = Decimal(sign: .plus, exponent: 12, significand: 1)
        for usd in cases {
            for mode in [NSDecimalNumber.RoundingMode.plain, .up] {
                var scaled = usd * scale
                var rounded = Decimal()
                NSDecimalRound(&rounded, &scaled, 0, mode)
                let expected = rounded < Decimal(Self.maximum) ? NSDecimalNumber(decimal: rounded).int64Value : Self.maximum
                let actual = mode == .plain ? Money.picoUSD(usd) : Money.picoUSDRoundedUp(usd)
                #expect(actual == expected, "\(usd) \(mode == .plain ? "plain" : "up")")
            }
        }
    }

    @Test func notANumberIsNothing() {
        #expect(Money.picoUSD(Decimal.nan) == 0)
    }

    @Test func addingSaturatesAndIgnoresNegatives() {
        #expect(Money.adding(1, 2) == 3)
        #expect(Money.adding(Self.maximum, 1) == Self.maximum)
        #expect(Money.adding(Self.maximum, Self.maximum) == Self.maximum)
        #expect(Money.adding(-5, 7) == 7)
        #expect(Money.usdString(picoUSD: Self.maximum) == "9223372.036854775807")
    }

    @Test func aCostEstimatedFromAbsurdPricesIsClampedNotWrapped() throws {
        let pricing = ModelInfo.Pricing(prompt: try #require(Decimal(string: "1e30")), completion: 0)
        let report = AttemptReport(
            attempt: 1, startedAt: Date(), latency: .milliseconds(5), statusCode: 200, error: nil, generationID: "gen-1",
            usage: Usage(promptTokens: 999_999_999, completionTokens: 999_999_999), retryDelay: nil)
        let record = OpenRouterJobHandler.record(report, model: "m", prices: ["m": pricing])
        #expect(record.costPicoUSD == Self.maximum)
        #expect(record.costSource == "estimated")
    }

    @Test func jobTotalsStatusAndReportsSaturateInsteadOfOverflowing() throws {
        let database = try TemporaryDatabase()
        let store = try database.openStore()
        _ = try store.createTestBatch(3)
        let runnerID = try store.registerRunner()
        let jobs = try store.claimJobs(limit: 3, runnerID: runnerID, batchID: nil)
        for job in jobs {
            for _ in 0..<3 {
                try store.recordAttempt(
                    jobID: job.id,
                    AttemptRecord(startedAt: Date(), statusCode: 200, usage: TokenUsage(prompt: 1, completion: 1, reasoning: 0, cached: 0),
                                  costPicoUSD: Self.maximum / 2, costSource: "reported"),
                    runnerID: runnerID)
            }
            try store.complete(jobID: job.id, outcome: .failed(category: "server", message: "x"), runnerID: runnerID)
        }
        let costs = try store.dbPool.read { db in
            try Row.fetchAll(db, sql: "SELECT cost_picousd, typeof(cost_picousd) FROM jobs").map { ($0[0] as Int64, $0[1] as String) }
        }
        #expect(costs.allSatisfy { $0 == (Self.maximum, "integer") }, "saturated, and still an INTEGER column value")
        let attempts = try store.dbPool.read { db in try Int64.fetchAll(db, sql: "SELECT cost_picousd FROM attempts") }
        #expect(attempts == Array(repeating: Self.maximum / 2, count: 9))

        let counts = try store.counts(batchID: nil)
        #expect(counts.costPicoUSD == Self.maximum)
        #expect(counts.attempts == 9)

        let csv = try EndToEndTests.reportCSV(store)
        #expect(csv.components(separatedBy: "9223372.036854775807").count - 1 == 3)
        let path = database.directory.appending(path: "grouped.csv").path
        let sink = try OutputSink(path: path)
        try UsageReport(grouping: .model).write(from: store, to: sink)
        try sink.flush()
        let grouped = try CSVReader.parse(String(contentsOfFile: path, encoding: .utf8))
        #expect(grouped[1][UsageReport.groupColumns.firstIndex(of: "cost_usd")! + 1] == "9223372.036854775807")
    }
}

