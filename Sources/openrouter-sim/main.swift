import ArgumentParser
import Foundation
import OpenRouterSimulator

/// `openrouter-sim`: runs the OpenRouter simulator until SIGINT/SIGTERM.
struct OpenRouterSim: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "openrouter-sim",
        abstract: "A local OpenRouter API simulator.",
        discussion: "Prints one line, `listening on http://HOST:PORT/api/v1`, to stdout once bound; logs go to stderr.")

    @Option(help: "Address to bind.") var host = "127.0.0.1"
    @Option(help: "Port to bind (0 picks a free port).") var port = 0
    @Option(name: .customLong("latency-ms"), help: "Time from a chat request's arrival to its answer, in milliseconds.") var latencyMs = 0
    @Option(help: "Seed for the fault-rate PRNG.") var seed: UInt64 = 0
    @Option(
        name: .customLong("fault-rate"),
        help: "NAME=P: inject fault NAME with probability P per chat request (repeatable). Names: \(SimulatedFault.allCases.map(\.rawValue).joined(separator: ", "))."
    )
    var faultRates: [String] = []
    @Option(name: .customLong("api-key-file"), help: "File holding the only accepted API key (default: any key).")
    var apiKeyFile: String?
    @Option(name: .customLong("max-in-flight"), help: "Answer 429 once this many chat requests are in flight.")
    var maxInFlight: Int?
    @Option(name: .customLong("retry-after"), help: "Retry-After value for 429/503 answers.") var retryAfter = "1"
    @Flag(help: "Use CRLF line endings in SSE streams.") var crlf = false
    @Flag(help: "Log every request at debug level.") var verbose = false

    func makeConfiguration() throws -> SimulatorConfiguration {
        var configuration = SimulatorConfiguration()
        configuration.host = host
        configuration.port = port
        configuration.latency = .milliseconds(latencyMs)
        configuration.seed = seed
        configuration.maxInFlight = maxInFlight
        configuration.retryAfter = retryAfter
        configuration.crlfLineEndings = crlf
        for entry in faultRates {
            let parts = entry.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, let fault = SimulatedFault(rawValue: parts[0]), let rate = Double(parts[1]),
                (0...1).contains(rate)
            else {
                throw ValidationError("--fault-rate expects NAME=P with a known fault name and 0 ≤ P ≤ 1, got \(entry)")
            }
            configuration.faultRates[fault] = rate
        }
        if let apiKeyFile {
            let key = try String(contentsOfFile: apiKeyFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            guard !key.isEmpty else { throw ValidationError("\(apiKeyFile) is empty") }
            configuration.apiKey = key
        }
        return configuration
    }

    func run() async throws {
        let configuration = try makeConfiguration()
        let simulator = OpenRouterSimulator(
            configuration: configuration, logger: .simulatorStandardError(level: verbose ? .debug : .info))
        let host = configuration.host
        let server = Task {
            try await simulator.run { port in
                // One unbuffered write, so a script reading the pipe sees the line at once.
                FileHandle.standardOutput.write(Data("listening on http://\(host):\(port)/api/v1\n".utf8))
            }
        }
        // Signals cancel the server task; cancellation is the simulator's stop signal.
        var sources: [any DispatchSourceSignal] = []
        for signalNumber in [SIGINT, SIGTERM] {
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .main)
            source.setEventHandler { server.cancel() }
            source.resume()
            sources.append(source)
        }
        do {
            try await server.value
        } catch is CancellationError {
            // Normal shutdown.
        }
        sources.forEach { $0.cancel() }
    }
}

// Top-level code would pick ParsableCommand's synchronous `main`, so parse and run by hand.
do {
    let command = try OpenRouterSim.parse()
    try await command.run()
} catch {
    OpenRouterSim.exit(withError: error)
}
