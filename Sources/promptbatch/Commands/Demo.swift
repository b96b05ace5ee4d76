import ArgumentParser
import Foundation
import OpenRouter
import OpenRouterSimulator
import PromptBatchKit

struct Demo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the whole pipeline on the example jobs against a built-in OpenRouter simulator (no key, no network)."
    )

    @OptionGroup var options: GlobalOptions

    @Option(help: "Folder of example job files (default: jobs/ here or beside the package).")
    var jobs: String?

    @Option(help: "Where to write the report CSV.")
    var report = "promptbatch-demo-report.csv"

    @Option(help: "Simulated latency per request, in milliseconds.")
    var latencyMs = 20

    func run() async throws {
        try await reportingFailures {
            let logger = options.makeLogger()
            let folder = try jobs ?? Self.findJobsFolder()
            let files = try FileManager.default.contentsOfDirectory(atPath: folder)
                .filter { $0.hasSuffix(".jsonl") }.sorted().map { folder + "/" + $0 }
            guard !files.isEmpty else { throw Failure(.dataError, "\(folder): no .jsonl job files") }
            let workDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("promptbatch-demo-\(UUID().uuidString.prefix(8))").path
            try FileManager.default.createDirectory(atPath: workDirectory, withIntermediateDirectories: true)
            let databasePath = workDirectory + "/demo.sqlite"

            var simulatorConfiguration = SimulatorConfiguration()
            simulatorConfiguration.latency = .milliseconds(latencyMs)
            let reportPath = report
            let code = try await OpenRouterSimulator.withRunning(simulatorConfiguration) { simulator in
                Terminal.output("simulator listening on \(simulator.baseURL)\ndatabase \(databasePath)\n\n")
                let store = try JobStore(path: databasePath)
                let outcome = try BatchSubmission(files: files, name: "demo").run(store: store) { Terminal.error($0.description) }
                guard let batchID = outcome.batchID else { throw Failure(.dataError, "the example jobs did not validate") }
                Terminal.output("$ promptbatch submit \(files.map { ($0 as NSString).lastPathComponent }.joined(separator: " "))\nbatch \(batchID): \(outcome.jobCount) jobs submitted\n\n$ promptbatch run --concurrency 8\n")

                var configuration = OpenRouterConfiguration()
                configuration.baseURL = simulator.baseURL
                configuration.maxConcurrentRequests = 8
                configuration.retryDelay = .milliseconds(100)
                configuration.retriesInvalidResponses = true
                configuration.appName = "promptbatch demo"
                let client = try OpenRouterClient(apiKey: "sk-or-demo-key-not-secret", configuration: configuration, logger: logger)
                try store.saveModels(try await client.models())
                let code = try await BatchRun(store: store, client: client, configuration: RunnerConfiguration(concurrency: 8), logger: logger).execute()

                Terminal.output("\n$ promptbatch status\n" + Status.text(try store.counts(batchID: nil)))
                // The estimate after the fact: how far its prompt tokens were from the simulator's.
                let prices = try store.priceTable()
                let (estimate, accuracy) = try Estimate.estimateStoredJobs(store, batchID: nil, pendingOnly: false, prices: prices)
                Terminal.output("\n$ promptbatch estimate\n" + Estimate.text(estimate, prices: Estimate.Prices(table: prices), accuracy: accuracy))
                let sink = try OutputSink(path: reportPath)
                let rows = try UsageReport().write(from: store, to: sink)
                try sink.flush()
                Terminal.output("\n$ promptbatch report --output \(reportPath)\nwrote \(rows) rows to \(URL(fileURLWithPath: reportPath).standardizedFileURL.path)\n")
                return code
            }
            if code != Exit.success { throw code }
        }
    }

    /// `jobs/` in the current directory, else beside the package the binary was built in.
    static func findJobsFolder() throws -> String {
        let manager = FileManager.default
        if manager.fileExists(atPath: "jobs") { return "jobs" }
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        while directory.path != "/" {
            let candidate = directory.appendingPathComponent("jobs").path
            if manager.fileExists(atPath: directory.appendingPathComponent("Package.swift").path), manager.fileExists(atPath: candidate) {
                return candidate
            }
            directory.deleteLastPathComponent()
        }
        throw Failure(.dataError, "cannot find the example jobs/ folder; pass --jobs FOLDER")
    }
}
