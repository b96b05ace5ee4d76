import Foundation
import GRDB

extension JobStore {
    /// Claims up to `limit` pending jobs, lowest id first, in one statement, so two runners
    /// never get the same job.
    /// - Parameters:
    ///   - limit: The most jobs to claim.
    ///   - runnerID: The claiming runner, from ``registerRunner(host:pid:now:)``.
    ///   - batchID: Claim only from this batch; nil for any batch.
    /// - Returns: The claimed jobs, now `running` and owned by `runnerID`, in id order.
    public func claimJobs(limit: Int, runnerID: String, batchID: Int64?) throws -> [ClaimedJob] {
        try dbPool.write { db in try Self.claimJobs(db, limit: limit, runnerID: runnerID, batchID: batchID, now: Date()) }
    }

    /// Inserts the attempt and, in the same transaction, adds one to the job's attempts and
    /// its tokens and cost to the job's totals.
    public func recordAttempt(jobID: Int64, _ attempt: AttemptRecord, runnerID: String) throws {
        try dbPool.write { db in try Self.recordAttempt(db, jobID: jobID, attempt, runnerID: runnerID) }
    }

    /// Finishes a job, but only if it is still `running` and owned by `runnerID` (a runner
    /// presumed dead may have lost it to another).
    /// - Returns: Whether the job was changed.
    @discardableResult
    public func complete(jobID: Int64, outcome: JobOutcome, runnerID: String) throws -> Bool {
        try dbPool.write { db in
            try Self.complete(db, jobID: jobID, outcome: outcome, runnerID: runnerID, now: Date())
        }
    }

    /// Puts jobs owned by `runnerID` back to `pending`.
    public func release(jobIDs: [Int64], runnerID: String) throws {
        try dbPool.write { db in try Self.release(db, jobIDs: jobIDs, runnerID: runnerID) }
    }
}

// The statements themselves, shared by the methods above and the runner's group-commit writer.
extension JobStore {
    static func claimJobs(_ db: Database, limit: Int, runnerID: String, batchID: Int64?, now: Date) throws -> [ClaimedJob] {
        guard limit > 0 else { return [] }
        // Ordering by (batch_id, id) walks the jobs_by_state index; ORDER BY id alone would
        // sort every pending job on each claim. Ids grow with batches, so the order is the same.
        let scope = batchID == nil ? "" : "AND batch_id = ?4"
        let statement = try db.cachedStatement(sql: """
            UPDATE jobs SET state = 'running', runner_id = ?1, started_at = ?2
            WHERE id IN (
              SELECT id FROM jobs WHERE state = 'pending' \(scope) ORDER BY batch_id, id LIMIT ?3)
            RETURNING id, batch_id, custom_id, model, request, is_stream, attempts,
              estimated_prompt_tokens, max_completion_tokens
            """)
        var arguments: StatementArguments = [runnerID, now.millisecondsSince1970, limit]
        if let batchID { arguments += [batchID] }
        statement.setUncheckedArguments(arguments)
        var jobs: [ClaimedJob] = []
        jobs.reserveCapacity(limit)
        let rows = try Row.fetchCursor(statement)
        while let row = try rows.next() {
            // Jobs submitted before estimates were stored have none: ClaimedJob computes it.
            let estimate = (row[7] as Int?).map { JobEstimate(promptTokens: $0, maxCompletionTokens: row[8]) }
            jobs.append(ClaimedJob(
                id: row[0], batchID: row[1], customID: row[2], model: row[3], requestBody: row[4],
                isStream: row[5], previousAttempts: row[6], estimate: estimate))
        }
        // RETURNING promises no order.
        jobs.sort { $0.id < $1.id }
        return jobs
    }

    static func recordAttempt(_ db: Database, jobID: Int64, _ attempt: AttemptRecord, runnerID: String) throws {
        let usage = attempt.usage
        let insert = try db.cachedStatement(sql: """
            INSERT INTO attempts (job_id, runner_id, started_at, latency_ms, status_code, error_category,
              error_message, generation_id, prompt_tokens, completion_tokens, reasoning_tokens, cached_tokens,
              cost_picousd, cost_source)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        insert.setUncheckedArguments([
            jobID, runnerID, attempt.startedAt.millisecondsSince1970, attempt.latency?.milliseconds,
            attempt.statusCode, attempt.errorCategory, attempt.errorMessage, attempt.generationID,
            usage?.prompt, usage?.completion, usage?.reasoning, usage?.cached,
            attempt.costPicoUSD, attempt.costSource,
        ])
        try insert.execute()
        // A job whose attempts mix cost sources is only as good as its worst: 'estimated'.
        // Its cost saturates (an integer overflow in SQLite's `+` yields a REAL, which MIN caps).
        let update = try db.cachedStatement(sql: """
            UPDATE jobs SET attempts = attempts + 1,
              prompt_tokens = prompt_tokens + ?1, completion_tokens = completion_tokens + ?2,
              reasoning_tokens = reasoning_tokens + ?3, cached_tokens = cached_tokens + ?4,
              cost_picousd = MIN(cost_picousd + ?5, 9223372036854775807),
              cost_source = CASE
                WHEN ?6 IS NULL THEN cost_source
                WHEN cost_source IS NULL OR cost_source = ?6 THEN ?6
                ELSE 'estimated' END
            WHERE id = ?7
            """)
        update.setUncheckedArguments([
            usage?.prompt ?? 0, usage?.completion ?? 0, usage?.reasoning ?? 0, usage?.cached ?? 0,
            attempt.costPicoUSD ?? 0, attempt.costSource, jobID,
        ])
        try update.execute()
    }

    static func complete(_ db: Database, jobID: Int64, outcome: JobOutcome, runnerID: String, now: Date) throws -> Bool {
        let nowMS = now.millisecondsSince1970
        switch outcome {
        case .succeeded(let result):
            let update = try db.cachedStatement(sql: """
                UPDATE jobs SET state = 'succeeded', finished_at = ?, answered_model = ?, finish_reason = ?,
                  latency_ms = ?, error_category = NULL, error_message = NULL
                WHERE id = ? AND runner_id = ? AND state = 'running'
                """)
            update.setUncheckedArguments([
                nowMS, result.answeredModel, result.finishReason, result.latency?.milliseconds, jobID, runnerID,
            ])
            try update.execute()
            guard db.changesCount == 1 else { return false }
            let insert = try db.cachedStatement(
                sql: "INSERT OR REPLACE INTO results (job_id, response, created_at) VALUES (?, ?, ?)")
            insert.setUncheckedArguments([jobID, result.responseBody, nowMS])
            try insert.execute()
            return true
        case .failed(let category, let message):
            let update = try db.cachedStatement(sql: """
                UPDATE jobs SET state = 'failed', finished_at = ?, error_category = ?, error_message = ?
                WHERE id = ? AND runner_id = ? AND state = 'running'
                """)
            update.setUncheckedArguments([nowMS, category, message, jobID, runnerID])
            try update.execute()
            return db.changesCount == 1
        case .fatal, .released:
            try release(db, jobIDs: [jobID], runnerID: runnerID)
            return db.changesCount == 1
        }
    }

    static func release(_ db: Database, jobIDs: [Int64], runnerID: String) throws {
        let update = try db.cachedStatement(sql: """
            UPDATE jobs SET state = 'pending', runner_id = NULL, started_at = NULL
            WHERE id = ? AND runner_id = ? AND state = 'running'
            """)
        for jobID in jobIDs {
            update.setUncheckedArguments([jobID, runnerID])
            try update.execute()
        }
    }
}
