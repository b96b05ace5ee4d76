import ArgumentParser
import Foundation
import Logging
import OpenRouter
import PromptBatchKit

struct Estimate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Estimate what jobs will cost before running them: prompt tokens, and the low and high cost per model.",
        discussion: """
            Prompt tokens are estimated as 4 per message plus one per 4 UTF-8 bytes of message text, tool calls, \
            tool definitions and JSON schemas. low = prompts only; high = prompts plus every completion at its \
            limit (max_tokens, else the model's largest completion), for one attempt per job. Prices are the \
            cached /models list (fetched first when there is none and a key is set). Jobs whose model has no \
            known price are listed, not guessed. With jobs already run, the estimate is compared with the prompt \
            tokens the provider reported.
            """
    )

    @OptionGroup var options: GlobalOptions

    @Option(help: "Only this batch (default: every batch in the database).")
    var batch: Int64?

    @Flag(help: "Only pending jobs: what `run` would send.")
    var pending = false

    @Option(help: "With job files: the model for lines that name none.")
    var model: String?

    @Argument(help: "JSONL job files to estimate instead of the database; nothing is submitted.")
    var files: [String] = []

    func validate() throws {
        if !files.isEmpty, batch != nil || pending {
            throw ValidationError("give either job files or --batch/--pending, not both")
        }
        if files.isEmpty, model != nil { throw ValidationError("--model applies only to job files") }
    }

    func run() async throws {
        try await reportingFailures {
            let logger = options.makeLogger()
            // Job files alone need no database: none is created just to find no prices in it.
            let hasNoDatabase = !files.isEmpty && !FileManager.default.fileExists(atPath: options.databasePath) && (try? options.apiKey()) == nil
            let store = hasNoDatabase ? nil : try options.openStore()
            var prices = Prices(table: PriceTable(), unknownReason: "no database with a cached /models list and no API key to fetch one (`promptbatch models` fetches it)")
            if let store { prices = try await Self.loadPrices(store: store, options: options, logger: logger) }
            var estimate = CostEstimate()
            var accuracy = EstimateAccuracy()
            if let store, files.isEmpty {
                (estimate, accuracy) = try Self.estimateStoredJobs(store, batchID: batch, pendingOnly: pending, prices: prices.table)
            } else {
                let outcome = try BatchSubmission(files: files, defaultModel: model).run(store: nil) { problem in
                    Terminal.error(problem.description)
                } onJob: { job in
                    estimate.add(model: job.model, estimate: job.estimate ?? JobEstimate(requestBody: job.requestBody), prices: prices.table)
                }
                if outcome.problemCount > 0 {
                    throw Failure(.dataError, "\(outcome.problemCount) problem\(outcome.problemCount == 1 ? "" : "s") found; nothing was estimated")
                }
            }
            Terminal.output(Self.text(estimate, prices: prices, accuracy: accuracy))
        }
    }

    /// The estimate of jobs in the database, and how it compares with the prompt tokens
    /// reported for those that ran.
    static func estimateStoredJobs(
        _ store: JobStore, batchID: Int64?, pendingOnly: Bool, prices: PriceTable
    ) throws -> (CostEstimate, EstimateAccuracy) {
        var estimate = CostEstimate()
        var accuracy = EstimateAccuracy()
        try store.forEachEstimate(batchID: batchID, pendingOnly: pendingOnly) { job in
            estimate.add(model: job.model, estimate: job.estimate, prices: prices)
            if let reported = job.reportedPromptTokens { accuracy.add(estimated: job.estimate.promptTokens, reported: reported) }
        }
        return (estimate, accuracy)
    }

    /// The cached prices, or why there are none.
    struct Prices {
        var table: PriceTable
        /// Set when no price list could be had.
        var unknownReason: String?
    }

    /// The cached `/models` list; fetched (and cached) first when there is none and a key is set.
    static func loadPrices(store: JobStore, options: GlobalOptions, logger: Logger) async throws -> Prices {
        let table = try store.priceTable()
        guard table.entries.isEmpty else { return Prices(table: table) }
        guard (try? options.apiKey()) != nil else {
            return Prices(table: table, unknownReason: "no cached /models list and no API key to fetch one (`promptbatch models` fetches it)")
        }
        do {
            let client = try options.makeClient(options.clientConfiguration(), logger: logger)
            return Prices(table: try await store.priceTable(fetchingIfEmptyWith: client))
        } catch let error as OpenRouterError {
            return Prices(table: table, unknownReason: "no cached /models list, and fetching it failed: \(error)")
        }
    }

    /// The estimate as text: a summary, a tab-separated table per model, then the jobs left out.
    static func text(_ estimate: CostEstimate, prices: Prices, accuracy: EstimateAccuracy) -> String {
        let jobs = estimate.jobCount
        var lines = [
            "\(jobs) job\(jobs == 1 ? "" : "s"); prompt tokens estimated as \(JobEstimate.tokensPerMessage) per message + UTF-8 bytes / \(JobEstimate.bytesPerToken) (text, tool calls, tool definitions, JSON schemas); one attempt per job",
        ]
        if let reason = prices.unknownReason {
            lines.append("prices unknown: \(reason)")
        } else if let fetchedAt = prices.table.fetchedAt {
            lines.append("prices: /models as cached at \(fetchedAt.iso8601UTC)")
        }
        func usd(_ amount: Int64?) -> String { amount.map { Money.usdString(picoUSD: $0) } ?? "?" }
        lines.append("model\tjobs\tprompt_tokens\tcompletion_limit_tokens\tlow_usd\thigh_usd")
        for line in estimate.lines + [estimate.total] {
            lines.append("\(line.model)\t\(line.jobs)\t\(line.promptTokens)\t\(line.completionLimitTokens)\t\(usd(line.lowPicoUSD))\t\(usd(line.high))")
        }
        if !estimate.unpriced.isEmpty {
            let count = estimate.unpriced.values.reduce(0, +)
            let models = estimate.unpriced.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
            lines.append("no known price: \(count) job\(count == 1 ? "" : "s") (\(models)), \(estimate.unpricedPromptTokens) prompt tokens; not in the totals")
        }
        let unbounded = estimate.total.jobsWithoutCompletionLimit
        if unbounded > 0 {
            let models = estimate.lines.filter { $0.jobsWithoutCompletionLimit > 0 }.map { "\($0.model) \($0.jobsWithoutCompletionLimit)" }.joined(separator: ", ")
            lines.append("high unknown: \(unbounded) job\(unbounded == 1 ? "" : "s") (\(models)) set no max_tokens and the model's completion limit is unknown")
        }
        if accuracy.jobs > 0 {
            func percent(_ value: Double) -> String { String(format: "%+.1f%%", value * 100) }
            lines.append(
                "already run: \(accuracy.jobs) job\(accuracy.jobs == 1 ? "" : "s"), \(accuracy.estimatedPromptTokens) prompt tokens estimated, "
                    + "\(accuracy.reportedPromptTokens) reported (\(percent(accuracy.totalRelativeError))); per job \(percent(accuracy.lowestRelativeError)) to "
                    + "\(percent(accuracy.highestRelativeError)), mean |error| \(String(format: "%.1f%%", accuracy.meanAbsoluteRelativeError * 100))")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
