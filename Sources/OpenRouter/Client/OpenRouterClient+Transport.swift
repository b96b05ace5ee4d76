import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import Synchronization

extension OpenRouterClient {
    /// Headers of every request, made once per client. The key goes here and nowhere else.
    func headers(streaming: Bool) -> HTTPHeaders {
        streaming ? requestHeaders.stream : requestHeaders.json
    }

    static func headers(apiKey: APIKey, configuration: OpenRouterConfiguration, streaming: Bool) -> HTTPHeaders {
        var headers = HTTPHeaders()
        headers.add(name: "Authorization", value: "Bearer \(apiKey.secret)")
        headers.add(name: "Content-Type", value: "application/json")
        headers.add(name: "Accept", value: streaming ? "text/event-stream" : "application/json")
        headers.add(name: "User-Agent", value: "promptbatch-openrouter/0.1")
        if let siteURL = configuration.siteURL { headers.add(name: "HTTP-Referer", value: siteURL) }
        if let appName = configuration.appName {
            headers.add(name: "X-OpenRouter-Title", value: appName)
            headers.add(name: "X-Title", value: appName)
        }
        return headers
    }

    func makeRequest(path: String, method: HTTPMethod, body: [UInt8]?, streaming: Bool = false) -> HTTPClientRequest {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = method
        request.headers = headers(streaming: streaming)
        if let body { request.body = .bytes(body) }
        return request
    }

    /// One attempt: sends, waits for the whole JSON body within the deadline, and turns any
    /// non-2xx status into an `OpenRouterError`. Holds one of the client's permits throughout.
    ///
    /// A chat completion goes over ``chatConnections`` when the client has them (see
    /// ``HTTP1ConnectionPool``); anything else through AsyncHTTPClient's delegate API, which
    /// collects the body on the event loop and completes one future: its async API costs per
    /// request a task (and an actor hop) to register for cancellation, a deadline timer
    /// scheduled and cancelled across threads, and a hand-off per body part (measured in
    /// `scripts/bench`, CPU per job). The deadline is ours either way.
    func send(path: String, method: HTTPMethod, body: [UInt8]?) async throws(OpenRouterError) -> (JSONValue, AttemptFacts) {
        let received = try await sendReceiving(path: path, method: method, body: body)
        return (received.json, received.facts)
    }

    /// A 2xx JSON answer: parsed, and its bytes as they came.
    struct ReceivedJSON {
        var json: JSONValue
        var facts: AttemptFacts
        var body: ByteBuffer
    }

    /// ``send(path:method:body:)``, keeping the answer's bytes.
    func sendReceiving(path: String, method: HTTPMethod, body: [UInt8]?) async throws(OpenRouterError) -> ReceivedJSON {
        let request = try outgoing(path: path, method: method, body: body)
        let maxBytes = configuration.maxResponseBytes
        let timeout = configuration.timeout
        do {
            try await limiter.acquire()
        } catch {
            var error = OpenRouterError(.cancelled, "cancelled while waiting for a free request slot")
            error.wasSent = false
            throw error
        }
        defer { limiter.release() }
        let sentAt = Date()
        let response = try await translatingErrors {
            switch request {
            case .own(let connections, let request):
                try await connections.execute(request, upTo: maxBytes, timeout: timeout)
            case .shared(let request):
                try await Self.execute(request, on: httpClient, upTo: maxBytes, timeout: timeout, logger: transportLogger)
            }
        }
        let facts = AttemptFacts(statusCode: Int(response.status.code), generationID: response.headers.first(name: "x-generation-id"))
        adaptConcurrency(statusCode: Int(response.status.code), sentAt: sentAt)
        if let failure = Self.failure(status: response.status, headers: response.headers, body: response.body, facts: facts) { throw failure }
        if let failure = Self.compressionFailure(response.headers, facts: facts) { throw failure }
        let contentType = response.headers.first(name: "content-type") ?? "application/json"
        guard Self.mediaType(contentType, contains: "json") else {
            throw OpenRouterError(.invalidResponse, "expected a JSON body, got Content-Type \(contentType.lowercased().prefix(60))", statusCode: facts.statusCode, generationID: facts.generationID)
        }
        do {
            let json = try response.body.withUnsafeReadableBytes { try JSONValue(parsing: $0) }
            return ReceivedJSON(json: json, facts: facts, body: response.body)
        } catch {
            throw OpenRouterError(.invalidResponse, "malformed JSON body: \(error)", statusCode: facts.statusCode, generationID: facts.generationID)
        }
    }

    static let chatPath = "/chat/completions"

    /// A request made, and which connections it goes over.
    enum Outgoing {
        /// A chat completion over the client's own connections.
        case own(HTTP1ConnectionPool, ByteBuffer)
        /// Anything else, or any request of a client given an `HTTPClient`.
        case shared(HTTPClient.Request)
    }

    func outgoing(path: String, method: HTTPMethod, body: [UInt8]?) throws(OpenRouterError) -> Outgoing {
        let isChat = path == Self.chatPath && method == .POST
        if isChat, let chatConnections, let body {
            let head = requestHeaders.chatHead
            var request = ByteBuffer()
            request.reserveCapacity(head.count + 24 + body.count)
            request.writeBytes(head)
            request.writeString(String(body.count))
            request.writeStaticString("\r\n\r\n")
            request.writeBytes(body)
            return .own(chatConnections, request)
        }
        if isChat {
            var chat = requestHeaders.chat
            chat.body = body.map { .bytes($0) }
            return .shared(chat)
        }
        guard let url = URL(string: baseURL + path),
            let made = try? HTTPClient.Request(url: url, method: method, headers: requestHeaders.json, body: body.map { .bytes($0) })
        else {
            var failure = OpenRouterError(.config, "cannot make a request for \(baseURL + path): not a valid URL")
            failure.wasSent = false
            throw failure
        }
        return .shared(made)
    }

    /// Whether a `Content-Type` value holds `word` (lowercase ASCII), in any case: a byte
    /// search, where `String.contains` would go through Foundation's locale-aware one.
    static func mediaType(_ value: String, contains word: StaticString) -> Bool {
        let needle = UnsafeBufferPointer(start: word.utf8Start, count: word.utf8CodeUnitCount)
        var value = value
        return value.withUTF8 { haystack in
            guard needle.count <= haystack.count else { return false }
            for start in 0...(haystack.count - needle.count) {
                var index = 0
                while index < needle.count {
                    let byte = haystack[start + index]
                    let lower = byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte + 32 : byte
                    guard lower == needle[index] else { break }
                    index += 1
                }
                if index == needle.count { return true }
            }
            return false
        }
    }

    /// Sends `request` and collects its answer, at most `maxBytes` of body, within `timeout`.
    static func execute(_ request: HTTPClient.Request, on client: HTTPClient, upTo maxBytes: Int, timeout: Duration, logger: Logger) async throws -> CollectedResponse {
        let collector = ResponseCollector(maxBytes: maxBytes)
        let task = client.execute(request: request, delegate: collector, eventLoop: .indifferent, deadline: nil, logger: logger)
        let timer = DeadlineTimer(deadline: .now + timeout, timeout: timeout, idleTimeout: nil, activity: nil) { task.cancel() }
        defer { timer.cancel() }
        do {
            return try await withTaskCancellationHandler {
                try await task.futureResult.get()
            } onCancel: {
                task.cancel()
            }
        } catch {
            if let expiry = timer.expiry { throw expiry }
            throw error
        }
    }

    /// Throws the server's error for a non-2xx response, after reading (a bounded part of) its body.
    static func throwIfFailed(_ response: HTTPClientResponse, facts: AttemptFacts) async throws {
        guard !(200..<300).contains(Int(response.status.code)) else { return }
        let bytes = (try? await collect(response.body, upTo: ResponseCollector.errorBodyBytes, activity: nil, facts: facts)) ?? []
        if let failure = failure(status: response.status, headers: response.headers, body: ByteBuffer(bytes: bytes), facts: facts) { throw failure }
    }

    /// The server's error for a non-2xx response; nil for a 2xx.
    static func failure(status: HTTPResponseStatus, headers: HTTPHeaders, body: ByteBuffer, facts: AttemptFacts) -> OpenRouterError? {
        let status = Int(status.code)
        guard !(200..<300).contains(status) else { return nil }
        let retryAfter = headers.first(name: "retry-after").flatMap { RetryPolicy.parseRetryAfter($0) }
        if let json = try? body.withUnsafeReadableBytes({ try JSONValue(parsing: $0) }), let carried = json["error"], !carried.isNull {
            return OpenRouterError(carried: carried, statusCode: status, generationID: facts.generationID, retryAfter: retryAfter)
        }
        let snippet = String(decoding: body.readableBytesView.prefix(200), as: UTF8.self)
        return OpenRouterError(OpenRouterError.Category(statusCode: status), "HTTP \(status)\(snippet.isEmpty ? "" : ": " + snippet)", statusCode: status, retryAfter: retryAfter, generationID: facts.generationID)
    }

    /// The client asks for no compression (no `Accept-Encoding`) and decodes none, so a body
    /// compressed anyway (a proxy on the way, say) is refused by name instead of misread.
    static func refuseCompression(_ response: HTTPClientResponse, facts: AttemptFacts) throws {
        if let failure = compressionFailure(response.headers, facts: facts) { throw failure }
    }

    static func compressionFailure(_ headers: HTTPHeaders, facts: AttemptFacts) -> OpenRouterError? {
        guard let encoding = headers.first(name: "content-encoding")?.lowercased(),
              encoding != "identity", !encoding.isEmpty
        else { return nil }
        return OpenRouterError(.invalidResponse, "the body is compressed (Content-Encoding \(encoding.prefix(40))), which was not asked for", statusCode: facts.statusCode, generationID: facts.generationID)
    }

    /// Reads a body, refusing more than `limit` bytes.
    static func collect(_ body: HTTPClientResponse.Body, upTo limit: Int, activity: ActivityMonitor?, facts: AttemptFacts) async throws -> [UInt8] {
        var bytes: [UInt8] = []
        for try await buffer in body {
            activity?.touch()
            guard bytes.count + buffer.readableBytes <= limit else {
                throw OpenRouterError(.invalidResponse, "response body larger than \(limit) bytes", statusCode: facts.statusCode, generationID: facts.generationID)
            }
            bytes.append(contentsOf: buffer.readableBytesView)
        }
        return bytes
    }

    /// Maps transport failures onto the closed set of categories.
    func translatingErrors<T>(_ body: () async throws -> T) async throws(OpenRouterError) -> T {
        do {
            return try await body()
        } catch let error as OpenRouterError {
            throw error
        } catch {
            throw Self.transportError(error)
        }
    }

    static func transportError(_ error: any Error) -> OpenRouterError {
        if let error = error as? OpenRouterError { return error }
        if error is CancellationError { return OpenRouterError(.cancelled, "the request was cancelled") }
        if let error = error as? HTTPClientError {
            switch error {
            case .cancelled: return OpenRouterError(.cancelled, "the request was cancelled")
            case .deadlineExceeded, .readTimeout, .connectTimeout, .writeTimeout:
                return OpenRouterError(.timeout, "the request timed out (\(error))")
            default: break
            }
        }
        return OpenRouterError(.network, "network error: \(error)")
    }
}

/// The time of the last byte received, for the idle deadline of a stream.
final class ActivityMonitor: Sendable {
    private let lastActivity = Atomic<Int64>(ActivityMonitor.nowNanoseconds())

    func touch() { lastActivity.store(Self.nowNanoseconds(), ordering: .relaxed) }

    var idleTime: Duration { .nanoseconds(Self.nowNanoseconds() - lastActivity.load(ordering: .relaxed)) }

    static func nowNanoseconds() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return Int64(spec.tv_sec) * 1_000_000_000 + Int64(spec.tv_nsec)
    }
}

/// Runs `body`, throwing `timeout` when more than `timeout` has passed since `start` or, with
/// an activity monitor, when no byte arrives for `idleTimeout`. The body is cancelled then,
/// which closes its connection. Limits are checked every ``DeadlineSweeper/tick`` (10 ms).
func withDeadline<T: Sendable>(
    _ timeout: Duration,
    since start: ContinuousClock.Instant = .now,
    idleTimeout: Duration? = nil,
    activity: ActivityMonitor?,
    _ body: @escaping @Sendable () async throws -> T
) async throws -> T {
    let work = Task { try await body() }
    let timer = DeadlineTimer(
        deadline: start + timeout, timeout: timeout, idleTimeout: idleTimeout, activity: activity
    ) { work.cancel() }
    defer { timer.cancel() }
    do {
        return try await withTaskCancellationHandler {
            try await work.value
        } onCancel: {
            work.cancel()
        }
    } catch {
        if let expiry = timer.expiry { throw expiry }
        throw error
    }
}

/// Fires `onExpiry` once, when the deadline passes or no activity is seen for `idleTimeout`.
final class DeadlineTimer: Sendable {
    private struct State {
        var expiry: OpenRouterError?
        var isCancelled = false
    }

    private let state = Mutex(State())
    private let deadline: ContinuousClock.Instant
    private let timeout: Duration
    private let idleTimeout: Duration?
    private let activity: ActivityMonitor?
    private let onExpiry: @Sendable () -> Void

    init(
        deadline: ContinuousClock.Instant, timeout: Duration, idleTimeout: Duration?, activity: ActivityMonitor?,
        onExpiry: @escaping @Sendable () -> Void
    ) {
        self.deadline = deadline
        self.timeout = timeout
        self.idleTimeout = activity == nil ? nil : idleTimeout
        self.activity = activity
        self.onExpiry = onExpiry
        if let expiry = expiry(at: .now) {
            fire(expiry)
        } else {
            DeadlineSweeper.shared.register(self)
        }
    }

    /// Why the timer fired, once it has.
    var expiry: OpenRouterError? { state.withLock { $0.expiry } }

    func cancel() {
        state.withLock { $0.isCancelled = true }
        DeadlineSweeper.shared.unregister(self)
    }

    /// The limit that has passed at `now`, if one has. Reads only immutable state and the
    /// activity monitor's atomic, so a sweep can ask every timer under its own lock.
    func expiry(at now: ContinuousClock.Instant) -> OpenRouterError? {
        if deadline <= now {
            return OpenRouterError(.timeout, "no complete response within \(timeout.milliseconds) ms")
        }
        if let idleTimeout, let activity, activity.idleTime >= idleTimeout {
            return OpenRouterError(.timeout, "no data for \(idleTimeout.milliseconds) ms")
        }
        return nil
    }

    /// Records `expiry` and calls `onExpiry`, unless cancelled or fired before.
    func fire(_ expiry: OpenRouterError) {
        let fires = state.withLock { state -> Bool in
            guard !state.isCancelled, state.expiry == nil else { return false }
            state.expiry = expiry
            return true
        }
        if fires { onExpiry() }
    }
}

/// Checks the limits of every request in flight from one repeating task on an event loop,
/// running only while some are registered.
///
/// A NIO timer per request, scheduled and cancelled from outside the event loop, cost two
/// cross-thread hand-offs (and loop wake-ups) per request; registering here is a lock and a
/// dictionary entry. A sweep reads the clock once and asks every timer under one lock,
/// touching only those that expired (a copy of all of them, a lock and a clock read per
/// timer per sweep were 1.7% of a runner's samples at C = 256). The price is precision: a
/// limit fires up to one tick late. (A sleeping child task per request would not do: a
/// cancelled `Task.sleep` keeps its timer queued until the deadline, 120,000 dead timers at
/// a thousand requests a second and a 120 s timeout.)
final class DeadlineSweeper: Sendable {
    static let shared = DeadlineSweeper(eventLoop: OpenRouterClient.sharedHTTPClient.eventLoopGroup.next())
    /// How often limits are checked.
    static let tick: TimeAmount = .milliseconds(10)

    private struct State {
        var timers: [ObjectIdentifier: DeadlineTimer] = [:]
        var isSweeping = false
    }

    private let state = Mutex(State())
    private let eventLoop: any EventLoop

    private init(eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    func register(_ timer: DeadlineTimer) {
        let starts = state.withLock { state -> Bool in
            state.timers[ObjectIdentifier(timer)] = timer
            defer { state.isSweeping = true }
            return !state.isSweeping
        }
        if starts { scheduleSweep() }
    }

    func unregister(_ timer: DeadlineTimer) {
        _ = state.withLock { $0.timers.removeValue(forKey: ObjectIdentifier(timer)) }
    }

    private func scheduleSweep() {
        eventLoop.scheduleTask(in: Self.tick) { self.sweep() }
    }

    private func sweep() {
        let now = ContinuousClock.now
        let expired = state.withLock { state -> [(DeadlineTimer, OpenRouterError)]? in
            guard !state.timers.isEmpty else {
                state.isSweeping = false
                return nil
            }
            var expired: [(DeadlineTimer, OpenRouterError)] = []
            for timer in state.timers.values {
                if let expiry = timer.expiry(at: now) { expired.append((timer, expiry)) }
            }
            for (timer, _) in expired { state.timers.removeValue(forKey: ObjectIdentifier(timer)) }
            return expired
        }
        guard let expired else { return }
        // Outside the lock: `onExpiry` cancels a request, which may cancel its timer.
        for (timer, expiry) in expired { timer.fire(expiry) }
        scheduleSweep()
    }
}
