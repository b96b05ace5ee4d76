import Foundation
import GRDB

extension JobStore {
    /// Computes the canonical-request hash of the cache's sources that have none — original
    /// jobs that succeeded (`submit` stores no hash) — a thousand per transaction, so the cache
    /// can find them. Jobs still to run are hashed as they are claimed (``answerFromCache``),
    /// so a run's start does not wait for the whole queue to be hashed.
    /// - Returns: How many jobs were hashed.
    @discardableResult
    public func computeMissingSourceHashes() throws -> Int {
        var total = 0
        // Keyset pagination: each pass starts after the last job seen, so the whole queue is
        // read once however many jobs succeeded (a plain LIMIT would rescan the hashed ones).
        var lastID: Int64 = 0
        while true {
            let (hashed, last) = try dbPool.write { db -> (Int, Int64?) in
                let rows = try Row.fetchAll(db, sql: """
                    SELECT id, request FROM jobs
                    WHERE id > ? AND request_hash IS NULL AND state = 'succeeded' AND cached_from_job_id IS NULL
                    ORDER BY id LIMIT 1000
                    """, arguments: [lastID])
                for row in rows {
                    try Self.storeCanonicalRequest(db, jobID: row[0], requestBody: row[1])
                }
                return (rows.count, rows.last?[0])
            }
            total += hashed
            guard hashed == 1000, let last else { return total }
            lastID = last
        }
    }

    /// Stores the hash of a job's request; a body that does not parse gets a hash of its text,
    /// which matches only the same text.
    @discardableResult
    static func storeCanonicalRequest(_ db: Database, jobID: Int64, requestBody: String) throws -> CanonicalRequest {
        let canonical = CanonicalRequest(requestBody: requestBody) ?? CanonicalRequest(wireBody: ["unparsable": .string(requestBody)])
        try db.execute(
            sql: "UPDATE jobs SET request_hash = ?, is_deterministic = ? WHERE id = ?",
            arguments: [canonical.hash, canonical.isDeterministic, jobID])
        return canonical
    }

    /// Finishes a claimed job from the cache when the policy allows it and an original result
    /// with the same canonical request exists: one indexed look-up.
    /// - Returns: Whether the job was answered from the cache (it is `succeeded` then).
    static func answerFromCache(_ db: Database, job: ClaimedJob, policy: ResponseCachePolicy, now: Date) throws -> Bool {
        let own = try db.cachedStatement(sql: "SELECT request_hash, is_deterministic FROM jobs WHERE id = ?")
        guard let row = try Row.fetchOne(own, arguments: [job.id]) else { return false }
        var hash: String? = row[0]
        var isDeterministic: Bool = row[1] ?? false
        if hash == nil {
            let canonical = try storeCanonicalRequest(db, jobID: job.id, requestBody: job.requestBody)
            hash = canonical.hash
            isDeterministic = canonical.isDeterministic
        }
        guard let hash, isDeterministic || policy.includesNondeterministic else { return false }
        let lookup = try db.cachedStatement(sql: """
            SELECT jobs.id, jobs.cost_picousd, jobs.answered_model, jobs.finish_reason, results.response
            FROM jobs JOIN results ON results.job_id = jobs.id
            WHERE jobs.request_hash = ? AND jobs.state = 'succeeded' AND jobs.cached_from_job_id IS NULL
            ORDER BY jobs.id LIMIT 1
            """)
        guard let source = try Row.fetchOne(lookup, arguments: [hash]) else { return false }
        let nowMS = now.millisecondsSince1970
        let update = try db.cachedStatement(sql: """
            UPDATE jobs SET state = 'succeeded', finished_at = ?, answered_model = ?, finish_reason = ?,
              latency_ms = NULL, error_category = NULL, error_message = NULL, cost_source = 'cached',
              cached_from_job_id = ?, cache_saved_picousd = ?
            WHERE id = ? AND state = 'running'
            """)
        update.setUncheckedArguments([nowMS, source[2] as String?, source[3] as String?, source[0] as Int64, source[1] as Int64, job.id])
        try update.execute()
        guard db.changesCount == 1 else { return false }
        let insert = try db.cachedStatement(sql: "INSERT OR REPLACE INTO results (job_id, response, created_at) VALUES (?, ?, ?)")
        insert.setUncheckedArguments([job.id, source[4] as String, nowMS])
        try insert.execute()
        return true
    }
}
