import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOPosix
import NIOHTTP1
import NIOSSL
import Synchronization

/// The OpenRouter client: chat completions (whole or streamed), models and generations,
/// with validation, retries with backoff, deadlines and a cap on requests in flight.
///
/// ```swift
/// let client = try OpenRouterClient(apiKey: key, configuration: .init())
/// let answer = try await client.chat(ChatRequest(messages: [.user("Hi")], model: "openai/gpt-4o-mini"))
/// ```
public final class OpenRouterClient: Sendable {
    public let configuration: OpenRouterConfiguration
    let apiKey: APIKey
    let baseURL: String
    let httpClient: HTTPClient
    let limiter: ConcurrencyLimiter
    let logger: Logger
    let retryPolicy: RetryPolicy
    let sleep: @Sendable (Duration) async throws -> Void
    let modelsCache = Mutex<(models: [ModelInfo], expires: ContinuousClock.Instant)?>(nil)
    /// Used only when ``OpenRouterConfiguration/adaptsConcurrency``.
    let adaptive: Mutex<AdaptiveConcurrency>
    /// Request headers and the chat request, made once: they carry the key, so they reflect
    /// as nothing.
    let requestHeaders: RequestHeaders
    /// Chat completions that are read whole go over these connections (see ``HTTP1ConnectionPool``).
    let chatConnections: HTTP1ConnectionPool?

    /// - Parameters:
    ///   - apiKey: the OpenRouter key; required.
    ///   - configuration: settings; see ``OpenRouterConfiguration`` for defaults.
    ///   - httpClient: nil (the default): chat completions read whole go over the client's
    ///     own keep-alive HTTP/1.1 connections (see `HTTP1ConnectionPool`: a third less CPU per
    ///     request), and streams, models and generations through
    ///     ``OpenRouterClient/sharedHTTPClient``. Given: every request goes through it, with its
    ///     configuration (proxy, TLS, HTTP/2).
    ///   - logger: request and response metadata at `debug`, retries at `info`. The key is never logged.
    ///   - sleep: how backoff waits; inject a fake to test retries in milliseconds.
    /// - Throws: `OpenRouterError` with category `config` for a missing key or invalid settings.
    public convenience init(
        apiKey: String,
        configuration: OpenRouterConfiguration = .init(),
        httpClient: HTTPClient? = nil,
        logger: Logger = Logger(label: "openrouter"),
        sleep: @escaping @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) }
    ) throws(OpenRouterError) {
        try self.init(
            apiKey: apiKey, configuration: configuration, httpClient: httpClient ?? Self.sharedHTTPClient,
            usesOwnConnections: httpClient == nil, tlsConfiguration: nil, logger: logger, sleep: sleep)
    }

    /// - Parameters:
    ///   - usesOwnConnections: chat completions read whole go over an `HTTP1ConnectionPool`
    ///     on `httpClient`'s event loops.
    ///   - tlsConfiguration: of those connections; nil: the system's trust roots.
    init(
        apiKey: String,
        configuration: OpenRouterConfiguration,
        httpClient: HTTPClient,
        usesOwnConnections: Bool,
        tlsConfiguration: TLSConfiguration?,
        logger: Logger,
        sleep: @escaping @Sendable (Duration) async throws -> Void
    ) throws(OpenRouterError) {
        self.apiKey = try APIKey(apiKey)
        let url = try configuration.validatedBaseURL()
        var base = url.absoluteString
        while base.hasSuffix("/") { base.removeLast() }
        self.baseURL = base
        let json = Self.headers(apiKey: self.apiKey, configuration: configuration, streaming: false)
        guard let chatURL = URL(string: base + Self.chatPath),
            let chat = try? HTTPClient.Request(url: chatURL, method: .POST, headers: json)
        else {
            throw OpenRouterError(.config, "baseURL does not make a valid chat URL: \(base + Self.chatPath)")
        }
        var chatHeaders = json
        chatHeaders.add(name: "Host", value: Self.hostHeader(url))
        self.requestHeaders = RequestHeaders(
            json: json, stream: Self.headers(apiKey: self.apiKey, configuration: configuration, streaming: true), chat: chat,
            chatHead: Self.serializedHead(
                uri: URLComponents(url: chatURL, resolvingAgainstBaseURL: false)?.percentEncodedPath ?? chatURL.path,
                headers: chatHeaders))
        self.configuration = configuration
        self.httpClient = httpClient
        if usesOwnConnections {
            let isTLS = url.scheme?.lowercased() == "https"
            do {
                self.chatConnections = try HTTP1ConnectionPool(
                    host: (url.host ?? "").trimmingCharacters(in: CharacterSet(charactersIn: "[]")),
                    port: url.port ?? (isTLS ? 443 : 80),
                    tls: isTLS ? (tlsConfiguration ?? .makeClientConfiguration()) : nil,
                    group: httpClient.eventLoopGroup)
            } catch {
                throw OpenRouterError(.config, "cannot set up TLS: \(error)")
            }
        } else {
            self.chatConnections = nil
        }
        self.limiter = ConcurrencyLimiter(limit: configuration.maxConcurrentRequests)
        self.adaptive = Mutex(AdaptiveConcurrency(maximum: configuration.maxConcurrentRequests))
        self.logger = logger
        self.retryPolicy = RetryPolicy(
            maxRetries: configuration.maxRetries,
            baseDelay: configuration.retryDelay,
            maxDelay: configuration.maxRetryDelay,
            maxRetryAfter: configuration.maxRetryAfter,
            retriesInvalidResponses: configuration.retriesInvalidResponses
        )
        self.sleep = sleep
    }

    /// `POST uri HTTP/1.1`, the headers, and `Content-Length: ` waiting for its value: a chat
    /// completion's head but for the length of its body. Every value was checked (the key by
    /// ``APIKey``, the rest by ``OpenRouterConfiguration``) and holds no line break.
    static func serializedHead(uri: String, headers: HTTPHeaders) -> [UInt8] {
        var text = "POST \(uri) HTTP/1.1\r\n"
        for (name, value) in headers { text += "\(name): \(value)\r\n" }
        text += "Content-Length: "
        return Array(text.utf8)
    }

    /// `host[:port]` of `url`, an IPv6 address in brackets.
    static func hostHeader(_ url: URL) -> String {
        let host = url.host ?? ""
        let name = host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host
        return url.port.map { "\(name):\($0)" } ?? name
    }

    /// A process-wide HTTP client that is never shut down, sized for batch work
    /// (up to 1,024 connections per host; the client's own limit decides how many are used).
    ///
    /// Three choices here are measured (`scripts/bench`, CPU per job at C = 256, L = 20 ms):
    /// - no decompression: asking for gzip put a decompressor in every connection's pipeline,
    ///   14% of the runner's CPU for chat answers that are small JSON; a compressed answer is
    ///   refused by name (``send(path:method:body:)``) rather than misread.
    /// - half as many event loops as cores (at least one): the other cores run the tasks that
    ///   await the answers, SQLite and parsing; NIO's one-per-core default added thread hops,
    ///   6% of the runner's CPU on two cores.
    /// - no tracing spans: with no tracer bootstrapped, AsyncHTTPClient still built every
    ///   request's span attributes for the no-op one, 7% of the runner's CPU.
    public static let sharedHTTPClient: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: 1024)
        configuration.decompression = .disabled
        configuration.tracing.tracer = nil
        let group = MultiThreadedEventLoopGroup(numberOfThreads: max(1, System.coreCount / 2))
        return HTTPClient(eventLoopGroupProvider: .shared(group), configuration: configuration)
    }()

    /// Requests that may be in flight now: ``OpenRouterConfiguration/maxConcurrentRequests``,
    /// or less while an adaptive limit is backing off.
    public var concurrencyLimit: Int {
        configuration.adaptsConcurrency ? adaptive.withLock { $0.limit } : configuration.maxConcurrentRequests
    }

    /// Feeds an answer's status to the adaptive limit, if there is one. Called while the
    /// request still holds its permit, so the others in flight are `held - 1`.
    /// - Parameter sentAt: when the request got its permit and went out.
    func adaptConcurrency(statusCode: Int, sentAt startedAt: Date) {
        guard configuration.adaptsConcurrency else { return }
        let inFlight = limiter.held - 1
        let limit = adaptive.withLock { adaptive in
            adaptive.observe(statusCode: statusCode, startedAt: startedAt, now: Date(), inFlight: inFlight)
            return adaptive.limit
        }
        limiter.setLimit(limit)
    }

    // MARK: - Chat

    /// Sends a chat completion and waits for the whole answer (plan §3.1).
    ///
    /// - Parameters:
    ///   - request: validated before anything is sent.
    ///   - onAttempt: called once per HTTP attempt as it ends.
    /// - Returns: the completion; a 200 carrying an error throws instead.
    /// - Throws: `OpenRouterError`. When the request asked for JSON, content that does not
    ///   parse or match the schema throws `schema_violation` with the path of the first offending value.
    public func chat(_ request: ChatRequest, onAttempt: (@Sendable (AttemptReport) -> Void)? = nil) async throws(OpenRouterError) -> ChatResponse {
        try request.validate(defaultModel: configuration.defaultModel)
        var request = request
        request.stream = false
        let body = request.wireBodyBytes(defaultModel: configuration.defaultModel)
        return try await chat(encodedBody: body, model: request.model, responseFormat: request.responseFormat, onAttempt: onAttempt)
    }

    /// Sends a chat completion whose wire body was made before: the JSON text of
    /// ``ChatRequest/wireBody(defaultModel:)`` for a request that was validated then and is not
    /// streamed (a stored job's, say). The body goes out as it is, with no second decoding,
    /// validation or encoding.
    ///
    /// - Parameters:
    ///   - body: the wire JSON, as ``ChatRequest/wireBody(defaultModel:)`` wrote it.
    ///   - model: the body's `model`, for logs; nil: the configured default.
    ///   - responseFormat: the body's `response_format`, which decides how the answer's
    ///     content is checked; nil: not checked.
    ///   - onAttempt: called once per HTTP attempt as it ends.
    public func chat(
        encodedBody body: [UInt8], model: String?, responseFormat: ResponseFormat?,
        onAttempt: (@Sendable (AttemptReport) -> Void)? = nil
    ) async throws(OpenRouterError) -> ChatResponse {
        try await chatAnswer(encodedBody: body, model: model, responseFormat: responseFormat, onAttempt: onAttempt).response
    }

    /// ``chat(encodedBody:model:responseFormat:onAttempt:)``, with the answer's JSON text as
    /// well: for storing it without encoding it again.
    public func chatAnswer(
        encodedBody body: [UInt8], model: String?, responseFormat: ResponseFormat?,
        onAttempt: (@Sendable (AttemptReport) -> Void)? = nil
    ) async throws(OpenRouterError) -> ChatAnswer {
        let model = model ?? configuration.defaultModel ?? ""
        return try await withRetries(model: model, onAttempt: onAttempt) { () async throws(OpenRouterError) -> (ChatAnswer, AttemptFacts) in
            let received = try await self.sendReceiving(path: Self.chatPath, method: .POST, body: body)
            let facts = received.facts
            do throws(OpenRouterError) {
                let response = try ChatResponse(json: received.json, generationID: facts.generationID)
                try self.checkContent(of: response, format: responseFormat)
                let answer = ChatAnswer(response: response, text: ChatAnswer.oneLineText(received.body, parsed: received.json))
                return (answer, facts.answering(response))
            } catch {
                throw error.with(statusCode: facts.statusCode)
            }
        }
    }

    // MARK: - Retries

    /// What an attempt learned besides its result.
    struct AttemptFacts: Sendable {
        var statusCode: Int?
        var generationID: String?
        /// Of a chat answer: what it reports, for the attempt's record.
        var usage: Usage?
        var responseID: String?

        /// These facts and what `response` reports.
        func answering(_ response: ChatResponse) -> AttemptFacts {
            var facts = self
            facts.usage = response.usage
            facts.responseID = response.id
            return facts
        }
    }

    /// Runs `attempt` until it succeeds, fails for good, or retries run out, reporting each
    /// attempt and sleeping between them with the injected sleeper.
    func withRetries<T: Sendable>(
        model: String,
        onAttempt: (@Sendable (AttemptReport) -> Void)?,
        _ attempt: () async throws(OpenRouterError) -> (T, AttemptFacts)
    ) async throws(OpenRouterError) -> T {
        var random = SystemRandomNumberGenerator()
        var retry = 0
        while true {
            let startedAt = Date()
            let clock = ContinuousClock()
            let start = clock.now
            do {
                let (value, facts) = try await attempt()
                let latency = clock.now - start
                logAttempt(model: model, status: facts.statusCode, latency: latency, usage: facts.usage, generationID: facts.generationID, error: nil)
                onAttempt?(AttemptReport(attempt: retry + 1, startedAt: startedAt, latency: latency, statusCode: facts.statusCode, error: nil, generationID: facts.generationID ?? facts.responseID, usage: facts.usage, retryDelay: nil))
                return value
            } catch {
                let latency = clock.now - start
                let failure = redacted(error)
                // A request that never got a slot is no attempt: nothing was sent or billed.
                guard failure.wasSent else { throw failure }
                let delay = Task.isCancelled ? nil : retryPolicy.delay(afterFailure: failure, retry: retry, random: &random)
                logAttempt(model: model, status: failure.statusCode, latency: latency, usage: failure.usage, generationID: failure.generationID, error: failure)
                onAttempt?(AttemptReport(attempt: retry + 1, startedAt: startedAt, latency: latency, statusCode: failure.statusCode, error: failure, generationID: failure.generationID, usage: failure.usage, retryDelay: delay))
                guard let delay else { throw failure }
                logger.info("retrying", metadata: ["model": "\(model)", "category": "\(failure.category)", "delay_ms": "\(delay.milliseconds)", "retry": "\(retry + 1)"])
                do {
                    try await sleep(delay)
                } catch {
                    throw OpenRouterError(.cancelled, "cancelled while waiting to retry")
                }
                retry += 1
            }
        }
    }

    func logAttempt(model: String, status: Int?, latency: Duration, usage: Usage?, generationID: String?, error: OpenRouterError?) {
        guard logger.logLevel <= .debug else { return }
        var metadata: Logger.Metadata = ["model": "\(model)", "latency_ms": "\(latency.milliseconds)"]
        if let status { metadata["status"] = "\(status)" }
        if let generationID { metadata["generation_id"] = "\(generationID)" }
        if let usage {
            metadata["prompt_tokens"] = "\(usage.promptTokens)"
            metadata["completion_tokens"] = "\(usage.completionTokens)"
            if let cost = usage.cost { metadata["cost_usd"] = "\(cost.plainString)" }
        }
        if let error {
            metadata["category"] = "\(error.category)"
            logger.debug("attempt failed: \(error.message)", metadata: metadata)
        } else {
            logger.debug("attempt succeeded", metadata: metadata)
        }
    }

    /// The logger handed to AsyncHTTPClient, at `debug` or quieter: at `trace` it prints the
    /// first and last 32 bytes of every response body part in hex, which may hold a key the
    /// server echoed back (or prompt text), before anything could scrub it.
    ///
    /// Above `debug` it is a no-op logger: AsyncHTTPClient logs nothing above `debug`, yet
    /// sets metadata on every request, which a stream log handler formats each time (3% of the
    /// runner's CPU for lines never printed).
    var transportLogger: Logger {
        var logger = self.logger
        guard logger.logLevel <= .debug else { return Self.silentLogger }
        if logger.logLevel < .debug { logger.logLevel = .debug }
        return logger
    }

    private static let silentLogger = Logger(label: "openrouter.transport", factory: { _ in SwiftLogNoOpLogHandler() })

    /// Server text can echo what we sent; the key must not travel further than the header.
    func redacted(_ error: OpenRouterError) -> OpenRouterError {
        var error = error
        let secret = apiKey.secret
        func scrub(_ text: String?) -> String? {
            guard var text else { return nil }
            if text.contains(secret) { text = text.replacingOccurrences(of: secret, with: apiKey.masked) }
            // Server text is cut short (to 200 bytes, or 2,000 characters and "…") before it
            // gets here, and the cut may fall inside an echoed key: a tail that starts the key
            // goes too. Eight characters is `sk-or-v1`, the part every key shares.
            let ellipsis = text.hasSuffix("…") ? "…" : ""
            let body = text.dropLast(ellipsis.count)
            let longest = min(secret.count - 1, body.count)
            if longest >= 8 {
                for length in stride(from: longest, through: 8, by: -1) where body.hasSuffix(secret.prefix(length)) {
                    return body.dropLast(length) + apiKey.masked + ellipsis
                }
            }
            return text
        }
        error.message = scrub(error.message) ?? ""
        error.providerRaw = scrub(error.providerRaw)
        error.partialContent = scrub(error.partialContent)
        return error
    }
}

/// The headers of a client's requests. They hold the key, so neither `dump` nor
/// `description` shows them (as ``APIKey`` shows only its last four characters).
struct RequestHeaders: Sendable, CustomReflectable, CustomStringConvertible {
    let json: HTTPHeaders
    let stream: HTTPHeaders
    /// `POST baseURL/chat/completions` with the `json` headers and no body: most requests are
    /// this one with a body. `HTTPClient.Request(url:)` takes the URL apart (scheme, host,
    /// port, path, through Foundation) each time it is made; copying this one does not.
    let chat: HTTPClient.Request
    /// The same request's head for ``OpenRouterClient/chatConnections``, serialised, up to the
    /// value of its `Content-Length` (``OpenRouterClient/serializedHead(uri:headers:)``).
    let chatHead: [UInt8]

    var customMirror: Mirror { Mirror(self, children: [], displayStyle: .struct) }
    var description: String { "RequestHeaders(redacted)" }
}

extension OpenRouterError {
    func with(statusCode: Int?) -> OpenRouterError {
        var copy = self
        if copy.statusCode == nil { copy.statusCode = statusCode }
        return copy
    }
}
