import GRDB

/// Job counts per state, with the totals a status line needs.
public struct StateCounts: Sendable, Hashable {
    public var pending = 0
    public var running = 0
    public var succeeded = 0
    public var failed = 0
    public var cancelled = 0
    /// HTTP attempts over all jobs.
    public var attempts = 0
    /// Tokens over all attempts of all jobs.
    public var tokens = TokenUsage.zero
    /// Cost over all attempts of all jobs, in pico-USD.
    public var costPicoUSD: Int64 = 0
    /// Failed jobs per error category (`unknown` when a job has none).
    public var failedByCategory: [String: Int] = [:]
    /// Succeeded jobs answered from the cache, with no request.
    public var cached = 0
    /// What the results those jobs reused cost originally, in pico-USD: what the cache saved.
    public var cacheSavedPicoUSD: Int64 = 0
    /// Attempts whose cost was found later through `/generation` (`cost_source = reconciled`).
    public var reconciledAttempts = 0
    /// Their cost, in pico-USD (part of ``costPicoUSD``).
    public var reconciledPicoUSD: Int64 = 0
    /// Attempts with a generation id and no cost yet: what `reconcile` would look up.
    public var unreconciledAttempts = 0

    public init() {}

    public var total: Int { pending + running + succeeded + failed + cancelled }
    /// Jobs that will not run again unless retried: succeeded, failed or cancelled.
    public var finished: Int { succeeded + failed + cancelled }
}

extension JobStore {
    /// Counts jobs per state and sums their tokens and cost, from one consistent snapshot.
    /// - Parameter batchID: One batch, or nil for all.
    public func counts(batchID: Int64?) throws -> StateCounts {
        try dbPool.read { db in try Self.counts(db, batchID: batchID) }
    }

    /// Pending jobs only: a walk of the `jobs_by_state` index, where ``counts(batchID:)``
    /// reads every row (a second or more at a million jobs).
    static func pendingCount(_ db: Database, batchID: Int64?) throws -> Int {
        let scope = batchID == nil ? "" : "AND batch_id = ?"
        let arguments: StatementArguments = batchID.map { [$0] } ?? []
        return try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM jobs WHERE state = 'pending' \(scope)", arguments: arguments) ?? 0
    }

    /// A sum taken as whole micro-dollars plus the pico-dollars beyond them, saturated.
    static func picoUSD(micro: Int64?, rest: Int64?) -> Int64 {
        let (scaled, overflow) = (micro ?? 0).multipliedReportingOverflow(by: 1_000_000)
        return Money.adding(overflow ? Money.maximumPicoUSD : scaled, rest ?? 0)
    }

    static func counts(_ db: Database, batchID: Int64?) throws -> StateCounts {
        let scope = batchID == nil ? "" : "WHERE batch_id = ?"
        let failedScope = batchID == nil ? "" : "AND batch_id = ?"
        let arguments: StatementArguments = batchID.map { [$0] } ?? []
        var counts = StateCounts()
        let rows = try Row.fetchCursor(db, sql: """
            SELECT state, COUNT(*), SUM(attempts), SUM(prompt_tokens), SUM(completion_tokens),
              SUM(reasoning_tokens), SUM(cached_tokens),
              SUM(cost_picousd / 1000000), SUM(cost_picousd % 1000000)
            FROM jobs \(scope) GROUP BY state
            """, arguments: arguments)
        while let row = try rows.next() {
            let count: Int = row[1]
            switch row[0] as String {
            case "pending": counts.pending = count
            case "running": counts.running = count
            case "succeeded": counts.succeeded = count
            case "failed": counts.failed = count
            case "cancelled": counts.cancelled = count
            default: break
            }
            counts.attempts += row[2]
            counts.tokens += TokenUsage(prompt: row[3], completion: row[4], reasoning: row[5], cached: row[6])
            // Summed as whole micro-dollars plus the pico-dollars beyond them: SQLite's SUM throws
            // on overflow, and this way it would take a million jobs saturated at
            // `Money.maximumPicoUSD` to get there.
            counts.costPicoUSD = Money.adding(counts.costPicoUSD, Self.picoUSD(micro: row[7], rest: row[8]))
        }
        let categories = try Row.fetchCursor(db, sql: """
            SELECT COALESCE(error_category, 'unknown'), COUNT(*) FROM jobs
            WHERE state = 'failed' \(failedScope) GROUP BY 1
            """, arguments: arguments)
        while let row = try categories.next() {
            counts.failedByCategory[row[0]] = row[1]
        }
        if let row = try Row.fetchOne(db, sql: """
            SELECT COUNT(*), SUM(cache_saved_picousd / 1000000), SUM(cache_saved_picousd % 1000000)
            FROM jobs WHERE cached_from_job_id IS NOT NULL \(failedScope)
            """, arguments: arguments) {
            counts.cached = row[0]
            counts.cacheSavedPicoUSD = Self.picoUSD(micro: row[1], rest: row[2])
        }
        let attemptScope = batchID == nil ? "" : "AND job_id IN (SELECT id FROM jobs WHERE batch_id = ?)"
        if let row = try Row.fetchOne(db, sql: """
            SELECT COUNT(*), SUM(cost_picousd / 1000000), SUM(cost_picousd % 1000000)
            FROM attempts WHERE cost_source = 'reconciled' \(attemptScope)
            """, arguments: arguments) {
            counts.reconciledAttempts = row[0]
            counts.reconciledPicoUSD = Self.picoUSD(micro: row[1], rest: row[2])
        }
        counts.unreconciledAttempts = try Int.fetchOne(db, sql: """
            SELECT COUNT(*) FROM attempts
            WHERE generation_id IS NOT NULL AND cost_picousd IS NULL AND \(JobStore.reconcilableStatus) \(attemptScope)
            """, arguments: arguments) ?? 0
        return counts
    }
}
