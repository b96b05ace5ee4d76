import Foundation

extension OpenRouterClient {
    /// The models OpenRouter offers (plan's `getAvailableModels`), from a cache that lives
    /// ``OpenRouterConfiguration/modelsCacheDuration``.
    /// - Parameter refresh: ignore the cache.
    public func models(refresh: Bool = false) async throws(OpenRouterError) -> [ModelInfo] {
        if !refresh, let cached = modelsCache.withLock({ $0 }), cached.expires > .now {
            return cached.models
        }
        let json: JSONValue = try await withRetries(model: "", onAttempt: nil) { () async throws(OpenRouterError) -> (JSONValue, AttemptFacts) in
            try await self.send(path: "/models", method: .GET, body: nil)
        }
        guard let entries = json["data"]?.arrayValue else {
            throw OpenRouterError(.invalidResponse, "the /models answer has no data array", statusCode: 200)
        }
        let models = entries.compactMap(ModelInfo.init(wire:))
        let expires = ContinuousClock.now + configuration.modelsCacheDuration
        modelsCache.withLock { $0 = (models, expires) }
        return models
    }

    /// Cost and counts of one generation (`GET /generation?id=`), e.g. to account for a
    /// request whose answer was lost.
    public func generation(id: String) async throws(OpenRouterError) -> GenerationInfo {
        let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-_."))
        let escaped = id.addingPercentEncoding(withAllowedCharacters: allowed) ?? id
        let json: JSONValue = try await withRetries(model: "", onAttempt: nil) { () async throws(OpenRouterError) -> (JSONValue, AttemptFacts) in
            try await self.send(path: "/generation?id=\(escaped)", method: .GET, body: nil)
        }
        guard let data = json["data"], case .object = data else {
            throw OpenRouterError(.invalidResponse, "the /generation answer has no data object", statusCode: 200)
        }
        return GenerationInfo(
            id: data["id"]?.stringValue ?? id,
            model: data["model"]?.stringValue,
            providerName: data["provider_name"]?.stringValue,
            totalCost: data["total_cost"]?.numberValue.flatMap { Decimal(exactly: $0.literal) },
            promptTokens: data["tokens_prompt"]?.intValue,
            completionTokens: data["tokens_completion"]?.intValue,
            finishReason: data["finish_reason"]?.stringValue
        )
    }
}
