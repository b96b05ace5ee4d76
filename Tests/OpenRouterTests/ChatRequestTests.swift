import Testing

@testable import OpenRouter

/// How a `ChatRequest` built with the Swift API goes on the wire (plan §4.3).
@Suite("ChatRequest wire encoding")
struct ChatRequestTests {
    static let answerSchema = PlanSchemas.answer

    @Test func thePlansExampleSerialisesExactlyAsShown() throws {
        let request = ChatRequest(
            messages: [.system("You are a helpful assistant."), .user("What is the capital of France?")],
            model: "openai/gpt-4",
            responseFormat: try .jsonSchema(name: "answer_schema", schema: Self.answerSchema),
            parameters: ChatRequest.Parameters(temperature: 0.7, maxTokens: 500)
        )
        try request.validate()
        let expected = #"{"messages":[{"role":"system","content":"You are a helpful assistant."},{"role":"user","content":"What is the capital of France?"}],"model":"openai/gpt-4","response_format":{"type":"json_schema","json_schema":{"name":"answer_schema","strict":true,"schema":{"type":"object","properties":{"answer":{"type":"string"},"confidence":{"type":"number"}},"required":["answer","confidence"],"additionalProperties":false}}},"temperature":0.7,"max_tokens":500}"#
        #expect(request.wireBody().serialized == expected)
    }

    /// `wireBodyBytes` writes the text directly; it must be the object's serialisation, byte
    /// for byte, for every kind of field (the order is given once, for both).
    @Test func wireBodyBytesAreTheSerialisedWireBody() throws {
        let history: [Message] = [
            .system("Be \"brief\".\n"), Message(role: .user, content: .parts([["type": "text", "text": "Describe"], ["type": "image_url", "image_url": ["url": "https://example.com/a.png"]]]), name: "ann"),
            .assistant(toolCalls: [ToolCall(id: "call_1", name: "get_weather", arguments: #"{"city":"Paris"}"#)]),
            .tool(callID: "call_1", content: "22°C", name: "get_weather"), .user("ünïcödé \u{2028} \u{1}"),
        ]
        let requests = [
            ChatRequest(messages: [.user("Hi")]),
            ChatRequest(messages: history, model: "m/x", parameters: ChatRequest.Parameters(
                temperature: 0.5, maxTokens: 100, topP: 0.9, frequencyPenalty: -1.5, presencePenalty: 1.25, stop: ["END"], seed: 42)),
            ChatRequest(
                messages: [.user("Hi")], model: "m/x", responseFormat: try .jsonSchema(name: "answer_schema", schema: Self.answerSchema),
                tools: [Tool(name: "get_weather", description: "Weather", strict: true)], toolChoice: .function("get_weather"),
                // An extra field never overrides a typed one, in either form.
                extraFields: ["model": "other/model", "provider": ["order": ["openai"]], "max_completion_tokens": 9, "stream": false]),
        ]
        for (index, var request) in requests.enumerated() {
            for stream in [false, true] {
                request.stream = stream
                for defaultModel in [nil, "d/efault"] {
                    let bytes = request.wireBodyBytes(defaultModel: defaultModel)
                    #expect(bytes == request.wireBody(defaultModel: defaultModel).serializedBytes, "request \(index)")
                    #expect(try JSONValue(parsing: String(decoding: bytes, as: UTF8.self)) == .object(request.wireBody(defaultModel: defaultModel)))
                }
            }
        }
        #expect(String(decoding: requests[2].wireBodyBytes(), as: UTF8.self).contains(#""model":"m/x""#))
        #expect(!String(decoding: requests[2].wireBodyBytes(), as: UTF8.self).contains("other/model"))
    }

    @Test func helperMethodsBuildMessagesWithTheirRoles() {
        let system = Message.system("Be brief.")
        let user = Message.user("Hi")
        let assistant = Message.assistant("Hello!")
        let tool = Message.tool(callID: "call_1", content: "22°C", name: "get_weather")
        #expect(system.role == .system && system.content == .text("Be brief."))
        #expect(user.role == .user && user.content == .text("Hi"))
        #expect(assistant.role == .assistant && assistant.content == .text("Hello!"))
        #expect(tool.role == .tool && tool.toolCallID == "call_1" && tool.name == "get_weather")
        #expect(system.wireValue.serialized == #"{"role":"system","content":"Be brief."}"#)
        #expect(user.wireValue.serialized == #"{"role":"user","content":"Hi"}"#)
        #expect(assistant.wireValue.serialized == #"{"role":"assistant","content":"Hello!"}"#)
        #expect(tool.wireValue.serialized == #"{"role":"tool","content":"22°C","name":"get_weather","tool_call_id":"call_1"}"#)
    }

    @Test func anAssistantTurnWithToolCallsSendsNullContentAndItsCalls() {
        let turn = Message.assistant(toolCalls: [ToolCall(id: "call_1", name: "get_weather", arguments: #"{"city":"Paris"}"#)])
        #expect(turn.wireValue.serialized == #"{"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}}]}"#)
    }

    @Test func aConversationHistoryKeepsItsOrder() {
        let request = ChatRequest(
            messages: [.system("S"), .user("Q1"), .assistant("A1"), .user("Q2")],
            model: "m/x"
        )
        let roles = request.wireBody()["messages"]?.arrayValue?.compactMap { $0["role"]?.stringValue }
        #expect(roles == ["system", "user", "assistant", "user"])
    }

    @Test func everyParameterGoesOnTheWireWithItsSnakeCaseName() {
        let parameters = ChatRequest.Parameters(
            temperature: 0.5, maxTokens: 100, topP: 0.9, frequencyPenalty: -1.5, presencePenalty: 1.25, stop: ["END", "--"], seed: 42
        )
        let request = ChatRequest(messages: [.user("Hi")], model: "m/x", parameters: parameters)
        #expect(request.wireBody().serialized == #"{"messages":[{"role":"user","content":"Hi"}],"model":"m/x","temperature":0.5,"max_tokens":100,"top_p":0.9,"frequency_penalty":-1.5,"presence_penalty":1.25,"stop":["END","--"],"seed":42}"#)
    }

    @Test func unsetParametersAreNotSent() {
        let body = ChatRequest(messages: [.user("Hi")], model: "m/x").wireBody()
        #expect(body.keys == ["messages", "model"])
    }

    @Test func theDefaultModelFillsInWhenTheRequestNamesNone() {
        let request = ChatRequest(messages: [.user("Hi")])
        #expect(request.wireBody(defaultModel: "openai/gpt-4o-mini")["model"] == "openai/gpt-4o-mini")
        #expect(request.wireBody()["model"] == nil)
        let named = ChatRequest(messages: [.user("Hi")], model: "anthropic/claude-3.5-sonnet")
        #expect(named.wireBody(defaultModel: "openai/gpt-4o-mini")["model"] == "anthropic/claude-3.5-sonnet")
    }

    @Test func streamIsSentOnlyWhenSet() {
        var request = ChatRequest(messages: [.user("Hi")], model: "m/x")
        #expect(request.wireBody()["stream"] == nil)
        request.stream = true
        #expect(request.wireBody()["stream"] == true)
    }

    @Test func jsonObjectAndTextFormatsGoOnTheWire() {
        let json = ChatRequest(messages: [.user("Hi")], model: "m/x", responseFormat: .jsonObject)
        #expect(json.wireBody()["response_format"]?.serialized == #"{"type":"json_object"}"#)
        let text = ChatRequest(messages: [.user("Hi")], model: "m/x", responseFormat: .text)
        #expect(text.wireBody()["response_format"]?.serialized == #"{"type":"text"}"#)
    }

    @Test func aSchemaFormatCarriesItsDescriptionAndNonStrictMode() throws {
        let format = try ResponseFormat.jsonSchema(name: "a", schema: ["type": "object"], description: "An answer", strict: false)
        let request = ChatRequest(messages: [.user("Hi")], model: "m/x", responseFormat: format)
        #expect(request.wireBody()["response_format"]?.serialized == #"{"type":"json_schema","json_schema":{"name":"a","description":"An answer","strict":false,"schema":{"type":"object"}}}"#)
    }

    static let weatherTool = Tool(
        name: "get_weather",
        description: "Current weather",
        parameters: ["type": "object", "properties": ["city": ["type": "string"]], "required": ["city"]]
    )

    @Test func toolsGoOnTheWireAsFunctions() {
        let request = ChatRequest(messages: [.user("Weather?")], model: "m/x", tools: [Self.weatherTool, .function("noop")])
        #expect(request.wireBody()["tools"]?.serialized == #"[{"type":"function","function":{"name":"get_weather","description":"Current weather","parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}},{"type":"function","function":{"name":"noop","parameters":{"type":"object","properties":{}}}}]"#)
    }

    @Test func aStrictToolSendsItsStrictFlag() {
        let tool = Tool(name: "t", parameters: ["type": "object", "properties": [:], "additionalProperties": false], strict: true)
        let request = ChatRequest(messages: [.user("Hi")], model: "m/x", tools: [tool])
        #expect(request.wireBody()["tools"]?[0]?["function"]?["strict"] == true)
    }

    @Test(arguments: [
        (ToolChoice.none, #""none""#),
        (ToolChoice.auto, #""auto""#),
        (ToolChoice.required, #""required""#),
        (ToolChoice.function("get_weather"), #"{"type":"function","function":{"name":"get_weather"}}"#),
    ])
    func everyToolChoiceFormGoesOnTheWire(choice: ToolChoice, wire: String) {
        let request = ChatRequest(messages: [.user("Hi")], model: "m/x", tools: [Self.weatherTool], toolChoice: choice)
        let body = request.wireBody()
        #expect(body["tool_choice"]?.serialized == wire)
        #expect(body.keys.suffix(2) == ["tools", "tool_choice"])
    }

    @Test func aToolResultMessageCarriesTheCallItAnswers() {
        let request = ChatRequest(
            messages: [
                .user("Weather in Paris?"),
                .assistant(toolCalls: [ToolCall(id: "call_9", name: "get_weather", arguments: #"{"city":"Paris"}"#)]),
                .tool(callID: "call_9", content: #"{"temp":21}"#),
            ],
            model: "m/x",
            tools: [Self.weatherTool]
        )
        let messages = request.wireBody()["messages"]?.arrayValue ?? []
        #expect(messages.count == 3)
        #expect(messages[2].serialized == #"{"role":"tool","content":"{\"temp\":21}","tool_call_id":"call_9"}"#)
    }

    @Test func extraFieldsArePassedThroughAfterTheTypedOnes() {
        let request = ChatRequest(
            messages: [.user("Hi")],
            model: "openai/gpt-4o",
            parameters: .init(temperature: 0),
            extraFields: [
                "models": ["openai/gpt-4o", "anthropic/claude-3.5-sonnet"],
                "provider": ["order": ["OpenAI"], "require_parameters": true],
            ]
        )
        #expect(request.wireBody().serialized == #"{"messages":[{"role":"user","content":"Hi"}],"model":"openai/gpt-4o","temperature":0,"models":["openai/gpt-4o","anthropic/claude-3.5-sonnet"],"provider":{"order":["OpenAI"],"require_parameters":true}}"#)
    }

    @Test func anExtraFieldNeverOverridesATypedOne() {
        let request = ChatRequest(messages: [.user("Hi")], model: "m/typed", extraFields: ["model": "m/extra", "user": "u1"])
        let body = request.wireBody()
        #expect(body["model"] == "m/typed")
        #expect(body["user"] == "u1")
    }

    @Test func contentPartsArePassedThroughAsGiven() {
        let parts: [JSONValue] = [["type": "text", "text": "What is this?"], ["type": "image_url", "image_url": ["url": "https://example.com/a.png"]]]
        let message = Message(role: .user, content: .parts(parts))
        #expect(message.wireValue.serialized == #"{"role":"user","content":[{"type":"text","text":"What is this?"},{"type":"image_url","image_url":{"url":"https://example.com/a.png"}}]}"#)
        #expect(message.text == "What is this?")
    }
}
