/// A chat completion request.
public struct ChatRequest: Sendable, Hashable {
    public var messages: [Message]
    /// Overrides the client's default model.
    public var model: String?
    public var responseFormat: ResponseFormat?
    public var parameters: Parameters
    /// Ask for SSE. ``OpenRouterClient/chatStream(_:onAttempt:)`` sets it for you.
    public var stream: Bool
    public var tools: [Tool]?
    public var toolChoice: ToolChoice?
    /// Any other wire field, sent as given after the typed ones: OpenRouter's `models`,
    /// `provider`, `reasoning`, `plugins`, `user`, and whatever comes next.
    public var extraFields: JSONObject

    public init(
        messages: [Message],
        model: String? = nil,
        responseFormat: ResponseFormat? = nil,
        parameters: Parameters = Parameters(),
        stream: Bool = false,
        tools: [Tool]? = nil,
        toolChoice: ToolChoice? = nil,
        extraFields: JSONObject = [:]
    ) {
        self.messages = messages
        self.model = model
        self.responseFormat = responseFormat
        self.parameters = parameters
        self.stream = stream
        self.tools = tools
        self.toolChoice = toolChoice
        self.extraFields = extraFields
    }

    /// Sampling parameters (the plan's `ModelParameters`). Nil means "not sent".
    public struct Parameters: Sendable, Hashable {
        /// 0…2.
        public var temperature: Double?
        /// ≥ 1.
        public var maxTokens: Int?
        /// 0…1.
        public var topP: Double?
        /// −2…2.
        public var frequencyPenalty: Double?
        /// −2…2.
        public var presencePenalty: Double?
        /// Up to 4 sequences, none empty.
        public var stop: [String]?
        public var seed: Int?

        public init(
            temperature: Double? = nil, maxTokens: Int? = nil, topP: Double? = nil,
            frequencyPenalty: Double? = nil, presencePenalty: Double? = nil, stop: [String]? = nil, seed: Int? = nil
        ) {
            self.temperature = temperature
            self.maxTokens = maxTokens
            self.topP = topP
            self.frequencyPenalty = frequencyPenalty
            self.presencePenalty = presencePenalty
            self.stop = stop
            self.seed = seed
        }
    }
}
