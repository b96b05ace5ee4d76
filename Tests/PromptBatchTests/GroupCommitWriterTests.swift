import Foundation
import GRDB
import Logging
import Testing
@testable import PromptBatchKit

/// The runner's writer folds a job's attempt into its success when both are in one group; the
/// database must end up exactly as if each had been written on its own.
@Suite struct GroupCommitWriterTests {
    /// A store with `count` jobs, all claimed by one runner.
    private struct ClaimedStore {
        let database: TemporaryDatabase
        let store: JobStore
        let runnerID: String
        let jobIDs: [Int64]

        init(jobs count: Int) throws {
            database = try TemporaryDatabase()
            store = try database.openStore()
            _ = try store.createTestBatch(count)
            runnerID = try store.registerRunner()
            jobIDs = try store.claimJobs(limit: count, runnerID: runnerID, batchID: nil).map(\.id)
        }

        /// Writes `requests` in one group (all are queued before the writer starts).
        func writeInOneGroup(_ requests: [GroupCommitWriter.Request]) async -> (RunProgress, (any Error)?) {
            let progress = LockedBox(RunProgress())
            let writer = GroupCommitWriter(dbPool: store.dbPool, runnerID: runnerID, progress: progress, logger: Logger(label: "test"))
            for request in requests { writer.enqueue(request) }
            writer.finish()
            await writer.run()
            return (progress.current, writer.firstError)
        }

        func jobRows() throws -> [Row] {
            try store.dbPool.read { db in
                try Row.fetchAll(db, sql: """
                    SELECT id, state, runner_id IS NOT NULL AS owned, attempts, prompt_tokens, completion_tokens,
                      reasoning_tokens, cached_tokens, cost_picousd, cost_source, answered_model, finish_reason,
                      latency_ms, error_category, error_message
                    FROM jobs ORDER BY id
                    """)
            }
        }

        func resultRows() throws -> [Row] {
            try store.dbPool.read { db in try Row.fetchAll(db, sql: "SELECT job_id, response FROM results ORDER BY job_id") }
        }

        func attemptRows() throws -> [Row] {
            try store.dbPool.read { db in
                try Row.fetchAll(db, sql: """
                    SELECT job_id, status_code, generation_id, prompt_tokens, completion_tokens, cost_picousd, cost_source
                    FROM attempts ORDER BY id
                    """)
            }
        }
    }

    private static func attempt(_ generation: String, prompt: Int, cost: Int64?, source: String?) -> AttemptRecord {
        AttemptRecord(
            startedAt: Date(), latency: .milliseconds(20), statusCode: 200, generationID: generation,
            usage: TokenUsage(prompt: prompt, completion: prompt / 2, reasoning: 1, cached: 2), costPicoUSD: cost, costSource: source)
    }

    private static func success(_ text: String) -> JobOutcome {
        .succeeded(JobResult(responseBody: #"{"answer":"\#(text)"}"#, answeredModel: "test/model", finishReason: "stop", latency: .milliseconds(20)))
    }

    /// Interleaved jobs: a success after one attempt, a success after a failed attempt and a
    /// retry (two attempts to fold, costs of two sources), a failure after an attempt, and an
    /// attempt whose job has not finished yet.
    private static func requests(_ jobs: [Int64]) -> [GroupCommitWriter.Request] {
        [
            .attempt(jobID: jobs[0], attempt("g1", prompt: 10, cost: 1_000, source: "reported")),
            .attempt(jobID: jobs[1], attempt("g2", prompt: 20, cost: 2_000, source: "estimated")),
            .attempt(jobID: jobs[2], attempt("g3", prompt: 30, cost: nil, source: nil)),
            .complete(jobID: jobs[0], success("one")),
            .attempt(jobID: jobs[1], attempt("g4", prompt: 40, cost: 4_000, source: "reported")),
            .attempt(jobID: jobs[3], attempt("g5", prompt: 50, cost: 5_000, source: "reported")),
            .complete(jobID: jobs[2], .failed(category: "server", message: "HTTP 500")),
            .complete(jobID: jobs[1], success("two")),
        ]
    }

    @Test func attemptsFoldedIntoSuccessesLeaveWhatSeparateWritesLeave() async throws {
        let folded = try ClaimedStore(jobs: 4)
        let (progress, error) = await folded.writeInOneGroup(Self.requests(folded.jobIDs))
        #expect(error == nil)

        let separate = try ClaimedStore(jobs: 4)
        for request in Self.requests(separate.jobIDs) {
            switch request {
            case .attempt(let jobID, let attempt, _): try separate.store.recordAttempt(jobID: jobID, attempt, runnerID: separate.runnerID)
            case .complete(let jobID, let outcome): try separate.store.complete(jobID: jobID, outcome: outcome, runnerID: separate.runnerID)
            case .claim, .release: Issue.record("no claims or releases here")
            }
        }

        let rows = try folded.jobRows()
        #expect(rows == (try separate.jobRows()))
        #expect(try folded.resultRows() == (try separate.resultRows()))
        #expect(try folded.attemptRows() == (try separate.attemptRows()))
        // The values themselves, so both sides cannot be wrong together.
        #expect(rows.map { $0["state"] as String } == ["succeeded", "succeeded", "failed", "running"])
        #expect(rows.map { $0["attempts"] as Int } == [1, 2, 1, 1])
        #expect(rows.map { $0["prompt_tokens"] as Int } == [10, 60, 30, 50])
        #expect(rows.map { $0["cost_picousd"] as Int64 } == [1_000, 6_000, 0, 5_000])
        #expect(rows.map { $0["cost_source"] as String? } == ["reported", "estimated", nil, "reported"])
        #expect(progress.succeeded == 2)
        #expect(progress.failed == 1)
        #expect(progress.attempts == 5)
        #expect(progress.costPicoUSD == 12_000)
    }

    /// A success that no longer applies (another runner took the job) still leaves the
    /// attempt's tokens and cost on the job: the attempt was made and billed.
    @Test func anAttemptFoldedIntoASuccessThatNoLongerAppliesStillCounts() async throws {
        let claimed = try ClaimedStore(jobs: 1)
        let jobID = claimed.jobIDs[0]
        try await claimed.store.dbPool.write { db in
            try db.execute(sql: "UPDATE jobs SET runner_id = 'someone-else' WHERE id = ?", arguments: [jobID])
        }
        let (progress, error) = await claimed.writeInOneGroup([
            .attempt(jobID: jobID, Self.attempt("g1", prompt: 10, cost: 1_000, source: "reported")),
            .complete(jobID: jobID, Self.success("late")),
        ])
        #expect(error == nil)
        let row = try #require(try claimed.jobRows().first)
        #expect(row["state"] as String == "running")
        #expect(row["attempts"] as Int == 1)
        #expect(row["prompt_tokens"] as Int == 10)
        #expect(row["cost_picousd"] as Int64 == 1_000)
        #expect(try claimed.resultRows().isEmpty)
        #expect(progress.succeeded == 0)
        #expect(progress.attempts == 1)
    }
}
