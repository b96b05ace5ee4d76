import AsyncHTTPClient
import Foundation
import NIOCore
import Synchronization

extension OpenRouterClient {
    /// Starts a streamed completion (plan §3.2, §4.8).
    ///
    /// Failures before the body starts (status errors, network errors) are retried like
    /// `chat`'s; once chunks flow, an error ends the stream. `onAttempt` hears of every
    /// attempt, the last one when the stream ends.
    /// - Throws: `OpenRouterError` when no stream could be opened.
    public func chatStream(_ request: ChatRequest, onAttempt: (@Sendable (AttemptReport) -> Void)? = nil) async throws(OpenRouterError) -> ChatStream {
        try request.validate(defaultModel: configuration.defaultModel)
        var request = request
        request.stream = true
        let body = request.wireBodyBytes(defaultModel: configuration.defaultModel)
        let model = request.model ?? configuration.defaultModel ?? ""
        let attempts = Mutex(0)
        let failuresOnly: @Sendable (AttemptReport) -> Void = { report in
            attempts.withLock { $0 = report.attempt }
            if report.error != nil { onAttempt?(report) }
        }
        let finalCheck = contentCheck(for: request)
        return try await withRetries(model: model, onAttempt: failuresOnly) { () async throws(OpenRouterError) -> (ChatStream, AttemptFacts) in
            let attempt = attempts.withLock { $0 } + 1
            let stream = try await self.openStream(body: body, finalCheck: finalCheck) { result in
                guard let onAttempt else { return }
                onAttempt(AttemptReport(
                    attempt: attempt, startedAt: result.startedAt, latency: result.latency, statusCode: 200,
                    error: result.error, generationID: result.generationID, usage: result.usage ?? result.error?.usage, retryDelay: nil
                ))
            }
            return (stream, AttemptFacts(statusCode: 200, generationID: stream.generationID))
        }
    }

    /// Streams a completion and folds it into a ``ChatResponse``, retrying the whole stream
    /// when it fails in a retryable way (nothing has reached the caller yet).
    /// - Parameters:
    ///   - onAttempt: called once per HTTP attempt as it ends.
    ///   - onStreamOpened: called when an attempt's stream starts (status 200, headers in), with
    ///     its generation id, before any of its body is read; default none. The attempt's
    ///     `onAttempt` report follows unless the process dies first.
    public func chatStreamCollected(
        _ request: ChatRequest, onAttempt: (@Sendable (AttemptReport) -> Void)? = nil,
        onStreamOpened: (@Sendable (_ generationID: String?) -> Void)? = nil
    ) async throws(OpenRouterError) -> ChatResponse {
        try request.validate(defaultModel: configuration.defaultModel)
        var request = request
        request.stream = true
        let body = request.wireBodyBytes(defaultModel: configuration.defaultModel)
        let model = request.model ?? configuration.defaultModel ?? ""
        let finalCheck = contentCheck(for: request)
        return try await withRetries(model: model, onAttempt: onAttempt) { () async throws(OpenRouterError) -> (ChatResponse, AttemptFacts) in
            let stream = try await self.openStream(body: body, finalCheck: finalCheck, onFinish: nil)
            onStreamOpened?(stream.generationID)
            do throws(OpenRouterError) {
                let response = try await stream.collect()
                return (response, AttemptFacts(statusCode: 200, generationID: stream.generationID).answering(response))
            } catch {
                var failure = error.with(statusCode: 200)
                if failure.generationID?.isEmpty ?? true { failure.generationID = stream.generationID }
                throw failure
            }
        }
    }

    struct StreamEnd: Sendable {
        var startedAt: Date
        var latency: Duration
        var generationID: String?
        var usage: Usage?
        var error: OpenRouterError?
    }

    func contentCheck(for request: ChatRequest) -> @Sendable (ChatResponse) throws(OpenRouterError) -> Void {
        { [self] (response: ChatResponse) throws(OpenRouterError) in try self.checkContent(of: response, for: request) }
    }

    /// One attempt at opening a stream. The returned stream's producer owns the connection
    /// and one request permit until it ends; the whole-request and idle deadlines apply to it.
    func openStream(
        body: [UInt8],
        finalCheck: @escaping @Sendable (ChatResponse) throws(OpenRouterError) -> Void,
        onFinish: (@Sendable (StreamEnd) -> Void)?
    ) async throws(OpenRouterError) -> ChatStream {
        let request = makeRequest(path: Self.chatPath, method: .POST, body: body, streaming: true)
        let timeout = configuration.timeout
        let idleTimeout = configuration.streamIdleTimeout
        let maxBytes = configuration.maxResponseBytes
        do {
            try await limiter.acquire()
        } catch {
            var error = OpenRouterError(.cancelled, "cancelled while waiting for a free request slot")
            error.wasSent = false
            throw error
        }
        // The deadline counts from when the request can go out, not from the wait for a slot.
        let startedAt = Date()
        let start = ContinuousClock.now
        let client = httpClient
        let logger = transportLogger
        let response: HTTPClientResponse
        let generationID: String?
        do {
            response = try await translatingErrors {
                try await withDeadline(timeout, activity: nil) {
                    let response = try await client.execute(request, timeout: .nanoseconds(timeout.nanoseconds), logger: logger)
                    let facts = AttemptFacts(statusCode: Int(response.status.code), generationID: response.headers.first(name: "x-generation-id"))
                    self.adaptConcurrency(statusCode: Int(response.status.code), sentAt: startedAt)
                    try await Self.throwIfFailed(response, facts: facts)
                    try Self.refuseCompression(response, facts: facts)
                    let contentType = response.headers.first(name: "content-type")?.lowercased() ?? ""
                    if !Self.mediaType(contentType, contains: "event-stream") {
                        // Some failures come back as a JSON body even for stream requests.
                        let bytes = try await Self.collect(response.body, upTo: ResponseCollector.errorBodyBytes, activity: nil, facts: facts)
                        if let json = try? JSONValue(parsing: bytes), let error = json["error"] {
                            throw OpenRouterError(carried: error, statusCode: 200, generationID: facts.generationID)
                        }
                        throw OpenRouterError(.invalidResponse, "expected an event stream, got Content-Type \(contentType.prefix(60))", statusCode: 200, generationID: facts.generationID)
                    }
                    return response
                }
            }
            generationID = response.headers.first(name: "x-generation-id")
        } catch {
            limiter.release()
            throw error
        }

        let (chunks, continuation) = AsyncThrowingStream<ChatStreamChunk, any Error>.makeStream()
        let limiter = self.limiter
        let producer = Task {
            defer { limiter.release() }
            let activity = ActivityMonitor()
            let partial = Mutex(ChatStreamAccumulator())
            do {
                // The deadline counts from before the request was sent, and its error names the configured timeout.
                try await withDeadline(timeout, since: start, idleTimeout: idleTimeout, activity: activity) {
                    var decoder = ServerSentEventDecoder(maximumEventBytes: maxBytes)
                    var received = 0
                    var sawDone = false
                    for try await buffer in response.body {
                        activity.touch()
                        received += buffer.readableBytes
                        guard received <= maxBytes else {
                            throw OpenRouterError(.invalidResponse, "stream larger than \(maxBytes) bytes", statusCode: 200, generationID: generationID)
                        }
                        let events: [ServerSentEvent]
                        do {
                            events = try decoder.decode(buffer.readableBytesView)
                        } catch {
                            throw OpenRouterError(.invalidResponse, "malformed event stream: \(error)", statusCode: 200, generationID: generationID)
                        }
                        for event in events {
                            if event.data == "[DONE]" {
                                sawDone = true
                                continue
                            }
                            let json: JSONValue
                            do {
                                json = try JSONValue(parsing: event.data)
                            } catch {
                                throw OpenRouterError(.invalidResponse, "malformed JSON in stream event: \(error)", statusCode: 200, generationID: generationID)
                            }
                            let chunk = try ChatStreamChunk(json: json)
                            partial.withLock { $0.add(chunk) }
                            continuation.yield(chunk)
                        }
                    }
                    guard sawDone else {
                        throw OpenRouterError(.invalidResponse, "the stream ended without [DONE]", statusCode: 200, generationID: generationID)
                    }
                }
                continuation.finish()
                let usage = partial.withLock { $0.usage }
                onFinish?(StreamEnd(startedAt: startedAt, latency: ContinuousClock.now - start, generationID: generationID, usage: usage, error: nil))
            } catch {
                // Scrubbed like any other error: a mid-stream error event may echo the key too.
                var failure = self.redacted(Self.transportError(error))
                if failure.generationID == nil { failure.generationID = generationID }
                let (content, usage) = partial.withLock { ($0.content, $0.usage) }
                if failure.partialContent == nil, !content.isEmpty { failure.partialContent = content }
                if failure.usage == nil { failure.usage = usage }
                continuation.finish(throwing: failure)
                onFinish?(StreamEnd(startedAt: startedAt, latency: ContinuousClock.now - start, generationID: generationID, usage: usage, error: failure))
            }
        }
        continuation.onTermination = { termination in
            if case .cancelled = termination { producer.cancel() }
        }
        return ChatStream(generationID: generationID, chunks: chunks, finalCheck: finalCheck)
    }
}
