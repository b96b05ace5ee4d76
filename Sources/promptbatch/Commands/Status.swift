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
            let budget = try store.lastBudget(batchID: batch)
            Terminal.output(json ? Self.json(counts, budget: budget) + "\n" : Self.text(counts, budget: budget))
        }
    }

    static func json(_ counts: StateCounts, budget: BudgetStatus? = nil) -> String {
        var categories = JSONObject()
        for (category, count) in counts.failedByCategory.sorted(by: { $0.key < $1.key }) {
            categories[category] = .number(JSONNumber(count))
        }
        var object: JSONObject = [
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
            "cached": .number(JSONNumber(counts.cached)),
            "cache_saved_usd": .number(JSONNumber(unchecked: Money.usdString(picoUSD: counts.cacheSavedPicoUSD))),
            "reconciled_attempts": .number(JSONNumber(counts.reconciledAttempts)),
            "reconciled_usd": .number(JSONNumber(unchecked: Money.usdString(picoUSD: counts.reconciledPicoUSD))),
            "unreconciled_attempts": .number(JSONNumber(counts.unreconciledAttempts)),
        ]
        if let budget {
            func usd(_ amount: Int64) -> JSONValue { .number(JSONNumber(unchecked: Money.usdString(picoUSD: amount))) }
            object["budget"] = .object([
                "limit_usd": usd(budget.limitPicoUSD),
                "spent_usd": usd(budget.spentPicoUSD),
                "left_usd": usd(budget.leftPicoUSD),
                "batch_id": budget.batchID.map { .number(JSONNumber(Int($0))) } ?? .null,
                "started_at": .string(budget.startedAt.iso8601UTC),
                "finished_at": budget.finishedAt.map { .string($0.iso8601UTC) } ?? .null,
                "stop_reason": budget.stopReason.map(JSONValue.string) ?? .null,
            ])
        }
        return object.serialized
    }

    static func text(_ counts: StateCounts, budget: BudgetStatus? = nil) -> String {
        var lines = [
            "jobs \(counts.total): \(counts.succeeded) succeeded, \(counts.failed) failed, \(counts.pending) pending, \(counts.running) running, \(counts.cancelled) cancelled",
            "attempts \(counts.attempts), tokens \(counts.tokens.prompt) prompt + \(counts.tokens.completion) completion, cost $\(Money.usdString(picoUSD: counts.costPicoUSD))",
        ]
        if counts.cached > 0 {
            lines.append("from the cache: \(counts.cached) job\(counts.cached == 1 ? "" : "s"), saved $\(Money.usdString(picoUSD: counts.cacheSavedPicoUSD)) (what the reused results cost)")
        }
        if counts.reconciledAttempts > 0 || counts.unreconciledAttempts > 0 {
            var line = "reconciled: \(counts.reconciledAttempts) attempt\(counts.reconciledAttempts == 1 ? "" : "s") whose answer was lost, $\(Money.usdString(picoUSD: counts.reconciledPicoUSD)) (in the cost above)"
            if counts.unreconciledAttempts > 0 { line += "; \(counts.unreconciledAttempts) still without a cost — `promptbatch reconcile`" }
            lines.append(line)
        }
        if !counts.failedByCategory.isEmpty {
            lines.append("failed by category: " + counts.failedByCategory.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
        }
        if let budget {
            let scope = budget.batchID.map { "batch \($0)" } ?? "all batches"
            let state = budget.stopReason.map { $0 == "budget" ? "stopped: budget reached" : "ended: \($0)" }
                ?? "running, or ended without recording it"
            lines.append(
                "budget of the last run with --budget (\(scope), started \(budget.startedAt.iso8601UTC)): $\(Money.usdString(picoUSD: budget.limitPicoUSD)), "
                    + "spent $\(Money.usdString(picoUSD: budget.spentPicoUSD)), left $\(Money.usdString(picoUSD: budget.leftPicoUSD)); \(state)")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
