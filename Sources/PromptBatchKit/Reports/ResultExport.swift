import Foundation
import GRDB
import OpenRouter

/// `promptbatch export`: finished jobs as JSONL in OpenAI's Batch output format.
public struct ResultExport: Sendable {
    public var batchID: Int64?

    public init(batchID: Int64? = nil) {
        self.batchID = batchID
    }

    /// Writes one line per succeeded or failed job, in submission order; returns the count.
    @discardableResult
    public func write(from store: JobStore, to sink: OutputSink) throws -> Int {
        let scope = batchID == nil ? "" : "AND j.batch_id = ?"
        let arguments: StatementArguments = batchID.map { [$0] } ?? []
        return try store.dbPool.read { db in
            let rows = try Row.fetchCursor(db, sql: """
                SELECT j.id, j.custom_id, j.state, j.error_category, j.error_message, r.response,
                  (SELECT generation_id FROM attempts a WHERE a.job_id = j.id ORDER BY a.id DESC LIMIT 1)
                FROM jobs j LEFT JOIN results r ON r.job_id = j.id
                WHERE j.state IN ('succeeded', 'failed') \(scope) ORDER BY j.id
                """, arguments: arguments)
            var count = 0
            while let row = try rows.next() {
                let id: Int64 = row[0]
                var line = "{\"id\":\"batch_req_\(id)\",\"custom_id\":" + JSONValue.string(row[1]).serialized
                if row[2] as String == "succeeded", let body = row[5] as String? {
                    let requestID = (row[6] as String?).map { JSONValue.string($0).serialized } ?? "null"
                    line += ",\"response\":{\"status_code\":200,\"request_id\":\(requestID),\"body\":\(body)},\"error\":null}\n"
                } else {
                    let code = JSONValue.string((row[3] as String?) ?? "unknown").serialized
                    let message = JSONValue.string((row[4] as String?) ?? "").serialized
                    line += ",\"response\":null,\"error\":{\"code\":\(code),\"message\":\(message)}}\n"
                }
                try sink.write(line)
                count += 1
            }
            return count
        }
    }
}
