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
        let isNew = try insertAttempt(db, jobID: jobID, attempt, runnerID: runnerID)
        try addToJob(db, jobID: jobID, AttemptTotals(attempt, isNew: isNew))
        return isNew
    }

    /// What an attempt adds to its job's row: one attempt if it is new, its tokens and cost,
    /// and its cost source merged into the job's. Bound as `?1`–`?6` and `?8` of
    /// ``attemptTotalsAssignments``.
    struct AttemptTotals {
        var usage: TokenUsage?
        var costPicoUSD: Int64?
        var costSource: String?
        var isNew: Bool

        init(_ attempt: AttemptRecord, isNew: Bool) {
            self.usage = attempt.usage
            self.costPicoUSD = attempt.costPicoUSD
            self.costSource = attempt.costSource
            self.isNew = isNew
        }

        func bind(_ b: StatementBinder) {
            b.bind(1, usage?.prompt ?? 0)
            b.bind(2, usage?.completion ?? 0)
            b.bind(3, usage?.reasoning ?? 0)
            b.bind(4, usage?.cached ?? 0)
            b.bind(5, costPicoUSD ?? 0)
            b.bind(6, costSource)
            b.bind(8, isNew)
        }
    }

    /// A job's cost source is its attempts' worst: 'estimated', then 'reconciled' (reported
    /// later), then 'reported'. Its cost saturates (an integer overflow in SQLite's `+` yields
    /// a REAL, which MIN caps).
    static let attemptTotalsAssignments = """
        attempts = attempts + ?8,
          prompt_tokens = prompt_tokens + ?1, completion_tokens = completion_tokens + ?2,
          reasoning_tokens = reasoning_tokens + ?3, cached_tokens = cached_tokens + ?4,
          cost_picousd = MIN(cost_picousd + ?5, 9223372036854775807),
          cost_source = \(costSourceMerge("cost_source", "?6"))
        """

    private static let addToJobSQL = "UPDATE jobs SET \(attemptTotalsAssignments) WHERE id = ?7"

    /// Adds an attempt to its job's totals (whoever owns the job now: the attempt was made).
    static func addToJob(_ db: Database, jobID: Int64, _ totals: AttemptTotals) throws {
        let update = try db.cachedStatement(sql: addToJobSQL)
        try update.execute(db) { b in
            totals.bind(b)
            b.bind(7, jobID)
        }
    }

    /// Writes an attempt's row: a new one, or the open row its stream left.
    /// - Parameter mayCloseOpenRow: false when no open row of this attempt can exist (no
    ///   earlier record of it was open), which spares looking for one.
    /// - Returns: Whether the row is new.
    static func insertAttempt(
        _ db: Database, jobID: Int64, _ attempt: AttemptRecord, runnerID: String, mayCloseOpenRow: Bool = true
    ) throws -> Bool {
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
        if mayCloseOpenRow, !attempt.isOpen, attempt.generationID != nil {
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

    /// The success update, parameters `?7` and `?9`–`?13`; with an attempt's totals first
    /// (`?1`–`?6`, `?8`) when ``complete(_:jobID:outcome:runnerID:now:adding:)`` folds one in.
    private static func succeededSQL(addingAttempt: Bool) -> String {
        """
        UPDATE jobs SET \(addingAttempt ? attemptTotalsAssignments + "," : "")
          state = 'succeeded', finished_at = ?9, answered_model = ?10, finish_reason = ?11,
          latency_ms = ?12, error_category = NULL, error_message = NULL
        WHERE id = ?7 AND runner_id = ?13 AND state = 'running'
        """
    }
    private static let succeeded = succeededSQL(addingAttempt: false)
    private static let succeededAddingAttempt = succeededSQL(addingAttempt: true)

    /// Finishes a job if `runnerID` still owns it.
    /// - Parameter totals: an attempt of the job, already inserted, whose totals are added to
    ///   the job's row here: in the success update itself when it applies (one write of the
    ///   row instead of two), on their own otherwise.
    static func complete(
        _ db: Database, jobID: Int64, outcome: JobOutcome, runnerID: String, now: Date, adding totals: AttemptTotals? = nil
    ) throws -> Bool {
        let nowMS = now.millisecondsSince1970
        if case .succeeded = outcome {} else if let totals {
            try addToJob(db, jobID: jobID, totals)
        }
        switch outcome {
        case .succeeded(let result):
            let update = try db.cachedStatement(sql: totals == nil ? succeeded : succeededAddingAttempt)
            let changed = try update.execute(db) { b in
                totals?.bind(b)
                b.bind(7, jobID)
                b.bind(9, nowMS)
                b.bind(10, result.answeredModel)
                b.bind(11, result.finishReason)
                b.bind(12, result.latency?.milliseconds)
                b.bind(13, runnerID)
            }
            guard changed == 1 else {
                if let totals { try addToJob(db, jobID: jobID, totals) }
                return false
            }
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
