import GRDB

extension JobStore {
    /// One stored job as ``forEachEstimate(batchID:pendingOnly:_:)`` sees it.
    public struct StoredEstimate: Sendable, Hashable {
        public var model: String
        public var estimate: JobEstimate
        /// The prompt tokens its latest attempt reported, if it has run.
        public var reportedPromptTokens: Int?
    }

    /// Calls `body` with the estimate of every job in scope (not cancelled), in id order,
    /// streaming, so any number of jobs fits in constant memory.
    /// - Parameters:
    ///   - batchID: One batch, or nil for all.
    ///   - pendingOnly: Only pending jobs: what `run` would send.
    public func forEachEstimate(batchID: Int64?, pendingOnly: Bool, _ body: (StoredEstimate) throws -> Void) throws {
        var conditions = [pendingOnly ? "state = 'pending'" : "state != 'cancelled'"]
        var arguments: StatementArguments = []
        if let batchID {
            conditions.append("batch_id = ?")
            arguments += [batchID]
        }
        try dbPool.read { db in
            let rows = try Row.fetchCursor(db, sql: """
                SELECT model, estimated_prompt_tokens, max_completion_tokens, request,
                  (SELECT prompt_tokens FROM attempts
                   WHERE job_id = jobs.id AND prompt_tokens IS NOT NULL ORDER BY id DESC LIMIT 1)
                FROM jobs WHERE \(conditions.joined(separator: " AND ")) ORDER BY id
                """, arguments: arguments)
            while let row = try rows.next() {
                let estimate = (row[1] as Int?).map { JobEstimate(promptTokens: $0, maxCompletionTokens: row[2]) }
                    ?? JobEstimate(requestBody: row[3])
                try body(StoredEstimate(model: row[0], estimate: estimate, reportedPromptTokens: row[4]))
            }
        }
    }
}
