import Foundation
import GRDB

/// `promptbatch report`: usage and cost as CSV, per job or grouped.
public struct UsageReport: Sendable {
    public enum Grouping: String, Sendable, CaseIterable {
        case job, model, batch, category
    }

    public static let jobColumns = [
        "batch_id", "custom_id", "model", "status", "attempts", "finish_reason", "prompt_tokens", "completion_tokens",
        "reasoning_tokens", "cached_tokens", "total_tokens", "cost_usd", "cost_source", "latency_ms", "error_category",
        "error_message", "started_at", "finished_at",
    ]

    public static let groupColumns = [
        "jobs", "succeeded", "failed", "prompt_tokens", "completion_tokens", "total_tokens", "cost_usd", "latency_p50_ms", "latency_p95_ms",
    ]

    public var batchID: Int64?
    public var grouping: Grouping

    public init(batchID: Int64? = nil, grouping: Grouping = .job) {
        self.batchID = batchID
        self.grouping = grouping
    }

    /// Writes the CSV (header row first) and returns the number of data rows.
    @discardableResult
    public func write(from store: JobStore, to sink: OutputSink) throws -> Int {
        switch grouping {
        case .job: try writeJobs(store, sink)
        default: try writeGroups(store, sink)
        }
    }

    private var scope: (sql: String, arguments: StatementArguments) {
        batchID.map { ("WHERE batch_id = ?", [$0]) } ?? ("", [])
    }

    private func writeJobs(_ store: JobStore, _ sink: OutputSink) throws -> Int {
        try sink.write(Self.jobColumns.joined(separator: ",") + "\r\n")
        return try store.dbPool.read { db in
            let rows = try Row.fetchCursor(db, sql: """
                SELECT batch_id, custom_id, COALESCE(answered_model, model), state, attempts, finish_reason,
                  prompt_tokens, completion_tokens, reasoning_tokens, cached_tokens, cost_picousd, cost_source,
                  latency_ms, error_category, error_message, started_at, finished_at
                FROM jobs \(scope.sql) ORDER BY id
                """, arguments: scope.arguments)
            var count = 0
            while let row = try rows.next() {
                let prompt: Int64 = row[6]
                let completion: Int64 = row[7]
                try sink.write { bytes in
                    CSV.appendInteger(row[0], to: &bytes)
                    for index in 1...3 {
                        CSV.separator(&bytes)
                        CSV.appendText(row[index], to: &bytes)
                    }
                    CSV.separator(&bytes)
                    CSV.appendInteger(row[4], to: &bytes)
                    CSV.separator(&bytes)
                    CSV.appendText(row[5], to: &bytes)
                    for value in [prompt, completion, row[8], row[9], prompt + completion] as [Int64] {
                        CSV.separator(&bytes)
                        CSV.appendInteger(value, to: &bytes)
                    }
                    CSV.separator(&bytes)
                    Money.appendUSD(picoUSD: row[10], to: &bytes)
                    CSV.separator(&bytes)
                    CSV.appendText(row[11], to: &bytes)
                    CSV.separator(&bytes)
                    CSV.appendInteger(row[12], to: &bytes)
                    for index in 13...14 {
                        CSV.separator(&bytes)
                        CSV.appendText(row[index], to: &bytes)
                    }
                    for index in 15...16 {
                        CSV.separator(&bytes)
                        Timestamps.appendISO8601(milliseconds: row[index], to: &bytes)
                    }
                    CSV.endRow(&bytes)
                }
                count += 1
            }
            return count
        }
    }

    private struct Group {
        var jobs = 0, succeeded = 0, failed = 0, prompt = 0, completion = 0
        var cost: Int64 = 0
        var latencies: [Int64] = []
    }

    private func writeGroups(_ store: JobStore, _ sink: OutputSink) throws -> Int {
        let key: String
        switch grouping {
        case .model: key = "COALESCE(answered_model, model)"
        case .batch: key = "CAST(batch_id AS TEXT)"
        case .category: key = "COALESCE(error_category, '')"
        case .job: key = "custom_id"
        }
        var groups: [String: Group] = [:]
        var order: [String] = []
        try store.dbPool.read { db in
            let rows = try Row.fetchCursor(db, sql: """
                SELECT \(key), state, prompt_tokens, completion_tokens, cost_picousd, latency_ms
                FROM jobs \(scope.sql) ORDER BY id
                """, arguments: scope.arguments)
            while let row = try rows.next() {
                let name: String = row[0]
                if groups[name] == nil { order.append(name) }
                var group = groups[name, default: Group()]
                group.jobs += 1
                let state: String = row[1]
                if state == "succeeded" { group.succeeded += 1 }
                if state == "failed" { group.failed += 1 }
                group.prompt += row[2] as Int
                group.completion += row[3] as Int
                group.cost = Money.adding(group.cost, row[4])
                if let latency = row[5] as Int64? { group.latencies.append(latency) }
                groups[name] = group
            }
        }
        try sink.write(([grouping.rawValue] + Self.groupColumns).joined(separator: ",") + "\r\n")
        for name in order.sorted() {
            let group = groups[name]!
            let sorted = group.latencies.sorted()
            try sink.write(appending: { CSV.appendRow([
                .text(name), .number(String(group.jobs)), .number(String(group.succeeded)), .number(String(group.failed)),
                .number(String(group.prompt)), .number(String(group.completion)), .number(String(group.prompt + group.completion)),
                .number(Money.usdString(picoUSD: group.cost)),
                .number(Self.percentile(sorted, 0.50).map { String($0) }), .number(Self.percentile(sorted, 0.95).map { String($0) }),
            ], to: &$0) })
        }
        return order.count
    }

    /// Nearest-rank percentile of sorted values; nil when there are none.
    static func percentile(_ sorted: [Int64], _ fraction: Double) -> Int64? {
        guard !sorted.isEmpty else { return nil }
        let rank = Int((fraction * Double(sorted.count)).rounded(.up))
        return sorted[min(max(rank, 1), sorted.count) - 1]
    }
}
