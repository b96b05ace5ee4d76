import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle

/// A local OpenRouter: chat completions (JSON and SSE), `/models`, `/generation`, `/key`,
/// plus `/sim/stats` and `/sim/reset`, with injectable faults. See ``TokenCounting`` for
/// the deterministic output rules and ``SimulatedFault`` for the faults.
public struct OpenRouterSimulator: Sendable {
    public let configuration: SimulatorConfiguration
    let logger: Logger
    let state: SimulatorState
    /// `faultRates` as cumulative thresholds in `SimulatedFault.allCases` order,
    /// computed once so each request only walks a short array.
    let faultThresholds: [(fault: SimulatedFault, upTo: Double)]

    /// - Parameters:
    ///   - configuration: Defaults to ``SimulatorConfiguration/init()``.
    ///   - logger: Defaults to a logger that discards everything.
    public init(
        configuration: SimulatorConfiguration = .init(),
        logger: Logger = Logger(label: "openrouter-sim", factory: { _ in SwiftLogNoOpLogHandler() })
    ) {
        self.configuration = configuration
        self.logger = logger
        self.state = SimulatorState(seed: configuration.seed, historyLimit: configuration.generationHistoryLimit)
        var total = 0.0
        var thresholds: [(SimulatedFault, Double)] = []
        for fault in SimulatedFault.allCases {
            guard let rate = configuration.faultRates[fault], rate > 0 else { continue }
            total += rate
            thresholds.append((fault, total))
        }
        self.faultThresholds = thresholds
    }

    /// Starts a simulator on `configuration` (loopback, free port by default), runs `body`
    /// with it, and shuts it down afterwards, also when `body` throws.
    public static func withRunning<R: Sendable>(
        _ configuration: SimulatorConfiguration = .init(),
        _ body: @Sendable (RunningSimulator) async throws -> R
    ) async throws -> R {
        let simulator = OpenRouterSimulator(configuration: configuration)
        let (ports, portSink) = AsyncStream.makeStream(of: Int.self)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                defer { portSink.finish() }
                try await simulator.run { port in portSink.yield(port) }
            }
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next() else {
                // The server stopped before binding; surface its error.
                try await group.next()
                throw CancellationError()
            }
            let running = RunningSimulator(port: port, host: configuration.host, simulator: simulator)
            do {
                let result = try await body(running)
                group.cancelAll()
                return result
            } catch {
                group.cancelAll()
                throw error
            }
        }
    }

    /// Serves until the calling task is cancelled; calls `onStarted` with the bound port.
    public func run(onStarted: @escaping @Sendable (Int) async -> Void) async throws {
        let app = Application(
            router: makeRouter(),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: nil),
            onServerRunning: { channel in await onStarted(channel.localAddress?.port ?? 0) },
            logger: logger)
        var groupConfiguration = ServiceGroupConfiguration(services: [app], logger: logger)
        // Hanging requests would hold a graceful shutdown for 120 s; cut them off quickly.
        groupConfiguration.maximumGracefulShutdownDuration = .milliseconds(500)
        let group = ServiceGroup(configuration: groupConfiguration)
        // The group runs unstructured so the caller's cancellation becomes a graceful
        // shutdown (close idle connections, finish responses) rather than a hard cancel.
        let serving = Task { try await group.run() }
        try await withTaskCancellationHandler {
            try await serving.value
        } onCancel: {
            Task { await group.triggerGracefulShutdown() }
        }
    }

    /// A snapshot of the counters.
    public func stats() -> SimulatorStats {
        state.stats
    }

    /// Clears the counters (including the per-key counts `times` looks at).
    public func reset() {
        state.reset()
    }

    func makeRouter() -> Router<SimulatorRequestContext> {
        let router = Router(context: SimulatorRequestContext.self)
        let api = router.group("api/v1").add(middleware: StatsMiddleware(state: state))
        api.post("chat/completions") { request, context in try await chat(request, context: context) }
        api.get("models") { _, _ in modelsResponse() }
        api.get("generation") { request, _ in generationResponse(request) }
        api.get("key") { _, _ in keyResponse() }
        router.get("sim/stats") { _, _ in jsonResponse(state.stats.jsonText) }
        router.post("sim/reset") { _, _ in
            state.reset()
            return jsonResponse(state.stats.jsonText)
        }
        return router
    }
}
