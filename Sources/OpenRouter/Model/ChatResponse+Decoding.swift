import Foundation

extension ChatResponse {
    /// Reads a completion body. A 200 that carries an error — an `error` object, a choice
    /// that finished with `error`, no or empty `choices` — throws, as does a body that lacks
    /// what a completion must have.
    ///
    /// - Throws: `OpenRouterError`: the error's own category for a carried error,
    ///   `invalid_response` for a malformed body, `content_filter` for filtered output.
    public init(json: JSONValue, generationID: String? = nil) throws(OpenRouterError) {
        guard case .object(let body) = json else {
            throw OpenRouterError(.invalidResponse, "expected a JSON object, got \(json.typeName)", statusCode: 200, generationID: generationID)
        }
        // An empty id (a stream folded from no chunks) is no id: the header's generation id stands in.
        let id = body["id"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 } ?? generationID ?? ""
        let usage = try Usage(wire: body["usage"], generationID: id)
        if let error = body["error"], !error.isNull {
            var failure = OpenRouterError(carried: error, statusCode: 200, generationID: id)
            failure.usage = usage
            throw failure
        }
        guard let choiceValues = body["choices"]?.arrayValue else {
            var failure = OpenRouterError(.invalidResponse, "the response has no choices array", statusCode: 200, generationID: id)
            failure.usage = usage
            throw failure
        }
        guard !choiceValues.isEmpty else {
            var failure = OpenRouterError(.invalidResponse, "the response's choices array is empty", statusCode: 200, generationID: id)
            failure.usage = usage
            throw failure
        }
        var choices: [Choice] = []
        for (index, value) in choiceValues.enumerated() {
            let choice: Choice
            do {
                choice = try Choice(wire: value, index: index, generationID: id)
            } catch {
                // Billed all the same: the usage must reach the attempt's record.
                var failure = error
                failure.usage = usage
                throw failure
            }
            if choice.finishReason == .error {
                var failure = value["error"].map { OpenRouterError(carried: $0, statusCode: 200, generationID: id) }
                    ?? OpenRouterError(.server, "the provider finished with an error", statusCode: 200, generationID: id)
                failure.usage = usage
                failure.partialContent = choice.message.content
                throw failure
            }
            choices.append(choice)
        }
        self.init(
            id: id,
            model: body["model"]?.stringValue ?? "",
            provider: body["provider"]?.stringValue,
            created: body["created"]?.intValue ?? 0,
            choices: choices,
            usage: usage,
            json: json
        )
    }
}

extension ChatResponse.Choice {
    init(wire value: JSONValue, index: Int, generationID: String) throws(OpenRouterError) {
        guard case .object = value, case .object(let message)? = value["message"] else {
            throw OpenRouterError(.invalidResponse, "choices[\(index)] has no message object", statusCode: 200, generationID: generationID)
        }
        var toolCalls: [ToolCall] = []
        for (callIndex, call) in (message["tool_calls"]?.arrayValue ?? []).enumerated() {
            guard let name = call["function"]?["name"]?.stringValue else {
                throw OpenRouterError(.invalidResponse, "choices[\(index)].message.tool_calls[\(callIndex)] has no function name", statusCode: 200, generationID: generationID)
            }
            toolCalls.append(ToolCall(id: call["id"]?.stringValue ?? "", name: name, arguments: call["function"]?["arguments"]?.stringValue ?? ""))
        }
        let content: String?
        switch message["content"] {
        case .string(let text)?: content = text
        case nil, .null?: content = nil
        case .array(let parts)?: content = parts.compactMap { $0["text"]?.stringValue }.joined()
        case let other?:
            throw OpenRouterError(.invalidResponse, "choices[\(index)].message.content is \(other.typeName)", statusCode: 200, generationID: generationID)
        }
        self.init(
            index: value["index"]?.intValue ?? index,
            message: ChatResponse.AssistantMessage(
                role: message["role"]?.stringValue ?? "assistant",
                content: content,
                toolCalls: toolCalls,
                reasoning: message["reasoning"]?.stringValue,
                refusal: message["refusal"]?.stringValue
            ),
            finishReason: value["finish_reason"]?.stringValue.map(FinishReason.init(rawValue:)),
            nativeFinishReason: value["native_finish_reason"]?.stringValue
        )
    }
}

extension Usage {
    /// Token counts must be whole, non-negative and below a billion; cost a non-negative number.
    init?(wire value: JSONValue?, generationID: String) throws(OpenRouterError) {
        guard let value, !value.isNull else { return nil }
        guard case .object(let usage) = value else {
            throw OpenRouterError(.invalidResponse, "usage is \(value.typeName), not an object", statusCode: 200, generationID: generationID)
        }
        func count(_ value: JSONValue?, _ name: String) throws(OpenRouterError) -> Int {
            guard let value, !value.isNull else { return 0 }
            guard let number = value.intValue, (0..<1_000_000_000).contains(number) else {
                throw OpenRouterError(.invalidResponse, "usage.\(name) is not a plausible token count", statusCode: 200, generationID: generationID)
            }
            return number
        }
        let prompt = try count(usage["prompt_tokens"], "prompt_tokens")
        let completion = try count(usage["completion_tokens"], "completion_tokens")
        let total = try usage["total_tokens"].map { v throws(OpenRouterError) in try count(v, "total_tokens") }
        var cost: Decimal?
        switch usage["cost"] {
        case nil, .null?: cost = nil
        case .number(let number)?:
            guard let decimal = Decimal(exactly: number.literal), Self.isPlausibleCost(decimal, literal: number.literal) else {
                throw OpenRouterError(.invalidResponse, "usage.cost is not a plausible amount", statusCode: 200, generationID: generationID)
            }
            cost = decimal
        case let other?:
            throw OpenRouterError(.invalidResponse, "usage.cost is \(other.typeName), not a number", statusCode: 200, generationID: generationID)
        }
        self.init(
            promptTokens: prompt,
            completionTokens: completion,
            totalTokens: total ?? prompt + completion,
            cachedTokens: try count(usage["prompt_tokens_details"]?["cached_tokens"], "prompt_tokens_details.cached_tokens"),
            reasoningTokens: try count(usage["completion_tokens_details"]?["reasoning_tokens"], "completion_tokens_details.reasoning_tokens"),
            cost: cost
        )
    }

    /// Whether a cost is in 0..<1,000,000 USD. A plain literal (digits and a point, at most six
    /// before it) is, and is told by its text: Decimal's comparisons cost more than reading
    /// the rest of the usage. Anything else is compared as a Decimal.
    static func isPlausibleCost(_ cost: Decimal, literal: String) -> Bool {
        var literal = literal
        let plain = literal.withUTF8 { bytes -> Bool in
            var index = 0
            while index < bytes.count, bytes[index] != UInt8(ascii: ".") {
                guard bytes[index] &- UInt8(ascii: "0") < 10, index < 6 else { return false }
                index += 1
            }
            guard index > 0 else { return false }
            while index + 1 < bytes.count {
                index += 1
                guard bytes[index] &- UInt8(ascii: "0") < 10 else { return false }
            }
            return true
        }
        return plain || (cost >= 0 && cost < 1_000_000)
    }

    /// Usage as the wire spells it.
    public var wireValue: JSONValue {
        var object: JSONObject = [
            "prompt_tokens": .number(JSONNumber(promptTokens)),
            "completion_tokens": .number(JSONNumber(completionTokens)),
            "total_tokens": .number(JSONNumber(totalTokens)),
            "prompt_tokens_details": ["cached_tokens": .number(JSONNumber(cachedTokens))],
            "completion_tokens_details": ["reasoning_tokens": .number(JSONNumber(reasoningTokens))],
        ]
        // Exact, not `plainString`'s 18 places: a folded stream must report the cost that
        // the same response not streamed would (`0.00014000000000000001` is common float noise).
        if let cost { object["cost"] = .number(JSONNumber(unchecked: cost.exactPlainString)) }
        return .object(object)
    }
}

extension OpenRouterError {
    /// An OpenRouter error object (`{"code", "message", "metadata"}`), from an error body or
    /// carried inside a 200.
    init(carried error: JSONValue, statusCode: Int, generationID: String?, retryAfter: Duration? = nil) {
        let code = error["code"]?.intValue
        let metadata = error["metadata"]
        let isModeration = metadata?["flagged_input"] != nil || metadata?["reasons"] != nil
        let effectiveStatus = statusCode == 200 ? (code ?? 502) : statusCode
        var category = Category(statusCode: effectiveStatus)
        if effectiveStatus == 403 && isModeration { category = .contentFilter }
        let message = error["message"]?.stringValue ?? error.stringValue ?? "request failed"
        self.init(category, Self.truncated(message), statusCode: statusCode, retryAfter: retryAfter, generationID: generationID)
        self.errorCode = code
        self.providerName = metadata?["provider_name"]?.stringValue
        if let raw = metadata?["raw"] {
            self.providerRaw = Self.truncated(raw.stringValue ?? raw.serialized)
        }
        self.errorType = metadata?["error_type"]?.stringValue
    }

    /// Error text from a server is shown, but not a megabyte of it.
    static func truncated(_ text: String) -> String {
        text.count > 2000 ? text.prefix(2000) + "…" : text
    }
}
