import Foundation

/// A model the simulator serves, with OpenRouter-style per-token USD prices.
public struct SimulatedModel: Sendable, Hashable {
    /// OpenRouter model slug, e.g. `openai/gpt-4o-mini`.
    public var id: String
    public var name: String
    public var description: String
    public var contextLength: Int
    public var maxCompletionTokens: Int?
    /// USD per prompt token.
    public var promptPrice: Decimal
    /// USD per completion token.
    public var completionPrice: Decimal
    /// Unix seconds reported as `created` in `/models`.
    public var created: Int
    public var supportedParameters: [String]

    /// - Parameters default: `description` empty, `contextLength` 128 000,
    ///   `maxCompletionTokens` 16 384, `created` 1 700 000 000, and the usual
    ///   chat parameters as `supportedParameters`.
    public init(
        id: String,
        name: String,
        description: String = "",
        contextLength: Int = 128_000,
        maxCompletionTokens: Int? = 16_384,
        promptPrice: Decimal,
        completionPrice: Decimal,
        created: Int = 1_700_000_000,
        supportedParameters: [String] = SimulatedModel.standardParameters
    ) {
        self.id = id
        self.name = name
        self.description = description
        self.contextLength = contextLength
        self.maxCompletionTokens = maxCompletionTokens
        self.promptPrice = promptPrice
        self.completionPrice = completionPrice
        self.created = created
        self.supportedParameters = supportedParameters
    }

    /// Parameters every catalogue model advertises.
    public static let standardParameters = [
        "max_tokens", "temperature", "top_p", "stop", "seed",
        "response_format", "structured_outputs", "tools", "tool_choice",
    ]

    /// Prices in the catalogue are written as strings so they stay exact.
    private static func usd(_ text: String) -> Decimal {
        Decimal(string: text, locale: Locale(identifier: "en_US_POSIX"))!
    }

    /// The echo model; also the price list for any model id not in the catalogue.
    public static let echo = SimulatedModel(
        id: "sim/echo", name: "Simulator: Echo",
        description: "Deterministic simulated model; also prices unknown model ids.",
        promptPrice: usd("0.000001"), completionPrice: usd("0.000002"))

    /// The default catalogue served by `GET /api/v1/models`:
    /// `openai/gpt-4o-mini`, `openai/gpt-4o`, `anthropic/claude-3.5-haiku`,
    /// `google/gemini-2.0-flash-001`, `meta-llama/llama-3.1-8b-instruct:free`, `sim/echo`.
    public static let defaultCatalog: [SimulatedModel] = [
        SimulatedModel(
            id: "openai/gpt-4o-mini", name: "OpenAI: GPT-4o-mini",
            description: "Small, fast and cheap GPT-4o variant.",
            contextLength: 128_000, maxCompletionTokens: 16_384,
            promptPrice: usd("0.00000015"), completionPrice: usd("0.0000006"), created: 1_721_260_800),
        SimulatedModel(
            id: "openai/gpt-4o", name: "OpenAI: GPT-4o",
            description: "OpenAI's flagship multimodal model.",
            contextLength: 128_000, maxCompletionTokens: 16_384,
            promptPrice: usd("0.0000025"), completionPrice: usd("0.00001"), created: 1_715_558_400),
        SimulatedModel(
            id: "anthropic/claude-3.5-haiku", name: "Anthropic: Claude 3.5 Haiku",
            description: "Anthropic's fastest model.",
            contextLength: 200_000, maxCompletionTokens: 8_192,
            promptPrice: usd("0.0000008"), completionPrice: usd("0.000004"), created: 1_730_678_400),
        SimulatedModel(
            id: "google/gemini-2.0-flash-001", name: "Google: Gemini 2.0 Flash",
            description: "Google's fast multimodal model.",
            contextLength: 1_048_576, maxCompletionTokens: 8_192,
            promptPrice: usd("0.0000001"), completionPrice: usd("0.0000004"), created: 1_738_713_600),
        SimulatedModel(
            id: "meta-llama/llama-3.1-8b-instruct:free", name: "Meta: Llama 3.1 8B Instruct (free)",
            description: "Free variant of Llama 3.1 8B Instruct.",
            contextLength: 131_072, maxCompletionTokens: 4_096,
            promptPrice: 0, completionPrice: 0, created: 1_721_692_800,
            supportedParameters: ["max_tokens", "temperature", "top_p", "stop", "seed"]),
        echo,
    ]

    /// The model `id` is billed as: the catalogue entry with that id, else `catalog`'s
    /// `sim/echo` (or ``echo``) renamed to `id`. Unknown ids are served, never listed.
    public static func pricing(for id: String, in catalog: [SimulatedModel] = defaultCatalog) -> SimulatedModel {
        if let model = catalog.first(where: { $0.id == id }) { return model }
        var fallback = catalog.first(where: { $0.id == echo.id }) ?? echo
        fallback.id = id
        return fallback
    }

    /// USD cost of a call: `promptTokens × promptPrice + completionTokens × completionPrice`.
    public func cost(promptTokens: Int, completionTokens: Int) -> Decimal {
        Decimal(promptTokens) * promptPrice + Decimal(completionTokens) * completionPrice
    }
}
