import Foundation
import Logging
import Testing

@testable import OpenRouter

/// A server that echoes the Authorization header back, at any offset of its error text:
/// the key is scrubbed even where the client cuts long server text short, so no piece of its
/// secret part survives in an error.
@Suite("Echoed keys cut short by truncation", .timeLimit(.minutes(1)))
struct KeyEchoTests {
    static let key = "sk-or-v1-" + String(repeating: "0123456789abcdef", count: 4)

    /// Pieces of the secret part (after `sk-or-v1-`) long enough to matter.
    static func leaks(in text: String) -> [String] {
        let secret = Array(key.dropFirst("sk-or-v1-".count))
        return (0...(secret.count - 6)).map { String(secret[$0..<($0 + 6)]) }.filter { text.contains($0) }
    }

    static func failure(
        answering respond: @escaping @Sendable (CannedHTTPServer.Request) -> CannedHTTPServer.Response, streaming: Bool = false,
        logger: Logger = Logger(label: "openrouter-test", factory: { _ in SwiftLogNoOpLogHandler() })
    ) async throws -> OpenRouterError? {
        try await CannedHTTPServer.withRunning(respond) { server in
            var configuration = OpenRouterConfiguration()
            configuration.baseURL = server.baseURL
            configuration.maxRetries = 0
            configuration.timeout = .seconds(20)
            let client = try OpenRouterClient(apiKey: key, configuration: configuration, logger: logger, sleep: { _ in })
            let request = ChatRequest(messages: [.user("Hi")], model: "openai/gpt-4o-mini")
            do {
                _ = streaming ? try await client.chatStreamCollected(request) : try await client.chat(request)
                return nil
            } catch {
                return error as? OpenRouterError
            }
        }
    }

    static func authorization(_ request: CannedHTTPServer.Request) -> String { request.header("authorization") ?? "" }

    /// Every cut of the key by the 200-byte snippet of a plain-text error body, from one byte of
    /// it to all but its last character.
    @Test(arguments: Array(stride(from: 120, through: 200, by: 1)))
    func aPlainTextEchoCutByTheSnippetLeavesNoPieceOfTheKey(padding: Int) async throws {
        let error = try await Self.failure { request in
            .init(status: 401, contentType: "text/plain", String(repeating: "x", count: padding) + Self.authorization(request) + " is wrong")
        }
        let failure = try #require(error)
        #expect(failure.category == .auth)
        #expect(Self.leaks(in: failure.description).isEmpty, "\(failure.description)")
    }

    @Test(arguments: [1_900, 1_950, 1_975, 1_990, 1_995])
    func aCarriedMessageCutAt2000CharactersLeavesNoPieceOfTheKey(padding: Int) async throws {
        let error = try await Self.failure { request in
            let message = String(repeating: "y", count: padding) + Self.authorization(request) + " is not valid"
            let raw = String(repeating: "z", count: padding + 3) + Self.authorization(request)
            return .init(status: 401, #"{"error":{"code":401,"message":"\#(message)","metadata":{"raw":"\#(raw)"}}}"#)
        }
        let failure = try #require(error)
        #expect(failure.message.hasSuffix("…") == (padding + 7 + Self.key.count + 13 > 2_000), "cut only when too long")
        #expect(Self.leaks(in: failure.description).isEmpty, "\(failure.description.suffix(120))")
        #expect(Self.leaks(in: failure.providerRaw ?? "").isEmpty)
    }

    @Test func aMidStreamErrorEventCutShortLeavesNoPieceOfTheKey() async throws {
        let error = try await Self.failure(answering: { request in
            let message = String(repeating: "w", count: 1_985) + Self.authorization(request)
            return .eventStream([
                #"data: {"id":"g","choices":[{"index":0,"delta":{"content":"Hi"}}]}"#, "",
                #"data: {"id":"g","error":{"code":502,"message":"\#(message)"},"choices":[{"index":0,"delta":{"content":""},"finish_reason":"error"}]}"#, "",
            ])
        }, streaming: true)
        let failure = try #require(error)
        #expect(failure.category == .server)
        #expect(Self.leaks(in: failure.description).isEmpty, "\(failure.description.suffix(120))")
    }

    /// AsyncHTTPClient's own trace log prints the first and last 32 bytes of every body part,
    /// in hex: a key echoed there would be logged before the client could scrub it.
    @Test(arguments: [false, true])
    func aTraceLogShowsNoPieceOfAKeyEchoedAtTheStartOfABody(streaming: Bool) async throws {
        let lines = Recorder<String>()
        var logger = Logger(label: "openrouter-test") { _ in CapturingLogHandler(lines: lines) }
        logger.logLevel = .trace
        let error = try await Self.failure(answering: { request in
            let echo = Self.authorization(request).dropFirst("Bearer ".count)
            return streaming
                ? .eventStream([#"data: {"error":{"code":502,"message":"\#(echo)"}}"#, ""])
                : .init(status: 401, contentType: "text/plain", String(echo))
        }, streaming: streaming, logger: logger)
        #expect(error != nil)
        let hex = Array(Self.key.utf8.dropFirst("sk-or-v1-".count)).map { String(format: "%02x", $0) }.joined()
        let hexWindows = stride(from: 0, through: hex.count - 12, by: 2).map { hex.dropFirst($0).prefix(12) }
        #expect(lines.items.count > 0)
        for line in lines.items {
            #expect(Self.leaks(in: line).isEmpty, "\(line)")
            #expect(!hexWindows.contains { line.contains($0) }, "\(line)")
        }
    }

    @Test func theWholeEchoedKeyIsMaskedToItsLastFourCharacters() async throws {
        let error = try await Self.failure { request in
            .init(status: 401, #"{"error":{"code":401,"message":"bad key \#(Self.authorization(request))"}}"#)
        }
        #expect(error?.message == "bad key Bearer …cdef")
    }
}
