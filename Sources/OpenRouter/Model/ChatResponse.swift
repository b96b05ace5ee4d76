import Foundation

/// A chat completion, as `chat` returns it and as a folded stream produces it.
public struct ChatResponse: Sendable, Hashable {
    /// The generation id (`gen-…`).
    public var id: String
    /// The model that answered (with a `models` fallback list, the one that was billed).
    public var model: String
    /// The upstream provider OpenRouter routed to, e.g. `OpenAI`.
    public var provider: String?
    public var created: Int
    public var choices: [Choice]
    public var usage: Usage?
    /// The completion as JSON (the body as received, or the folded stream in the same shape).
    public var json: JSONValue

    public struct Choice: Sendable, Hashable {
        public var index: Int
        public var message: AssistantMessage
        public var finishReason: FinishReason?
        /// The provider's own finish reason, before OpenRouter normalised it.
        public var nativeFinishReason: String?
    }

    public struct AssistantMessage: Sendable, Hashable {
        public var role: String
        public var content: String?
        public var toolCalls: [ToolCall]
        /// Reasoning text some models return beside the answer.
        public var reasoning: String?
        public var refusal: String?
    }

    /// The first choice's text, the usual answer.
    public var content: String? { choices.first?.message.content }
}

/// OpenRouter's normalised finish reason.
public struct FinishReason: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public var description: String { rawValue }

    public static let stop = FinishReason(rawValue: "stop")
    public static let length = FinishReason(rawValue: "length")
    public static let toolCalls = FinishReason(rawValue: "tool_calls")
    public static let contentFilter = FinishReason(rawValue: "content_filter")
    public static let error = FinishReason(rawValue: "error")
}

/// Token counts and cost of one generation.
public struct Usage: Sendable, Hashable {
    public var promptTokens: Int
    public var completionTokens: Int
    public var totalTokens: Int
    /// `prompt_tokens_details.cached_tokens`.
    public var cachedTokens: Int
    /// `completion_tokens_details.reasoning_tokens`.
    public var reasoningTokens: Int
    /// `usage.cost` in USD, exactly as sent (never through binary floating point).
    public var cost: Decimal?

    public init(promptTokens: Int, completionTokens: Int, totalTokens: Int? = nil, cachedTokens: Int = 0, reasoningTokens: Int = 0, cost: Decimal? = nil) {
        self.promptTokens = promptTokens
        self.completionTokens = completionTokens
        self.totalTokens = totalTokens ?? promptTokens + completionTokens
        self.cachedTokens = cachedTokens
        self.reasoningTokens = reasoningTokens
        self.cost = cost
    }
}
