import Foundation
import GRDB
import Testing
@testable import PromptBatchKit

@Suite struct JobStoreTests {
    @Test func appliesAndRecordsMigrations() throws {
        let database = try TemporaryDatabase()
        let store = try database.openStore()
        let rows = try store.dbPool.read { db in
            try Row.fetchAll(db, sql: "SELECT version, name, checksum, applied_at FROM schema_migrations")
        }
        #expect(rows.count == JobStore.Migration.embedded.count)
        #expect(rows.first?["version"] == 1)
        #expect(rows.first?["name"] == "0001_initial.sql")
        #expect(rows.first?["checksum"] == JobStore.Migration.embedded[0].checksum)
        #expect(rows.map { $0["version"] as Int } == JobStore.Migration.embedded.map(\.version))
        let tables = try store.dbPool.read { db in
            try String.fetchSet(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table'")
        }
        #expect(tables.isSuperset(of: ["batches", "jobs", "attempts", "results", "runners", "models", "budgets", "schema_migrations"]))
        let journalMode = try store.dbPool.read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") }
        #expect(journalMode == "wal")

        // Opening again applies nothing new.
        _ = try database.openStore()
        let count = try store.dbPool.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM schema_migrations") }
        #expect(count == JobStore.Migration.embedded.count)
    }

    @Test func embeddedMigrationsAreSortedAndComplete() {
        let versions = EmbeddedMigrations.all.map(\.version)
        #expect(versions == versions.sorted())
        #expect(versions.first == 1)
        #expect(EmbeddedMigrations.all.first?.sql.contains("CREATE TABLE jobs") == true)
    }

    @Test func refusesADatabaseFromANewerVersion() throws {
        let database = try TemporaryDatabase()
        let store = try database.openStore()
        try store.dbPool.write { db in
            try db.execute(sql: "INSERT INTO schema_migrations VALUES (7, '0007_future.sql', 'x', 0)")
        }
        let error = try #require(throws: JobStoreError.self) { try database.openStore() }
        #expect(error.code == .databaseIsNewer)
        #expect(error.message.contains("version 7"))
        #expect(error.message.contains("version \(JobStore.Migration.embedded.count)"))
    }

    @Test func refusesAMigrationEditedAfterItWasApplied() throws {
        let database = try TemporaryDatabase()
        let store = try database.openStore()
        try store.dbPool.write { db in
            try db.execute(sql: "UPDATE schema_migrations SET checksum = 'edited' WHERE version = 1")
        }
        let error = try #require(throws: JobStoreError.self) { try database.openStore() }
        #expect(error.code == .migrationEdited)
        #expect(error.message.contains("migration 0001_initial.sql was edited after it was applied"))
    }

    /// Version 5: no statement that writes a job's row opens an ephemeral table for the state
    /// CHECK (an `IN` list did, on every execution), and the CHECK still refuses an unknown state.
    @Test func theStateCheckCompilesToComparisons() throws {
        let database = try TemporaryDatabase()
        let store = try database.openStore()
        let batchID = try store.createTestBatch(1)
        try store.dbPool.write { db in
            for sql in [
                "UPDATE jobs SET state = 'succeeded', finished_at = 1 WHERE id = 1 AND state = 'running'",
                "INSERT INTO jobs (batch_id, custom_id, source_file, line_number, model, request) VALUES (1, 'x', 'f', 1, 'm', '{}')",
            ] {
                let program = try Row.fetchAll(db, sql: "EXPLAIN " + sql).map { $0["opcode"] as String }
                #expect(program.contains("Update") || program.contains("Insert"), "\(sql)")
                #expect(!program.contains("OpenEphemeral"), "\(sql)")
            }
        }
        let error = try #require(throws: DatabaseError.self) {
            try store.dbPool.write { db in
                try db.execute(sql: "UPDATE jobs SET state = 'bogus' WHERE batch_id = ?", arguments: [batchID])
            }
        }
        #expect(error.extendedResultCode == .SQLITE_CONSTRAINT_CHECK)
        #expect(error.message?.contains("valid_state") == true)
    }

    /// Version 5 rewrites the CHECK of a database made by version 4 in place: its jobs are
    /// untouched, the file passes an integrity check, and a connection opened before the
    /// migration sees the new schema.
    @Test func version5RewritesTheStateCheckOfAnExistingDatabase() throws {
        let database = try TemporaryDatabase()
        let states = ["pending", "running", "succeeded", "failed", "cancelled"]
        let earlier = try DatabaseQueue(path: database.path)
        let beforeMigration: [Row]
        do {
            let pool = try DatabasePool(path: database.path)
            try JobStore.Migrator.migrate(pool, migrations: JobStore.Migration.embedded.filter { $0.version <= 4 })
            beforeMigration = try pool.write { db in
                try db.execute(sql: "INSERT INTO batches (name, created_at, content_hash, source_files, job_count) VALUES ('old', 0, 'h', '[]', 5)")
                for (index, state) in states.enumerated() {
                    try db.execute(
                        sql: """
                            INSERT INTO jobs (batch_id, custom_id, source_file, line_number, model, request, state)
                            VALUES (1, ?, 'f', ?, 'm', '{}', ?)
                            """,
                        arguments: ["job-\(index)", index + 1, state])
                }
                return try Row.fetchAll(db, sql: "SELECT * FROM jobs ORDER BY id")
            }
        }
        // A connection that has read the version 4 schema.
        #expect(try earlier.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM jobs") } == 5)

        let store = try database.openStore()
        let (sql, afterMigration, integrity) = try store.dbPool.read { db in
            (
                try String.fetchOne(db, sql: "SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = 'jobs'") ?? "",
                try Row.fetchAll(db, sql: "SELECT * FROM jobs ORDER BY id"),
                try String.fetchAll(db, sql: "PRAGMA integrity_check")
            )
        }
        #expect(afterMigration == beforeMigration)
        #expect(integrity == ["ok"])
        #expect(sql.contains("CONSTRAINT valid_state CHECK (state = 'pending' OR state = 'running'"))
        #expect(!sql.contains("state IN"))
        #expect(try store.dbPool.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM sqlite_schema WHERE name = 'schema_cookie_change'") } == 0)

        // The schema cookie changed, so the earlier connection's next statement re-reads the
        // schema (the message names the new constraint) and compiles against it from then on.
        let error = try #require(throws: DatabaseError.self) {
            try earlier.write { db in try db.execute(sql: "UPDATE jobs SET state = 'bogus' WHERE id = 1") }
        }
        #expect(error.message?.contains("valid_state") == true)
        let program = try earlier.read { db in
            try Row.fetchAll(db, sql: "EXPLAIN UPDATE jobs SET state = 'failed' WHERE id = 1").map { $0["opcode"] as String }
        }
        #expect(!program.contains("OpenEphemeral"))
    }

    @Test func createsTheDatabaseFileWithMode0600() throws {
        let database = try TemporaryDatabase()
        _ = try database.openStore()
        let attributes = try FileManager.default.attributesOfItem(atPath: database.path)
        let permissions = try #require(attributes[.posixPermissions] as? NSNumber)
        #expect(permissions.intValue & 0o777 == 0o600)
    }

    @Test func createBatchStreams100kJobs() throws {
        let database = try TemporaryDatabase()
        let store = try database.openStore()
        let batchID = try store.createBatch(
            name: "big", contentHash: "h1", sourceFiles: ["a.jsonl", "dir/b.jsonl"], jobs: makeJobs(100_000))
        let counts = try store.counts(batchID: batchID)
        #expect(counts.pending == 100_000)
        #expect(counts.total == 100_000)
        let batch = try #require(try store.dbPool.read { db in
            try Row.fetchOne(db, sql: "SELECT job_count, source_files FROM batches WHERE id = ?", arguments: [batchID])
        })
        #expect(batch["job_count"] == 100_000)
        #expect(batch["source_files"] == #"["a.jsonl","dir/b.jsonl"]"#)
        #expect(try store.batches(withContentHash: "h1") == [batchID])
        #expect(try store.batches(withContentHash: "other").isEmpty)
    }

    @Test func duplicateCustomIDRollsBackEverything() throws {
        let database = try TemporaryDatabase()
        let store = try database.openStore()
        let jobs = Array(makeJobs(10)) + [
            JobStore.NewJob(customID: "job-3", sourceFile: "more.jsonl", lineNumber: 4, model: "m", requestBody: "{}")
        ]
        let error = try #require(throws: JobStoreError.self) {
            try store.createBatch(name: nil, contentHash: "h", sourceFiles: ["jobs.jsonl"], jobs: jobs)
        }
        #expect(error.code == .duplicateCustomID)
        #expect(error.message.contains("more.jsonl:4"))
        #expect(try store.counts(batchID: nil).total == 0)
        #expect(try store.batches(withContentHash: "h").isEmpty)
        // The same custom id in another batch is fine.
        _ = try store.createTestBatch(3)
        _ = try store.createTestBatch(3)
        #expect(try store.counts(batchID: nil).total == 6)
    }

    @Test func claimsInIDOrderWithinTheBatchScope() throws {
        let database = try TemporaryDatabase()
        let store = try database.openStore()
        let first = try store.createTestBatch(5)
        let second = try store.createTestBatch(5)
        let runner = try store.registerRunner()
        let fromSecond = try store.claimJobs(limit: 3, runnerID: runner, batchID: second)
        #expect(fromSecond.map(\.batchID) == [second, second, second])
        #expect(fromSecond.map(\.customID) == ["job-1", "job-2", "job-3"])
        let any = try store.claimJobs(limit: 100, runnerID: runner, batchID: nil)
        #expect(any.count == 7)
        #expect(any.map(\.id) == any.map(\.id).sorted())
        #expect(any.first?.batchID == first)
        #expect(try store.claimJobs(limit: 5, runnerID: runner, batchID: nil).isEmpty)
        #expect(try store.counts(batchID: nil).running == 10)
    }

    @Test func twoStoresClaimingConcurrentlyNeverGetTheSameJob() throws {
        let database = try TemporaryDatabase()
        let stores = [try database.openStore(), try database.openStore()]
        _ = try stores[0].createTestBatch(3_000)
        let claimed = LockedBox<[[Int64]]>([[], []])
        let failures = LockedBox<[String]>([])
        DispatchQueue.concurrentPerform(iterations: 2) { index in
            do {
                let store = stores[index]
                let runner = try store.registerRunner()
                while true {
                    let jobs = try store.claimJobs(limit: 7, runnerID: runner, batchID: nil)
                    if jobs.isEmpty { break }
                    claimed.withLock { $0[index] += jobs.map(\.id) }
                }
            } catch {
                failures.withLock { $0.append("\(error)") }
            }
        }
        #expect(failures.current.isEmpty)
        let all = claimed.current[0] + claimed.current[1]
        #expect(all.count == 3_000)
        #expect(Set(all).count == 3_000)
        #expect(try stores[1].counts(batchID: nil).running == 3_000)
    }

    @Test func recordAttemptAddsToTheJobsTotals() throws {
        let database = try TemporaryDatabase()
        let store = try database.openStore()
        _ = try store.createTestBatch(1)
        let runner = try store.registerRunner()
        let job = try #require(try store.claimJobs(limit: 1, runnerID: runner, batchID: nil).first)
        let now = Date()
        try store.recordAttempt(
            jobID: job.id,
            AttemptRecord(startedAt: now, latency: .milliseconds(1500), statusCode: 503, errorCategory: "server",
                          errorMessage: "busy", usage: TokenUsage(prompt: 10), costPicoUSD: 5, costSource: "reported"),
            runnerID: runner)
        try store.recordAttempt(
            jobID: job.id,
            AttemptRecord(startedAt: now, latency: .milliseconds(250), statusCode: 200, generationID: "gen-1",
                          usage: TokenUsage(prompt: 10, completion: 20, reasoning: 3, cached: 4),
                          costPicoUSD: 1_000_000, costSource: "estimated"),
            runnerID: runner)
        #expect(try store.complete(
            jobID: job.id,
            outcome: .succeeded(JobResult(responseBody: "{}", answeredModel: "m", finishReason: "stop", latency: .milliseconds(250))),
            runnerID: runner))
        let row = try #require(try store.dbPool.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM jobs WHERE id = ?", arguments: [job.id])
        })
        #expect(row["attempts"] == 2)
        #expect(row["prompt_tokens"] == 20)
        #expect(row["completion_tokens"] == 20)
        #expect(row["reasoning_tokens"] == 3)
        #expect(row["cached_tokens"] == 4)
        #expect(row["cost_picousd"] == 1_000_005)
        #expect(row["cost_source"] == "estimated")
        #expect(row["state"] == "succeeded")
        #expect(row["latency_ms"] == 250)
        #expect(row["answered_model"] == "m")
        let attempts = try store.dbPool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM attempts WHERE job_id = ? ORDER BY id", arguments: [job.id])
        }
        #expect(attempts.count == 2)
        #expect(attempts[0]["latency_ms"] == 1500)
        #expect(attempts[0]["status_code"] == 503)
        #expect(attempts[1]["generation_id"] == "gen-1")
        let response = try store.dbPool.read { db in
            try String.fetchOne(db, sql: "SELECT response FROM results WHERE job_id = ?", arguments: [job.id])
        }
        #expect(response == "{}")
    }

    @Test func completeIsRefusedForAJobNoLongerOwned() throws {
        let database = try TemporaryDatabase()
        let store = try database.openStore()
        _ = try store.createTestBatch(2)
        let runner = try store.registerRunner()
        let jobs = try store.claimJobs(limit: 2, runnerID: runner, batchID: nil)
        #expect(try !store.complete(jobID: jobs[0].id, outcome: .failed(category: "x", message: "y"), runnerID: "someone-else"))
        try store.release(jobIDs: [jobs[0].id], runnerID: runner)
        #expect(try !store.complete(jobID: jobs[0].id, outcome: .failed(category: "x", message: "y"), runnerID: runner))
        #expect(try store.complete(jobID: jobs[1].id, outcome: .failed(category: "x", message: "y"), runnerID: runner))
        #expect(try store.states() == ["pending": 1, "failed": 1])
    }

    @Test func recoversJobsOfARunnerWhoseProcessIsGone() throws {
        let database = try TemporaryDatabase()
        let store = try database.openStore()
        _ = try store.createTestBatch(4)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/true")
        try process.run()
        process.waitUntilExit()
        let deadRunner = try store.registerRunner(pid: Int(process.processIdentifier))
        let liveRunner = try store.registerRunner()
        let otherHostRunner = try store.registerRunner(host: "elsewhere.example", pid: Int(process.processIdentifier))
        _ = try store.claimJobs(limit: 2, runnerID: deadRunner, batchID: nil)
        _ = try store.claimJobs(limit: 1, runnerID: liveRunner, batchID: nil)
        _ = try store.claimJobs(limit: 1, runnerID: otherHostRunner, batchID: nil)

        #expect(try store.recoverAbandonedJobs() == 2)
        #expect(try store.states() == ["pending": 2, "running": 2])
        let runners = try store.dbPool.read { db in try String.fetchSet(db, sql: "SELECT id FROM runners") }
        #expect(runners == [liveRunner, otherHostRunner])
    }

    @Test func recoversJobsOfARunnerWithAStaleHeartbeat() throws {
        let database = try TemporaryDatabase()
        let store = try database.openStore()
        _ = try store.createTestBatch(3)
        let staleRunner = try store.registerRunner(host: "elsewhere.example", pid: 1, now: Date().addingTimeInterval(-60))
        let freshRunner = try store.registerRunner(host: "elsewhere.example", pid: 2)
        _ = try store.claimJobs(limit: 2, runnerID: staleRunner, batchID: nil)
        _ = try store.claimJobs(limit: 1, runnerID: freshRunner, batchID: nil)

        #expect(try store.recoverAbandonedJobs(staleAfter: .seconds(120)) == 0)
        #expect(try store.recoverAbandonedJobs(staleAfter: .seconds(30)) == 2)
        #expect(try store.states() == ["pending": 2, "running": 1])

        // A runner presumed dead that is in fact alive comes back with its next heartbeat.
        try store.heartbeat(runnerID: staleRunner)
        let runners = try store.dbPool.read { db in try String.fetchSet(db, sql: "SELECT id FROM runners") }
        #expect(runners == [staleRunner, freshRunner])
    }

    @Test func unregisterReleasesTheRunnersJobs() throws {
        let database = try TemporaryDatabase()
        let store = try database.openStore()
        _ = try store.createTestBatch(3)
        let runner = try store.registerRunner()
        _ = try store.claimJobs(limit: 3, runnerID: runner, batchID: nil)
        try store.unregisterRunner(runner)
        #expect(try store.states() == ["pending": 3])
    }

    @Test func cancelPendingCancelsOnlyPendingJobsOfTheBatch() throws {
        let database = try TemporaryDatabase()
        let store = try database.openStore()
        let batch = try store.createTestBatch(5)
        let other = try store.createTestBatch(2)
        let runner = try store.registerRunner()
        _ = try store.claimJobs(limit: 2, runnerID: runner, batchID: batch)
        #expect(try store.cancelPending(batchID: batch) == 3)
        #expect(try store.counts(batchID: batch).cancelled == 3)
        #expect(try store.counts(batchID: batch).running == 2)
        #expect(try store.counts(batchID: other).pending == 2)
    }

    @Test func retryFailedFiltersByCategoryAndKeepsHistory() throws {
        let database = try TemporaryDatabase()
        let store = try database.openStore()
        let batch = try store.createTestBatch(3)
        let runner = try store.registerRunner()
        let jobs = try store.claimJobs(limit: 3, runnerID: runner, batchID: nil)
        for (job, category) in zip(jobs, ["rate_limit", "server", "invalid_request"]) {
            try store.recordAttempt(jobID: job.id, AttemptRecord(startedAt: Date(), costPicoUSD: 7), runnerID: runner)
            try store.complete(jobID: job.id, outcome: .failed(category: category, message: "no"), runnerID: runner)
        }
        var counts = try store.counts(batchID: batch)
        #expect(counts.failedByCategory == ["rate_limit": 1, "server": 1, "invalid_request": 1])
        #expect(try store.retryFailed(batchID: batch, categories: ["rate_limit", "server"]) == 2)
        counts = try store.counts(batchID: batch)
        #expect(counts.pending == 2)
        #expect(counts.failedByCategory == ["invalid_request": 1])
        #expect(counts.attempts == 3)
        #expect(counts.costPicoUSD == 21)
        let cleared = try store.dbPool.read { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM jobs WHERE state = 'pending' AND error_category IS NULL AND error_message IS NULL")
        }
        #expect(cleared == 2)
        #expect(try store.retryFailed(batchID: nil) == 1)
    }
}

@Suite struct BatchWriterTests {
    @Test func recordsTheHashKnownOnlyAfterTheJobsWereRead() throws {
        let database = try TemporaryDatabase()
        let store = try database.openStore()
        let first = try store.createTestBatch(2, hash: "same")
        var duplicates: [Int64] = []
        let second = try store.createBatch(name: "again", sourceFiles: ["jobs.jsonl"]) { writer in
            for job in makeJobs(5) { try writer.add(job) }
            #expect(writer.jobCount == 5)
            duplicates = try writer.batches(withContentHash: "same")
            return "same"
        }
        #expect(duplicates == [first])
        #expect(try store.batches(withContentHash: "same") == [first, second])
        #expect(try store.counts(batchID: second).pending == 5)
    }

    @Test func anErrorFromTheBodyInsertsNothing() throws {
        struct Refused: Error {}
        let database = try TemporaryDatabase()
        let store = try database.openStore()
        #expect(throws: Refused.self) {
            try store.createBatch(name: nil, sourceFiles: []) { writer in
                for job in makeJobs(3) { try writer.add(job) }
                throw Refused()
            }
        }
        #expect(try store.counts(batchID: nil).total == 0)
        #expect(try store.dbPool.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM batches") } == 0)
    }

    /// The state CHECK holds on the connection after a batch, whether it was created or refused
    /// (a batch's insert once ran with CHECK constraints off).
    @Test(arguments: [false, true])
    func theStateCheckIsEnforcedAgainAfterABatch(bodyThrows: Bool) throws {
        struct Refused: Error {}
        let database = try TemporaryDatabase()
        let store = try database.openStore()
        let existing = try store.createTestBatch(1)
        _ = try? store.createBatch(name: nil, sourceFiles: []) { writer in
            for job in makeJobs(3) { try writer.add(job) }
            if bodyThrows { throw Refused() }
            return "h"
        }
        let error = try #require(throws: DatabaseError.self) {
            try store.dbPool.write { db in
                try db.execute(sql: "UPDATE jobs SET state = 'bogus' WHERE batch_id = ?", arguments: [existing])
            }
        }
        #expect(error.extendedResultCode == .SQLITE_CONSTRAINT_CHECK)
        #expect(try store.counts(batchID: existing).pending == 1)
    }
}
