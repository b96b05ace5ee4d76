import Foundation
import GRDB
import OpenRouter
import OpenRouterSimulator
@testable import PromptBatchKit
import Testing

@Suite(.timeLimit(.minutes(3)))
struct ReconciliationTests {
    /// A store with one job, and a real generation served by the simulator for it.
    func storeWithOneJob(_ database: TemporaryDatabase) throws -> (JobStore, Int64) {
        let store = try database.openStore()
        let batchID = try store.createBatch(name: "r", contentHash: "h", sourceFiles: ["r.jsonl"], jobs: [
            JobStore.NewJob(customID: "lost", sourceFile: "r.jsonl", lineNumber: 1, model: "sim/echo",
                            requestBody: #"{"model":"sim/echo","messages":[{"role":"user","content":"lost"}]}"#),
        ])
        let jobID = try #require(try store.dbPool.read { db in try Int64.fetchOne(db, sql: "SELECT id FROM jobs WHERE batch_id = ?", arguments: [batchID]) })
        return (store, jobID)
    }

    func attemptRow(_ store: JobStore, id: Int64) throws -> Row? {
        try store.dbPool.read { db in try Row.fetchOne(db, sql: "SELECT * FROM attempts WHERE id = ?", arguments: [id]) }
    }

    @Test func pricesALostAttemptOnceAndLeavesAnUnknownGenerationForLater() async throws {
        let database = try TemporaryDatabase()
        let (store, jobID) = try storeWithOneJob(database)
        try await OpenRouterSimulator.withRunning { sim in
            var configuration = OpenRouterConfiguration()
            configuration.baseURL = sim.baseURL
            let client = try OpenRouterClient(apiKey: "sk-or-v1-test", configuration: configuration)
            let served = try await client.chat(ChatRequest(messages: [.user("lost")], model: "sim/echo"))
            let generationID = try #require(served.id)
            let cost = Money.picoUSD(try #require(served.usage?.cost))
            #expect(cost > 0)

            // A stream that broke after its headers: a generation id, an error, nothing billed yet.
            try store.recordAttempt(jobID: jobID, AttemptRecord(
                startedAt: Date(), statusCode: 200, errorCategory: "invalid_response", errorMessage: "the stream ended without [DONE]",
                generationID: generationID), runnerID: "gone")
            try store.recordAttempt(jobID: jobID, AttemptRecord(startedAt: Date(), statusCode: 200, generationID: "gen-never-served"), runnerID: "gone")
            // An error status is not billed: not looked up.
            try store.recordAttempt(jobID: jobID, AttemptRecord(startedAt: Date(), statusCode: 503, errorCategory: "server", generationID: "gen-503"), runnerID: "gone")
            #expect(try store.counts(batchID: nil).unreconciledAttempts == 2)

            let reconciler = Reconciler(store: store, client: client)
            let outcome = try await reconciler.run()
            #expect(outcome.reconciled == 1)
            #expect(outcome.notFound == 1)
            #expect(outcome.costPicoUSD == cost)

            let attempts = try await store.dbPool.read { db in try Row.fetchAll(db, sql: "SELECT * FROM attempts WHERE job_id = ? ORDER BY id", arguments: [jobID]) }
            #expect(attempts[0]["cost_source"] == "reconciled")
            #expect(attempts[0]["cost_picousd"] == cost)
            #expect(attempts[0]["prompt_tokens"] == served.usage?.promptTokens)
            #expect(attempts[0]["completion_tokens"] == served.usage?.completionTokens)
            #expect(attempts[1]["cost_picousd"] as Int64? == nil)
            #expect(attempts[1]["lookups"] == 1)
            #expect(attempts[2]["lookups"] == 0)

            func job() throws -> Row? {
                try store.dbPool.read { db in try Row.fetchOne(db, sql: "SELECT * FROM jobs WHERE id = ?", arguments: [jobID]) }
            }
            #expect(try job()?["cost_picousd"] == cost)
            #expect(try job()?["cost_source"] == "reconciled")
            #expect(try job()?["prompt_tokens"] == served.usage?.promptTokens)
            #expect(try job()?["attempts"] == 3)

            // Again: nothing is counted twice; the unknown one is still left for later.
            let again = try await reconciler.run()
            #expect(again.reconciled == 0)
            #expect(again.notFound == 1)
            #expect(try job()?["cost_picousd"] == cost)
            let counts = try store.counts(batchID: nil)
            #expect(counts.reconciledAttempts == 1)
            #expect(counts.reconciledPicoUSD == cost)
            #expect(counts.costPicoUSD == cost)
            #expect(counts.unreconciledAttempts == 1)
            #expect(try store.recordReconciliation(attemptID: attempts[0]["id"], ReconciledCost(promptTokens: 1, completionTokens: 1, costPicoUSD: 5)) == false)
        }
    }

    @Test func anOpenAttemptOfALiveRunnerIsLeftAloneAndItsCloseCompletesTheSameRow() throws {
        let database = try TemporaryDatabase()
        let (store, jobID) = try storeWithOneJob(database)
        let runnerID = try store.registerRunner()
        var open = AttemptRecord(startedAt: Date(), statusCode: 200, generationID: "gen-live")
        open.isOpen = true
        try store.recordAttempt(jobID: jobID, open, runnerID: runnerID)
        #expect(try store.unpricedAttempts(batchID: nil).isEmpty)

        try store.recordAttempt(jobID: jobID, AttemptRecord(
            startedAt: Date(), statusCode: 200, generationID: "gen-live", usage: TokenUsage(prompt: 3, completion: 4),
            costPicoUSD: 700, costSource: "reported"), runnerID: runnerID)
        let rows = try store.dbPool.read { db in try Row.fetchAll(db, sql: "SELECT * FROM attempts") }
        #expect(rows.count == 1)
        #expect(rows[0]["is_open"] == 0)
        #expect(rows[0]["cost_picousd"] == 700)
        let job = try store.dbPool.read { db in try Row.fetchOne(db, sql: "SELECT attempts, cost_picousd, prompt_tokens FROM jobs WHERE id = ?", arguments: [jobID]) }
        #expect(job?["attempts"] == 1)
        #expect(job?["cost_picousd"] == 700)
        #expect(job?["prompt_tokens"] == 3)
    }

    /// The binary killed while a stream trickles in: its open attempt is priced by `reconcile`,
    /// and the job's totals then hold both the lost request and the one that replaced it.
    @Test func aRunKilledMidStreamIsReconciledAndTheReportIncludesItsSpend() async throws {
        let directory = try TemporaryDirectory()
        let prompt = "A story that trickles in"
        let file = try directory.write("slow.jsonl", lines: [
            jobLine("slow", prompt: prompt, extra: #""stream":true,"sim":{"fault":"trickle","times":1,"trickle_ms":200}"#),
        ])
        let expected = EndToEndTests.expectedUsage(prompt: prompt)
        let expectedCost = Money.picoUSD(expected.cost)
        try await OpenRouterSimulator.withRunning { sim in
            let database = directory.path + "/k.sqlite"
            let cli = CommandLineHarness(databasePath: database, baseURL: sim.baseURL, workingDirectory: directory.path)
            #expect(try await cli.run(["submit", file]).exitCode == 0)
            let store = try JobStore(path: database)
            let (process, stdout, stderr) = try cli.start(["run"])
            func openAttempts() throws -> Int {
                try store.dbPool.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM attempts WHERE is_open = 1") ?? 0 }
            }
            while try openAttempts() == 0 {
                try await Task.sleep(for: .milliseconds(20))
            }
            kill(process.processIdentifier, SIGKILL)
            _ = await CommandLineHarness.finish(process, stdout, stderr)
            #expect(try store.counts(batchID: nil).unreconciledAttempts == 1)

            let reconcile = try await cli.run(["reconcile"])
            #expect(reconcile.exitCode == 0, "\(reconcile.stderr)")
            #expect(reconcile.stdout.contains("reconciled 1 attempt: $\(Money.usdString(picoUSD: expectedCost))"), "\(reconcile.stdout)")

            let run = try await cli.run(["run"])
            #expect(run.exitCode == 0, "\(run.stderr)")
            let job = try #require(try await store.dbPool.read { db in try Row.fetchOne(db, sql: "SELECT * FROM jobs") })
            #expect(job["state"] == "succeeded")
            #expect(job["attempts"] == 2)
            #expect(job["cost_picousd"] == expectedCost * 2)
            #expect(job["prompt_tokens"] == expected.prompt * 2)
            #expect(job["cost_source"] == "reconciled")
            let sources = try await store.dbPool.read { db in try String.fetchAll(db, sql: "SELECT cost_source FROM attempts ORDER BY id") }
            #expect(sources == ["reconciled", "reported"])

            let report = try CSVReader.parse(try await cli.run(["report"]).stdout)
            let header = report[0]
            #expect(report[1][header.firstIndex(of: "cost_source")!] == "reconciled")
            #expect(Money.picoUSD(parsing: report[1][header.firstIndex(of: "cost_usd")!]) == expectedCost * 2)
            let status = try await cli.run(["status"])
            #expect(status.stdout.contains("reconciled: 1 attempt whose answer was lost, $\(Money.usdString(picoUSD: expectedCost))"), "\(status.stdout)")
        }
    }

    @Test func runReconcilesAtItsStart() async throws {
        let database = try TemporaryDatabase()
        let (store, jobID) = try storeWithOneJob(database)
        let directory = try TemporaryDirectory()
        try await OpenRouterSimulator.withRunning { sim in
            var configuration = OpenRouterConfiguration()
            configuration.baseURL = sim.baseURL
            let client = try OpenRouterClient(apiKey: "sk-or-v1-test", configuration: configuration)
            let served = try await client.chat(ChatRequest(messages: [.user("earlier")], model: "sim/echo"))
            try store.recordAttempt(jobID: jobID, AttemptRecord(startedAt: Date(), statusCode: 200, errorCategory: "timeout", generationID: served.id), runnerID: "gone")
            let cli = CommandLineHarness(databasePath: database.path, baseURL: sim.baseURL, workingDirectory: directory.path)
            let run = try await cli.run(["run"])
            #expect(run.exitCode == 0, "\(run.stderr)")
            let cost = Money.picoUSD(try #require(served.usage?.cost))
            #expect(run.stdout.contains("reconciled 1 earlier attempt whose cost was lost: $\(Money.usdString(picoUSD: cost))"), "\(run.stdout)")
            #expect(try store.counts(batchID: nil).reconciledPicoUSD == cost)
        }
    }
}
