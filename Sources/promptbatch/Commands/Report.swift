import ArgumentParser
import PromptBatchKit

struct Report: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Usage and cost as CSV (RFC 4180, UTF-8, header row).",
        discussion: "Text cells starting with =, +, -, @, tab or CR get a leading ' so spreadsheets do not run them as formulas."
    )

    @OptionGroup var options: GlobalOptions

    @Option(help: "Only this batch.")
    var batch: Int64?

    @Option(help: "job, model, batch or category.")
    var groupBy: UsageReport.Grouping = .job

    @Option(help: "Write to this file instead of stdout.")
    var output: String?

    func run() async throws {
        try await options.writeOutput(to: output) { store, sink in
            try UsageReport(batchID: batch, grouping: groupBy).write(from: store, to: sink)
        }
    }
}

extension UsageReport.Grouping: ExpressibleByArgument {}

struct Export: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Finished jobs as JSONL in OpenAI's Batch output format.")

    @OptionGroup var options: GlobalOptions

    @Option(help: "Only this batch.")
    var batch: Int64?

    @Option(help: "Write to this file instead of stdout.")
    var output: String?

    func run() async throws {
        try await options.writeOutput(to: output) { store, sink in
            try ResultExport(batchID: batch).write(from: store, to: sink)
        }
    }
}
