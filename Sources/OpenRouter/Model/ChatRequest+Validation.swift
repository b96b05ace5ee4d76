extension ChatRequest {
    /// Checks the request before anything is sent (plan §4.6): messages present with valid
    /// roles and content, a model, parameters in range, well-formed schema and tools.
    ///
    /// - Parameter defaultModel: the client's default, used when the request names none.
    /// - Throws: `OpenRouterError` with category `validation`, naming the offending field.
    public func validate(defaultModel: String? = nil) throws(OpenRouterError) {
        guard !messages.isEmpty else {
            throw OpenRouterError(.validation, "messages: must not be empty")
        }
        for (index, message) in messages.enumerated() {
            try message.validate(path: "messages[\(index)]")
        }
        guard let model = model ?? defaultModel else {
            throw OpenRouterError(.validation, "model: missing (name one in the request or set a default model)")
        }
        // Model ids are ASCII: check those bytes directly, Unicode properties only beyond.
        let hasInvisibleCharacters = model.unicodeScalars.contains {
            $0.isASCII ? $0.value <= 0x20 || $0.value == 0x7F : $0.properties.isWhitespace || $0.properties.generalCategory == .control
        }
        guard !model.isEmpty, !hasInvisibleCharacters else {
            throw OpenRouterError(.validation, "model: \(quoted(model)) is not a model id")
        }
        try parameters.validate()
        if case .jsonSchema(let format) = responseFormat {
            try format.validate()
        }
        if let tools {
            var names = Set<String>()
            for (index, tool) in tools.enumerated() {
                try tool.validate(path: "tools[\(index)]")
                guard names.insert(tool.name).inserted else {
                    throw OpenRouterError(.validation, "tools[\(index)].function.name: \(quoted(tool.name)) is defined twice")
                }
            }
        }
        switch toolChoice {
        case .required?, .function?:
            guard let tools, !tools.isEmpty else {
                throw OpenRouterError(.validation, "tool_choice: requires at least one tool in tools")
            }
            if case .function(let name)? = toolChoice, !tools.contains(where: { $0.name == name }) {
                throw OpenRouterError(.validation, "tool_choice: names \(quoted(name)), which is not among the tools")
            }
        case .none?, .auto?, nil:
            break
        }
    }
}

extension ChatRequest.Parameters {
    func validate() throws(OpenRouterError) {
        func check(_ value: Double?, _ name: String, _ range: ClosedRange<Double>) throws(OpenRouterError) {
            if let value, !range.contains(value) {
                throw OpenRouterError(.validation, "\(name): \(value) is out of range \(range.lowerBound)…\(range.upperBound)")
            }
        }
        try check(temperature, "temperature", 0...2)
        try check(topP, "top_p", 0...1)
        try check(frequencyPenalty, "frequency_penalty", -2...2)
        try check(presencePenalty, "presence_penalty", -2...2)
        if let maxTokens, maxTokens < 1 {
            throw OpenRouterError(.validation, "max_tokens: must be at least 1, got \(maxTokens)")
        }
        if let stop {
            guard stop.count <= 4 else { throw OpenRouterError(.validation, "stop: at most 4 sequences, got \(stop.count)") }
            if stop.contains(where: \.isEmpty) { throw OpenRouterError(.validation, "stop: sequences must not be empty") }
        }
    }
}

extension Message {
    func validate(path: String) throws(OpenRouterError) {
        switch role {
        case .tool:
            guard let toolCallID, !toolCallID.isEmpty else {
                throw OpenRouterError(.validation, "\(path).tool_call_id: a tool message must name the call it answers")
            }
            guard content != nil else { throw OpenRouterError(.validation, "\(path).content: missing") }
        case .assistant:
            guard content != nil || !(toolCalls ?? []).isEmpty else {
                throw OpenRouterError(.validation, "\(path).content: an assistant message needs content or tool_calls")
            }
        case .system, .developer, .user:
            guard content != nil else { throw OpenRouterError(.validation, "\(path).content: missing") }
        }
        if case .parts(let parts)? = content, parts.isEmpty {
            throw OpenRouterError(.validation, "\(path).content: an empty array of parts")
        }
    }
}

extension Tool {
    func validate(path: String) throws(OpenRouterError) {
        guard isValidIdentifier(name) else {
            throw OpenRouterError(.validation, "\(path).function.name: \(quoted(name)) must be 1-64 letters, digits, '_' or '-'")
        }
        guard parameters.objectValue != nil else {
            throw OpenRouterError(.validation, "\(path).function.parameters: expected a JSON Schema object, got \(parameters.typeName)")
        }
        do {
            _ = try JSONSchema(parameters, strict: strict ?? false)
        } catch {
            throw OpenRouterError(.validation, "\(path).function.parameters\(error.path): \(error.message)")
        }
    }
}

extension JSONSchemaFormat {
    /// Size limit and structure (plan §6.2); strict mode's rules when `strict` is set.
    func validate() throws(OpenRouterError) {
        guard isValidIdentifier(name) else {
            throw OpenRouterError(.validation, "response_format.json_schema.name: \(quoted(name)) must be 1-64 letters, digits, '_' or '-'")
        }
        do {
            _ = try JSONSchema(schema, strict: strict)
        } catch {
            throw OpenRouterError(.validation, "response_format.json_schema.schema\(error.path): \(error.message)")
        }
    }

    /// The parsed schema; call only after ``validate()`` succeeded.
    var checkedSchema: JSONSchema? { try? JSONSchema(schema, strict: false, maximumBytes: .max) }
}

/// OpenAI's rule for function and schema names: `^[a-zA-Z0-9_-]{1,64}$`.
func isValidIdentifier(_ name: String) -> Bool {
    !name.isEmpty && name.utf8.count <= 64
        && name.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 | 0x20 >= 0x61 && $0 | 0x20 <= 0x7A) || $0 == 0x5F || $0 == 0x2D }
}
