import ArgumentParser
import PromptBatchKit

struct Reconcile: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Look up the cost of attempts whose answer was lost (a broken stream, a crash) through /generation.",
        discussion: """
            Attempts with a generation id and no recorded cost get the cost and tokens OpenRouter reports for \
            that generation (cost_source 'reconciled'), added to their job's totals once. A generation not \
            known yet (404) is left for a later reconcile; `run` also reconciles at its start.
            """)

    @OptionGroup var options: GlobalOptions

    @Option(help: "Only this batch.")
    var batch: Int64?

    func run() async throws {
        try await reportingFailures {
            let logger = options.makeLogger()
            let store = try options.openStore()
            let client = try options.makeClient(options.clientConfiguration(), logger: logger)
            let outcome = try await Reconciler(store: store, client: client, logger: logger).run(batchID: batch)
            var line = "reconciled \(outcome.reconciled) attempt\(outcome.reconciled == 1 ? "" : "s"): $\(Money.usdString(picoUSD: outcome.costPicoUSD))"
            let left = outcome.notFound + outcome.failed
            if left > 0 {
                line += "; \(left) left for later (\(outcome.notFound) not known to /generation yet, \(outcome.failed) look-ups failed)"
            }
            Terminal.output(line + "\n")
        }
    }
}
