import GRDB

/// Reads the runners' database from outside, with plain SQL: the checks must not trust the
/// code they check.
struct TortureDatabase: Sendable {
    /// One job as the checks see it.
    struct Job: Sendable {
        var customID: String
        var state: String
        var attemptsColumn: Int
        var attemptRows: Int
        var attemptRunners: Int
        var lastStatus: Int?
        var costColumn: Int64
        var attemptCost: Int64
        var promptTokensColumn: Int
        var attemptPromptTokens: Int
        var hasResult: Bool
        var errorCategory: String?
    }

    let dbQueue: DatabaseQueue

    init(path: String) throws {
        var configuration = Configuration()
        configuration.busyMode = .timeout(30)
        dbQueue = try DatabaseQueue(path: path, configuration: configuration)
    }

    /// Jobs that reached a terminal state.
    func finishedCount() throws -> Int {
        try dbQueue.read { db in
            try Int.fetchOne(db, sql: "SELECT count(*) FROM jobs WHERE state IN ('succeeded', 'failed')") ?? 0
        }
    }

    /// Custom ids of the jobs a runner process holds (`running` under its runner id).
    func runningJobs(ofProcess pid: Int32) throws -> Set<String> {
        try dbQueue.read { db in
            Set(try String.fetchAll(
                db, sql: "SELECT custom_id FROM jobs WHERE state = 'running' AND runner_id LIKE ?",
                arguments: ["%:\(pid):%"]))
        }
    }

    func jobs() throws -> [Job] {
        try dbQueue.read { db in
            try Row.fetchAll(db, sql: """
                SELECT j.custom_id, j.state, j.attempts, j.cost_picousd, j.prompt_tokens, j.error_category,
                       (SELECT count(*) FROM attempts a WHERE a.job_id = j.id) AS attempt_rows,
                       (SELECT count(DISTINCT a.runner_id) FROM attempts a WHERE a.job_id = j.id) AS attempt_runners,
                       (SELECT a.status_code FROM attempts a WHERE a.job_id = j.id ORDER BY a.id DESC LIMIT 1) AS last_status,
                       (SELECT coalesce(sum(a.cost_picousd), 0) FROM attempts a WHERE a.job_id = j.id) AS attempt_cost,
                       (SELECT coalesce(sum(a.prompt_tokens), 0) FROM attempts a WHERE a.job_id = j.id) AS attempt_prompt_tokens,
                       EXISTS (SELECT 1 FROM results r WHERE r.job_id = j.id) AS has_result
                FROM jobs j ORDER BY j.id
                """
            ).map { row in
                Job(
                    customID: row["custom_id"], state: row["state"], attemptsColumn: row["attempts"],
                    attemptRows: row["attempt_rows"], attemptRunners: row["attempt_runners"], lastStatus: row["last_status"],
                    costColumn: row["cost_picousd"], attemptCost: row["attempt_cost"],
                    promptTokensColumn: row["prompt_tokens"], attemptPromptTokens: row["attempt_prompt_tokens"],
                    hasResult: row["has_result"], errorCategory: row["error_category"])
            }
        }
    }

    /// Whether a runner process has registered in the `runners` table.
    func isRegistered(pid: Int32) throws -> Bool {
        try dbQueue.read { db in
            try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM runners WHERE pid = ?)", arguments: [pid]) ?? false
        }
    }

    /// Attempts recorded with the `cancelled` category.
    func cancelledAttempts() throws -> Int {
        try dbQueue.read { db in
            try Int.fetchOne(db, sql: "SELECT count(*) FROM attempts WHERE error_category = 'cancelled'") ?? 0
        }
    }

    /// Result rows whose job is not `succeeded`, and results per job above one (the primary
    /// key forbids it; checked anyway).
    func strayResults() throws -> Int {
        try dbQueue.read { db in
            try Int.fetchOne(db, sql: """
                SELECT count(*) FROM results r LEFT JOIN jobs j ON j.id = r.job_id
                WHERE j.id IS NULL OR j.state <> 'succeeded'
                """) ?? 0
        }
    }

    /// `PRAGMA integrity_check` and `PRAGMA foreign_key_check`, `["ok"]` when all is well.
    func integrity() throws -> [String] {
        try dbQueue.read { db in
            var problems = try String.fetchAll(db, sql: "PRAGMA integrity_check")
            let foreignKeys = try Row.fetchAll(db, sql: "PRAGMA foreign_key_check")
            if !foreignKeys.isEmpty { problems.append("\(foreignKeys.count) foreign key violations") }
            return problems
        }
    }
}
