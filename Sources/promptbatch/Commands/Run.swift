import ArgumentParser
import OpenRouter
import PromptBatchKit

struct RunOptions: ParsableArguments {
    @Option(help: "Only this batch.")
    var batch: Int64?

    @Option(help: "Requests in flight at once.")
    var concurrency = 5

    @Option(help: "Retries per job after its first attempt.")
    var maxRetries = 3

    @Option(help: "Seconds one attempt may take as a whole, streamed body included.")
    var timeout = 120.0

    @Option(help: "Seconds in-flight requests may finish after Ctrl-C.")
    var grace = 10.0

    func validate() throws {
        guard concurrency >= 1 else { throw ValidationError("--concurrency must be at least 1") }
        guard maxRetries >= 0 else { throw ValidationError("--max-retries must not be negative") }
        guard timeout > 0 else { throw ValidationError("--timeout must be positive") }
        guard grace >= 0 else { throw ValidationError("--grace must not be negative") }
    }

    /// Client settings for a run: the runner also retries truncated or malformed responses.
    func apply(to configuration: inout OpenRouterConfiguration) {
        configuration.maxConcurrentRequests = concurrency
        configuration.maxRetries = maxRetries
        configuration.timeout = .milliseconds(Int64(timeout * 1000))
        configuration.streamIdleTimeout = min(configuration.streamIdleTimeout, configuration.timeout)
        configuration.retriesInvalidResponses = true
    }

    var runnerConfiguration: RunnerConfiguration {
        RunnerConfiguration(concurrency: concurrency, batchID: batch, grace: .milliseconds(Int64(grace * 1000)))
    }
}

struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run pending jobs (resuming any earlier run) until the queue is drained.",
        discussion: """
            Ctrl-C stops claiming, lets requests in flight finish for --grace seconds and puts the rest back to \
            pending (exit 130); a second Ctrl-C quits at once. A 401 or a 402 without Retry-After halts the run \
            with the rest pending (exit 3).
            """
    )

    @OptionGroup var options: GlobalOptions
    @OptionGroup var runOptions: RunOptions

    func run() async throws {
        try await reportingFailures {
            let logger = options.makeLogger()
            let store = try options.openStore()
            var configuration = options.clientConfiguration()
            runOptions.apply(to: &configuration)
            let client = try options.makeClient(configuration, logger: logger)
            let code = try await BatchRun(store: store, client: client, configuration: runOptions.runnerConfiguration, logger: logger).execute()
            if code != Exit.success { throw code }
        }
    }
}

struct Resume: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Same as run: carry on where any earlier run stopped.")

    @OptionGroup var options: GlobalOptions
    @OptionGroup var runOptions: RunOptions

    func run() async throws {
        var command = Run()
        command.options = options
        command.runOptions = runOptions
        try await command.run()
    }
}
