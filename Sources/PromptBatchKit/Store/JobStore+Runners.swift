import Foundation
import GRDB

extension JobStore {
    /// Records a runner so others can tell whether its running jobs are abandoned.
    /// - Parameters:
    ///   - host: Defaults to this machine's host name.
    ///   - pid: Defaults to this process.
    ///   - now: Start and first heartbeat time; defaults to now.
    /// - Returns: A new runner id.
    @discardableResult
    public func registerRunner(host: String = JobStore.currentHost, pid: Int = JobStore.currentPID, now: Date = Date()) throws -> String {
        let runnerID = Self.makeRunnerID(host: host, pid: pid)
        try dbPool.write { db in try Self.registerRunner(db, id: runnerID, host: host, pid: pid, now: now) }
        return runnerID
    }

    /// Marks the runner alive. Re-registers it (as this host and process) if another runner
    /// had presumed it dead and removed it.
    public func heartbeat(runnerID: String, now: Date = Date()) throws {
        try dbPool.write { db in try Self.heartbeat(db, runnerID: runnerID, now: now) }
    }

    /// Puts the runner's remaining running jobs back to `pending` and forgets the runner.
    public func unregisterRunner(_ runnerID: String) throws {
        try dbPool.write { db in try Self.unregisterRunner(db, runnerID: runnerID) }
    }

    /// Puts jobs of dead runners back to `pending`.
    ///
    /// A runner is dead when its heartbeat is older than `staleAfter`, or when it ran on this
    /// host and its process is gone. Running jobs of unknown runners are recovered too.
    /// - Parameters:
    ///   - now: The current time; defaults to now.
    ///   - staleAfter: Heartbeat age after which a runner is dead; defaults to 30 s.
    /// - Returns: The number of jobs put back.
    @discardableResult
    public func recoverAbandonedJobs(now: Date = Date(), staleAfter: Duration = .seconds(30)) throws -> Int {
        try dbPool.write { db in try Self.recoverAbandonedJobs(db, now: now, staleAfter: staleAfter) }
    }
}

extension JobStore {
    static func makeRunnerID(host: String, pid: Int) -> String {
        let suffix = String(UInt32.random(in: .min ... .max), radix: 16)
        return "\(host):\(pid):\(suffix)"
    }

    static func registerRunner(_ db: Database, id: String, host: String, pid: Int, now: Date) throws {
        try db.execute(
            sql: "INSERT INTO runners (id, host, pid, started_at, heartbeat_at) VALUES (?, ?, ?, ?, ?)",
            arguments: [id, host, pid, now.millisecondsSince1970, now.millisecondsSince1970])
    }

    static func heartbeat(_ db: Database, runnerID: String, now: Date) throws {
        try db.execute(
            sql: "UPDATE runners SET heartbeat_at = ? WHERE id = ?",
            arguments: [now.millisecondsSince1970, runnerID])
        if db.changesCount == 0 {
            try registerRunner(db, id: runnerID, host: currentHost, pid: currentPID, now: now)
        }
    }

    static func unregisterRunner(_ db: Database, runnerID: String) throws {
        try db.execute(
            sql: "UPDATE jobs SET state = 'pending', runner_id = NULL, started_at = NULL WHERE state = 'running' AND runner_id = ?",
            arguments: [runnerID])
        try db.execute(sql: "DELETE FROM runners WHERE id = ?", arguments: [runnerID])
    }

    /// Registered runners that are alive: a fresh heartbeat, and a process that exists when
    /// they run on this host.
    static func liveRunnerIDs(_ db: Database, now: Date, staleAfter: Duration) throws -> Set<String> {
        let all = try String.fetchSet(db, sql: "SELECT id FROM runners")
        return all.subtracting(try deadRunnerIDs(db, now: now, staleAfter: staleAfter))
    }

    static func deadRunnerIDs(_ db: Database, now: Date, staleAfter: Duration) throws -> [String] {
        let staleBefore = now.millisecondsSince1970 - staleAfter.milliseconds
        let host = currentHost
        return try Row.fetchAll(db, sql: "SELECT id, host, pid, heartbeat_at FROM runners").filter { row in
            let heartbeatAt: Int64 = row["heartbeat_at"]
            let runnerHost: String = row["host"]
            return heartbeatAt < staleBefore || (runnerHost == host && !processExists(pid: row["pid"]))
        }.map { $0["id"] }
    }

    static func recoverAbandonedJobs(_ db: Database, now: Date, staleAfter: Duration) throws -> Int {
        for id in try deadRunnerIDs(db, now: now, staleAfter: staleAfter) {
            try db.execute(sql: "DELETE FROM runners WHERE id = ?", arguments: [id])
        }
        try db.execute(sql: """
            UPDATE jobs SET state = 'pending', runner_id = NULL, started_at = NULL
            WHERE state = 'running' AND (runner_id IS NULL OR runner_id NOT IN (SELECT id FROM runners))
            """)
        return db.changesCount
    }
}
