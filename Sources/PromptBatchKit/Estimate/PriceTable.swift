import Foundation
import OpenRouter

/// The cached `/models` prices and completion limits, by model id, for turning a
/// ``JobEstimate`` into money.
public struct PriceTable: Sendable, Hashable {
    public struct Entry: Sendable, Hashable {
        /// Nil when `/models` gave no usable price.
        public var pricing: ModelInfo.Pricing?
        /// The model's largest completion (`top_provider.max_completion_tokens`).
        public var maxCompletionTokens: Int?

        public init(pricing: ModelInfo.Pricing?, maxCompletionTokens: Int?) {
            self.pricing = pricing
            self.maxCompletionTokens = maxCompletionTokens
        }
    }

    public var entries: [String: Entry]
    /// When the cached list was fetched; nil when there is none.
    public var fetchedAt: Date?

    public init(entries: [String: Entry] = [:], fetchedAt: Date? = nil) {
        self.entries = entries
        self.fetchedAt = fetchedAt
    }

    /// The table of a cached model list.
    public init(_ models: [CachedModel]) {
        var entries: [String: Entry] = [:]
        for model in models {
            entries[model.id] = Entry(pricing: model.pricing, maxCompletionTokens: model.maxCompletionTokens)
        }
        self.init(entries: entries, fetchedAt: models.map(\.fetchedAt).max())
    }

    /// What one attempt of a job may cost.
    public enum AttemptCost: Sendable, Hashable {
        /// `low` is the estimated prompt alone; `high` adds the full completion limit (the
        /// request's `max_tokens`, else the model's), nil when neither is known.
        case priced(low: Int64, high: Int64?, completionLimit: Int?)
        /// The model has no known price.
        case unpriced

        /// The worst case, when it is known.
        public var high: Int64? {
            if case .priced(_, let high?, _) = self { return high }
            return nil
        }
    }

    /// The cost of one attempt of a job of `model` with this estimate; amounts rounded up.
    public func attemptCost(model: String, estimate: JobEstimate) -> AttemptCost {
        guard let entry = entries[model], let pricing = entry.pricing else { return .unpriced }
        let low = Money.picoUSDRoundedUp(pricing.cost(promptTokens: estimate.promptTokens, completionTokens: 0))
        guard let limit = estimate.maxCompletionTokens ?? entry.maxCompletionTokens else {
            return .priced(low: low, high: nil, completionLimit: nil)
        }
        let high = Money.picoUSDRoundedUp(pricing.cost(promptTokens: estimate.promptTokens, completionTokens: limit))
        return .priced(low: low, high: high, completionLimit: limit)
    }
}

extension JobStore {
    /// The cached `/models` list as a ``PriceTable`` (empty when nothing is cached).
    public func priceTable() throws -> PriceTable {
        PriceTable(try cachedModels())
    }

    /// The cached list as a ``PriceTable``, fetched from `/models` and cached first when
    /// nothing is cached yet.
    /// - Throws: `OpenRouterError` when the fetch fails; a database error.
    public func priceTable(fetchingIfEmptyWith client: OpenRouterClient) async throws -> PriceTable {
        let table = try priceTable()
        guard table.entries.isEmpty else { return table }
        try saveModels(try await client.models(refresh: true))
        return try priceTable()
    }
}
