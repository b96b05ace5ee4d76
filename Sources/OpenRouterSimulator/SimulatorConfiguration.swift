/// How an ``OpenRouterSimulator`` behaves. Every simulator owns its own counters and
/// PRNG, so parallel tests never share state unless they share a simulator.
public struct SimulatorConfiguration: Sendable {
    /// Address to bind. Default `"127.0.0.1"`.
    public var host = "127.0.0.1"
    /// Port to bind; `0` (the default) picks a free one.
    public var port = 0
    /// Time from a chat request's arrival to its answer (streams: to the first `data:`
    /// event), the simulator's own work included. Overridden per request by
    /// `sim.latency_ms`. Default `.zero`.
    public var latency: Duration = .zero
    /// If set, chat requests must send exactly this bearer key. Default `nil`: any non-empty key.
    public var apiKey: String? = nil
    /// Seed of the PRNG that draws ``faultRates``. Default `0`.
    public var seed: UInt64 = 0
    /// Probability per chat request of each fault, drawn in ``SimulatedFault/allCases``
    /// order from one uniform number. A `sim.fault` directive takes precedence. Default empty.
    public var faultRates: [SimulatedFault: Double] = [:]
    /// If set, a chat request arriving while this many are in flight gets an immediate 429.
    /// Default `nil` (no cap).
    public var maxInFlight: Int? = nil
    /// `Retry-After` for 429/503/402_retry faults and admission rejections. Default `"1"`.
    public var retryAfter = "1"
    /// Models listed by `/models` and used for pricing. Default ``SimulatedModel/defaultCatalog``.
    public var models: [SimulatedModel] = SimulatedModel.defaultCatalog
    /// End SSE lines with CRLF instead of LF. Default `false`.
    public var crlfLineEndings = false
    /// How many generation records `/generation` remembers; the oldest are forgotten first.
    /// Default 1 000 000 (about 150 MB at most).
    public var generationHistoryLimit = 1_000_000

    public init() {}
}
