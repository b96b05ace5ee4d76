import Foundation
import OpenRouter

/// Runs a queued job through the OpenRouter client: the bridge between the queue, which
/// knows nothing of HTTP, and the client, which knows nothing of SQLite.
public struct OpenRouterJobHandler: JobHandler {
    let client: OpenRouterClient
    /// Per-model prices, for the cost of responses that report none.
    let prices: [String: ModelInfo.Pricing]

    /// - Parameters:
    ///   - client: configured with the run's retries, timeout and concurrency.
    ///   - prices: cached `/models` prices by model id.
    public init(client: OpenRouterClient, prices: [String: ModelInfo.Pricing]) {
        self.client = client
        self.prices = prices
    }

    public func run(_ job: ClaimedJob, recordAttempt: @escaping @Sendable (AttemptRecord) -> Void) async -> JobOutcome {
        let request: ChatRequest
        do {
            guard case .object(let body) = try JSONValue(parsing: job.requestBody) else {
                return .failed(category: OpenRouterError.Category.validation.rawValue, message: "stored request is not a JSON object")
            }
            request = try ChatRequest(wire: body)
        } catch {
            return .failed(category: OpenRouterError.Category.validation.rawValue, message: "stored request is invalid: \(error)")
        }

        // Attempts are recorded as they end, not when the job ends, so a crash mid-retries
        // still leaves the billed ones in the database. Synchronously, in the client's
        // callback: the attempt that a stop's cancellation cuts short was sent too.
        let model = job.model
        let prices = self.prices
        let lastLatency = LockedBox<Duration?>(nil)
        let onAttempt: @Sendable (AttemptReport) -> Void = { report in
            lastLatency.withLock { $0 = report.latency }
            recordAttempt(Self.record(report, model: model, prices: prices))
        }
        let result: Result<ChatResponse, OpenRouterError>
        do {
            // A stream's attempt is written as soon as it starts, with its generation id: if this
            // process dies mid-stream, `reconcile` can still find what it cost.
            let onStreamOpened: @Sendable (String?) -> Void = { generationID in
                guard let generationID else { return }
                var open = AttemptRecord(startedAt: Date(), statusCode: 200, generationID: generationID)
                open.isOpen = true
                recordAttempt(open)
            }
            // A stored request is the wire body `submit` validated and wrote; a job not streamed
            // sends it as it is (encoding it again would give the same bytes).
            let response = job.isStream
                ? try await client.chatStreamCollected(request, onAttempt: onAttempt, onStreamOpened: onStreamOpened)
                : try await client.chat(request, encodedBody: Array(job.requestBody.utf8), onAttempt: onAttempt)
            result = .success(response)
        } catch {
            result = .failure(error)
        }
        let latency = lastLatency.current

        switch result {
        case .success(let response):
            return .succeeded(JobResult(
                responseBody: response.json.serialized,
                answeredModel: response.model.isEmpty ? nil : response.model,
                finishReason: response.choices.first?.finishReason?.rawValue,
                latency: latency
            ))
        case .failure(let error) where error.category == .cancelled:
            return .released
        case .failure(let error) where error.isFatal:
            return .fatal(category: error.category.rawValue, message: error.description)
        case .failure(let error):
            return .failed(category: error.category.rawValue, message: error.description)
        }
    }

    /// One client attempt as a database row: cost as reported, else estimated from prices.
    static func record(_ report: AttemptReport, model: String, prices: [String: ModelInfo.Pricing]) -> AttemptRecord {
        var record = AttemptRecord(
            startedAt: report.startedAt,
            latency: report.latency,
            statusCode: report.statusCode,
            errorCategory: report.error?.category.rawValue,
            errorMessage: report.error?.description,
            generationID: report.generationID
        )
        if let usage = report.usage {
            record.usage = TokenUsage(prompt: usage.promptTokens, completion: usage.completionTokens, reasoning: usage.reasoningTokens, cached: usage.cachedTokens)
            if let cost = usage.cost {
                record.costPicoUSD = Money.picoUSD(cost)
                record.costSource = "reported"
            } else if let pricing = prices[model] {
                record.costPicoUSD = Money.picoUSD(pricing.cost(promptTokens: usage.promptTokens, completionTokens: usage.completionTokens))
                record.costSource = "estimated"
            }
        }
        return record
    }
}
