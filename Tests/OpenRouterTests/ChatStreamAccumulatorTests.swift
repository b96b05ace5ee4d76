import Foundation
import Testing

@testable import OpenRouter

/// Folding `chat.completion.chunk`s into the completion `chat` would have returned.
@Suite("ChatStreamAccumulator")
struct ChatStreamAccumulatorTests {
    static func chunk(_ text: String) throws -> ChatStreamChunk {
        try ChatStreamChunk(json: JSONValue(parsing: text))
    }

    static func fold(_ texts: [String]) throws -> ChatStreamAccumulator {
        var accumulator = ChatStreamAccumulator()
        for text in texts { accumulator.add(try chunk(text)) }
        return accumulator
    }

    static let contentStream = [
        #"{"id":"gen-s1","object":"chat.completion.chunk","created":1745000000,"model":"openai/gpt-4o","provider":"OpenAI","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}"#,
        #"{"id":"gen-s1","object":"chat.completion.chunk","created":1745000000,"model":"openai/gpt-4o","provider":"OpenAI","choices":[{"index":0,"delta":{"content":"Hello"},"finish_reason":null}]}"#,
        #"{"id":"gen-s1","object":"chat.completion.chunk","created":1745000000,"model":"openai/gpt-4o","provider":"OpenAI","choices":[{"index":0,"delta":{"content":" there!"},"finish_reason":null}]}"#,
        #"{"id":"gen-s1","object":"chat.completion.chunk","created":1745000000,"model":"openai/gpt-4o","provider":"OpenAI","choices":[{"index":0,"delta":{},"finish_reason":"stop","native_finish_reason":"stop"}]}"#,
        #"{"id":"gen-s1","object":"chat.completion.chunk","created":1745000000,"model":"openai/gpt-4o","provider":"OpenAI","choices":[],"usage":{"prompt_tokens":10,"completion_tokens":4,"total_tokens":14,"prompt_tokens_details":{"cached_tokens":2},"completion_tokens_details":{"reasoning_tokens":0},"cost":0.00014}}"#,
    ]

    @Test func contentDeltasAreConcatenated() throws {
        let accumulator = try Self.fold(Self.contentStream)
        #expect(accumulator.content == "Hello there!")
        let response = accumulator.response
        #expect(response.id == "gen-s1")
        #expect(response.model == "openai/gpt-4o")
        #expect(response.provider == "OpenAI")
        #expect(response.created == 1_745_000_000)
        #expect(response.content == "Hello there!")
        #expect(response.choices.count == 1)
        #expect(response.choices.first?.finishReason == .stop)
        #expect(response.choices.first?.nativeFinishReason == "stop")
    }

    @Test func theUsageChunkWithEmptyChoicesCarriesUsageOnly() throws {
        let usageChunk = try Self.chunk(Self.contentStream[4])
        #expect(usageChunk.choices.isEmpty)
        let accumulator = try Self.fold(Self.contentStream)
        #expect(accumulator.usage == Usage(promptTokens: 10, completionTokens: 4, totalTokens: 14, cachedTokens: 2, reasoningTokens: 0, cost: Decimal(string: "0.00014")))
        #expect(accumulator.response.choices.count == 1)
        #expect(accumulator.response.usage == accumulator.usage)
    }

    @Test func theFoldedJSONHasTheNonStreamedShape() throws {
        let response = try Self.fold(Self.contentStream).response
        #expect(response.json.serialized == #"{"id":"gen-s1","provider":"OpenAI","model":"openai/gpt-4o","object":"chat.completion","created":1745000000,"choices":[{"index":0,"finish_reason":"stop","native_finish_reason":"stop","message":{"role":"assistant","content":"Hello there!"}}],"usage":{"prompt_tokens":10,"completion_tokens":4,"total_tokens":14,"prompt_tokens_details":{"cached_tokens":2},"completion_tokens_details":{"reasoning_tokens":0},"cost":0.00014}}"#)
        let reread = try ChatResponse(json: response.json)
        #expect(reread == response)
    }

    @Test func theFoldedStreamEqualsTheNonStreamedResponse() throws {
        let folded = try Self.fold(Self.contentStream).response
        let whole = try ChatResponse(json: JSONValue(parsing: #"{"id":"gen-s1","provider":"OpenAI","model":"openai/gpt-4o","object":"chat.completion","created":1745000000,"choices":[{"index":0,"finish_reason":"stop","native_finish_reason":"stop","message":{"role":"assistant","content":"Hello there!"}}],"usage":{"prompt_tokens":10,"completion_tokens":4,"total_tokens":14,"prompt_tokens_details":{"cached_tokens":2},"completion_tokens_details":{"reasoning_tokens":0},"cost":0.00014}}"#))
        #expect(folded.json == whole.json)
        #expect(folded == whole)
    }

    static let toolStream = [
        #"{"id":"gen-t","model":"openai/gpt-4o","choices":[{"index":0,"delta":{"role":"assistant","content":null,"tool_calls":[{"index":0,"id":"call_a","type":"function","function":{"name":"get_weather","arguments":""}}]}}]}"#,
        #"{"id":"gen-t","model":"openai/gpt-4o","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"ci"}}]}}]}"#,
        #"{"id":"gen-t","model":"openai/gpt-4o","choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"id":"call_b","type":"function","function":{"name":"get_time","arguments":"{\"tz\":"}}]}}]}"#,
        #"{"id":"gen-t","model":"openai/gpt-4o","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"ty\":\"Paris\"}"}}]}}]}"#,
        #"{"id":"gen-t","model":"openai/gpt-4o","choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"function":{"arguments":"\"CET\"}"}}]}}]}"#,
        #"{"id":"gen-t","model":"openai/gpt-4o","choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]}"#,
        #"{"id":"gen-t","model":"openai/gpt-4o","choices":[],"usage":{"prompt_tokens":30,"completion_tokens":20}}"#,
    ]

    @Test func toolCallDeltasAreAssembledByIndex() throws {
        let response = try Self.fold(Self.toolStream).response
        let choice = try #require(response.choices.first)
        #expect(choice.message.toolCalls == [
            ToolCall(id: "call_a", name: "get_weather", arguments: #"{"city":"Paris"}"#),
            ToolCall(id: "call_b", name: "get_time", arguments: #"{"tz":"CET"}"#),
        ])
        #expect(choice.message.content == nil)
        #expect(choice.finishReason == .toolCalls)
        #expect(response.json.serialized == #"{"id":"gen-t","model":"openai/gpt-4o","object":"chat.completion","created":0,"choices":[{"index":0,"finish_reason":"tool_calls","native_finish_reason":null,"message":{"role":"assistant","content":null,"tool_calls":[{"id":"call_a","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}},{"id":"call_b","type":"function","function":{"name":"get_time","arguments":"{\"tz\":\"CET\"}"}}]}}],"usage":{"prompt_tokens":30,"completion_tokens":20,"total_tokens":50,"prompt_tokens_details":{"cached_tokens":0},"completion_tokens_details":{"reasoning_tokens":0}}}"#)
        #expect(try ChatResponse(json: response.json) == response)
    }

    @Test func anEmptyContentDeltaBeforeToolCallsFoldsToNullContent() throws {
        var stream = Self.toolStream
        stream[0] = stream[0].replacingOccurrences(of: #""content":null"#, with: #""content":"""#)
        let response = try Self.fold(stream).response
        #expect(response.choices.first?.message.content == nil)
        #expect(response.json["choices"]?[0]?["message"]?["content"] == .null)
        #expect(response.choices.first?.message.toolCalls.count == 2)
    }

    @Test func textBesideToolCallsIsKept() throws {
        var stream = Self.toolStream
        stream[0] = stream[0].replacingOccurrences(of: #""content":null"#, with: #""content":"Let me check.""#)
        let response = try Self.fold(stream).response
        #expect(response.choices.first?.message.content == "Let me check.")
    }

    @Test func choicesAreKeptApartByIndex() throws {
        let accumulator = try Self.fold([
            #"{"id":"g","choices":[{"index":1,"delta":{"content":"B1"}},{"index":0,"delta":{"content":"A1"}}]}"#,
            #"{"id":"g","choices":[{"index":0,"delta":{"content":"A2"},"finish_reason":"stop"},{"index":1,"delta":{"content":"B2"},"finish_reason":"length"}]}"#,
        ])
        let response = accumulator.response
        #expect(response.choices.map(\.index) == [0, 1])
        #expect(response.choices.map(\.message.content) == ["A1A2", "B1B2"])
        #expect(response.choices.map(\.finishReason) == [.stop, .length])
        #expect(accumulator.content == "A1A2")
    }

    /// Found by the chat-stream fuzzer: with no choice 0, `content` came from whichever choice
    /// the dictionary's per-process hash order put first, so an error's `partialContent` could
    /// name another choice than the folded response's first. Twenty choices make a lucky pass
    /// of the old code unlikely.
    @Test func contentIsTheLowestIndexedChoiceWhenThereIsNoChoiceZero() throws {
        let choices = (1...20).reversed().map { #"{"index":\#($0),"delta":{"content":"choice \#($0)"}}"# }
        let accumulator = try Self.fold([#"{"id":"g","choices":["# + choices.joined(separator: ",") + "]}"])
        #expect(accumulator.content == "choice 1")
        #expect(accumulator.response.content == "choice 1")
    }

    /// Broke the chat-stream fuzz target's invariant that the folded JSON decodes to the fold's
    /// own response: `usage.cost` was written rounded to 18 places, so float noise such as
    /// `0.00014000000000000001` came back from `collect()` unlike the stream's usage and `chat`'s.
    @Test func theFoldedCostIsExact() throws {
        let accumulator = try Self.fold([
            #"{"id":"g","choices":[{"index":0,"delta":{"content":"x"},"finish_reason":"stop"}],"usage":{"prompt_tokens":1,"completion_tokens":1,"cost":0.00014000000000000001}}"#,
        ])
        let reread = try ChatResponse(json: accumulator.response.json)
        #expect(reread.usage?.cost == Decimal(string: "0.00014000000000000001"))
        #expect(reread == accumulator.response)
    }

    @Test func reasoningDeltasAreKeptApartFromContent() throws {
        let response = try Self.fold([
            #"{"id":"g","choices":[{"index":0,"delta":{"reasoning":"Let me "}}]}"#,
            #"{"id":"g","choices":[{"index":0,"delta":{"reasoning":"think."}}]}"#,
            #"{"id":"g","choices":[{"index":0,"delta":{"content":"42"},"finish_reason":"stop"}]}"#,
        ]).response
        #expect(response.content == "42")
        #expect(response.choices.first?.message.reasoning == "Let me think.")
    }

    @Test func anEmptyStreamFoldsToEmptyContent() {
        let response = ChatStreamAccumulator().response
        #expect(response.choices.isEmpty)
        #expect(ChatStreamAccumulator().content == "")
    }

    @Test func aMidStreamErrorChunkThrowsTheCarriedError() throws {
        let error = #expect(throws: OpenRouterError.self) {
            try Self.chunk(#"{"id":"gen-abc","object":"chat.completion.chunk","created":1234567890,"model":"openai/gpt-4o","provider":"OpenAI","error":{"code":429,"message":"Rate limit exceeded","metadata":{"error_type":"rate_limit_exceeded"}},"choices":[{"index":0,"delta":{"content":""},"finish_reason":"error"}]}"#)
        }
        #expect(error?.category == .rateLimited)
        #expect(error?.message == "Rate limit exceeded")
        #expect(error?.errorType == "rate_limit_exceeded")
        #expect(error?.generationID == "gen-abc")
        #expect(error?.statusCode == 200)
    }

    @Test func aChunkThatIsNotAnObjectIsAnInvalidResponse() {
        let error = #expect(throws: OpenRouterError.self) { try ChatStreamChunk(json: ["not", "an", "object"]) }
        #expect(error?.category == .invalidResponse)
    }
}
