import Testing

@testable import OpenRouter

/// `ChatRequest(wire:)`: reading a request as a job file spells it.
@Suite("ChatRequest(wire:)")
struct ChatRequestWireDecodingTests {
    static func object(_ text: String) throws -> JSONObject {
        try #require(try JSONValue(parsing: text).objectValue)
    }

    static func decodingError(_ text: String) throws -> OpenRouterError? {
        let body = try object(text)
        return #expect(throws: OpenRouterError.self) { try ChatRequest(wire: body) }
    }

    @Test func thePlansExampleRoundTripsExactly() throws {
        let text = #"{"messages":[{"role":"system","content":"You are a helpful assistant."},{"role":"user","content":"What is the capital of France?"}],"model":"openai/gpt-4","response_format":{"type":"json_schema","json_schema":{"name":"answer_schema","strict":true,"schema":{"type":"object","properties":{"answer":{"type":"string"},"confidence":{"type":"number"}},"required":["answer","confidence"],"additionalProperties":false}}},"temperature":0.7,"max_tokens":500}"#
        let request = try ChatRequest(wire: Self.object(text))
        #expect(request.messages == [.system("You are a helpful assistant."), .user("What is the capital of France?")])
        #expect(request.model == "openai/gpt-4")
        #expect(request.parameters == ChatRequest.Parameters(temperature: 0.7, maxTokens: 500))
        guard case .jsonSchema(let format)? = request.responseFormat else {
            Issue.record("expected a json_schema format, got \(String(describing: request.responseFormat))")
            return
        }
        #expect(format.name == "answer_schema" && format.strict)
        #expect(format.schema == ChatRequestTests.answerSchema)
        #expect(request.extraFields.isEmpty)
        #expect(request.wireBody() == (try Self.object(text)))
    }

    @Test func everyTypedFieldRoundTrips() throws {
        let original = ChatRequest(
            messages: [
                .system("S"),
                .user("Weather?"),
                .assistant(toolCalls: [ToolCall(id: "c1", name: "get_weather", arguments: #"{"city":"Oslo"}"#)]),
                .tool(callID: "c1", content: "cold", name: "get_weather"),
                Message(role: .developer, content: .text("D"), name: "dev"),
            ],
            model: "m/x",
            responseFormat: .jsonObject,
            parameters: .init(temperature: 1.5, maxTokens: 7, topP: 0.25, frequencyPenalty: 2, presencePenalty: -2, stop: ["a"], seed: 3),
            stream: true,
            tools: [ChatRequestTests.weatherTool, Tool(name: "t2", strict: false)],
            toolChoice: .function("get_weather"),
            extraFields: ["models": ["m/x", "m/y"], "provider": ["sort": "price"], "reasoning": ["effort": "high"]]
        )
        let decoded = try ChatRequest(wire: original.wireBody())
        #expect(decoded == original)
        #expect(decoded.wireBody() == original.wireBody())
    }

    @Test(arguments: [ToolChoice.none, .auto, .required, .function("get_weather")])
    func everyToolChoiceFormRoundTrips(choice: ToolChoice) throws {
        let original = ChatRequest(messages: [.user("Hi")], model: "m/x", tools: [ChatRequestTests.weatherTool], toolChoice: choice)
        #expect(try ChatRequest(wire: original.wireBody()).toolChoice == choice)
    }

    @Test func unknownFieldsAreKeptAsExtraFieldsInOrder() throws {
        let request = try ChatRequest(wire: Self.object(#"{"messages":[{"role":"user","content":"Hi"}],"user":"u-1","plugins":[{"id":"web"}],"models":["a/b"],"provider":{"only":["OpenAI"]}}"#))
        #expect(request.extraFields.keys == ["user", "plugins", "models", "provider"])
        #expect(request.extraFields["plugins"] == [["id": "web"]])
    }

    @Test func aSingleStopStringBecomesAList() throws {
        let request = try ChatRequest(wire: Self.object(#"{"messages":[{"role":"user","content":"Hi"}],"stop":"END"}"#))
        #expect(request.parameters.stop == ["END"])
    }

    @Test func anIntegralFloatIsAcceptedForAnIntegerField() throws {
        let request = try ChatRequest(wire: Self.object(#"{"messages":[{"role":"user","content":"Hi"}],"max_tokens":100.0}"#))
        #expect(request.parameters.maxTokens == 100)
    }

    @Test func nOfOneIsAcceptedAndDropped() throws {
        let request = try ChatRequest(wire: Self.object(#"{"messages":[{"role":"user","content":"Hi"}],"n":1}"#))
        #expect(request.extraFields["n"] == nil)
    }

    @Test func maxCompletionTokensIsCheckedAndPassedThrough() throws {
        let request = try ChatRequest(wire: Self.object(#"{"messages":[{"role":"user","content":"Hi"}],"max_completion_tokens":64}"#))
        #expect(request.extraFields["max_completion_tokens"] == 64)
        let error = try Self.decodingError(#"{"messages":[{"role":"user","content":"Hi"}],"max_completion_tokens":0}"#)
        #expect(error?.category == .validation)
        #expect(error?.message == "max_completion_tokens: must be at least 1, got 0")
    }

    // MARK: Errors

    @Test(arguments: [
        (#"{"model":"m/x"}"#, "messages: missing (a non-empty array of messages is required)"),
        (#"{"messages":"Hi"}"#, "messages: expected an array, got string"),
        (#"{"messages":["Hi"]}"#, "messages[0]: expected a message object, got string"),
        (#"{"messages":[{"content":"Hi"}]}"#, "messages[0].role: missing"),
        (#"{"messages":[{"role":"user","content":"Hi"},{"role":"bot","content":"Hi"}]}"#, #"messages[1].role: unknown role "bot" (expected one of system, developer, user, assistant, tool)"#),
        (#"{"messages":[{"role":7,"content":"Hi"}]}"#, "messages[0].role: expected a string, got integer"),
        (#"{"messages":[{"role":"user","content":42}]}"#, "messages[0].content: expected a string or an array of parts, got integer"),
        (#"{"messages":[{"role":"user","content":[{"text":"x"}]}]}"#, #"messages[0].content[0]: expected a content part object with a "type""#),
        (#"{"messages":[{"role":"user","content":"Hi"}],"model":4}"#, "model: expected a string, got integer"),
        (#"{"messages":[{"role":"user","content":"Hi"}],"temperature":"hot"}"#, "temperature: expected a number, got string"),
        (#"{"messages":[{"role":"user","content":"Hi"}],"max_tokens":1.5}"#, "max_tokens: expected an integer, got 1.5"),
        (#"{"messages":[{"role":"user","content":"Hi"}],"stream":"yes"}"#, "stream: expected true or false, got string"),
        (#"{"messages":[{"role":"user","content":"Hi"}],"stop":[1]}"#, "stop[0]: expected a string, got integer"),
        (#"{"messages":[{"role":"user","content":"Hi"}],"stop":3}"#, "stop: expected a string or an array of strings, got integer"),
        (#"{"messages":[{"role":"user","content":"Hi"}],"n":2}"#, "n: 2 completions per job are not supported (only 1)"),
        (#"{"messages":[{"role":"user","content":"Hi"}],"response_format":{"type":"yaml"}}"#, #"response_format.type: expected "text", "json_object" or "json_schema", got "yaml""#),
        (#"{"messages":[{"role":"user","content":"Hi"}],"response_format":{"type":"json_schema"}}"#, "response_format.json_schema: missing or not an object"),
        (#"{"messages":[{"role":"user","content":"Hi"}],"response_format":{"type":"json_schema","json_schema":{"schema":{}}}}"#, "response_format.json_schema.name: missing"),
        (#"{"messages":[{"role":"user","content":"Hi"}],"response_format":{"type":"json_schema","json_schema":{"name":"a"}}}"#, "response_format.json_schema.schema: missing"),
        (#"{"messages":[{"role":"user","content":"Hi"}],"tools":[{"type":"retrieval"}]}"#, #"tools[0].type: expected "function""#),
        (#"{"messages":[{"role":"user","content":"Hi"}],"tools":[{"type":"function","function":{}}]}"#, "tools[0].function.name: missing"),
        (#"{"messages":[{"role":"user","content":"Hi"}],"tool_choice":"any"}"#, #"tool_choice: expected "none", "auto", "required" or a function object"#),
        (#"{"messages":[{"role":"user","content":"Hi"}],"tool_choice":{"type":"function"}}"#, #"tool_choice: expected {"type": "function", "function": {"name": …}}"#),
        (#"{"messages":[{"role":"user","content":"Hi"}],"models":["a/b",""]}"#, "models[1]: expected a model id string"),
        (#"{"messages":[{"role":"user","content":"Hi"}],"provider":"OpenAI"}"#, "provider: expected an object, got string"),
    ])
    func aMalformedFieldIsAValidationErrorNamingIt(body: String, message: String) throws {
        let error = try Self.decodingError(body)
        #expect(error?.category == .validation)
        #expect(error?.message == message)
    }

    @Test func aLongUnknownRoleIsCutInTheMessage() throws {
        let role = String(repeating: "r", count: 500)
        let error = try Self.decodingError(#"{"messages":[{"role":"\#(role)","content":"Hi"}]}"#)
        #expect(error?.message.contains(String(repeating: "r", count: 64) + "…") == true)
        #expect(error?.message.contains(String(repeating: "r", count: 65)) == false)
    }
}
