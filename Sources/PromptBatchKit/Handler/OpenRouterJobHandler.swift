import Foundation
import OpenRouter

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

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
        // A job not streamed sends its stored body as it is (`submit` validated and encoded it;
        // encoding it again would give the same bytes): of the request, only a response_format
        // matters then, so the body is decoded only when it has one (or is streamed).
        let request: ChatRequest?
        do {
            request = job.isStream || Self.mentionsResponseFormat(job.requestBody) ? try Self.storedRequest(job.requestBody) : nil
        } catch {
            return .failed(category: OpenRouterError.Category.validation.rawValue, message: error.message)
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
        let result: Result<ChatAnswer, OpenRouterError>
        do {
            // A stream's attempt is written as soon as it starts, with its generation id: if this
            // process dies mid-stream, `reconcile` can still find what it cost.
            let onStreamOpened: @Sendable (String?) -> Void = { generationID in
                guard let generationID else { return }
                var open = AttemptRecord(startedAt: Date(), statusCode: 200, generationID: generationID)
                open.isOpen = true
                recordAttempt(open)
            }
            if job.isStream, let request {
                let response = try await client.chatStreamCollected(request, onAttempt: onAttempt, onStreamOpened: onStreamOpened)
                result = .success(ChatAnswer(response: response, text: response.json.serialized))
            } else {
                result = .success(try await client.chatAnswer(
                    encodedBody: Array(job.requestBody.utf8), model: job.model, responseFormat: request?.responseFormat, onAttempt: onAttempt))
            }
        } catch {
            result = .failure(error)
        }
        let latency = lastLatency.current

        switch result {
        case .success(let answer):
            let response = answer.response
            return .succeeded(JobResult(
                responseBody: answer.text,
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

    struct StoredRequestFailure: Error {
        let message: String
    }

    /// A stored wire body as a request.
    static func storedRequest(_ body: String) throws(StoredRequestFailure) -> ChatRequest {
        let value: JSONValue
        do {
            value = try JSONValue(parsing: body)
        } catch {
            throw StoredRequestFailure(message: "stored request is invalid: \(error)")
        }
        guard case .object(let object) = value else { throw StoredRequestFailure(message: "stored request is not a JSON object") }
        do {
            return try ChatRequest(wire: object)
        } catch {
            throw StoredRequestFailure(message: "stored request is invalid: \(error)")
        }
    }

    /// Whether a stored body may have a `response_format` member: its key's bytes appear in
    /// it. Exact for what `submit` stores: its encoder escapes no letter or `_`, so a key that
    /// reads `response_format` is written as these bytes (text that merely mentions it only
    /// costs a decode).
    static func mentionsResponseFormat(_ body: String) -> Bool {
        var body = body
        return body.withUTF8 { haystack in
            responseFormatKey.withUnsafeBufferPointer { needle in
                // `memchr` to each `_` (rare in a body, unlike `"`) and `memcmp` around it, not
                // a byte loop: that was 0.35% of a run's samples, paid per job.
                guard let base = haystack.baseAddress, let key = needle.baseAddress, haystack.count >= needle.count else { return false }
                let anchor = responseFormatKeyAnchor
                let lastStart = haystack.count - needle.count
                var start = 0
                while start <= lastStart {
                    guard let found = memchr(base + start + anchor, Int32(key[anchor]), lastStart - start + 1) else { return false }
                    start = UnsafeRawPointer(found) - UnsafeRawPointer(base) - anchor
                    if memcmp(base + start, key, needle.count) == 0 { return true }
                    start += 1
                }
                return false
            }
        }
    }

    private static let responseFormatKey = Array(#""response_format""#.utf8)
    private static let responseFormatKeyAnchor = responseFormatKey.firstIndex(of: UInt8(ascii: "_"))!

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
