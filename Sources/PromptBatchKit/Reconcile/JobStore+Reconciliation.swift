import Foundation
import GRDB

/// An attempt that has a generation id but no cost: its answer was lost (the stream broke,
/// a timeout after the headers, the runner died mid-stream), but OpenRouter may have billed it.
public struct UnpricedAttempt: Sendable, Hashable {
    public var id: Int64
    public var jobID: Int64
    public var generationID: String
    /// `/generation` look-ups that found nothing so far.
    public var lookups: Int
}

/// What `/generation` said one generation cost.
public struct ReconciledCost: Sendable, Hashable {
    public var promptTokens: Int?
    public var completionTokens: Int?
    public var costPicoUSD: Int64

    public init(promptTokens: Int?, completionTokens: Int?, costPicoUSD: Int64) {
        self.promptTokens = promptTokens
        self.completionTokens = completionTokens
        self.costPicoUSD = costPicoUSD
    }
}

extension JobStore {
    /// The SQL condition on `attempts.status_code` for attempts that may have been billed:
    /// none, or a success (an error status carries no generation worth looking up).
    static let reconcilableStatus = "(status_code IS NULL OR status_code < 300)"

    /// Attempts to look up, fewest look-ups first, then oldest. An open attempt (its stream had
    /// started) counts only when its runner is gone: a live runner will still complete it.
    /// - Parameters:
    ///   - batchID: Only this batch's; nil for all.
    ///   - limit: The most to return; nil for all.
    public func unpricedAttempts(batchID: Int64?, limit: Int? = nil, now: Date = Date(), staleAfter: Duration = .seconds(30)) throws -> [UnpricedAttempt] {
        try dbPool.read { db in
            let live = try Self.liveRunnerIDs(db, now: now, staleAfter: staleAfter)
            let scope = batchID == nil ? "" : "AND job_id IN (SELECT id FROM jobs WHERE batch_id = ?)"
            let arguments: StatementArguments = batchID.map { [$0] } ?? []
            let rows = try Row.fetchCursor(db, sql: """
                SELECT id, job_id, generation_id, lookups, is_open, runner_id FROM attempts
                WHERE generation_id IS NOT NULL AND cost_picousd IS NULL AND \(Self.reconcilableStatus) \(scope)
                ORDER BY lookups, id
                """, arguments: arguments)
            var found: [UnpricedAttempt] = []
            while let row = try rows.next() {
                if let limit, found.count >= limit { break }
                let isOpen: Bool = row[4]
                if isOpen, let runner: String = row[5], live.contains(runner) { continue }
                found.append(UnpricedAttempt(id: row[0], jobID: row[1], generationID: row[2], lookups: row[3]))
            }
            return found
        }
    }

    /// Records what `/generation` said an attempt cost, as `cost_source = reconciled`, and adds
    /// it (and any tokens the attempt lacked) to its job's totals, in one transaction. Does
    /// nothing if the attempt has a cost by now, so it is never counted twice.
    /// - Returns: Whether the attempt was priced by this call.
    @discardableResult
    public func recordReconciliation(attemptID: Int64, _ cost: ReconciledCost) throws -> Bool {
        try dbPool.write { db in
            guard let row = try Row.fetchOne(db, sql: """
                SELECT job_id, COALESCE(prompt_tokens, 0), COALESCE(completion_tokens, 0) FROM attempts
                WHERE id = ? AND cost_picousd IS NULL
                """, arguments: [attemptID])
            else { return false }
            let jobID: Int64 = row[0]
            let oldPrompt: Int = row[1]
            let oldCompletion: Int = row[2]
            let prompt = cost.promptTokens ?? oldPrompt
            let completion = cost.completionTokens ?? oldCompletion
            try db.execute(sql: """
                UPDATE attempts SET prompt_tokens = ?, completion_tokens = ?, cost_picousd = ?,
                  cost_source = 'reconciled', is_open = 0
                WHERE id = ? AND cost_picousd IS NULL
                """, arguments: [prompt, completion, cost.costPicoUSD, attemptID])
            guard db.changesCount == 1 else { return false }
            try db.execute(sql: """
                UPDATE jobs SET prompt_tokens = prompt_tokens + ?1, completion_tokens = completion_tokens + ?2,
                  cost_picousd = MIN(cost_picousd + ?3, 9223372036854775807),
                  cost_source = \(Self.costSourceMerge("cost_source", "'reconciled'"))
                WHERE id = ?4
                """, arguments: [prompt - oldPrompt, completion - oldCompletion, cost.costPicoUSD, jobID])
            return true
        }
    }

    /// Counts a look-up that found nothing (yet), so the next pass tries others first.
    public func recordReconciliationMiss(attemptID: Int64) throws {
        try dbPool.write { db in
            try db.execute(sql: "UPDATE attempts SET lookups = lookups + 1 WHERE id = ?", arguments: [attemptID])
        }
    }
}
