import Foundation
import GRDB

/// The budget of the latest `run --budget`, for `status`.
public struct BudgetStatus: Sendable, Hashable {
    public var limitPicoUSD: Int64
    /// What the run has spent: its attempts' cost (while it runs, or if it died, summed live).
    public var spentPicoUSD: Int64
    /// The run's scope; nil for every batch.
    public var batchID: Int64?
    public var startedAt: Date
    /// Nil while the run is going on, or when it died without finishing.
    public var finishedAt: Date?
    /// `drained`, `budget`, `halted`, `interrupted` or `failed`; nil until it finished.
    public var stopReason: String?

    public var leftPicoUSD: Int64 { max(limitPicoUSD - spentPicoUSD, 0) }
}

extension JobStore {
    /// The latest run with a budget whose scope covers `batchID` (that batch, or all batches);
    /// with `batchID` nil, the latest of any scope. Nil when no run had a budget.
    public func lastBudget(batchID: Int64?) throws -> BudgetStatus? {
        try dbPool.read { db in
            let scope = batchID == nil ? "" : "WHERE batch_id IS NULL OR batch_id = ?"
            let arguments: StatementArguments = batchID.map { [$0] } ?? []
            guard let row = try Row.fetchOne(db, sql: """
                SELECT runner_id, batch_id, limit_picousd, started_at, finished_at, spent_picousd, stop_reason
                FROM budgets \(scope) ORDER BY id DESC LIMIT 1
                """, arguments: arguments) else { return nil }
            let runnerID: String = row[0]
            let recorded: Int64? = row[5]
            return BudgetStatus(
                limitPicoUSD: row[2], spentPicoUSD: try recorded ?? Self.spent(db, runnerID: runnerID), batchID: row[1],
                startedAt: Date(timeIntervalSince1970: Double(row[3] as Int64) / 1000),
                finishedAt: (row[4] as Int64?).map { Date(timeIntervalSince1970: Double($0) / 1000) },
                stopReason: row[6])
        }
    }

    static func recordBudgetStart(_ db: Database, runnerID: String, batchID: Int64?, limitPicoUSD: Int64, now: Date) throws {
        try db.execute(
            sql: "INSERT INTO budgets (runner_id, batch_id, limit_picousd, started_at) VALUES (?, ?, ?, ?)",
            arguments: [runnerID, batchID, limitPicoUSD, now.millisecondsSince1970])
    }

    /// Records how the run ended and what its attempts cost, as committed.
    static func recordBudgetEnd(_ db: Database, runnerID: String, stopReason: String, now: Date) throws {
        try db.execute(
            sql: "UPDATE budgets SET finished_at = ?, spent_picousd = ?, stop_reason = ? WHERE runner_id = ?",
            arguments: [now.millisecondsSince1970, try spent(db, runnerID: runnerID), stopReason, runnerID])
    }

    /// What a runner's attempts cost: summed as whole micro-dollars plus the rest, as in
    /// `counts`, because SQLite's SUM throws on overflow.
    static func spent(_ db: Database, runnerID: String) throws -> Int64 {
        let sums = try Row.fetchOne(db, sql: """
            SELECT SUM(cost_picousd / 1000000), SUM(cost_picousd % 1000000) FROM attempts WHERE runner_id = ?
            """, arguments: [runnerID])
        let (micro, rest): (Int64, Int64) = (sums?[0] ?? 0, sums?[1] ?? 0)
        let (scaled, overflow) = micro.multipliedReportingOverflow(by: 1_000_000)
        return Money.adding(overflow ? Money.maximumPicoUSD : scaled, rest)
    }
}
