import Foundation
import Testing

@testable import OpenRouter

/// `chatAnswer(encodedBody:…)`: the answer's JSON text is what the queue stores and `export`
/// writes as one JSONL line, so it must be one line of JSON for every body a server sends —
/// the bytes as received when they already are, the parsed body encoded again when not.
@Suite("Chat answers' text over loopback", .timeLimit(.minutes(1)))
struct ChatAnswerTests {
    static let compact = #"{"id":"gen-a","model":"openai/gpt-4o-mini","object":"chat.completion","created":1,"choices":[{"index":0,"finish_reason":"stop","message":{"role":"assistant","content":"caf\u00e9 \"ok\""}}],"usage":{"prompt_tokens":3,"completion_tokens":2,"total_tokens":5,"cost":0.000010}}"#

    static func answer(to body: String) async throws -> ChatAnswer {
        try await CannedHTTPServer.withRunning(answering: .init(body)) { server in
            var configuration = OpenRouterConfiguration()
            configuration.baseURL = server.baseURL
            configuration.timeout = .seconds(20)
            let client = try OpenRouterClient(apiKey: "sk-or-v1-answer-0123456789abcdef", configuration: configuration, sleep: { _ in })
            let request = #"{"model":"openai/gpt-4o-mini","messages":[{"role":"user","content":"Hi"}]}"#
            return try await client.chatAnswer(encodedBody: Array(request.utf8), model: "openai/gpt-4o-mini", responseFormat: nil)
        }
    }

    @Test func aOneLineBodyIsKeptAsReceived() async throws {
        let answer = try await Self.answer(to: Self.compact)
        // Escapes, the number's trailing zero and the key order stay as the server wrote them.
        #expect(answer.text == Self.compact)
        #expect(answer.response.content == #"café "ok""#)
        #expect(answer.response.usage?.cost == Decimal(string: "0.00001"))
    }

    @Test func whitespaceAroundTheBodyIsTrimmed() async throws {
        let answer = try await Self.answer(to: "\n\n   \r\n" + Self.compact + " \n")
        #expect(answer.text == Self.compact)
    }

    @Test func aBodyOfSeveralLinesIsEncodedAgainOnOne() async throws {
        let pretty = """
            {
              "id": "gen-p",
              "model": "openai/gpt-4o-mini",
              "object": "chat.completion",
              "created": 1,
              "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": "line one\\nline two"}}]
            }
            """
        let answer = try await Self.answer(to: pretty)
        #expect(!answer.text.contains("\n") && !answer.text.contains("\r"))
        #expect(answer.text == (try JSONValue(parsing: pretty)).serialized)
        #expect(try JSONValue(parsing: answer.text) == JSONValue(parsing: pretty))
        #expect(answer.response.content == "line one\nline two")
    }

    /// A carriage return alone between members breaks a line for some readers too.
    @Test func aBodyWithABareCarriageReturnIsEncodedAgain() async throws {
        let body = Self.compact.replacingOccurrences(of: #","model""#, with: "\r,\"model\"")
        #expect(body != Self.compact)
        let answer = try await Self.answer(to: body)
        #expect(answer.text == (try JSONValue(parsing: body)).serialized)
        #expect(!answer.text.contains("\r"))
    }
}
