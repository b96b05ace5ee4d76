import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import Synchronization

/// Keep-alive HTTP/1.1 connections to one origin, for requests whose body is known and whose
/// answer is read whole: the chat completions of a batch.
///
/// Measured against AsyncHTTPClient's delegate API (`scripts/bench`, C = 256, L = 20 ms): the
/// runner's CPU per job fell by 30%. A request's head and body leave in one write (AsyncHTTPClient
/// flushes the head on its own: two `write` calls a request) and its answer completes one
/// promise from the connection's handler, with no request bag, per-request state machines or
/// pool manager between them. The client's ``ConcurrencyLimiter`` bounds the requests in
/// flight already, so the pool keeps no queue: a request takes an idle connection or opens one.
final class HTTP1ConnectionPool: Sendable {
    let host: String
    let port: Int
    private let group: any EventLoopGroup
    /// nil for plain `http://`.
    private let tls: NIOSSLContext?
    private let idle = Mutex<[IdleConnection]>([])
    /// Idle longer than this, a connection is closed instead of used: a server may be closing
    /// it at that moment (most close after 60 s or more), and a request written into a closing
    /// connection fails.
    static let maxIdleTime: Duration = .seconds(30)

    private struct IdleConnection {
        var channel: any Channel
        var since: ContinuousClock.Instant
    }

    /// - Parameter tls: nil for plain `http://`; otherwise how to check the server, which is
    ///   asked for `http/1.1` by ALPN.
    init(host: String, port: Int, tls: TLSConfiguration?, group: any EventLoopGroup) throws {
        self.host = host
        self.port = port
        self.group = group
        if var tls {
            tls.applicationProtocols = ["http/1.1"]
            self.tls = try NIOSSLContext(configuration: tls)
        } else {
            self.tls = nil
        }
    }

    deinit {
        closeIdle()
    }

    /// Sends `request` (head and body, as they go on the wire) and collects the answer, at most
    /// `maxBytes` of body, within `timeout` from now. Cancelling the task closes the connection.
    /// - Throws: `OpenRouterError` (timeout, a refused body), `CancellationError`, or what NIO
    ///   threw for the connection.
    func execute(_ request: ByteBuffer, upTo maxBytes: Int, timeout: Duration) async throws -> CollectedResponse {
        let deadline = ContinuousClock.now + timeout
        var isFirstTry = true
        while true {
            do {
                return try await execute(request, upTo: maxBytes, deadline: deadline, timeout: timeout)
            } catch is NotSent where isFirstTry {
                // An idle connection closed as the request was handed to it: nothing left,
                // so it goes again on a new one.
                isFirstTry = false
            } catch is NotSent {
                throw OpenRouterError(.network, "network error: the connection closed before the request could be sent")
            }
        }
    }

    private func execute(
        _ request: ByteBuffer, upTo maxBytes: Int, deadline: ContinuousClock.Instant, timeout: Duration
    ) async throws -> CollectedResponse {
        let channel = try await connection(timeout: timeout)
        let exchange = HTTP1Exchange(request: request, maxBytes: maxBytes, promise: channel.eventLoop.makePromise())
        let timer = DeadlineTimer(deadline: deadline, timeout: timeout, idleTimeout: nil, activity: nil) { channel.close(promise: nil) }
        defer { timer.cancel() }
        do {
            return try await withTaskCancellationHandler {
                channel.writeAndFlush(exchange).whenFailure { error in
                    // Failed before the handler took it (the channel had closed): nothing sent.
                    // A failure after it is the handler's to report, and this one is ignored.
                    exchange.promise.fail(error as? ChannelError == .ioOnClosedChannel ? NotSent() : error)
                }
                return try await exchange.promise.futureResult.get()
            } onCancel: {
                channel.close(promise: nil)
            }
        } catch {
            if let expiry = timer.expiry { throw expiry }
            if Task.isCancelled { throw CancellationError() }
            throw error
        }
    }

    /// A request that left nothing on the wire.
    struct NotSent: Error {}

    /// The idle connection used last, or a new one.
    private func connection(timeout: Duration) async throws -> any Channel {
        let now = ContinuousClock.now
        var stale: [any Channel] = []
        defer { for channel in stale { channel.close(promise: nil) } }
        while let connection = idle.withLock({ $0.popLast() }) {
            guard connection.channel.isActive else { continue }
            guard now - connection.since < Self.maxIdleTime else {
                stale.append(connection.channel)
                continue
            }
            return connection.channel
        }
        let connectTimeout = TimeAmount.milliseconds(Int64(min(timeout, .seconds(10)).milliseconds))
        let future = ClientBootstrap(group: group)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .connectTimeout(connectTimeout)
            .channelInitializer { [weak self, tls, host] channel in
                channel.eventLoop.makeCompletedFuture {
                    guard let self else { throw ChannelError.ioOnClosedChannel }
                    let pipeline = channel.pipeline.syncOperations
                    if let tls {
                        // SNI names a host, never an address.
                        let serverName = host.isIPAddress ? nil : host
                        try pipeline.addHandler(NIOSSLClientHandler(context: tls, serverHostname: serverName))
                    }
                    try pipeline.addHandler(PrebuiltRequestWriter())
                    try pipeline.addHandler(ByteToMessageHandler(HTTPResponseDecoder(leftOverBytesStrategy: .dropBytes)))
                    try pipeline.addHandler(HTTP1ExchangeHandler(pool: self))
                }
            }
            .connect(host: host, port: port)
        return try await withTaskCancellationHandler {
            try await future.get()
        } onCancel: {
            future.whenSuccess { $0.close(promise: nil) }
        }
    }

    /// Takes back a connection whose answer ended and that stays open.
    fileprivate func release(_ channel: any Channel) {
        idle.withLock { $0.append(IdleConnection(channel: channel, since: .now)) }
    }

    /// Forgets a connection that closed.
    fileprivate func remove(_ channel: any Channel) {
        idle.withLock { idle in
            if let index = idle.lastIndex(where: { $0.channel === channel }) { idle.remove(at: index) }
        }
    }

    /// Closes every idle connection.
    func closeIdle() {
        let channels = idle.withLock { idle in
            defer { idle.removeAll() }
            return idle.map(\.channel)
        }
        for channel in channels { channel.close(promise: nil) }
    }

    /// Idle connections, for tests.
    var idleCount: Int { idle.withLock { $0.count } }
}

/// One request and the promise of its answer.
final class HTTP1Exchange: Sendable {
    /// Head and body, as they go on the wire.
    let request: ByteBuffer
    let maxBytes: Int
    let promise: EventLoopPromise<CollectedResponse>

    init(request: ByteBuffer, maxBytes: Int, promise: EventLoopPromise<CollectedResponse>) {
        self.request = request
        self.maxBytes = maxBytes
        self.promise = promise
    }
}

/// Puts a request made whole by its caller on the wire: the `body` part carries the request's
/// bytes, head included. The `head` part, for the response decoder above to learn the
/// method from (a `HEAD` is answered without a body), writes nothing.
///
/// In place of NIO's request encoder and header validator, which serialised and checked the
/// same few headers again for every request: a client makes its chat head once, from values
/// checked once.
final class PrebuiltRequestWriter: ChannelOutboundHandler {
    typealias OutboundIn = HTTPClientRequestPart
    typealias OutboundOut = IOData

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head, .end:
            promise?.succeed()
        case .body(let bytes):
            context.write(wrapOutboundOut(bytes), promise: promise)
        }
    }
}

@available(*, unavailable)
extension PrebuiltRequestWriter: Sendable {}

/// Writes an exchange's request in one flush and completes its promise with the answer, one
/// exchange at a time. Lives on its connection's event loop.
final class HTTP1ExchangeHandler: ChannelDuplexHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundIn = HTTP1Exchange
    typealias OutboundOut = HTTPClientRequestPart

    /// What the response decoder is told of each request (see ``PrebuiltRequestWriter``).
    private static let post = HTTPRequestHead(version: .http1_1, method: .POST, uri: "/")
    /// Weak: the pool holds its idle connections, and so their handlers.
    private weak var pool: HTTP1ConnectionPool?
    private var exchange: HTTP1Exchange?
    private var head: HTTPResponseHead?
    private var body = ByteBuffer()

    init(pool: HTTP1ConnectionPool) {
        self.pool = pool
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let exchange = unwrapOutboundIn(data)
        guard self.exchange == nil, context.channel.isActive else {
            exchange.promise.fail(HTTP1ConnectionPool.NotSent())
            promise?.fail(ChannelError.ioOnClosedChannel)
            return
        }
        self.exchange = exchange
        head = nil
        body.clear()
        context.write(wrapOutboundOut(.head(Self.post)), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(exchange.request))), promise: promise)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        // After a refusal the exchange is gone and the connection closing: the rest is dropped.
        guard let exchange else { return }
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            if ResponseCollector.announcesTooMuch(head, maxBytes: exchange.maxBytes) { refuse(context: context, head: head) }
        case .body(let part):
            guard let head else { return }
            if !body.append(part, status: head.status, maxBytes: exchange.maxBytes) { refuse(context: context, head: head) }
        case .end:
            self.exchange = nil
            guard let head = self.head.take() else {
                exchange.promise.fail(OpenRouterError(.invalidResponse, "the connection ended before a response head"))
                context.close(promise: nil)
                return
            }
            let response = CollectedResponse(status: head.status, headers: head.headers, body: body)
            body = ByteBuffer()
            if head.isKeepAlive, let pool {
                pool.release(context.channel)
            } else {
                context.close(promise: nil)
            }
            exchange.promise.succeed(response)
        }
    }

    private func refuse(context: ChannelHandlerContext, head: HTTPResponseHead) {
        guard let exchange = exchange.take() else { return }
        exchange.promise.fail(ResponseCollector.tooLarge(head, maxBytes: exchange.maxBytes))
        context.close(promise: nil)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        exchange.take()?.promise.fail(error)
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        pool?.remove(context.channel)
        let message = head == nil ? "the connection closed before a response" : "the connection closed before the response ended"
        exchange.take()?.promise.fail(OpenRouterError(.network, "network error: \(message)"))
        context.fireChannelInactive()
    }
}

@available(*, unavailable)
extension HTTP1ExchangeHandler: Sendable {}

extension String {
    /// An IPv4 or IPv6 address, as opposed to a name.
    var isIPAddress: Bool {
        var v4 = in_addr()
        var v6 = in6_addr()
        return inet_pton(AF_INET, self, &v4) == 1 || inet_pton(AF_INET6, self, &v6) == 1
    }
}
