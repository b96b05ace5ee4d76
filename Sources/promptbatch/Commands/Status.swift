import ArgumentParser
import Foundation
import OpenRouter
import PromptBatchKit

struct Status: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show job counts, tokens, cost and error categories.")

    @OptionGroup var options: GlobalOptions

    @Option(help: "Only this batch.")
    var batch: Int64?

    @Flag(help: "Print JSON instead of text.")
    var json = false

    func run() async throws {
        try await reportingFailures {
            _ = options.makeLogger()
            let store = try options.openStore()
            let counts = try store.counts(batchID: batch)
            Terminal.output(json ? Self.json(counts) + "\n" : Self.text(counts))
        }
    }

    static func json(_ counts: StateCounts) -> String {
        var categories = JSONObject()
        for (category, count) in counts.failedByCategory.sorted(by: { $0.key < $1.key }) {
            categories[category] = .number(JSONNumber(count))
        }
        let object: JSONObject = [
            "jobs": .number(JSONNumber(counts.total)),
            "pending": .number(JSONNumber(counts.pending)),
            "running": .number(JSONNumber(counts.running)),
            "succeeded": .number(JSONNumber(counts.succeeded)),
            "failed": .number(JSONNumber(counts.failed)),
            "cancelled": .number(JSONNumber(counts.cancelled)),
            "attempts": .number(JSONNumber(counts.attempts)),
            "prompt_tokens": .number(JSONNumber(counts.tokens.prompt)),
            "completion_tokens": .number(JSONNumber(counts.tokens.completion)),
            "reasoning_tokens": .number(JSONNumber(counts.tokens.reasoning)),
            "cached_tokens": .number(JSONNumber(counts.tokens.cached)),
            "cost_usd": .number(JSONNumber(unchecked: Money.usdString(picoUSD: counts.costPicoUSD))),
            "error_categories": .object(categories),
        ]
        return object.serialized
    }

    static func text(_ counts: StateCounts) -> String {
        var lines = [
            "jobs \(counts.total): \(counts.succeeded) succeeded, \(counts.failed) failed, \(counts.pending) pending, \(counts.running) running, \(counts.cancelled) cancelled",
            "attempts \(counts.attempts), tokens \(counts.tokens.prompt) prompt + \(counts.tokens.completion) completion, cost $\(Money.usdString(picoUSD: counts.costPicoUSD))",
        ]
        if !counts.failedByCategory.isEmpty {
            lines.append("failed by category: " + counts.failedByCategory.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
