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

    @Option(help: ArgumentHelp(
        "Spend at most this many USD in this run (e.g. 0.50).",
        discussion: "Each job reserves its worst case for every attempt it may make before it starts; the run stops (exit 3) when the next job does not fit, the rest pending."))
    var budget: String?

    @Option(help: ArgumentHelp("Start at most this many requests per minute.", valueName: "N"))
    var rpm: Int?

    @Option(help: ArgumentHelp(
        "Start at most this many estimated tokens per minute.",
        discussion: "A job counts its estimated prompt tokens plus its max_tokens, as providers count it.", valueName: "N"))
    var tpm: Int?

    @Flag(help: "Keep --concurrency even when the provider answers 429 or 503 (by default the in-flight limit drops and recovers).")
    var fixedConcurrency = false

    @Option(help: ArgumentHelp(
        "Serve Prometheus metrics on http://127.0.0.1:PORT/metrics while the run lasts (0: a free port, printed on stderr).",
        valueName: "PORT"))
    var metricsPort: Int?

    @Flag(help: ArgumentHelp(
        "Answer jobs whose request matches an earlier successful one from its result, without sending them (env PROMPTBATCH_CACHE=1).",
        discussion: "Only requests with temperature 0 unless --cache-nondeterministic. A cached job costs nothing; its cost_source is 'cached'."))
    var cache = false

    @Flag(help: "With --cache, also reuse results of requests without temperature 0 (their answers would differ if sent again).")
    var cacheNondeterministic = false

    /// The cache policy: `--cache` (or `PROMPTBATCH_CACHE=1`); nil for none.
    var cachePolicy: ResponseCachePolicy? {
        let fromEnvironment = ["1", "true", "yes"].contains(GlobalOptions.environment["PROMPTBATCH_CACHE"]?.lowercased() ?? "")
        guard cache || cacheNondeterministic || fromEnvironment else { return nil }
        return ResponseCachePolicy(includesNondeterministic: cacheNondeterministic)
    }

    /// The budget in pico-USD, once validated.
    var budgetPicoUSD: Int64? { budget.flatMap(Money.picoUSD(parsing:)) }

    func validate() throws {
        guard concurrency >= 1 else { throw ValidationError("--concurrency must be at least 1") }
        guard maxRetries >= 0 else { throw ValidationError("--max-retries must not be negative") }
        guard timeout > 0 else { throw ValidationError("--timeout must be positive") }
        guard grace >= 0 else { throw ValidationError("--grace must not be negative") }
        guard rpm.map({ $0 >= 1 }) ?? true else { throw ValidationError("--rpm must be at least 1") }
        guard tpm.map({ $0 >= 1 }) ?? true else { throw ValidationError("--tpm must be at least 1") }
        guard metricsPort.map({ (0...65_535).contains($0) }) ?? true else { throw ValidationError("--metrics-port must be 0...65535") }
        if let budget {
            guard let amount = Money.picoUSD(parsing: budget), amount > 0 else {
                throw ValidationError("--budget must be a positive amount of USD written as a plain decimal, like 0.50 (got '\(budget)')")
            }
        }
    }

    /// Client settings for a run: the runner also retries truncated or malformed responses.
    func apply(to configuration: inout OpenRouterConfiguration) {
        configuration.maxConcurrentRequests = concurrency
        configuration.maxRetries = maxRetries
        configuration.timeout = .milliseconds(Int64(timeout * 1000))
        configuration.streamIdleTimeout = min(configuration.streamIdleTimeout, configuration.timeout)
        configuration.retriesInvalidResponses = true
        configuration.adaptsConcurrency = !fixedConcurrency
    }

    var runnerConfiguration: RunnerConfiguration {
        var configuration = RunnerConfiguration(concurrency: concurrency, batchID: batch, grace: .milliseconds(Int64(grace * 1000)))
        if rpm != nil || tpm != nil {
            configuration.rateLimits = RateLimits(requestsPerMinute: rpm, tokensPerMinute: tpm)
        }
        configuration.cache = cachePolicy
        return configuration
    }
}

struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run pending jobs (resuming any earlier run) until the queue is drained.",
        discussion: """
            Ctrl-C stops claiming, lets requests in flight finish for --grace seconds and puts the rest back to \
            pending (exit 130); a second Ctrl-C quits at once. A 401 or a 402 without Retry-After halts the run \
            with the rest pending (exit 3), and so does reaching --budget.
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
            var batchRun = BatchRun(store: store, client: client, configuration: runOptions.runnerConfiguration, logger: logger)
            batchRun.budgetPicoUSD = runOptions.budgetPicoUSD
            batchRun.attemptsPerJob = runOptions.maxRetries + 1
            batchRun.metricsPort = runOptions.metricsPort
            let code = try await batchRun.execute()
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
