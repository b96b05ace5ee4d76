import Foundation
import GRDB
import OpenRouter

/// A model price list row, as cached in SQLite.
public struct CachedModel: Sendable, Hashable {
    public var id: String
    public var name: String
    /// USD per 1M tokens.
    public var promptPerMillion: Decimal?
    public var completionPerMillion: Decimal?
    public var contextLength: Int?
    public var maxCompletionTokens: Int?
    public var fetchedAt: Date

    /// Its prices, when both are known.
    public var pricing: ModelInfo.Pricing? {
        guard let promptPerMillion, let completionPerMillion else { return nil }
        return ModelInfo.Pricing(prompt: promptPerMillion, completion: completionPerMillion)
    }
}

extension JobStore {
    /// Replaces the cached price list with `models`.
    public func saveModels(_ models: [ModelInfo], now: Date = Date()) throws {
        try dbPool.write { db in
            try db.execute(sql: "DELETE FROM models")
            let insert = try db.makeStatement(sql: """
                INSERT INTO models (id, name, prompt_per_million, completion_per_million, context_length, max_completion_tokens, fetched_at)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                """)
            for model in models {
                try insert.execute(arguments: [
                    model.id, model.name, model.pricing?.prompt.plainString, model.pricing?.completion.plainString,
                    model.contextLength, model.maxCompletionTokens, now.millisecondsSince1970,
                ])
            }
        }
    }

    /// The cached price list, by id.
    public func cachedModels() throws -> [CachedModel] {
        try dbPool.read { db in
            try Row.fetchAll(db, sql: "SELECT id, name, prompt_per_million, completion_per_million, context_length, max_completion_tokens, fetched_at FROM models ORDER BY id")
                .map { row in
                    CachedModel(
                        id: row[0], name: row[1] ?? row[0],
                        promptPerMillion: (row[2] as String?).flatMap { Decimal(exactly: $0) },
                        completionPerMillion: (row[3] as String?).flatMap { Decimal(exactly: $0) },
                        contextLength: row[4], maxCompletionTokens: row[5],
                        fetchedAt: Date(timeIntervalSince1970: Double(row[6] as Int64) / 1000)
                    )
                }
        }
    }

    /// Cached prices usable for cost estimates, by model id.
    public func cachedPrices() throws -> [String: ModelInfo.Pricing] {
        try priceTable().entries.compactMapValues(\.pricing)
    }
}
