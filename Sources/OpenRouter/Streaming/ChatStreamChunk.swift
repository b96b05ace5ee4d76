/// One `chat.completion.chunk` of a streamed completion (plan §3.2).
public struct ChatStreamChunk: Sendable, Hashable {
    public var id: String
    public var model: String
    public var provider: String?
    public var created: Int
    /// Empty in the final usage chunk.
    public var choices: [Choice]
    /// Present in the final chunk.
    public var usage: Usage?

    public struct Choice: Sendable, Hashable {
        public var index: Int
        public var delta: Delta
        public var finishReason: FinishReason?
        public var nativeFinishReason: String?
    }

    public struct Delta: Sendable, Hashable {
        public var role: String?
        public var content: String?
        public var reasoning: String?
        public var toolCalls: [ToolCallDelta]
    }

    /// A piece of a tool call; pieces with the same `index` make one call.
    public struct ToolCallDelta: Sendable, Hashable {
        public var index: Int
        public var id: String?
        public var name: String?
        /// A slice of the arguments' JSON text, to be concatenated.
        public var arguments: String?
    }
}

extension ChatStreamChunk {
    /// Reads one SSE `data` payload. An `error` member (OpenRouter's mid-stream error) throws.
    init(json: JSONValue) throws(OpenRouterError) {
        guard case .object(let body) = json else {
            throw OpenRouterError(.invalidResponse, "a stream chunk is \(json.typeName), not an object", statusCode: 200)
        }
        let id = body["id"]?.stringValue ?? ""
        if let error = body["error"], !error.isNull {
            throw OpenRouterError(carried: error, statusCode: 200, generationID: id)
        }
        var choices: [Choice] = []
        for (position, value) in (body["choices"]?.arrayValue ?? []).enumerated() {
            let delta = value["delta"]
            var toolCalls: [ToolCallDelta] = []
            for (callPosition, call) in (delta?["tool_calls"]?.arrayValue ?? []).enumerated() {
                toolCalls.append(
                    ToolCallDelta(
                        index: call["index"]?.intValue ?? callPosition,
                        id: call["id"]?.stringValue,
                        name: call["function"]?["name"]?.stringValue,
                        arguments: call["function"]?["arguments"]?.stringValue
                    )
                )
            }
            choices.append(
                Choice(
                    index: value["index"]?.intValue ?? position,
                    delta: Delta(
                        role: delta?["role"]?.stringValue,
                        content: delta?["content"]?.stringValue,
                        reasoning: delta?["reasoning"]?.stringValue,
                        toolCalls: toolCalls
                    ),
                    finishReason: value["finish_reason"]?.stringValue.map(FinishReason.init(rawValue:)),
                    nativeFinishReason: value["native_finish_reason"]?.stringValue
                )
            )
        }
        self.init(
            id: id,
            model: body["model"]?.stringValue ?? "",
            provider: body["provider"]?.stringValue,
            created: body["created"]?.intValue ?? 0,
            choices: choices,
            usage: try Usage(wire: body["usage"], generationID: id)
        )
    }
}
