import ArgumentParser
import OpenRouter
import PromptBatchKit

struct Retry: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Put failed jobs back to pending (their history is kept).")

    @OptionGroup var options: GlobalOptions

    @Option(help: "Only this batch.")
    var batch: Int64?

    @Option(parsing: .upToNextOption, help: "Only jobs that failed with these error categories (e.g. schema_violation).")
    var category: [String] = []

    func validate() throws {
        let known = Set(OpenRouterError.Category.all.map(\.rawValue))
        for name in category where !known.contains(name) {
            throw ValidationError("unknown error category '\(name)' (known: \(OpenRouterError.Category.all.map(\.rawValue).joined(separator: ", ")))")
        }
    }

    func run() async throws {
        try await reportingFailures {
            _ = options.makeLogger()
            let count = try options.openStore().retryFailed(batchID: batch, categories: category)
            Terminal.output("\(count) failed job\(count == 1 ? "" : "s") back to pending; `promptbatch run` to run them\n")
        }
    }
}

struct Cancel: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Cancel a batch's pending jobs.")

    @OptionGroup var options: GlobalOptions

    @Option(help: "The batch.")
    var batch: Int64

    func run() async throws {
        try await reportingFailures {
            _ = options.makeLogger()
            let count = try options.openStore().cancelPending(batchID: batch)
            Terminal.output("\(count) pending job\(count == 1 ? "" : "s") cancelled\n")
        }
    }
}
