/// Folds stream chunks into the ``ChatResponse`` that `chat` would have returned: content
/// concatenated, tool-call pieces assembled by index, the last finish reason and the usage.
public struct ChatStreamAccumulator: Sendable {
    private struct ChoiceState: Sendable {
        var role = "assistant"
        var content = ""
        var hasContent = false
        var reasoning = ""
        var toolCalls: [Int: (id: String, name: String, arguments: String)] = [:]
        var finishReason: FinishReason?
        var nativeFinishReason: String?
    }

    private var choices: [Int: ChoiceState] = [:]
    public private(set) var id = ""
    public private(set) var model = ""
    public private(set) var provider: String?
    public private(set) var created = 0
    public private(set) var usage: Usage?

    public init() {}

    /// Adds one chunk.
    public mutating func add(_ chunk: ChatStreamChunk) {
        if !chunk.id.isEmpty { id = chunk.id }
        if !chunk.model.isEmpty { model = chunk.model }
        if let chunkProvider = chunk.provider { provider = chunkProvider }
        if chunk.created != 0 { created = chunk.created }
        if let chunkUsage = chunk.usage { usage = chunkUsage }
        for choice in chunk.choices {
            var state = choices[choice.index] ?? ChoiceState()
            if let role = choice.delta.role { state.role = role }
            if let content = choice.delta.content, !content.isEmpty {
                state.content += content
                state.hasContent = true
            }
            if let reasoning = choice.delta.reasoning { state.reasoning += reasoning }
            for call in choice.delta.toolCalls {
                var entry = state.toolCalls[call.index] ?? ("", "", "")
                if let callID = call.id { entry.id = callID }
                if let name = call.name { entry.name += name }
                if let arguments = call.arguments { entry.arguments += arguments }
                state.toolCalls[call.index] = entry
            }
            if let reason = choice.finishReason { state.finishReason = reason }
            if let native = choice.nativeFinishReason { state.nativeFinishReason = native }
            choices[choice.index] = state
        }
    }

    /// Content received so far, of the first choice: the lowest index, as in ``response``.
    /// (A dictionary's `values.first` would be whichever its per-process hash order puts first.)
    public var content: String { choices.min { $0.key < $1.key }?.value.content ?? "" }

    /// The folded completion, with ``ChatResponse/json`` in the non-streamed shape.
    public var response: ChatResponse {
        var choiceList: [ChatResponse.Choice] = []
        var choiceJSON: [JSONValue] = []
        for index in choices.keys.sorted() {
            let state = choices[index]!
            let calls = state.toolCalls.keys.sorted().map { key in
                let call = state.toolCalls[key]!
                return ToolCall(id: call.id, name: call.name, arguments: call.arguments)
            }
            // Streams often open with `"content": ""` before tool-call deltas; the whole
            // response has `null` content then, and so does the fold.
            let content: String? = (state.hasContent && !state.content.isEmpty) || calls.isEmpty ? state.content : nil
            let message = ChatResponse.AssistantMessage(
                role: state.role, content: content, toolCalls: calls,
                reasoning: state.reasoning.isEmpty ? nil : state.reasoning, refusal: nil
            )
            choiceList.append(ChatResponse.Choice(index: index, message: message, finishReason: state.finishReason, nativeFinishReason: state.nativeFinishReason))
            var messageJSON: JSONObject = ["role": .string(state.role), "content": content.map(JSONValue.string) ?? .null]
            if !calls.isEmpty { messageJSON["tool_calls"] = .array(calls.map(\.wireValue)) }
            if let reasoning = message.reasoning { messageJSON["reasoning"] = .string(reasoning) }
            var choiceObject: JSONObject = ["index": .number(JSONNumber(index))]
            choiceObject["finish_reason"] = state.finishReason.map { .string($0.rawValue) } ?? .null
            choiceObject["native_finish_reason"] = state.nativeFinishReason.map(JSONValue.string) ?? .null
            choiceObject["message"] = .object(messageJSON)
            choiceJSON.append(.object(choiceObject))
        }
        var body: JSONObject = ["id": .string(id)]
        if let provider { body["provider"] = .string(provider) }
        body["model"] = .string(model)
        body["object"] = "chat.completion"
        body["created"] = .number(JSONNumber(created))
        body["choices"] = .array(choiceJSON)
        if let usage { body["usage"] = usage.wireValue }
        return ChatResponse(id: id, model: model, provider: provider, created: created, choices: choiceList, usage: usage, json: .object(body))
    }
}
