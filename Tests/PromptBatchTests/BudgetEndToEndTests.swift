import Foundation
import GRDB
import OpenRouter
import OpenRouterSimulator
@testable import PromptBatchKit
import Testing

/// `estimate`, `submit --estimate`, `run --budget` and the budget in `status`, through the
/// built binary against the simulator, checked against the SQLite it leaves behind.
@Suite(.timeLimit(.minutes(2)))
struct BudgetEndToEndTests {
    /// Prompts of one length, so every job has the same worst case: 4 + ceil(25 / 4) = 11
    /// prompt tokens, and `max_tokens` 2 truncates every reply to exactly 2 tokens.
    static func prompt(_ n: Int) -> String { "Question \(n) about the sea" }
    static let promptTokens = TokenCounting.promptTokens(messageTexts: [prompt(10)])
    static let maxTokens = 2

    /// One attempt's worst case at `scale` × the simulator's sim/echo prices, in pico-USD,
    /// computed here from the simulator's own rules rather than by the code under test.
    static func worstCase(scale: Decimal = 1) -> Int64 {
        let echo = SimulatedModel.echo
        return Money.picoUSD(scale * echo.cost(promptTokens: promptTokens, completionTokens: maxTokens))
    }

    static func writeJobs(_ directory: TemporaryDirectory, count: Int, extra: String = "") throws -> String {
        let fields = #""max_tokens":\#(maxTokens)"# + (extra.isEmpty ? "" : "," + extra)
        return try directory.write("jobs.jsonl", lines: (10..<(10 + count)).map { jobLine("q\($0)", prompt: prompt($0), extra: fields) })
    }

    static func usd(_ picoUSD: Int64) -> String { Money.usdString(picoUSD: picoUSD) }

    struct AttemptRow { var jobID: Int64; var cost: Int64 }

    static func attempts(_ path: String) throws -> [AttemptRow] {
        try DatabaseQueue(path: path).read { db in
            try Row.fetchAll(db, sql: "SELECT job_id, COALESCE(cost_picousd, 0) FROM attempts ORDER BY id").map { AttemptRow(jobID: $0[0], cost: $0[1]) }
        }
    }

    static func states(_ path: String) throws -> [String: Int] {
        try DatabaseQueue(path: path).read { db in
            Dictionary(uniqueKeysWithValues: try Row.fetchAll(db, sql: "SELECT state, COUNT(*) FROM jobs GROUP BY state").map { ($0[0], $0[1]) })
        }
    }

    @Test func aBudgetStopsBeforeTheNextJobCouldExceedItAndStatusSaysWhatIsLeft() async throws {
        let directory = try TemporaryDirectory()
        let file = try Self.writeJobs(directory, count: 30)
        let high = Self.worstCase()
        // Room for 10 jobs and half of an 11th.
        let budget = high * 10 + high / 2
        try await OpenRouterSimulator.withRunning { sim in
            let database = directory.path + "/b.sqlite"
            let cli = CommandLineHarness(databasePath: database, baseURL: sim.baseURL, workingDirectory: directory.path)
            #expect(try await cli.run(["submit", file]).exitCode == 0)

            // No prices cached yet: the run fetches /models first.
            let run = try await cli.run(["run", "--budget", Self.usd(budget), "--max-retries", "0", "--concurrency", "3"])
            #expect(run.exitCode == 3, "\(run.stderr)")
            #expect(run.stderr.contains("promptbatch: halted: budget reached: spent $\(Self.usd(high * 10)) of $\(Self.usd(budget))"), "\(run.stderr)")
            #expect(run.stderr.contains("the remaining jobs are still pending"))
            #expect(run.stdout.contains("budget $\(Self.usd(budget)): spent $\(Self.usd(high * 10)), $\(Self.usd(budget - high * 10)) left"), "\(run.stdout)")
            // Every job costs exactly its worst case here, so exactly the first 10 fit.
            #expect(try Self.states(database) == ["succeeded": 10, "pending": 20])
            let attempts = try Self.attempts(database)
            #expect(attempts.count == 10)
            #expect(attempts.allSatisfy { $0.cost == high })
            #expect(sim.stats().chatRequests == 10)

            let status = try await cli.run(["status", "--json"])
            let json = try #require(try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any])
            let budgetJSON = try #require(json["budget"] as? [String: Any])
            #expect(budgetJSON["stop_reason"] as? String == "budget")
            #expect(status.stdout.contains(#""limit_usd":\#(Self.usd(budget))"#), "\(status.stdout)")
            #expect(status.stdout.contains(#""spent_usd":\#(Self.usd(high * 10))"#))
            #expect(status.stdout.contains(#""left_usd":\#(Self.usd(budget - high * 10))"#))
            let text = try await cli.run(["status"])
            #expect(text.stdout.contains("$\(Self.usd(budget)), spent $\(Self.usd(high * 10)), left $\(Self.usd(budget - high * 10)); stopped: budget reached"), "\(text.stdout)")

            // The estimate of what is left, and of the whole batch against what was reported.
            let pending = try await cli.run(["estimate", "--batch", "1", "--pending"])
            #expect(pending.stdout.hasPrefix("20 jobs;"), "\(pending.stdout)")
            #expect(pending.stdout.contains("sim/echo\t20\t\(Self.promptTokens * 20)\t\(Self.maxTokens * 20)\t"))
            let whole = try await cli.run(["estimate", "--batch", "1"])
            let ran = Self.promptTokens * 10
            #expect(whole.stdout.contains("already run: 10 jobs, \(ran) prompt tokens estimated, \(ran) reported (+0.0%)"), "\(whole.stdout)")
            #expect(whole.stdout.contains("total\t30\t\(Self.promptTokens * 30)\t\(Self.maxTokens * 30)\t"))

            // A new budget is this run's own: the rest fits in 20 more.
            let rest = try await cli.run(["run", "--budget", Self.usd(high * 20), "--max-retries", "0"])
            #expect(rest.exitCode == 0, "\(rest.stderr)")
            #expect(try Self.states(database) == ["succeeded": 30])
            let after = try await cli.run(["status"])
            #expect(after.stdout.contains("spent $\(Self.usd(high * 20)), left $0; ended: drained"), "\(after.stdout)")
        }
    }

    /// The bound: with cached prices at half the simulator's, every attempt costs twice its
    /// worst case, and the run overshoots by at most what attempts cost beyond it.
    @Test func aBudgetIsExceededByNoMoreThanWhatAttemptsCostBeyondTheirOwnEstimate() async throws {
        let directory = try TemporaryDirectory()
        let file = try Self.writeJobs(directory, count: 40)
        let database = directory.path + "/o.sqlite"
        let echo = SimulatedModel.echo
        do {
            let store = try JobStore(path: database)
            try await store.dbPool.write { db in
                try db.execute(sql: """
                    INSERT INTO models (id, name, prompt_per_million, completion_per_million, context_length, max_completion_tokens, fetched_at)
                    VALUES ('sim/echo', 'echo at half price', ?, ?, 128000, 16384, 0)
                    """, arguments: [(echo.promptPrice * 500_000).plainString, (echo.completionPrice * 500_000).plainString])
            }
        }
        let estimated = Self.worstCase(scale: Decimal(string: "0.5")!)
        let budget = estimated * 13
        try await OpenRouterSimulator.withRunning { sim in
            let cli = CommandLineHarness(databasePath: database, baseURL: sim.baseURL, workingDirectory: directory.path)
            #expect(try await cli.run(["submit", file]).exitCode == 0)
            let run = try await cli.run(["run", "--budget", Self.usd(budget), "--max-retries", "0", "--concurrency", "4"])
            #expect(run.exitCode == 3, "\(run.stderr)")
            #expect(run.stderr.contains("budget reached"))

            let attempts = try Self.attempts(database)
            let spent = attempts.map(\.cost).reduce(0, +)
            let overrun = attempts.map { max($0.cost - estimated, 0) }.reduce(0, +)
            #expect(overrun > 0, "every attempt should have cost more than its estimate")
            #expect(spent <= budget + overrun, "spent \(spent) > budget \(budget) + overrun \(overrun)")
            let states = try Self.states(database)
            #expect(states["pending", default: 0] > 0)
            #expect(states["failed"] == nil)
            #expect(states["succeeded"] == attempts.count)
        }
    }

    /// Each attempt is billed, so a job reserves its worst case once per attempt it may make.
    @Test func aJobReservesEveryAttemptItMayMake() async throws {
        let directory = try TemporaryDirectory()
        let file = try Self.writeJobs(directory, count: 20, extra: #""sim":{"fault":"503","times":1,"retry_after":"0"}"#)
        let high = Self.worstCase()
        let budget = high * 10 + high / 2
        try await OpenRouterSimulator.withRunning { sim in
            let database = directory.path + "/r.sqlite"
            let cli = CommandLineHarness(databasePath: database, baseURL: sim.baseURL, workingDirectory: directory.path)
            #expect(try await cli.run(["submit", file]).exitCode == 0)
            let run = try await cli.run(["run", "--budget", Self.usd(budget), "--max-retries", "1", "--concurrency", "1"])
            #expect(run.exitCode == 3, "\(run.stderr)")
            #expect(run.stderr.contains("could cost up to $\(Self.usd(high * 2)) (2 attempts at most $\(Self.usd(high)) each)"), "\(run.stderr)")
            // Job k starts only if (k − 1) × high spent + 2 × high reserved ≤ 10.5 × high: 9 jobs.
            #expect(try Self.states(database) == ["succeeded": 9, "pending": 11])
            let attempts = try Self.attempts(database)
            #expect(attempts.count == 18)
            #expect(attempts.map(\.cost).reduce(0, +) == high * 9)
        }
    }

    @Test func aBudgetRefusesToStartWhenAJobHasNoKnownPrice() async throws {
        let directory = try TemporaryDirectory()
        let file = try directory.write("u.jsonl", lines: [
            jobLine("a", prompt: "hello", extra: #""max_tokens":5"#),
            jobLine("b", prompt: "hello", model: "vendor/unlisted", extra: #""max_tokens":5"#),
        ])
        try await OpenRouterSimulator.withRunning { sim in
            let database = directory.path + "/u.sqlite"
            let cli = CommandLineHarness(databasePath: database, baseURL: sim.baseURL, workingDirectory: directory.path)
            #expect(try await cli.run(["submit", file]).exitCode == 0)
            let run = try await cli.run(["run", "--budget", "5"])
            #expect(run.exitCode == 3)
            #expect(run.stderr.contains("no known price for vendor/unlisted (1 job)"), "\(run.stderr)")
            #expect(sim.stats().chatRequests == 0)
            #expect(try Self.states(database) == ["pending": 2])
        }
    }

    @Test(arguments: ["abc", "-1", "0", "0.0", "1e3", "1.2.3"])
    func aBudgetThatIsNotAPositivePlainAmountIsAUsageError(budget: String) async throws {
        let directory = try TemporaryDirectory()
        let cli = CommandLineHarness(databasePath: directory.path + "/v.sqlite", baseURL: nil, workingDirectory: directory.path)
        let run = try await cli.run(["run", "--budget=\(budget)"])
        #expect(run.exitCode == 64)
        #expect(run.stderr.contains("--budget must be a positive amount"), "\(run.stderr)")
    }

    @Test func estimatePricesEachModelLowAndHighAndListsModelsWithoutAPrice() async throws {
        let directory = try TemporaryDirectory()
        let prompts = ["What is the capital of France?", "Name three primary colours."]
        let file = try directory.write("e.jsonl", lines: [
            jobLine("a", prompt: prompts[0], model: "openai/gpt-4o-mini", extra: #""max_tokens":200"#),
            jobLine("b", prompt: prompts[1], model: "openai/gpt-4o-mini", extra: #""max_tokens":200"#),
            jobLine("c", prompt: "no limit set", model: "openai/gpt-4o"),
            jobLine("d", prompt: "hello", model: "vendor/unlisted"),
        ])
        let catalog = SimulatedModel.defaultCatalog
        let mini = try #require(catalog.first { $0.id == "openai/gpt-4o-mini" })
        let gpt4o = try #require(catalog.first { $0.id == "openai/gpt-4o" })
        try await OpenRouterSimulator.withRunning { sim in
            let database = directory.path + "/e.sqlite"
            let cli = CommandLineHarness(databasePath: database, baseURL: sim.baseURL, workingDirectory: directory.path)
            let estimate = try await cli.run(["estimate", file])
            #expect(estimate.exitCode == 0, "\(estimate.stderr)")
            let miniPrompt = prompts.map { TokenCounting.promptTokens(messageTexts: [$0]) }.reduce(0, +)
            let miniLow = Money.picoUSD(mini.cost(promptTokens: miniPrompt, completionTokens: 0))
            let miniHigh = Money.picoUSD(mini.cost(promptTokens: miniPrompt, completionTokens: 400))
            #expect(estimate.stdout.contains("openai/gpt-4o-mini\t2\t\(miniPrompt)\t400\t\(Self.usd(miniLow))\t\(Self.usd(miniHigh))\n"), "\(estimate.stdout)")
            // No max_tokens: the model's largest completion (16,384) is the high end.
            let bigPrompt = TokenCounting.promptTokens(messageTexts: ["no limit set"])
            let bigHigh = Money.picoUSD(gpt4o.cost(promptTokens: bigPrompt, completionTokens: 16_384))
            #expect(estimate.stdout.contains("openai/gpt-4o\t1\t\(bigPrompt)\t16384\t"), "\(estimate.stdout)")
            let bigLow = Money.picoUSD(gpt4o.cost(promptTokens: bigPrompt, completionTokens: 0))
            #expect(estimate.stdout.contains("total\t3\t\(miniPrompt + bigPrompt)\t16784\t\(Self.usd(miniLow + bigLow))\t\(Self.usd(miniHigh + bigHigh))\n"))
            #expect(estimate.stdout.contains("no known price: 1 job (vendor/unlisted 1)"), "\(estimate.stdout)")
            #expect(sim.stats().chatRequests == 0)

            // submit --estimate prints the same table for what it enqueued.
            let submit = try await cli.run(["submit", "--estimate", file])
            #expect(submit.exitCode == 0, "\(submit.stderr)")
            #expect(submit.stdout.contains("batch 1: 4 jobs submitted"))
            #expect(submit.stdout.contains("total\t3\t\(miniPrompt + bigPrompt)\t16784\t\(Self.usd(miniLow + bigLow))\t\(Self.usd(miniHigh + bigHigh))\n"), "\(submit.stdout)")
        }
    }

    @Test func estimateWithoutPricesSaysSo() async throws {
        let directory = try TemporaryDirectory()
        let file = try directory.write("p.jsonl", lines: [jobLine("a", prompt: "hello", extra: #""max_tokens":5"#)])
        var cli = CommandLineHarness(databasePath: directory.path + "/p.sqlite", baseURL: nil, workingDirectory: directory.path)
        cli.apiKey = nil
        let estimate = try await cli.run(["estimate", file])
        #expect(estimate.exitCode == 0, "\(estimate.stderr)")
        #expect(estimate.stdout.contains("prices unknown: no database with a cached /models list and no API key"), "\(estimate.stdout)")
        #expect(!FileManager.default.fileExists(atPath: cli.databasePath), "estimating files created a database")
        #expect(estimate.stdout.contains("no known price: 1 job (sim/echo 1)"))
        #expect(estimate.stdout.contains("total\t0\t0\t0\t0\t0\n"))
    }
}
