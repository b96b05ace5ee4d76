import Metrics

/// What a run reports to swift-metrics as attempts end: requests by status and error
/// category, tokens in and out, cost, and request latency. Without a metrics backend
/// bootstrapped (no `run --metrics-port`) these are swift-metrics' no-ops.
///
/// Names follow Prometheus conventions, since that is the backend the command line uses.
/// swift-metrics binds a metric to the backend when it is made, so a runner whose metrics
/// should be seen is made after `MetricsSystem.bootstrap`.
struct RunMetrics: Sendable {
    private let promptTokens = Counter(label: "promptbatch_prompt_tokens_total")
    private let completionTokens = Counter(label: "promptbatch_completion_tokens_total")
    private let cost = FloatingPointCounter(label: "promptbatch_cost_usd_total")
    private let latency = Timer(label: "promptbatch_request_duration_seconds")
    /// One counter per (status, category), made once: a metrics factory looks labels up under a lock.
    private let requests = LockedBox<[String: Counter]>([:])

    func record(_ attempt: AttemptRecord) {
        // An open attempt (a stream's headers) is completed by a second record of the same attempt.
        guard !attempt.isOpen else { return }
        let status = attempt.statusCode.map(String.init) ?? "none"
        let category = attempt.errorCategory ?? "ok"
        let key = status + "|" + category
        let counter = requests.withLock { counters in
            if let counter = counters[key] { return counter }
            let counter = Counter(label: "promptbatch_requests_total", dimensions: [("status", status), ("category", category)])
            counters[key] = counter
            return counter
        }
        counter.increment()
        if let usage = attempt.usage {
            promptTokens.increment(by: usage.prompt)
            completionTokens.increment(by: usage.completion)
        }
        if let picoUSD = attempt.costPicoUSD, picoUSD > 0 {
            cost.increment(by: Double(picoUSD) / 1e12)
        }
        if let elapsed = attempt.latency {
            latency.recordNanoseconds(elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000)
        }
    }
}
