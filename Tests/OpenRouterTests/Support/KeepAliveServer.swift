import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import Synchronization

/// A loopback HTTP/1.1 server on NIO that keeps connections open (or not, as a test says),
/// optionally over TLS, and counts the connections it accepted: for the client's own
/// keep-alive connections, where the simulator cannot say how many connections it saw.
///
/// Every `POST` gets the same small chat completion, unless its body holds `"hang"`: that
/// one is never answered.
final class KeepAliveServer: Sendable {
    /// What happens to a connection after an answer.
    enum Ending: Sendable {
        /// It stays open.
        case keepAlive
        /// The answer says `Connection: close` and the server closes it.
        case announcedClose
        /// The server closes it without saying so (as a server whose idle timeout fired).
        case silentClose
    }

    struct Request: Sendable {
        var head: HTTPRequestHead
        var body: String
    }

    let port: Int
    private let channel: any Channel
    private let state: State

    final class State: Sendable {
        let connections = Atomic<Int>(0)
        let requests = Mutex<[Request]>([])
    }

    /// Connections accepted so far.
    var connections: Int { state.connections.load(ordering: .relaxed) }
    /// Requests read so far.
    var received: [Request] { state.requests.withLock { $0 } }

    static let answer = #"{"id":"gen-keepalive","object":"chat.completion","created":1,"model":"openai/gpt-4o-mini","choices":[{"index":0,"message":{"role":"assistant","content":"ok"},"finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":1,"total_tokens":4}}"#

    private init(channel: any Channel, state: State) {
        self.channel = channel
        self.state = state
        self.port = channel.localAddress?.port ?? 0
    }

    /// Runs `body` with a server on 127.0.0.1, then closes it.
    /// - Parameter tls: the server's certificate and key, for `https://`.
    static func withRunning<T>(
        ending: Ending = .keepAlive, tls: TLSConfiguration? = nil, _ body: (KeepAliveServer) async throws -> T
    ) async throws -> T {
        let state = State()
        let context = try tls.map { try NIOSSLContext(configuration: $0) }
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                state.connections.add(1, ordering: .relaxed)
                return channel.eventLoop.makeCompletedFuture {
                    let pipeline = channel.pipeline.syncOperations
                    if let context { try pipeline.addHandler(NIOSSLServerHandler(context: context)) }
                    try pipeline.configureHTTPServerPipeline()
                    try pipeline.addHandler(AnsweringHandler(ending: ending, state: state))
                }
            }
            .bind(host: "127.0.0.1", port: 0)
            .get()
        let server = KeepAliveServer(channel: channel, state: state)
        do {
            let result = try await body(server)
            try? await channel.close()
            return result
        } catch {
            try? await channel.close()
            throw error
        }
    }

    func baseURL(scheme: String = "http", host: String = "127.0.0.1") -> String { "\(scheme)://\(host):\(port)/api/v1" }

    private final class AnsweringHandler: ChannelInboundHandler {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart

        let ending: Ending
        let state: State
        var head: HTTPRequestHead?
        var body = ""

        init(ending: Ending, state: State) {
            self.ending = ending
            self.state = state
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head(let head):
                self.head = head
                body = ""
            case .body(let buffer):
                body += String(buffer: buffer)
            case .end:
                guard let head else { return }
                let request = Request(head: head, body: body)
                state.requests.withLock { $0.append(request) }
                guard !body.contains("hang") else { return }
                var headers = HTTPHeaders([("Content-Type", "application/json"), ("Content-Length", "\(Self.answerBytes.count)")])
                if ending == .announcedClose { headers.add(name: "Connection", value: "close") }
                context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers))), promise: nil)
                context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: KeepAliveServer.answer)))), promise: nil)
                let written = context.writeAndFlush(wrapOutboundOut(.end(nil)))
                if ending != .keepAlive {
                    let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
                    written.whenComplete { _ in loopBound.value.close(promise: nil) }
                }
            }
        }

        static let answerBytes = Array(KeepAliveServer.answer.utf8)
    }
}

/// A self-signed certificate for `localhost` and 127.0.0.1, made by the `openssl` command in a
/// temporary directory.
struct TestCertificate {
    let certificate: NIOSSLCertificate
    let key: NIOSSLPrivateKey

    static func make() throws -> TestCertificate {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("promptbatch-tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let certificate = directory.appendingPathComponent("cert.pem").path
        let key = directory.appendingPathComponent("key.pem").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", key, "-out", certificate, "-days", "2", "-subj", "/CN=localhost",
            "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
        ]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw POSIXError(.EIO, userInfo: [NSLocalizedDescriptionKey: "openssl req exited with \(process.terminationStatus)"])
        }
        return TestCertificate(
            certificate: try NIOSSLCertificate(file: certificate, format: .pem),
            key: try NIOSSLPrivateKey(file: key, format: .pem))
    }

    var serverConfiguration: TLSConfiguration {
        .makeServerConfiguration(certificateChain: [.certificate(certificate)], privateKey: .privateKey(key))
    }

    /// Trusts this certificate only.
    var clientConfiguration: TLSConfiguration {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.trustRoots = .certificates([certificate])
        return configuration
    }
}
