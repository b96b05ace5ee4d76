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
        _ = try dbPool.write { db in try Self.recordAttempt(db, jobID: jobID, attempt, runnerID: runnerID) }
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
    /// Claims like ``claimJobs(_:limit:runnerID:batchID:now:)``, but first answers each claimed
    /// job from the cache when `cache` allows, and claims again for those, so a claim still
    /// comes back short only when nothing more is pending.
    /// - Returns: The jobs to run, and how many more were claimed and answered from the cache.
    static func claimJobs(
        _ db: Database, limit: Int, runnerID: String, batchID: Int64?, now: Date, cache: ResponseCachePolicy?
    ) throws -> (jobs: [ClaimedJob], cached: Int) {
        guard let cache else {
            return (try claimJobs(db, limit: limit, runnerID: runnerID, batchID: batchID, now: now), 0)
        }
        var jobs: [ClaimedJob] = []
        var cached = 0
        while jobs.count < limit {
            let wanted = limit - jobs.count
            let claimed = try claimJobs(db, limit: wanted, runnerID: runnerID, batchID: batchID, now: now)
            for job in claimed {
                if try answerFromCache(db, job: job, policy: cache, now: now) {
                    cached += 1
                } else {
                    jobs.append(job)
                }
            }
            if claimed.count < wanted { break }
        }
        return (jobs, cached)
    }

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

    /// - Returns: Whether this was a new attempt (false: it completed the open row of the same
    ///   generation id, written when its stream started).
    @discardableResult
    static func recordAttempt(_ db: Database, jobID: Int64, _ attempt: AttemptRecord, runnerID: String) throws -> Bool {
        let usage = attempt.usage
        func bindAttempt(_ b: StatementBinder) {
            b.bind(1, jobID)
            b.bind(2, runnerID)
            b.bind(3, attempt.startedAt.millisecondsSince1970)
            b.bind(4, attempt.latency?.milliseconds)
            b.bind(5, attempt.statusCode)
            b.bind(6, attempt.errorCategory)
            b.bind(7, attempt.errorMessage)
            b.bind(8, attempt.generationID)
            b.bind(9, usage?.prompt)
            b.bind(10, usage?.completion)
            b.bind(11, usage?.reasoning)
            b.bind(12, usage?.cached)
            b.bind(13, attempt.costPicoUSD)
            b.bind(14, attempt.costSource)
            b.bind(15, attempt.isOpen)
        }
        var isNew = true
        if !attempt.isOpen, attempt.generationID != nil {
            // An open row holds no tokens or cost, so completing it adds only this record's.
            let close = try db.cachedStatement(sql: """
                UPDATE attempts SET runner_id = ?2, started_at = ?3, latency_ms = ?4, status_code = ?5,
                  error_category = ?6, error_message = ?7, prompt_tokens = ?9, completion_tokens = ?10,
                  reasoning_tokens = ?11, cached_tokens = ?12, cost_picousd = ?13, cost_source = ?14, is_open = ?15
                WHERE id = (SELECT id FROM attempts WHERE job_id = ?1 AND generation_id = ?8 AND is_open = 1
                  AND cost_picousd IS NULL ORDER BY id DESC LIMIT 1)
                """)
            isNew = try close.execute(db, binding: bindAttempt) == 0
        }
        if isNew {
            let insert = try db.cachedStatement(sql: """
                INSERT INTO attempts (job_id, runner_id, started_at, latency_ms, status_code, error_category,
                  error_message, generation_id, prompt_tokens, completion_tokens, reasoning_tokens, cached_tokens,
                  cost_picousd, cost_source, is_open)
                VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)
                """)
            try insert.execute(db, binding: bindAttempt)
        }
        // A job's cost source is its attempts' worst: 'estimated', then 'reconciled' (reported
        // later), then 'reported'. Its cost saturates (an integer overflow in SQLite's `+` yields
        // a REAL, which MIN caps).
        let update = try db.cachedStatement(sql: """
            UPDATE jobs SET attempts = attempts + ?8,
              prompt_tokens = prompt_tokens + ?1, completion_tokens = completion_tokens + ?2,
              reasoning_tokens = reasoning_tokens + ?3, cached_tokens = cached_tokens + ?4,
              cost_picousd = MIN(cost_picousd + ?5, 9223372036854775807),
              cost_source = \(costSourceMerge("cost_source", "?6"))
            WHERE id = ?7
            """)
        try update.execute(db) { b in
            b.bind(1, usage?.prompt ?? 0)
            b.bind(2, usage?.completion ?? 0)
            b.bind(3, usage?.reasoning ?? 0)
            b.bind(4, usage?.cached ?? 0)
            b.bind(5, attempt.costPicoUSD ?? 0)
            b.bind(6, attempt.costSource)
            b.bind(7, jobID)
            b.bind(8, isNew)
        }
        return isNew
    }

    /// SQL for a job's cost source after an attempt's: the worst of the two ('estimated' over
    /// 'reconciled' over 'reported'); a job answered from the cache stays 'cached'.
    static func costSourceMerge(_ job: String, _ attempt: String) -> String {
        """
        CASE
          WHEN \(attempt) IS NULL OR \(job) = 'cached' THEN \(job)
          WHEN \(job) IS NULL OR \(job) = \(attempt) THEN \(attempt)
          WHEN 'estimated' IN (\(job), \(attempt)) THEN 'estimated'
          WHEN 'reconciled' IN (\(job), \(attempt)) THEN 'reconciled'
          ELSE 'estimated' END
        """
    }

    static func complete(_ db: Database, jobID: Int64, outcome: JobOutcome, runnerID: String, now: Date) throws -> Bool {
        let nowMS = now.millisecondsSince1970
        switch outcome {
        case .succeeded(let result):
            let update = try db.cachedStatement(sql: """
                UPDATE jobs SET state = 'succeeded', finished_at = ?1, answered_model = ?2, finish_reason = ?3,
                  latency_ms = ?4, error_category = NULL, error_message = NULL
                WHERE id = ?5 AND runner_id = ?6 AND state = 'running'
                """)
            let changed = try update.execute(db) { b in
                b.bind(1, nowMS)
                b.bind(2, result.answeredModel)
                b.bind(3, result.finishReason)
                b.bind(4, result.latency?.milliseconds)
                b.bind(5, jobID)
                b.bind(6, runnerID)
            }
            guard changed == 1 else { return false }
            let insert = try db.cachedStatement(
                sql: "INSERT OR REPLACE INTO results (job_id, response, created_at) VALUES (?1, ?2, ?3)")
            try insert.execute(db) { b in
                b.bind(1, jobID)
                b.bind(2, result.responseBody)
                b.bind(3, nowMS)
            }
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
