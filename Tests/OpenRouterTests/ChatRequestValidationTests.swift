import Testing

@testable import OpenRouter

/// `ChatRequest.validate()` (plan §4.6): every rule, with its exact category and message.
@Suite("ChatRequest.validate()")
struct ChatRequestValidationTests {
    static func request(
        _ messages: [Message] = [.user("Hi")],
        model: String? = "openai/gpt-4o",
        parameters: ChatRequest.Parameters = .init(),
        responseFormat: ResponseFormat? = nil,
        tools: [Tool]? = nil,
        toolChoice: ToolChoice? = nil
    ) -> ChatRequest {
        ChatRequest(messages: messages, model: model, responseFormat: responseFormat, parameters: parameters, tools: tools, toolChoice: toolChoice)
    }

    static func validationError(_ request: ChatRequest, defaultModel: String? = nil) -> OpenRouterError? {
        #expect(throws: OpenRouterError.self) { try request.validate(defaultModel: defaultModel) }
    }

    static func expectValidationError(_ request: ChatRequest, _ message: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let error = validationError(request)
        #expect(error?.category == .validation, sourceLocation: sourceLocation)
        #expect(error?.message == message, sourceLocation: sourceLocation)
        #expect(error?.isRetryable == false, sourceLocation: sourceLocation)
    }

    @Test func aWellFormedRequestPasses() throws {
        try Self.request([.system("S"), .user("Q"), .assistant("A"), .user("Q2")]).validate()
    }

    // MARK: Messages

    @Test func emptyMessagesAreRejected() {
        Self.expectValidationError(Self.request([]), "messages: must not be empty")
    }

    @Test func aToolMessageWithoutItsCallIDIsRejected() {
        let message = Message(role: .tool, content: .text("22°C"))
        Self.expectValidationError(Self.request([.user("Hi"), message]), "messages[1].tool_call_id: a tool message must name the call it answers")
        let empty = Message(role: .tool, content: .text("22°C"), toolCallID: "")
        Self.expectValidationError(Self.request([empty]), "messages[0].tool_call_id: a tool message must name the call it answers")
    }

    @Test func aToolMessageWithoutContentIsRejected() {
        Self.expectValidationError(Self.request([Message(role: .tool, content: nil, toolCallID: "c1")]), "messages[0].content: missing")
    }

    @Test(arguments: [Message.Role.system, .developer, .user])
    func aMessageWithoutContentIsRejected(role: Message.Role) {
        Self.expectValidationError(Self.request([.user("Hi"), .user("Hi"), Message(role: role, content: nil)]), "messages[2].content: missing")
    }

    @Test func anAssistantMessageNeedsContentOrToolCalls() throws {
        Self.expectValidationError(Self.request([Message(role: .assistant, content: nil)]), "messages[0].content: an assistant message needs content or tool_calls")
        Self.expectValidationError(Self.request([Message(role: .assistant, content: nil, toolCalls: [])]), "messages[0].content: an assistant message needs content or tool_calls")
        try Self.request([.user("Q"), .assistant(toolCalls: [ToolCall(id: "c", name: "f", arguments: "{}")]), .tool(callID: "c", content: "ok")]).validate()
    }

    @Test func anEmptyArrayOfPartsIsRejected() {
        Self.expectValidationError(Self.request([Message(role: .user, content: .parts([]))]), "messages[0].content: an empty array of parts")
    }

    @Test func anUnknownRoleInAJobIsRejectedBeforeValidation() throws {
        let body = try #require(try JSONValue(parsing: #"{"messages":[{"role":"admin","content":"Hi"}],"model":"m/x"}"#).objectValue)
        let error = #expect(throws: OpenRouterError.self) { try ChatRequest(wire: body) }
        #expect(error?.category == .validation)
        #expect(error?.message == #"messages[0].role: unknown role "admin" (expected one of system, developer, user, assistant, tool)"#)
    }

    // MARK: Model

    @Test func aMissingModelIsRejected() {
        Self.expectValidationError(Self.request(model: nil), "model: missing (name one in the request or set a default model)")
    }

    @Test func theDefaultModelStandsInForAMissingOne() throws {
        try Self.request(model: nil).validate(defaultModel: "openai/gpt-4o-mini")
    }

    @Test func aBadDefaultModelIsRejectedToo() {
        let error = Self.validationError(Self.request(model: nil), defaultModel: "gpt 4")
        #expect(error?.category == .validation)
        #expect(error?.message == #"model: "gpt 4" is not a model id"#)
    }

    @Test func anEmptyOrSpacedModelIdIsRejected() {
        Self.expectValidationError(Self.request(model: ""), #"model: "" is not a model id"#)
        Self.expectValidationError(Self.request(model: "openai/gpt 4o"), #"model: "openai/gpt 4o" is not a model id"#)
    }

    // MARK: Parameters

    @Test(arguments: [
        (ChatRequest.Parameters(temperature: 2.5), "temperature: 2.5 is out of range 0.0…2.0"),
        (ChatRequest.Parameters(temperature: -0.1), "temperature: -0.1 is out of range 0.0…2.0"),
        (ChatRequest.Parameters(temperature: .nan), "temperature: nan is out of range 0.0…2.0"),
        (ChatRequest.Parameters(topP: 1.01), "top_p: 1.01 is out of range 0.0…1.0"),
        (ChatRequest.Parameters(topP: -1), "top_p: -1.0 is out of range 0.0…1.0"),
        (ChatRequest.Parameters(frequencyPenalty: 2.5), "frequency_penalty: 2.5 is out of range -2.0…2.0"),
        (ChatRequest.Parameters(frequencyPenalty: -2.5), "frequency_penalty: -2.5 is out of range -2.0…2.0"),
        (ChatRequest.Parameters(presencePenalty: 3), "presence_penalty: 3.0 is out of range -2.0…2.0"),
        (ChatRequest.Parameters(presencePenalty: -3), "presence_penalty: -3.0 is out of range -2.0…2.0"),
        (ChatRequest.Parameters(maxTokens: 0), "max_tokens: must be at least 1, got 0"),
        (ChatRequest.Parameters(maxTokens: -5), "max_tokens: must be at least 1, got -5"),
        (ChatRequest.Parameters(stop: ["a", "b", "c", "d", "e"]), "stop: at most 4 sequences, got 5"),
        (ChatRequest.Parameters(stop: ["a", ""]), "stop: sequences must not be empty"),
    ])
    func aParameterOutOfRangeIsRejected(parameters: ChatRequest.Parameters, message: String) {
        Self.expectValidationError(Self.request(parameters: parameters), message)
    }

    @Test func parametersAtTheEdgesOfTheirRangesPass() throws {
        try Self.request(parameters: .init(temperature: 0, maxTokens: 1, topP: 0, frequencyPenalty: -2, presencePenalty: 2, stop: ["a", "b", "c", "d"])).validate()
        try Self.request(parameters: .init(temperature: 2, topP: 1, frequencyPenalty: 2, presencePenalty: -2, stop: [])).validate()
    }

    // MARK: Response format

    @Test func aBadSchemaNameIsRejected() {
        let format = ResponseFormat.jsonSchema(JSONSchemaFormat(name: "answer schema", schema: ["type": "object"]))
        Self.expectValidationError(Self.request(responseFormat: format), #"response_format.json_schema.name: "answer schema" must be 1-64 letters, digits, '_' or '-'"#)
        let long = ResponseFormat.jsonSchema(JSONSchemaFormat(name: String(repeating: "n", count: 65), schema: ["type": "object"]))
        #expect(Self.validationError(Self.request(responseFormat: long))?.category == .validation)
    }

    @Test func theFormatFactoryRejectsABadName() {
        let error = #expect(throws: OpenRouterError.self) { try ResponseFormat.jsonSchema(name: "", schema: ["type": "object"]) }
        #expect(error?.category == .validation)
        #expect(error?.message == #"response_format.json_schema.name: "" must be 1-64 letters, digits, '_' or '-'"#)
    }

    @Test func aSchemaThatIsNotAnObjectIsRejected() {
        let format = ResponseFormat.jsonSchema(JSONSchemaFormat(name: "answer", schema: "object"))
        Self.expectValidationError(Self.request(responseFormat: format), "response_format.json_schema.schema: schema must be a JSON object, got string")
    }

    @Test func aSchemaWithAnUnknownTypeIsRejectedWithItsPath() {
        let schema: JSONValue = ["type": "object", "properties": ["answer": ["type": "strnig"]], "required": ["answer"], "additionalProperties": false]
        let format = ResponseFormat.jsonSchema(JSONSchemaFormat(name: "answer", schema: schema))
        Self.expectValidationError(Self.request(responseFormat: format), #"response_format.json_schema.schema/properties/answer/type: unknown type "strnig""#)
    }

    @Test func theFormatFactoryRejectsAMalformedSchema() {
        let error = #expect(throws: OpenRouterError.self) { try ResponseFormat.jsonSchema(name: "answer", schema: ["type": "object", "properties": ["a": ["type": "strnig"]], "required": ["a"], "additionalProperties": false]) }
        #expect(error?.category == .validation)
        #expect(error?.message == #"response_format.json_schema.schema/properties/a/type: unknown type "strnig""#)
    }

    @Test func aStrictSchemaMustForbidAdditionalProperties() throws {
        let schema: JSONValue = ["type": "object", "properties": ["answer": ["type": "string"]], "required": ["answer"]]
        let strict = ResponseFormat.jsonSchema(JSONSchemaFormat(name: "answer", strict: true, schema: schema))
        Self.expectValidationError(Self.request(responseFormat: strict), #"response_format.json_schema.schema: strict mode: object schema must set "additionalProperties": false"#)
        let lax = ResponseFormat.jsonSchema(JSONSchemaFormat(name: "answer", strict: false, schema: schema))
        try Self.request(responseFormat: lax).validate()
    }

    @Test func aMalformedToolSchemaIsRejectedWithItsPath() {
        let tool = Tool(name: "t", parameters: ["type": "object", "properties": ["x": ["type": 5]]])
        let error = Self.validationError(Self.request(tools: [tool]))
        #expect(error?.category == .validation)
        #expect(error?.message.hasPrefix("tools[0].function.parameters/properties/x/type: ") == true, "\(String(describing: error?.message))")
    }

    // MARK: Tools

    static let weather = ChatRequestTests.weatherTool

    @Test func aBadToolNameIsRejected() {
        Self.expectValidationError(Self.request(tools: [Tool(name: "get weather")]), #"tools[0].function.name: "get weather" must be 1-64 letters, digits, '_' or '-'"#)
        Self.expectValidationError(Self.request(tools: [Self.weather, Tool(name: "")]), #"tools[1].function.name: "" must be 1-64 letters, digits, '_' or '-'"#)
        Self.expectValidationError(Self.request(tools: [Tool(name: "ünïcode")]), #"tools[0].function.name: "ünïcode" must be 1-64 letters, digits, '_' or '-'"#)
    }

    @Test func toolParametersMustBeASchemaObject() {
        Self.expectValidationError(Self.request(tools: [Tool(name: "t", parameters: "object")]), "tools[0].function.parameters: expected a JSON Schema object, got string")
    }

    @Test func aToolDefinedTwiceIsRejected() {
        Self.expectValidationError(Self.request(tools: [Self.weather, .function("noop"), Self.weather]), #"tools[2].function.name: "get_weather" is defined twice"#)
    }

    @Test func aToolChoiceNamingAMissingToolIsRejected() {
        Self.expectValidationError(Self.request(tools: [Self.weather], toolChoice: .function("lookup")), #"tool_choice: names "lookup", which is not among the tools"#)
    }

    @Test func requiredOrNamedToolChoiceNeedsTools() {
        Self.expectValidationError(Self.request(toolChoice: .required), "tool_choice: requires at least one tool in tools")
        Self.expectValidationError(Self.request(tools: [], toolChoice: .function("get_weather")), "tool_choice: requires at least one tool in tools")
    }

    @Test(arguments: [ToolChoice.none, .auto, .required, .function("get_weather")])
    func everyToolChoiceFormPassesWithItsTool(choice: ToolChoice) throws {
        try Self.request(tools: [Self.weather], toolChoice: choice).validate()
    }

    @Test func noneAndAutoPassWithoutTools() throws {
        try Self.request(toolChoice: ToolChoice.none).validate()
        try Self.request(toolChoice: .auto).validate()
    }
}
