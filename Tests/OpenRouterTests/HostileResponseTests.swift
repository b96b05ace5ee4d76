import Foundation
import Testing

@testable import OpenRouter

/// Bodies no honest server sends, served byte for byte over loopback by ``CannedHTTPServer``:
/// each must end in a typed error of the right category — never a crash, a hang, or a value
/// made up from garbage.
///
/// Decisions these tests pin down:
/// - Nesting deeper than 512 levels is refused by the parser (it keeps open containers on a
///   heap stack, so even a million `[` cannot overflow the call stack): `invalid_response`.
/// - Invalid UTF-8 anywhere in a JSON body or an event stream is `invalid_response`; it is
///   never repaired into U+FFFD and passed on as an answer.
/// - Event-stream lines that are neither fields nor comments are ignored, as the SSE spec
///   says for unknown fields; only `data` lines carry chunks.
/// - Token counts must be whole numbers in 0..<1e9 and `usage.cost` a JSON number in
///   0..<1e6 USD; anything else makes the response `invalid_response` rather than being
///   clamped, so a made-up count is never billed or recorded.
@Suite("Hostile responses over loopback", .timeLimit(.minutes(1)))
struct HostileResponseTests {
    static let apiKey = "sk-or-v1-hostile-0123456789abcdef0123"

    /// A client for `server` with retries allowed (so a test can see that these errors are
    /// not retried by default) and a deadline that bounds every attempt.
    static func client(for server: CannedHTTPServer) throws -> OpenRouterClient {
        var configuration = OpenRouterConfiguration()
        configuration.baseURL = server.baseURL
        configuration.maxRetries = 2
        configuration.timeout = .seconds(20)
        configuration.streamIdleTimeout = .seconds(20)
        return try OpenRouterClient(apiKey: apiKey, configuration: configuration, sleep: { _ in })
    }

    static let request = ChatRequest(messages: [.user("Hi")], model: "openai/gpt-4o-mini")

    /// The error `chat` (or the streamed equivalent) throws for this canned answer, and how
    /// many requests the server saw.
    static func failure(
        of response: CannedHTTPServer.Response, streaming: Bool = false,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> (error: OpenRouterError?, requests: Int) {
        try await CannedHTTPServer.withRunning(answering: response) { server in
            let client = try client(for: server)
            do {
                let answer = streaming ? try await client.chatStreamCollected(request) : try await client.chat(request)
                Issue.record("expected an error, got \(String(describing: answer.content))", sourceLocation: sourceLocation)
                return (nil, server.received.count)
            } catch {
                return (error as? OpenRouterError, server.received.count)
            }
        }
    }

    /// A well-formed completion, with `usage` and `choices` replaceable by raw JSON text.
    static func completion(
        usage: String = #"{"prompt_tokens":3,"completion_tokens":2,"total_tokens":5,"cost":0.00001}"#,
        choices: String? = #"[{"index":0,"finish_reason":"stop","message":{"role":"assistant","content":"Hello"}}]"#
    ) -> String {
        var text = #"{"id":"gen-canned","model":"openai/gpt-4o-mini","object":"chat.completion","created":1"#
        if let choices { text += #","choices":"# + choices }
        return text + #","usage":"# + usage + "}"
    }

    /// One `data:` chunk of a stream.
    static func chunk(content: String) -> String {
        #"data: {"id":"gen-canned","model":"openai/gpt-4o-mini","choices":[{"index":0,"delta":{"content":"\#(content)"}}]}"#
    }

    static func usageChunk(_ usage: String) -> String {
        #"data: {"id":"gen-canned","model":"openai/gpt-4o-mini","choices":[],"usage":\#(usage)}"#
    }

    // MARK: Nesting

    @Test func aMillionOpenBracketsIsAnInvalidResponseNotAStackOverflow() async throws {
        let body = [UInt8](repeating: UInt8(ascii: "["), count: 1_000_000)
        let (error, requests) = try await Self.failure(of: .init(body: body))
        #expect(error?.category == .invalidResponse)
        #expect(error?.message == "malformed JSON body: nesting deeper than 512 levels at byte 512")
        #expect(error?.statusCode == 200)
        #expect(requests == 1, "invalid_response is not retried unless asked for")
    }

    @Test func deepNestingInsideAnOtherwiseValidCompletionIsAnInvalidResponse() async throws {
        let deep = String(repeating: #"{"a":"#, count: 200_000) + "1" + String(repeating: "}", count: 200_000)
        let body = Self.completion().dropLast() + #","extra":"# + deep + "}"
        let (error, _) = try await Self.failure(of: .init(body))
        #expect(error?.category == .invalidResponse)
        #expect(error?.message.hasPrefix("malformed JSON body: nesting deeper than 512 levels") == true)
    }

    // MARK: Compression

    /// The client asks for no compression; a body compressed anyway is refused by name, in
    /// both answer forms, and an explicit `identity` is fine.
    @Test(arguments: [false, true])
    func aCompressedBodyThatWasNotAskedForIsAnInvalidResponse(streaming: Bool) async throws {
        var response = CannedHTTPServer.Response(
            contentType: streaming ? "text/event-stream" : "application/json",
            body: [0x1F, 0x8B, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0xAB, 0xAE, 0x05, 0x00])
        response.headers = ["Content-Encoding: gzip"]
        let (error, requests) = try await Self.failure(of: response, streaming: streaming)
        #expect(error?.category == .invalidResponse)
        #expect(error?.message == "the body is compressed (Content-Encoding gzip), which was not asked for")
        #expect(requests == 1)
    }

    @Test func noCompressionIsAskedForAndIdentityIsAccepted() async throws {
        var response = CannedHTTPServer.Response(Self.completion())
        response.headers = ["Content-Encoding: identity"]
        try await CannedHTTPServer.withRunning(answering: response) { server in
            let answer = try await Self.client(for: server).chat(Self.request)
            #expect(answer.content == "Hello")
            let head = try #require(server.received.first?.head).lowercased()
            #expect(!head.contains("accept-encoding"), "\(head)")
        }
    }

    @Test func nestingWithinTheLimitIsAccepted() async throws {
        let deep = String(repeating: "[", count: 500) + String(repeating: "]", count: 500)
        let body = Self.completion().dropLast() + #","extra":"# + deep + "}"
        try await CannedHTTPServer.withRunning(answering: .init(body)) { server in
            let response = try await Self.client(for: server).chat(Self.request)
            #expect(response.content == "Hello")
        }
    }

    @Test func aMillionOpenBracketsInAStreamEventIsAnInvalidResponse() async throws {
        let event = "data: " + String(repeating: "[", count: 1_000_000)
        let (error, _) = try await Self.failure(of: .eventStream([Self.chunk(content: "Hel"), "", event, "", "data: [DONE]", ""]), streaming: true)
        #expect(error?.category == .invalidResponse)
        #expect(error?.message == "malformed JSON in stream event: nesting deeper than 512 levels at byte 512")
        #expect(error?.partialContent == "Hel")
    }

    @Test func aMillionOpenBracketsAsAnErrorBodyKeepsTheStatusCategory() async throws {
        let body = [UInt8](repeating: UInt8(ascii: "["), count: 1_000_000)
        let (error, requests) = try await Self.failure(of: .init(status: 502, body: body))
        #expect(error?.category == .server)
        #expect(error?.message == "HTTP 502: " + String(repeating: "[", count: 200))
        #expect(requests == 3, "a 502 is retried whatever its body")
    }

    // MARK: Invalid UTF-8

    @Test(arguments: [
        (Array(#"{"id":"gen-1","choices":[{"message":{"content":"caf"#.utf8) + [0xC3, 0x28] + Array(#""}}]}"#.utf8), 51),
        (Array(#"{"id":"gen-1","#.utf8) + [0xFF] + Array(#""choices":[]}"#.utf8), 14),
        (Array(#"{"id":"gen-1",""#.utf8) + [0xC0, 0xAF] + Array(#"":1}"#.utf8), 15),
    ] as [([UInt8], Int)])
    func invalidUTF8InAJSONBodyIsAnInvalidResponse(body: [UInt8], offset: Int) async throws {
        let (error, requests) = try await Self.failure(of: .init(body: body))
        #expect(error?.category == .invalidResponse)
        #expect(error?.message == "malformed JSON body: invalid UTF-8 at byte \(offset)")
        #expect(requests == 1)
    }

    @Test(arguments: [
        (Array(#"data: {"id":"g","choices":[{"index":0,"delta":{"content":"caf"#.utf8) + [0xE9] + Array("\"}}]}\n\n".utf8), "a data line"),
        (Array(": keep-alive ".utf8) + [0xFF, 0xFE, 0x0A], "a comment"),
        (Array("garbage".utf8) + [0xC0, 0xAF, 0x0A], "an unknown field"),
        (Array("event: ".utf8) + [0xED, 0xA0, 0x80, 0x0A], "an event name"),
    ] as [([UInt8], String)])
    func invalidUTF8InAStreamIsAnInvalidResponse(line: [UInt8], what: String) async throws {
        let good = Array((Self.chunk(content: "Hel") + "\n\n").utf8)
        let body = good + line + Array("data: [DONE]\n\n".utf8)
        let (error, requests) = try await Self.failure(of: .init(contentType: "text/event-stream", body: body), streaming: true)
        #expect(error?.category == .invalidResponse)
        #expect(error?.message == "malformed event stream: server-sent event stream invalidUTF8 at byte \(good.count)")
        #expect(requests == 1)
    }

    @Test func invalidUTF8InAnErrorBodyIsShownRepairedUnderItsStatus() async throws {
        let body = Array("upstream said: ".utf8) + [0xFF, 0xC3] + Array(" bye".utf8)
        let (error, _) = try await Self.failure(of: .init(status: 400, contentType: "text/plain", body: body))
        #expect(error?.category == .badRequest)
        #expect(error?.message == "HTTP 400: upstream said: \u{FFFD}\u{FFFD} bye")
    }

    // MARK: Garbage in event streams

    @Test func linesThatAreNeitherFieldsNorCommentsAreIgnored() async throws {
        let stream: CannedHTTPServer.Response = .eventStream([
            ": OPENROUTER PROCESSING",
            "garbage without a colon",
            #"{"choices":[{"delta":{"content":"NOT THIS"}}]}"#,
            "DATA: upper case is another field",
            "data_extra: not data either",
            "retry: soon",
            "id: 7",
            Self.chunk(content: "Hel"),
            "",
            "event: ping",
            "",
            "\t data: indented is not data",
            "",
            Self.chunk(content: "lo"),
            "whatever: comes before the blank line",
            "",
            Self.usageChunk(#"{"prompt_tokens":3,"completion_tokens":2,"total_tokens":5}"#),
            "",
            "data: [DONE]",
            "",
        ])
        try await CannedHTTPServer.withRunning(answering: stream) { server in
            let response = try await Self.client(for: server).chatStreamCollected(Self.request)
            #expect(response.content == "Hello")
            #expect(response.usage?.totalTokens == 5)
        }
    }

    @Test func aDataLineThatIsNotJSONIsAnInvalidResponse() async throws {
        let (error, _) = try await Self.failure(
            of: .eventStream([Self.chunk(content: "Hel"), "", "data: this is not json", "", "data: [DONE]", ""]), streaming: true)
        #expect(error?.category == .invalidResponse)
        #expect(error?.message.hasPrefix("malformed JSON in stream event:") == true)
        #expect(error?.partialContent == "Hel")
    }

    // MARK: Implausible usage

    @Test(arguments: [
        ("prompt_tokens", "-5"),
        ("prompt_tokens", "1e30"),
        ("prompt_tokens", "1180591620717411303424"),  // 2^70
        ("prompt_tokens", "9223372036854775808"),  // Int64.max + 1
        ("prompt_tokens", "1000000000"),
        ("prompt_tokens", "1.5"),
        ("prompt_tokens", #""12""#),
        ("completion_tokens", "-1"),
        ("completion_tokens", "1e30"),
        ("total_tokens", "-9223372036854775808"),
    ])
    func anImplausibleTokenCountIsAnInvalidResponse(field: String, value: String) async throws {
        let fields = ["prompt_tokens": "3", "completion_tokens": "2", "total_tokens": "5"].merging([field: value]) { $1 }
        let usage = "{" + fields.sorted { $0.key < $1.key }.map { #""\#($0.key)":\#($0.value)"# }.joined(separator: ",") + "}"
        let (error, requests) = try await Self.failure(of: .init(Self.completion(usage: usage)))
        #expect(error?.category == .invalidResponse)
        #expect(error?.message == "usage.\(field) is not a plausible token count")
        #expect(requests == 1)
    }

    @Test func anImplausibleNestedTokenCountIsAnInvalidResponse() async throws {
        let usage = #"{"prompt_tokens":3,"completion_tokens":2,"prompt_tokens_details":{"cached_tokens":1e30}}"#
        let (error, _) = try await Self.failure(of: .init(Self.completion(usage: usage)))
        #expect(error?.message == "usage.prompt_tokens_details.cached_tokens is not a plausible token count")
    }

    @Test(arguments: [
        ("-0.001", "usage.cost is not a plausible amount"),
        ("1e30", "usage.cost is not a plausible amount"),
        ("1000000", "usage.cost is not a plausible amount"),
        (#""0.001""#, "usage.cost is string, not a number"),
        ("true", "usage.cost is boolean, not a number"),
        ("[0.001]", "usage.cost is array, not a number"),
    ])
    func anImplausibleCostIsAnInvalidResponse(cost: String, message: String) async throws {
        let usage = #"{"prompt_tokens":3,"completion_tokens":2,"cost":\#(cost)}"#
        let (error, _) = try await Self.failure(of: .init(Self.completion(usage: usage)))
        #expect(error?.category == .invalidResponse)
        #expect(error?.message == message)
    }

    @Test func aNumberBeyondDoubleRangeIsAMalformedBody() async throws {
        let usage = #"{"prompt_tokens":3,"completion_tokens":2,"cost":1e400}"#
        let (error, _) = try await Self.failure(of: .init(Self.completion(usage: usage)))
        #expect(error?.category == .invalidResponse)
        #expect(error?.message.hasPrefix("malformed JSON body:") == true)
    }

    @Test func anImplausibleUsageInAStreamIsAnInvalidResponseCarryingThePartialContent() async throws {
        let (error, _) = try await Self.failure(
            of: .eventStream([
                Self.chunk(content: "Hel"), "",
                Self.usageChunk(#"{"prompt_tokens":1180591620717411303424,"completion_tokens":2}"#), "",
                "data: [DONE]", "",
            ]),
            streaming: true)
        #expect(error?.category == .invalidResponse)
        #expect(error?.message == "usage.prompt_tokens is not a plausible token count")
        #expect(error?.partialContent == "Hel")
        #expect(error?.usage == nil, "an implausible usage is never reported as billed")
    }

    @Test func aUsageThatIsNotAnObjectIsAnInvalidResponse() async throws {
        let (error, _) = try await Self.failure(of: .init(Self.completion(usage: "[1,2,3]")))
        #expect(error?.category == .invalidResponse)
        #expect(error?.message == "usage is array, not an object")
    }

    // MARK: Choices

    @Test(arguments: [
        (nil, "the response has no choices array"),
        ("null", "the response has no choices array"),
        (#"{"0":{"message":{"content":"x"}}}"#, "the response has no choices array"),
        ("[]", "the response's choices array is empty"),
        ("[1]", "choices[0] has no message object"),
        (#"[{"message":"Hello"}]"#, "choices[0] has no message object"),
        (#"[{"message":{"content":42}}]"#, "choices[0].message.content is integer"),
    ] as [(String?, String)])
    func aCompletionWithoutUsableChoicesIsAnInvalidResponse(choices: String?, message: String) async throws {
        let (error, requests) = try await Self.failure(of: .init(Self.completion(choices: choices)))
        #expect(error?.category == .invalidResponse)
        #expect(error?.message == message)
        #expect(error?.statusCode == 200)
        #expect(error?.usage?.totalTokens == 5, "a 200 without an answer may still be billed")
        #expect(requests == 1)
    }

    @Test(arguments: ["[]", "null", "\"ok\"", "42"])
    func aBodyThatIsNotAnObjectIsAnInvalidResponse(body: String) async throws {
        let (error, _) = try await Self.failure(of: .init(body))
        #expect(error?.category == .invalidResponse)
        #expect(error?.message.hasPrefix("expected a JSON object, got") == true)
    }

    // MARK: Size

    /// The error `chat` throws for `response` with `maxResponseBytes` of 1,024, and how many
    /// requests the server saw.
    static func failureWithSmallLimit(of response: CannedHTTPServer.Response) async throws -> (error: OpenRouterError?, requests: Int) {
        try await CannedHTTPServer.withRunning(answering: response) { server in
            var configuration = OpenRouterConfiguration()
            configuration.baseURL = server.baseURL
            configuration.maxRetries = 2
            configuration.maxResponseBytes = 1024
            let client = try OpenRouterClient(apiKey: apiKey, configuration: configuration, sleep: { _ in })
            do {
                let answer = try await client.chat(request)
                Issue.record("expected an error, got \(String(describing: answer.content))")
                return (nil, server.received.count)
            } catch {
                return (error as? OpenRouterError, server.received.count)
            }
        }
    }

    @Test func aTooLargeAnswerIsRefusedWithItsStatusAndGenerationID() async throws {
        var response = CannedHTTPServer.Response(Self.completion() + String(repeating: " ", count: 4000))
        response.headers = ["x-generation-id: gen-too-large"]
        let (error, requests) = try await Self.failureWithSmallLimit(of: response)
        #expect(error?.category == .invalidResponse)
        #expect(error?.message == "response body larger than 1024 bytes")
        #expect(error?.statusCode == 200)
        #expect(error?.generationID == "gen-too-large")
        #expect(requests == 1)
    }

    @Test func anErrorStatusWithABodyOverTheLimitIsStillThatError() async throws {
        // The status decides: a 503 whose page is larger than the answer limit is a retried
        // server error, its message cut from the page, never "response too large".
        let page = "<html>" + String(repeating: "Service Unavailable. ", count: 200) + "</html>"
        let (error, requests) = try await Self.failureWithSmallLimit(of: .init(status: 503, contentType: "text/html", page))
        #expect(error?.category == .server)
        #expect(error?.statusCode == 503)
        #expect(error?.message == "HTTP 503: " + String(page.prefix(200)))
        #expect(requests == 3)
    }
}
