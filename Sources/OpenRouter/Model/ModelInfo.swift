import Foundation

/// A model OpenRouter offers (plan §3.4), prices converted to USD per million tokens.
public struct ModelInfo: Sendable, Hashable {
    public var id: String
    public var name: String
    public var description: String?
    /// Tokens of context.
    public var contextLength: Int?
    /// The largest `max_tokens` the top provider accepts.
    public var maxCompletionTokens: Int?
    public var pricing: Pricing?

    /// Prices in USD per 1,000,000 tokens (the wire sends USD per token, as strings).
    public struct Pricing: Sendable, Hashable {
        public var prompt: Decimal
        public var completion: Decimal
        /// USD per request, when the model charges one.
        public var request: Decimal?
        /// Per 1M tokens read from the provider's prompt cache.
        public var inputCacheRead: Decimal?

        public init(prompt: Decimal, completion: Decimal, request: Decimal? = nil, inputCacheRead: Decimal? = nil) {
            self.prompt = prompt
            self.completion = completion
            self.request = request
            self.inputCacheRead = inputCacheRead
        }

        /// The cost of the given tokens at these prices.
        public func cost(promptTokens: Int, completionTokens: Int) -> Decimal {
            (prompt * Decimal(promptTokens) + completion * Decimal(completionTokens)) / 1_000_000 + (request ?? 0)
        }
    }
}

extension ModelInfo {
    init?(wire value: JSONValue) {
        guard let id = value["id"]?.stringValue else { return nil }
        self.init(
            id: id,
            name: value["name"]?.stringValue ?? id,
            description: value["description"]?.stringValue,
            contextLength: value["context_length"]?.intValue ?? value["top_provider"]?["context_length"]?.intValue,
            maxCompletionTokens: value["top_provider"]?["max_completion_tokens"]?.intValue,
            pricing: Pricing(wire: value["pricing"])
        )
    }
}

extension ModelInfo.Pricing {
    /// Per-token prices are strings like `"0.00000015"`; per-request ones too. A value may
    /// also come as a JSON number; either way it is read as decimal text, never as a Double.
    init?(wire value: JSONValue?) {
        func perToken(_ key: String) -> Decimal? {
            let literal: String?
            switch value?[key] {
            case .string(let text)?: literal = text
            case .number(let number)?: literal = number.literal
            default: literal = nil
            }
            guard let literal, let decimal = Decimal(exactly: literal), decimal >= 0 else { return nil }
            return decimal
        }
        guard let prompt = perToken("prompt"), let completion = perToken("completion") else { return nil }
        self.init(
            prompt: prompt * 1_000_000,
            completion: completion * 1_000_000,
            request: perToken("request").flatMap { $0 == 0 ? nil : $0 },
            inputCacheRead: perToken("input_cache_read").map { $0 * 1_000_000 }
        )
    }
}

/// What `/generation?id=` knows of one generation, after the fact.
public struct GenerationInfo: Sendable, Hashable {
    public var id: String
    public var model: String?
    public var providerName: String?
    /// USD.
    public var totalCost: Decimal?
    public var promptTokens: Int?
    public var completionTokens: Int?
    public var finishReason: String?
}
