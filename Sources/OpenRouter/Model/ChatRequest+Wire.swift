extension ChatRequest {
    /// The request as OpenRouter's wire format, fields in the plan's order (§4.3), extra
    /// fields last. `model` falls back to `defaultModel`.
    public func wireBody(defaultModel: String? = nil) -> JSONObject {
        var sink = WireObjectSink()
        sink.object.reserveCapacity(4 + extraFields.count)
        writeWireFields(to: &sink, defaultModel: defaultModel)
        return sink.object
    }

    /// ``wireBody(defaultModel:)`` as compact JSON text (the bytes of its `serializedBytes`),
    /// written directly, without building the object first.
    public func wireBodyBytes(defaultModel: String? = nil) -> [UInt8] {
        var sink = WireBytesSink(tracksKeys: !extraFields.isEmpty)
        sink.bytes.reserveCapacity(256)
        sink.bytes.append(UInt8(ascii: "{"))
        writeWireFields(to: &sink, defaultModel: defaultModel)
        return sink.finish()
    }

    /// The one place that says which fields go out, and in what order, for both forms.
    private func writeWireFields(to sink: inout some WireSink, defaultModel: String?) {
        sink.add("messages", messages: messages)
        if let model = model ?? defaultModel { sink.add("model", .string(model)) }
        if let responseFormat { sink.add("response_format", responseFormat.wireValue) }
        let p = parameters
        if let value = p.temperature { sink.add("temperature", .number(JSONNumber(value))) }
        if let value = p.maxTokens { sink.add("max_tokens", .number(JSONNumber(value))) }
        if let value = p.topP { sink.add("top_p", .number(JSONNumber(value))) }
        if let value = p.frequencyPenalty { sink.add("frequency_penalty", .number(JSONNumber(value))) }
        if let value = p.presencePenalty { sink.add("presence_penalty", .number(JSONNumber(value))) }
        if let value = p.stop { sink.add("stop", .array(value.map(JSONValue.string))) }
        if let value = p.seed { sink.add("seed", .number(JSONNumber(value))) }
        if stream { sink.add("stream", .bool(true)) }
        if let tools { sink.add("tools", .array(tools.map(\.wireValue))) }
        if let toolChoice { sink.add("tool_choice", toolChoice.wireValue) }
        for (key, value) in extraFields where !sink.contains(key) { sink.add(key, value) }
    }
}

extension Message {
    var wireValue: JSONValue {
        var sink = WireObjectSink()
        sink.object.reserveCapacity(2)
        writeWireFields(to: &sink)
        return .object(sink.object)
    }

    fileprivate func writeWireFields(to sink: inout some WireSink) {
        sink.add("role", .string(role.rawValue))
        switch content {
        case .text(let text): sink.add("content", .string(text))
        case .parts(let parts): sink.add("content", .array(parts))
        case nil: sink.add("content", .null)
        }
        if let name { sink.add("name", .string(name)) }
        if let toolCallID { sink.add("tool_call_id", .string(toolCallID)) }
        if let toolCalls { sink.add("tool_calls", .array(toolCalls.map(\.wireValue))) }
    }
}

/// Where a request's wire fields go: into a ``JSONObject``, or straight out as JSON text.
private protocol WireSink {
    mutating func add(_ key: String, _ value: JSONValue)
    mutating func add(_ key: String, messages: [Message])
    /// Whether a field of this name was added (an extra field never overrides a typed one).
    func contains(_ key: String) -> Bool
}

private struct WireObjectSink: WireSink {
    var object = JSONObject()

    mutating func add(_ key: String, _ value: JSONValue) {
        object[key] = value
    }

    mutating func add(_ key: String, messages: [Message]) {
        object[key] = .array(messages.map(\.wireValue))
    }

    func contains(_ key: String) -> Bool {
        object[key] != nil
    }
}

/// Writes each field as it comes: the same text as the object's serialisation, with no
/// object, array or message built on the way (submit writes a million of them).
private struct WireBytesSink: WireSink {
    var bytes: [UInt8] = []
    private var isFirst = true
    /// Keys added, kept only when ``contains(_:)`` will be asked.
    private var keys: [String] = []
    private let tracksKeys: Bool

    init(tracksKeys: Bool) {
        self.tracksKeys = tracksKeys
    }

    private mutating func writeKey(_ key: String) {
        if !isFirst { bytes.append(UInt8(ascii: ",")) }
        isFirst = false
        if tracksKeys { keys.append(key) }
        JSONValue.writeString(key, to: &bytes)
        bytes.append(UInt8(ascii: ":"))
    }

    mutating func add(_ key: String, _ value: JSONValue) {
        writeKey(key)
        value.write(to: &bytes)
    }

    mutating func add(_ key: String, messages: [Message]) {
        writeKey(key)
        bytes.append(UInt8(ascii: "["))
        for (index, message) in messages.enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            var inner = WireBytesSink(tracksKeys: false)
            swap(&inner.bytes, &bytes)
            inner.bytes.append(UInt8(ascii: "{"))
            message.writeWireFields(to: &inner)
            swap(&inner.bytes, &bytes)
            bytes.append(UInt8(ascii: "}"))
        }
        bytes.append(UInt8(ascii: "]"))
    }

    func contains(_ key: String) -> Bool {
        keys.contains(key)
    }

    mutating func finish() -> [UInt8] {
        bytes.append(UInt8(ascii: "}"))
        return bytes
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
