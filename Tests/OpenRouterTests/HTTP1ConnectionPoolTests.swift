import Foundation
import Logging
import NIOSSL
import Testing

@testable import OpenRouter

/// The client's own keep-alive HTTP/1.1 connections, which carry chat completions read whole
/// (the rest of the client's behaviour over them is covered by the simulator suites, whose
/// clients use them too). Against ``KeepAliveServer`` over loopback, which counts connections.
@Suite("Keep-alive HTTP/1.1 connections")
struct HTTP1ConnectionPoolTests {
    static let key = "sk-or-v1-0123456789abcdef0123456789abcdef"

    static func client(
        _ baseURL: String, maxConcurrentRequests: Int = 4, timeout: Duration = .seconds(30), tls: TLSConfiguration? = nil
    ) throws -> OpenRouterClient {
        var configuration = OpenRouterConfiguration()
        configuration.baseURL = baseURL
        configuration.maxRetries = 0
        configuration.maxConcurrentRequests = maxConcurrentRequests
        configuration.timeout = timeout
        return try OpenRouterClient(
            apiKey: key, configuration: configuration, httpClient: OpenRouterClient.sharedHTTPClient,
            usesOwnConnections: true, tlsConfiguration: tls,
            logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }), sleep: { _ in })
    }

    static func request(_ text: String = "Hello") -> ChatRequest {
        ChatRequest(messages: [.user(text)], model: "openai/gpt-4o-mini")
    }

    @Test func chatsOneAfterAnotherShareOneConnection() async throws {
        try await KeepAliveServer.withRunning { server in
            let client = try Self.client(server.baseURL())
            for _ in 0..<5 {
                let response = try await client.chat(Self.request())
                #expect(response.content == "ok")
            }
            #expect(server.connections == 1)
            #expect(server.received.count == 5)
            #expect(client.chatConnections?.idleCount == 1)
        }
    }

    @Test func eachRequestCarriesItsHostLengthAndKeyInOneWholeBody() async throws {
        try await KeepAliveServer.withRunning { server in
            let client = try Self.client(server.baseURL())
            _ = try await client.chat(Self.request("first"))
            _ = try await client.chat(Self.request("a longer second prompt"))
            let requests = server.received
            try #require(requests.count == 2)
            for request in requests {
                #expect(request.head.method == .POST)
                #expect(request.head.uri == "/api/v1/chat/completions")
                #expect(request.head.version == .http1_1)
                #expect(request.head.headers["Host"] == ["127.0.0.1:\(server.port)"])
                #expect(request.head.headers["Authorization"] == ["Bearer \(Self.key)"])
                #expect(request.head.headers["Content-Length"] == ["\(request.body.utf8.count)"])
                #expect(request.head.headers["Transfer-Encoding"].isEmpty)
            }
            #expect(requests[0].body.contains("first"))
            #expect(requests[1].body.contains("a longer second prompt"))
        }
    }

    @Test func concurrentChatsOpenNoMoreConnectionsThanTheLimit() async throws {
        try await KeepAliveServer.withRunning { server in
            let client = try Self.client(server.baseURL(), maxConcurrentRequests: 3)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<30 {
                    group.addTask { _ = try await client.chat(Self.request("prompt \(index)")) }
                }
                try await group.waitForAll()
            }
            #expect(server.received.count == 30)
            #expect(server.connections >= 1)
            #expect(server.connections <= 3)
        }
    }

    @Test func aConnectionTheServerSaysItClosesIsNotUsedAgain() async throws {
        try await KeepAliveServer.withRunning(ending: .announcedClose) { server in
            let client = try Self.client(server.baseURL())
            for _ in 0..<3 {
                #expect(try await client.chat(Self.request()).content == "ok")
            }
            #expect(server.connections == 3)
            #expect(client.chatConnections?.idleCount == 0)
        }
    }

    @Test func anIdleConnectionTheServerDropsIsForgotten() async throws {
        try await KeepAliveServer.withRunning(ending: .silentClose) { server in
            let client = try Self.client(server.baseURL())
            for round in 1...3 {
                #expect(try await client.chat(Self.request()).content == "ok")
                // The server closes after its answer; the pool lets go once the close arrives.
                let start = ContinuousClock.now
                while client.chatConnections?.idleCount != 0, ContinuousClock.now - start < .seconds(10) {
                    try await Task.sleep(for: .milliseconds(5))
                }
                #expect(client.chatConnections?.idleCount == 0)
                #expect(server.connections == round)
            }
        }
    }

    @Test func cancellingAChatClosesItsConnectionAndTheNextOneWorks() async throws {
        try await KeepAliveServer.withRunning { server in
            let client = try Self.client(server.baseURL())
            let hanging = Task { try await client.chat(Self.request("hang")) }
            while server.received.isEmpty { try await Task.sleep(for: .milliseconds(5)) }
            hanging.cancel()
            do {
                let response = try await hanging.value
                Issue.record("expected cancellation, got \(response)")
            } catch let error as OpenRouterError {
                #expect(error.category == .cancelled)
            }
            #expect(try await client.chat(Self.request()).content == "ok")
            #expect(server.connections == 2)
        }
    }

    @Test func anUnansweredChatTimesOutAndItsConnectionIsNotReused() async throws {
        try await KeepAliveServer.withRunning { server in
            let client = try Self.client(server.baseURL(), timeout: .milliseconds(300))
            do {
                let response = try await client.chat(Self.request("hang"))
                Issue.record("expected a timeout, got \(response)")
            } catch let error as OpenRouterError {
                #expect(error.category == .timeout)
            }
            #expect(try await client.chat(Self.request()).content == "ok")
            #expect(server.connections == 2)
        }
    }

    @Test func aClosedPortIsANetworkError() async throws {
        let client = try Self.client("http://127.0.0.1:1/api/v1")
        do {
            let response = try await client.chat(Self.request())
            Issue.record("expected an error, got \(response)")
        } catch {
            #expect(error.category == .network)
            #expect(error.isRetryable)
            #expect(!error.description.contains(Self.key))
        }
    }

    @Test func overTLSTheServerIsCheckedAgainstTheTrustRoots() async throws {
        let certificate = try TestCertificate.make()
        try await KeepAliveServer.withRunning(tls: certificate.serverConfiguration) { server in
            let trusting = try Self.client(server.baseURL(scheme: "https", host: "localhost"), tls: certificate.clientConfiguration)
            for _ in 0..<3 {
                #expect(try await trusting.chat(Self.request()).content == "ok")
            }
            #expect(server.connections == 1)
            #expect(server.received.allSatisfy { $0.head.headers["Host"] == ["localhost:\(server.port)"] })

            // The system's roots do not know a self-signed certificate: nothing is sent.
            let strict = try Self.client(server.baseURL(scheme: "https", host: "localhost"))
            do {
                let response = try await strict.chat(Self.request())
                Issue.record("expected a TLS failure, got \(response)")
            } catch let error as OpenRouterError {
                #expect(error.category == .network)
                #expect(error.message.contains("certificate") || error.message.contains("handshake") || error.message.contains("Certificate"))
            }
            #expect(server.received.count == 3)
        }
    }

    @Test func aHostHeaderBracketsAnIPv6Address() throws {
        #expect(OpenRouterClient.hostHeader(URL(string: "http://[::1]:8080/api/v1")!) == "[::1]:8080")
        #expect(OpenRouterClient.hostHeader(URL(string: "https://openrouter.ai/api/v1")!) == "openrouter.ai")
        #expect(OpenRouterClient.hostHeader(URL(string: "http://127.0.0.1:9/api/v1")!) == "127.0.0.1:9")
    }

    @Test func aClientGivenAnHTTPClientSendsEverythingThroughIt() throws {
        var configuration = OpenRouterConfiguration()
        configuration.baseURL = "http://127.0.0.1:9/api/v1"
        let given = try OpenRouterClient(apiKey: Self.key, configuration: configuration, httpClient: OpenRouterClient.sharedHTTPClient)
        #expect(given.chatConnections == nil)
        let own = try OpenRouterClient(apiKey: Self.key, configuration: configuration)
        #expect(own.chatConnections != nil)
    }
}
