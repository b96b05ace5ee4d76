import ArgumentParser
import Foundation
import PromptBatchTorture

/// `promptbatch-torture`: what `scripts/torture` runs.
@main
struct PromptBatchTortureCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "promptbatch-torture",
        abstract: "Interrupts promptbatch runs against a faulty simulator and checks that nothing was lost or run twice.",
        discussion: "Exits 1 when any invariant broke in any mode; the report of each mode goes to stdout.")

    @Option(help: "The promptbatch binary.") var promptbatch: String
    @Option(parsing: .upToNextOption, help: "Modes to run: \(TortureConfiguration.Mode.allCases.map(\.rawValue).joined(separator: ", ")).")
    var modes: [String] = TortureConfiguration.Mode.allCases.map(\.rawValue)
    @Option(help: "Jobs per mode.") var jobs = 2_000
    @Option(help: "Interruptions per mode.") var interruptions = 10
    @Option(help: "Fault probability per request.") var faultRate = 0.2
    @Option(help: "Seed for faults and interruption moments.") var seed: UInt64 = 1
    @Option(help: "run --concurrency.") var concurrency = 16
    @Option(help: "Simulator latency in milliseconds.") var latencyMs = 20
    @Option(help: "Where to keep the databases and logs (default: a new temporary folder).") var workDirectory: String?

    func validate() throws {
        for mode in modes where TortureConfiguration.Mode(rawValue: mode) == nil {
            throw ValidationError("unknown mode \(mode)")
        }
        guard jobs >= 10, interruptions >= 0, (0...1).contains(faultRate) else {
            throw ValidationError("--jobs must be at least 10, --interruptions not negative, --fault-rate in 0...1")
        }
    }

    func run() async throws {
        let root = workDirectory ?? FileManager.default.temporaryDirectory.appendingPathComponent("promptbatch-torture-\(UUID().uuidString.prefix(8))").path
        var broken = false
        for mode in modes.compactMap(TortureConfiguration.Mode.init(rawValue:)) {
            let directory = root + "/" + mode.rawValue
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            var configuration = TortureConfiguration(promptbatch: promptbatch, workDirectory: directory)
            configuration.mode = mode
            configuration.jobs = jobs
            configuration.interruptions = interruptions
            configuration.faultRate = faultRate
            configuration.seed = seed
            configuration.concurrency = concurrency
            configuration.latencyMilliseconds = latencyMs
            let report = try await Torture.run(configuration)
            print(report)
            print("  files: \(directory)")
            broken = broken || !report.violations.isEmpty
        }
        if broken { throw ExitCode.failure }
    }
}
