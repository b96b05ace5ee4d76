import Foundation
import Hummingbird
import Logging
import Metrics
import OpenRouter
import Prometheus
import PromptBatchKit

/// `run --metrics-port N`: Prometheus text metrics on 127.0.0.1 while the run lasts.
///
/// The runner reports attempts through swift-metrics (``RunMetrics`` in PromptBatchKit);
/// this installs Prometheus as its backend and serves the registry. Jobs by state and the
/// client's in-flight limit are read when scraped: the database is the truth for the first.
struct MetricsEndpoint: Sendable {
    let registry: PrometheusCollectorRegistry
    let store: JobStore
    let batchID: Int64?
    let client: OpenRouterClient

    /// swift-metrics takes one backend per process; the registry made here is it.
    static let registry: PrometheusCollectorRegistry = {
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = [
            .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250),
            .milliseconds(500), .seconds(1), .milliseconds(2500), .seconds(5), .seconds(10), .seconds(30), .seconds(60),
        ]
        MetricsSystem.bootstrap(factory)
        return registry
    }()

    init(store: JobStore, batchID: Int64?, client: OpenRouterClient) {
        self.registry = Self.registry
        self.store = store
        self.batchID = batchID
        self.client = client
    }

    /// The text a scrape gets.
    func scrape() throws -> [UInt8] {
        let counts = try store.counts(batchID: batchID)
        let states: [(String, Int)] = [
            ("pending", counts.pending), ("running", counts.running), ("succeeded", counts.succeeded),
            ("failed", counts.failed), ("cancelled", counts.cancelled),
        ]
        let jobs = MetricNameDescriptor(namespace: "promptbatch", metricName: "jobs", unitName: "", helpText: "Jobs in the run's scope by state, read from the database.")
        for (state, count) in states {
            registry.makeGauge(descriptor: jobs, labels: [("state", state)]).set(Double(count))
        }
        let limit = MetricNameDescriptor(namespace: "promptbatch", metricName: "concurrency_limit", unitName: "", helpText: "Requests that may be in flight now.")
        registry.makeGauge(descriptor: limit).set(Double(client.concurrencyLimit))
        return registry.emitToBuffer()
    }

    /// Serves until the calling task is cancelled.
    /// - Parameter onStarted: called with the bound port (the one asked for, or a free one for 0).
    func serve(port: Int, logger: Logger, onStarted: @escaping @Sendable (Int) -> Void) async throws {
        let router = Router()
        let endpoint = self
        router.get("metrics") { _, _ -> Response in
            let body = try endpoint.scrape()
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
        }
        let app = Application(
            router: router,
            configuration: .init(address: .hostname("127.0.0.1", port: port), serverName: nil),
            onServerRunning: { channel in onStarted(channel.localAddress?.port ?? port) },
            logger: logger)
        try await app.runService(gracefulShutdownSignals: [])
    }
}
