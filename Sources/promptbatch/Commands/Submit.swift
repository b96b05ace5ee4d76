import ArgumentParser
import Foundation
import PromptBatchKit

struct Submit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Validate JSONL job files and enqueue them as one batch.",
        discussion: """
            Each line is an OpenAI Batch line {"custom_id", "method", "url", "body"} or a flat chat-completion \
            body {"custom_id"?, "model"?, "messages", …}. If any line of any file is bad, nothing is enqueued \
            and every problem is printed as FILE:LINE: message (exit 65).
            """
    )

    @OptionGroup var options: GlobalOptions

    @Argument(help: "JSONL job files.")
    var files: [String]

    @Option(help: "A name for the batch (default: the first file's name).")
    var name: String?

    @Option(help: "Model for lines that name none.")
    var model: String?

    @Flag(help: "Validate and count only; enqueue nothing.")
    var dryRun = false

    @Flag(help: "Submit even if the same content was submitted before.")
    var force = false

    @Flag(help: "Also print the batch's estimated cost (see `promptbatch estimate`).")
    var estimate = false

    @Option(help: "Longest line accepted, in bytes.")
    var maxLineBytes = 10 * 1024 * 1024

    func validate() throws {
        guard !files.isEmpty else { throw ValidationError("give at least one job file") }
        guard maxLineBytes > 0 else { throw ValidationError("--max-line-bytes must be positive") }
    }

    func run() async throws {
        try await reportingFailures {
            let logger = options.makeLogger()
            var submission = BatchSubmission(files: files, name: name, defaultModel: model)
            submission.maximumLineBytes = maxLineBytes
            submission.force = force
            let store = dryRun ? nil : try options.openStore()
            var costEstimate = CostEstimate()
            // Prices first, so the jobs are estimated as they stream past.
            var prices: Estimate.Prices?
            if estimate {
                if let store {
                    prices = try await Estimate.loadPrices(store: store, options: options, logger: logger)
                } else if FileManager.default.fileExists(atPath: options.databasePath) {
                    prices = try await Estimate.loadPrices(store: try options.openStore(), options: options, logger: logger)
                } else {
                    prices = Estimate.Prices(table: PriceTable(), unknownReason: "a dry run without a database has no cached /models list")
                }
            }
            let outcome = try submission.run(store: store) { problem in
                Terminal.error(problem.description)
            } onJob: { job in
                if let prices {
                    costEstimate.add(model: job.model, estimate: job.estimate ?? JobEstimate(requestBody: job.requestBody), prices: prices.table)
                }
            }
            if outcome.problemCount > 0 {
                throw Failure(.dataError, "\(outcome.problemCount) problem\(outcome.problemCount == 1 ? "" : "s") found; nothing was submitted")
            }
            if !outcome.duplicateOf.isEmpty {
                let ids = outcome.duplicateOf.map(String.init).joined(separator: ", ")
                throw Failure(.dataError, "this content was already submitted as batch \(ids); nothing was submitted (use --force to submit it again)")
            }
            if let batchID = outcome.batchID {
                Terminal.output("batch \(batchID): \(outcome.jobCount) jobs submitted\n")
            } else {
                Terminal.output("dry run: \(outcome.jobCount) jobs valid, nothing submitted\n")
            }
            if let prices {
                Terminal.output(Estimate.text(costEstimate, prices: prices, accuracy: EstimateAccuracy()))
            }
        }
    }
}
