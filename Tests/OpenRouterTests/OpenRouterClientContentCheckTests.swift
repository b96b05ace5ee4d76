import Testing

@testable import OpenRouter

/// What `chat` checks after a 200: filtered output, and JSON content against the requested format.
@Suite("OpenRouterClient content checks")
struct OpenRouterClientContentCheckTests {
    static let client = try! OpenRouterClient(apiKey: "sk-or-v1-0000000000000000")

    static func response(content: String?, finishReason: String = "stop", toolCalls: String? = nil) throws -> ChatResponse {
        var message: JSONObject = ["role": "assistant", "content": content.map(JSONValue.string) ?? .null]
        if let toolCalls { message["tool_calls"] = try JSONValue(parsing: toolCalls) }
        let body: JSONValue = [
            "id": "gen-c", "model": "m/x",
            "choices": [["index": 0, "finish_reason": .string(finishReason), "message": .object(message)]],
            "usage": ["prompt_tokens": 5, "completion_tokens": 7],
        ]
        return try ChatResponse(json: body)
    }

    static func request(_ format: ResponseFormat?) -> ChatRequest {
        ChatRequest(messages: [.user("Hi")], model: "m/x", responseFormat: format)
    }

    static func checkError(_ response: ChatResponse, _ format: ResponseFormat?) -> OpenRouterError? {
        #expect(throws: OpenRouterError.self) { try client.checkContent(of: response, for: request(format)) }
    }

    static let itemsSchema: JSONValue = [
        "type": "object",
        "properties": ["items": ["type": "array", "items": ["type": "object", "properties": ["name": ["type": "string"]], "required": ["name"], "additionalProperties": false]]],
        "required": ["items"],
        "additionalProperties": false,
    ]

    @Test func plainTextPassesWithoutAFormatOrWithText() throws {
        let response = try Self.response(content: "Paris")
        try Self.client.checkContent(of: response, for: Self.request(nil))
        try Self.client.checkContent(of: response, for: Self.request(.text))
    }

    @Test func filteredOutputIsAContentFilterError() throws {
        let error = Self.checkError(try Self.response(content: "I can't", finishReason: "content_filter"), nil)
        #expect(error?.category == .contentFilter)
        #expect(error?.message == "the output was stopped by a content filter")
        #expect(error?.partialContent == "I can't")
        #expect(error?.usage?.completionTokens == 7)
        #expect(error?.generationID == "gen-c")
        #expect(error?.isRetryable == false)
    }

    @Test func aJSONObjectPassesWhenJSONObjectWasAskedFor() throws {
        try Self.client.checkContent(of: try Self.response(content: #"{"a":1}"#), for: Self.request(.jsonObject))
    }

    @Test(arguments: ["[1,2]", "not json", "\"text\"", ""])
    func anythingButAnObjectFailsAJSONObjectRequest(content: String) throws {
        let error = Self.checkError(try Self.response(content: content), .jsonObject)
        #expect(error?.category == .schemaViolation)
        #expect(error?.path == "$")
        #expect(error?.partialContent == content)
    }

    @Test func aMatchingInstancePassesTheSchema() throws {
        let format = try ResponseFormat.jsonSchema(name: "list", schema: Self.itemsSchema)
        try Self.client.checkContent(of: try Self.response(content: #"{"items":[{"name":"a"},{"name":"b"}]}"#), for: Self.request(format))
    }

    @Test func aNestedViolationNamesItsPath() throws {
        let format = try ResponseFormat.jsonSchema(name: "list", schema: Self.itemsSchema)
        let error = Self.checkError(try Self.response(content: #"{"items":[{"name":"a"},{"name":2}]}"#), format)
        #expect(error?.category == .schemaViolation)
        #expect(error?.path == "$.items[1].name")
        #expect(error?.message == "the content does not match schema 'list': expected string, got integer")
        #expect(error.map { "\($0)" } == "schema_violation: the content does not match schema 'list': expected string, got integer (HTTP 200) at $.items[1].name")
    }

    @Test func contentThatIsNotJSONFailsTheSchema() throws {
        let format = try ResponseFormat.jsonSchema(name: "list", schema: Self.itemsSchema)
        let error = Self.checkError(try Self.response(content: #"{"items":[{"name":"a"}"#, finishReason: "length"), format)
        #expect(error?.category == .schemaViolation)
        #expect(error?.path == "$")
        #expect(error?.message.hasPrefix("the content is not valid JSON (") == true)
        #expect(error?.message.hasSuffix(" (the output was cut off by max_tokens)") == true)
    }

    @Test func toolCallsAreNotCheckedAgainstTheResponseFormat() throws {
        let response = try Self.response(content: nil, finishReason: "tool_calls", toolCalls: #"[{"id":"c","type":"function","function":{"name":"f","arguments":"{}"}}]"#)
        try Self.client.checkContent(of: response, for: Self.request(.jsonObject))
    }
}
