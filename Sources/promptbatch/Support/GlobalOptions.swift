import ArgumentParser
import Foundation
import Logging
import OpenRouter
import PromptBatchKit

/// Options every command shares. Each resolves flag → environment variable → default here, in one place.
struct GlobalOptions: ParsableArguments {
    @Option(name: .customLong("db"), help: "The queue database. (env PROMPTBATCH_DB, default ./promptbatch.sqlite)")
    var databaseOption: String?

    @Option(name: .customLong("base-url"), help: "OpenRouter's API base URL. (env OPENROUTER_BASE_URL, default https://openrouter.ai/api/v1)")
    var baseURLOption: String?

    @Option(name: .customLong("log-level"), help: "trace|debug|info|notice|warning|error, to stderr. (env PROMPTBATCH_LOG_LEVEL, default notice)")
    var logLevelOption: String?

    @Option(name: .customLong("api-key-file"), help: "Read the API key from this file instead of OPENROUTER_API_KEY.")
    var apiKeyFile: String?

    @Flag(name: .customLong("allow-insecure-http"), help: "Allow a plain http:// base URL to a host that is not loopback.")
    var allowsInsecureHTTP = false

    static let environment = ProcessInfo.processInfo.environment

    var databasePath: String { databaseOption ?? Self.environment["PROMPTBATCH_DB"] ?? "./promptbatch.sqlite" }
    var baseURL: String { baseURLOption ?? Self.environment["OPENROUTER_BASE_URL"] ?? OpenRouterConfiguration().baseURL }

    var logLevel: Logger.Level {
        get throws {
            let name = logLevelOption ?? Self.environment["PROMPTBATCH_LOG_LEVEL"] ?? "notice"
            guard let level = Logger.Level(rawValue: name.lowercased()), level != .critical else {
                throw ValidationError("--log-level must be one of trace, debug, info, notice, warning, error (got '\(name)')")
            }
            return level
        }
    }

    mutating func validate() throws {
        _ = try logLevel
    }

    /// Logs to stderr at the chosen level. Call once, first thing in `run()`.
    func makeLogger() -> Logger {
        let level = (try? logLevel) ?? .notice
        LoggingBootstrap.once(level: level)
        var logger = Logger(label: "promptbatch")
        logger.logLevel = level
        return logger
    }

    /// The key from `--api-key-file` or `OPENROUTER_API_KEY`; never from a flag value.
    func apiKey() throws -> String {
        if let apiKeyFile {
            guard let data = FileManager.default.contents(atPath: apiKeyFile) else {
                throw Failure(.configuration, "cannot read the API key file \(apiKeyFile)")
            }
            return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        }
        guard let key = Self.environment["OPENROUTER_API_KEY"], !key.isEmpty else {
            throw Failure(.configuration, "no API key: set OPENROUTER_API_KEY or pass --api-key-file")
        }
        return key
    }

    /// Client settings from these options (base URL, insecure-HTTP permission).
    func clientConfiguration() -> OpenRouterConfiguration {
        var configuration = OpenRouterConfiguration()
        configuration.baseURL = baseURL
        configuration.allowsInsecureHTTP = allowsInsecureHTTP
        configuration.appName = "promptbatch"
        return configuration
    }

    func makeClient(_ configuration: OpenRouterConfiguration, logger: Logger) throws -> OpenRouterClient {
        do {
            return try OpenRouterClient(apiKey: try apiKey(), configuration: configuration, logger: logger)
        } catch let error as OpenRouterError {
            throw Failure(.configuration, error.message)
        }
    }

    /// Runs a read-only command that writes to `path` (or stdout), reporting failures the usual way.
    func writeOutput(to path: String?, _ write: (JobStore, OutputSink) throws -> Void) async throws {
        try await reportingFailures {
            _ = makeLogger()
            let store = try openStore()
            let sink = try path.map { try OutputSink(path: $0) } ?? .standardOutput()
            try write(store, sink)
            try sink.flush()
        }
    }

    func openStore() throws -> JobStore {
        do {
            return try JobStore(path: databasePath)
        } catch {
            throw Failure(.configuration, "cannot open database \(databasePath): \(JobStore.storageFailureDescription(error, path: databasePath) ?? "\(error)")")
        }
    }
}

enum LoggingBootstrap {
    private static let done = Mutex(false)

    static func once(level: Logger.Level) {
        let first = done.withLock { done in
            defer { done = true }
            return !done
        }
        guard first else { return }
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
    }
}

import Synchronization
