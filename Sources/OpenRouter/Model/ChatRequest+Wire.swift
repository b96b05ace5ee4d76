extension ChatRequest {
    /// The request as OpenRouter's wire format, fields in the plan's order (§4.3), extra
    /// fields last. `model` falls back to `defaultModel`.
    public func wireBody(defaultModel: String? = nil) -> JSONObject {
        var body = JSONObject()
        body.reserveCapacity(4 + extraFields.count)
        body["messages"] = .array(messages.map(\.wireValue))
        if let model = model ?? defaultModel { body["model"] = .string(model) }
        if let responseFormat { body["response_format"] = responseFormat.wireValue }
        let p = parameters
        if let value = p.temperature { body["temperature"] = .number(JSONNumber(value)) }
        if let value = p.maxTokens { body["max_tokens"] = .number(JSONNumber(value)) }
        if let value = p.topP { body["top_p"] = .number(JSONNumber(value)) }
        if let value = p.frequencyPenalty { body["frequency_penalty"] = .number(JSONNumber(value)) }
        if let value = p.presencePenalty { body["presence_penalty"] = .number(JSONNumber(value)) }
        if let value = p.stop { body["stop"] = .array(value.map(JSONValue.string)) }
        if let value = p.seed { body["seed"] = .number(JSONNumber(value)) }
        if stream { body["stream"] = .bool(true) }
        if let tools { body["tools"] = .array(tools.map(\.wireValue)) }
        if let toolChoice { body["tool_choice"] = toolChoice.wireValue }
        for (key, value) in extraFields where body[key] == nil { body[key] = value }
        return body
    }
}

extension Message {
    var wireValue: JSONValue {
        var object = JSONObject()
        object.reserveCapacity(2)
        object["role"] = .string(role.rawValue)
        switch content {
        case .text(let text): object["content"] = .string(text)
        case .parts(let parts): object["content"] = .array(parts)
        case nil: object["content"] = .null
        }
        if let name { object["name"] = .string(name) }
        if let toolCallID { object["tool_call_id"] = .string(toolCallID) }
        if let toolCalls { object["tool_calls"] = .array(toolCalls.map(\.wireValue)) }
        return .object(object)
    }
}

extension ToolCall {
    var wireValue: JSONValue {
        ["id": .string(id), "type": "function", "function": ["name": .string(name), "arguments": .string(arguments)]]
    }
}

extension Tool {
    var wireValue: JSONValue {
        var function: JSONObject = ["name": .string(name)]
        if let description { function["description"] = .string(description) }
        function["parameters"] = parameters
        if let strict { function["strict"] = .bool(strict) }
        return ["type": "function", "function": .object(function)]
    }
}

extension ToolChoice {
    var wireValue: JSONValue {
        switch self {
        case .none: "none"
        case .auto: "auto"
        case .required: "required"
        case .function(let name): ["type": "function", "function": ["name": .string(name)]]
        }
    }
}

extension ResponseFormat {
    var wireValue: JSONValue {
        switch self {
        case .text: return ["type": "text"]
        case .jsonObject: return ["type": "json_object"]
        case .jsonSchema(let format):
            var schema: JSONObject = ["name": .string(format.name)]
            if let description = format.description { schema["description"] = .string(description) }
            schema["strict"] = .bool(format.strict)
            schema["schema"] = format.schema
            return ["type": "json_schema", "json_schema": .object(schema)]
        }
    }
}
