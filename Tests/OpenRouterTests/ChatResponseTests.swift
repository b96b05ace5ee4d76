import Foundation
import Testing

@testable import OpenRouter

/// `ChatResponse(json:)`: a 200's body, including the ways a 200 can carry an error.
@Suite("ChatResponse(json:)")
struct ChatResponseTests {
    static func json(_ text: String) throws -> JSONValue { try JSONValue(parsing: text) }

    static func decodingError(_ text: String, generationID: String? = nil) throws -> OpenRouterError? {
        let value = try json(text)
        return #expect(throws: OpenRouterError.self) { try ChatResponse(json: value, generationID: generationID) }
    }

    /// The sample of OPENROUTER.md, as sent.
    static let sample = #"""
        {"id":"gen-1745000000-abc","provider":"OpenAI","model":"openai/gpt-4o","object":"chat.completion",
         "created":1745000000,
         "choices":[{"index":0,"finish_reason":"stop","native_finish_reason":"stop",
                     "message":{"role":"assistant","content":"Hello there!"}}],
         "usage":{"prompt_tokens":10,"completion_tokens":4,"total_tokens":14,
                  "prompt_tokens_details":{"cached_tokens":0},
                  "completion_tokens_details":{"reasoning_tokens":0},
                  "cost":0.00014}}
        """#

    @Test func theDocumentedSampleDecodes() throws {
        let response = try ChatResponse(json: Self.json(Self.sample))
        #expect(response.id == "gen-1745000000-abc")
        #expect(response.provider == "OpenAI")
        #expect(response.model == "openai/gpt-4o")
        #expect(response.created == 1_745_000_000)
        #expect(response.content == "Hello there!")
        let choice = try #require(response.choices.first)
        #expect(choice.finishReason == .stop)
        #expect(choice.nativeFinishReason == "stop")
        #expect(choice.message.role == "assistant")
        #expect(choice.message.toolCalls.isEmpty)
        let usage = try #require(response.usage)
        #expect(usage.promptTokens == 10 && usage.completionTokens == 4 && usage.totalTokens == 14)
        #expect(usage.cachedTokens == 0 && usage.reasoningTokens == 0)
        #expect(usage.cost == Decimal(string: "0.00014"))
        #expect(usage.cost?.plainString == "0.00014")
        #expect(response.json == (try Self.json(Self.sample)))
    }

    @Test func costIsExactEvenWhereABinaryDoubleIsNot() throws {
        let response = try ChatResponse(json: Self.json(#"{"id":"g","choices":[{"message":{"content":"x"},"finish_reason":"stop"}],"usage":{"prompt_tokens":1,"completion_tokens":1,"cost":0.1}}"#))
        let cost = try #require(response.usage?.cost)
        #expect(cost * 3 == Decimal(string: "0.3"))
    }

    @Test func cachedAndReasoningTokensAreRead() throws {
        let response = try ChatResponse(json: Self.json(#"{"id":"g","model":"m","choices":[{"message":{"role":"assistant","content":"x","reasoning":"thought"},"finish_reason":"stop"}],"usage":{"prompt_tokens":1200,"completion_tokens":300,"total_tokens":1500,"prompt_tokens_details":{"cached_tokens":1024},"completion_tokens_details":{"reasoning_tokens":256},"cost":0.0123}}"#))
        #expect(response.usage == Usage(promptTokens: 1200, completionTokens: 300, totalTokens: 1500, cachedTokens: 1024, reasoningTokens: 256, cost: Decimal(string: "0.0123")))
        #expect(response.choices.first?.message.reasoning == "thought")
    }

    @Test func aMissingTotalIsTheSumOfTheParts() throws {
        let response = try ChatResponse(json: Self.json(#"{"id":"g","choices":[{"message":{"content":"x"}}],"usage":{"prompt_tokens":3,"completion_tokens":4}}"#))
        #expect(response.usage?.totalTokens == 7)
        #expect(response.usage?.cost == nil)
    }

    @Test func toolCallsAreRead() throws {
        let response = try ChatResponse(json: Self.json(#"""
            {"id":"gen-t","model":"openai/gpt-4o","choices":[{"index":0,"finish_reason":"tool_calls","native_finish_reason":"tool_calls",
             "message":{"role":"assistant","content":null,"tool_calls":[
               {"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}},
               {"id":"call_2","type":"function","function":{"name":"get_time","arguments":"{}"}}]}}]}
            """#))
        let choice = try #require(response.choices.first)
        #expect(choice.finishReason == .toolCalls)
        #expect(choice.message.content == nil)
        #expect(choice.message.toolCalls == [
            ToolCall(id: "call_1", name: "get_weather", arguments: #"{"city":"Paris"}"#),
            ToolCall(id: "call_2", name: "get_time", arguments: "{}"),
        ])
    }

    @Test func theGenerationIDHeaderStandsInForAMissingBodyID() throws {
        let response = try ChatResponse(json: Self.json(#"{"choices":[{"message":{"content":"x"}}]}"#), generationID: "gen-header")
        #expect(response.id == "gen-header")
    }

    @Test func contentPartsAreJoined() throws {
        let response = try ChatResponse(json: Self.json(#"{"id":"g","choices":[{"message":{"content":[{"type":"text","text":"Hel"},{"type":"text","text":"lo"}]}}]}"#))
        #expect(response.content == "Hello")
    }

    // MARK: A 200 carrying an error

    @Test func anErrorBodyIsAnErrorCategorisedByItsCode() throws {
        let error = try Self.decodingError(#"{"id":"gen-e","error":{"code":502,"message":"Provider returned error","metadata":{"provider_name":"Fireworks","raw":"upstream exploded","error_type":"provider_unavailable"}}}"#)
        #expect(error?.category == .server)
        #expect(error?.isRetryable == true)
        #expect(error?.statusCode == 200)
        #expect(error?.errorCode == 502)
        #expect(error?.message == "Provider returned error")
        #expect(error?.providerName == "Fireworks")
        #expect(error?.providerRaw == "upstream exploded")
        #expect(error?.errorType == "provider_unavailable")
        #expect(error?.generationID == "gen-e")
        #expect(error.map { "\($0)" } == "server: Provider returned error (HTTP 200) [provider: Fireworks] provider said: upstream exploded")
    }

    @Test(arguments: [
        (400, OpenRouterError.Category.badRequest, false),
        (401, .auth, false),
        (402, .payment, false),
        (403, .forbidden, false),
        (408, .timeout, true),
        (429, .rateLimited, true),
        (500, .server, true),
        (503, .server, true),
        (504, .timeout, true),
    ])
    func anErrorBodyInA200TakesTheCategoryOfItsCode(code: Int, category: OpenRouterError.Category, retryable: Bool) throws {
        let error = try Self.decodingError(#"{"error":{"code":\#(code),"message":"m"}}"#)
        #expect(error?.category == category)
        #expect(error?.isRetryable == retryable)
        #expect(error?.statusCode == 200)
    }

    @Test func anErrorBodyWithoutACodeCountsAsABadGateway() throws {
        let error = try Self.decodingError(#"{"error":{"message":"something broke"}}"#)
        #expect(error?.category == .server)
        #expect(error?.isRetryable == true)
    }

    @Test func aModerationErrorIsAContentFilterError() throws {
        let error = try Self.decodingError(#"{"error":{"code":403,"message":"Input flagged","metadata":{"reasons":["violence"],"flagged_input":"…","provider_name":"OpenAI","model_slug":"openai/gpt-4o"}}}"#)
        #expect(error?.category == .contentFilter)
        #expect(error?.isRetryable == false)
    }

    @Test func aChoiceThatFinishedWithErrorIsAnErrorWithThePartialContent() throws {
        let error = try Self.decodingError(#"""
            {"id":"gen-p","model":"m","choices":[{"index":0,"finish_reason":"error","native_finish_reason":"error",
              "message":{"role":"assistant","content":"The capital of Fra"},
              "error":{"code":429,"message":"Rate limit exceeded","metadata":{"error_type":"rate_limit_exceeded"}}}],
             "usage":{"prompt_tokens":12,"completion_tokens":5,"cost":0.00002}}
            """#)
        #expect(error?.category == .rateLimited)
        #expect(error?.partialContent == "The capital of Fra")
        #expect(error?.message == "Rate limit exceeded")
        #expect(error?.errorType == "rate_limit_exceeded")
        #expect(error?.generationID == "gen-p")
        #expect(error?.usage?.completionTokens == 5)
        #expect(error?.usage?.cost == Decimal(string: "0.00002"))
    }

    @Test func aChoiceThatFinishedWithErrorButNoDetailIsAServerError() throws {
        let error = try Self.decodingError(#"{"id":"g","choices":[{"finish_reason":"error","message":{"content":"par"}}]}"#)
        #expect(error?.category == .server)
        #expect(error?.message == "the provider finished with an error")
        #expect(error?.partialContent == "par")
    }

    @Test func anEmptyChoicesArrayIsAnInvalidResponse() throws {
        let error = try Self.decodingError(#"{"id":"gen-0","choices":[],"usage":{"prompt_tokens":5,"completion_tokens":0}}"#)
        #expect(error?.category == .invalidResponse)
        #expect(error?.message == "the response's choices array is empty")
        #expect(error?.usage?.promptTokens == 5)
        #expect(error?.generationID == "gen-0")
    }

    @Test func anEmptyIdLeavesTheHeadersGenerationID() throws {
        // A stream folded from no chunks has `"id": ""`; its attempt must still carry the
        // header's id, by which the runner completes the attempt row it opened.
        let json = try JSONValue(parsing: Array(#"{"id":"","choices":[]}"#.utf8))
        do throws(OpenRouterError) {
            _ = try ChatResponse(json: json, generationID: "gen-header")
            Issue.record("expected an error")
        } catch {
            #expect(error.generationID == "gen-header")
        }
    }

    @Test func missingChoicesIsAnInvalidResponse() throws {
        let error = try Self.decodingError(#"{"id":"gen-0","model":"m"}"#)
        #expect(error?.category == .invalidResponse)
        #expect(error?.message == "the response has no choices array")
    }

    @Test(arguments: [
        (#"[]"#, "expected a JSON object, got array"),
        (#""hello""#, "expected a JSON object, got string"),
        (#"{"choices":{"message":{}}}"#, "the response has no choices array"),
        (#"{"choices":[{"finish_reason":"stop"}]}"#, "choices[0] has no message object"),
        (#"{"choices":[{"message":{"content":5}}]}"#, "choices[0].message.content is integer"),
        (#"{"choices":[{"message":{"tool_calls":[{"id":"c"}]}}]}"#, "choices[0].message.tool_calls[0] has no function name"),
        (#"{"choices":[{"message":{"content":"x"}}],"usage":{"prompt_tokens":-1,"completion_tokens":4}}"#, "usage.prompt_tokens is not a plausible token count"),
        (#"{"choices":[{"message":{"content":"x"}}],"usage":{"prompt_tokens":1,"completion_tokens":-4}}"#, "usage.completion_tokens is not a plausible token count"),
        (#"{"choices":[{"message":{"content":"x"}}],"usage":{"prompt_tokens":1,"completion_tokens":4,"total_tokens":-5}}"#, "usage.total_tokens is not a plausible token count"),
        (#"{"choices":[{"message":{"content":"x"}}],"usage":{"prompt_tokens":1.5,"completion_tokens":4}}"#, "usage.prompt_tokens is not a plausible token count"),
        (#"{"choices":[{"message":{"content":"x"}}],"usage":{"prompt_tokens":"10","completion_tokens":4}}"#, "usage.prompt_tokens is not a plausible token count"),
        (#"{"choices":[{"message":{"content":"x"}}],"usage":{"prompt_tokens":1,"completion_tokens":4,"prompt_tokens_details":{"cached_tokens":-1}}}"#, "usage.prompt_tokens_details.cached_tokens is not a plausible token count"),
        (#"{"choices":[{"message":{"content":"x"}}],"usage":{"prompt_tokens":1,"completion_tokens":4,"cost":"0.00014"}}"#, "usage.cost is string, not a number"),
        (#"{"choices":[{"message":{"content":"x"}}],"usage":{"prompt_tokens":1,"completion_tokens":4,"cost":-0.5}}"#, "usage.cost is not a plausible amount"),
        (#"{"choices":[{"message":{"content":"x"}}],"usage":[1,2]}"#, "usage is array, not an object"),
    ])
    func aMalformedBodyIsAnInvalidResponse(body: String, message: String) throws {
        let error = try Self.decodingError(body)
        #expect(error?.category == .invalidResponse)
        #expect(error?.message == message)
        #expect(error?.statusCode == 200)
        #expect(error?.isRetryable == false)
    }
}

/// `usage.cost` must be in 0..<1,000,000 USD; plain literals are told by their text, the
/// rest by Decimal comparison, and both must agree.
@Suite struct PlausibleCostTests {
    @Test(arguments: [
        "0", "0.0", "0.00014", "0.000140", "999999.999999999999", "999999", "1000000", "1000000.0",
        "12.5", "-0", "-0.0", "-0.00001", "1e5", "1e6", "9.99999e5", "1E-7", "0.5e1", "00001",
    ])
    func agreesWithDecimalComparison(literal: String) throws {
        let cost = try #require(Decimal(exactly: literal))
        #expect(Usage.isPlausibleCost(cost, literal: literal) == (cost >= 0 && cost < 1_000_000), "\(literal)")
    }
}
