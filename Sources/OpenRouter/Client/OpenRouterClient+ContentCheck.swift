extension OpenRouterClient {
    /// What `chat` checks after a 200: filtered output, and JSON content against the
    /// requested format — OpenRouter enforces strict schemas only on providers that support them.
    func checkContent(of response: ChatResponse, for request: ChatRequest) throws(OpenRouterError) {
        try checkContent(of: response, format: request.responseFormat)
    }

    func checkContent(of response: ChatResponse, format: ResponseFormat?) throws(OpenRouterError) {
        func failure(_ category: OpenRouterError.Category, _ message: String, path: String? = nil) -> OpenRouterError {
            var error = OpenRouterError(category, message, statusCode: 200, generationID: response.id)
            error.usage = response.usage
            error.partialContent = response.content
            error.path = path
            return error
        }
        if response.choices.contains(where: { $0.finishReason == .contentFilter }) {
            throw failure(.contentFilter, "the output was stopped by a content filter")
        }
        guard let format, let choice = response.choices.first, choice.message.toolCalls.isEmpty else {
            return
        }
        let truncated = choice.finishReason == .length ? " (the output was cut off by max_tokens)" : ""
        switch format {
        case .text:
            return
        case .jsonObject:
            guard let value = try? JSONValue(parsing: choice.message.content ?? ""), case .object = value else {
                throw failure(.schemaViolation, "the content is not a JSON object\(truncated)", path: "$")
            }
        case .jsonSchema(let spec):
            let value: JSONValue
            do {
                value = try JSONValue(parsing: choice.message.content ?? "")
            } catch {
                throw failure(.schemaViolation, "the content is not valid JSON (\(error))\(truncated)", path: "$")
            }
            if let schema = spec.checkedSchema, let violation = schema.firstViolation(in: value) {
                throw failure(.schemaViolation, "the content does not match schema '\(spec.name)': \(violation.message)\(truncated)", path: violation.path)
            }
        }
    }
}
