import Foundation
import OpenRouter
import OpenRouterSimulator
import Testing
@testable import PromptBatchKit

/// The pool's budget admission on its own: no database, no HTTP.
@Suite struct RunnerPoolBudgetTests {
    /// 1 USD per 1M tokens either way: a job's worst case is (prompt + limit) × 10⁶ pico-USD.
    static let prices = PriceTable(entries: ["m": .init(pricing: ModelInfo.Pricing(prompt: 1, completion: 1), maxCompletionTokens: nil)])
    static let million: Int64 = 1_000_000

    func job(_ id: Int64, prompt: Int = 6, limit: Int? = 4, model: String = "m") -> ClaimedJob {
        ClaimedJob(
            id: id, batchID: 1, customID: "job-\(id)", model: model, requestBody: "{}", isStream: false, previousAttempts: 0,
            estimate: JobEstimate(promptTokens: prompt, maxCompletionTokens: limit))
    }

    func pool(concurrency: Int, budget: Int64, attempts: Int = 1) -> RunnerPool {
        RunnerPool(concurrency: concurrency, chunkSize: 8, budget: RunBudget(limitPicoUSD: budget, attemptsPerJob: attempts, prices: Self.prices))
    }

    @Test func startsOnlyJobsWhoseWorstCaseFitsAndWaitsForJobsInFlight() throws {
        var pool = pool(concurrency: 4, budget: 25 * Self.million)
        _ = pool.handle(.started(stopAlreadyRequested: false))
        let jobs = (1...6).map { job($0) }   // 10 × 10⁶ each
        #expect(pool.handle(.claimed(jobs)) == [.start(jobs[0]), .start(jobs[1])])
        #expect(pool.ledger?.reserved == 20 * Self.million)
        // Job 1 cost 4: 4 spent + 10 reserved + 10 fits in 25.
        #expect(pool.handle(.jobFinished(.released, jobID: 1, costPicoUSD: 4 * Self.million)) == [.start(jobs[2])])
        // Job 2 cost its worst case: 14 + 10 + 10 > 25, but job 3 is in flight: wait.
        #expect(pool.handle(.jobFinished(.released, jobID: 2, costPicoUSD: 10 * Self.million)) == [])
        #expect(pool.haltReason == nil)
        // Job 3 done: 24 spent, nothing in flight, 24 + 10 > 25: the budget is reached.
        #expect(pool.handle(.jobFinished(.released, jobID: 3, costPicoUSD: 10 * Self.million)) == [.release([6, 5, 4]), .finish])
        #expect(pool.budgetWasReached)
        let reason = try #require(pool.haltReason)
        #expect(reason.category == "budget")
        #expect(reason.message.contains("spent $0.000024 of $0.000025"), "\(reason.message)")
        #expect(pool.ledger?.spent == 24 * Self.million)
        #expect(pool.ledger?.reserved == 0)
    }

    @Test func reservesEveryAttemptAJobMayMake() {
        var pool = pool(concurrency: 2, budget: 39 * Self.million, attempts: 4)
        _ = pool.handle(.started(stopAlreadyRequested: false))
        // 4 attempts × 10 = 40 > 39: nothing starts.
        #expect(pool.handle(.claimed([job(1), job(2)])) == [.release([2, 1]), .finish])
        #expect(pool.budgetWasReached)
        #expect(pool.haltReason?.message.contains("4 attempts at most $0.00001 each") == true)

        var roomy = self.pool(concurrency: 2, budget: 40 * Self.million, attempts: 4)
        _ = roomy.handle(.started(stopAlreadyRequested: false))
        #expect(roomy.handle(.claimed([job(1), job(2)])) == [.start(job(1))])
    }

    @Test func aJobWithoutAPriceHaltsTheRunButLetsJobsInFlightFinish() throws {
        var pool = pool(concurrency: 3, budget: 1_000 * Self.million)
        _ = pool.handle(.started(stopAlreadyRequested: false))
        let jobs = [job(1), job(2, model: "unknown/model"), job(3)]
        #expect(pool.handle(.claimed(jobs)) == [.start(jobs[0]), .release([3, 2])], "no grace timer: job 1's worst case is reserved")
        #expect(pool.haltReason?.message.contains("unknown/model") == true)
        #expect(!pool.budgetWasReached)
        #expect(pool.handle(.jobFinished(fakeSuccess, jobID: 1, costPicoUSD: 1)) == [.finish])
    }

    @Test func aJobWithNoCompletionLimitCannotBeBudgeted() {
        var pool = pool(concurrency: 1, budget: 1_000 * Self.million)
        _ = pool.handle(.started(stopAlreadyRequested: false))
        #expect(pool.handle(.claimed([job(1, limit: nil)])) == [.release([1]), .finish])
        #expect(pool.haltReason?.message.contains("no max_tokens") == true)
    }

    @Test func aStopAfterABudgetHaltStillGivesJobsInFlightOnlyTheGracePeriod() {
        var pool = pool(concurrency: 2, budget: 1_000 * Self.million)
        _ = pool.handle(.started(stopAlreadyRequested: false))
        _ = pool.handle(.claimed([job(1), job(2, model: "unknown/model")]))
        #expect(pool.handle(.stopRequested) == [.startGraceTimer])
    }

    /// The bound README states, over many random runs: a run spends at most its budget plus
    /// what attempts cost beyond their own worst case; and it stops only when the next job
    /// really does not fit.
    @Test(arguments: 0..<300)
    func neverSpendsMoreThanTheBudgetPlusWhatAttemptsCostBeyondTheirWorstCase(seed: UInt64) throws {
        var random = SplitMix64(seed: seed)
        let attempts = Int.random(in: 1...4, using: &random)
        let budget = Int64.random(in: 1...400, using: &random) * Self.million
        var pool = pool(concurrency: Int.random(in: 1...6, using: &random), budget: budget, attempts: attempts)
        var queue = (1...Int64(40)).map { job($0, prompt: Int.random(in: 0...20, using: &random), limit: Int.random(in: 1...20, using: &random)) }
        let byID = Dictionary(uniqueKeysWithValues: queue.map { ($0.id, $0) })
        queue.reverse()   // lowest id last, as claims take them
        var inFlight: [ClaimedJob] = []
        var pendingClaim: Int?
        var spent: Int64 = 0
        var excess: Int64 = 0
        var finished = false
        var actions = pool.handle(.started(stopAlreadyRequested: false))
        var steps = 0
        while !finished {
            steps += 1
            try #require(steps < 10_000, "the pool neither finished nor made progress")
            for action in actions {
                switch action {
                case .start(let job):
                    inFlight.append(job)
                    let ledger = try #require(pool.ledger)
                    #expect(Money.adding(ledger.spent, ledger.reserved) <= budget, "reserved past the budget")
                case .claim(let limit): pendingClaim = limit
                case .release(let ids):
                    queue.append(contentsOf: ids.compactMap { byID[$0] })
                    queue.sort { $0.id > $1.id }
                case .startGraceTimer, .cancelInFlight: break
                case .wake: Issue.record("no rate limits, so no wake-ups")
                case .finish: finished = true
                }
            }
            if finished { break }
            if let limit = pendingClaim, inFlight.isEmpty || Bool.random(using: &random) {
                pendingClaim = nil
                let claimed = Array(queue.suffix(limit).reversed())
                queue.removeLast(claimed.count)
                actions = pool.handle(.claimed(claimed))
                continue
            }
            try #require(!inFlight.isEmpty, "waiting with nothing in flight and no claim")
            let job = inFlight.remove(at: Int.random(in: 0..<inFlight.count, using: &random))
            let high = try #require(Self.prices.attemptCost(model: job.model, estimate: job.estimate).high)
            var cost: Int64 = 0
            for _ in 0..<Int.random(in: 1...attempts, using: &random) {
                // Mostly within the worst case; one attempt in five overruns it by up to half.
                let attemptCost = Int.random(in: 0..<5, using: &random) == 0
                    ? high + Int64.random(in: 1...(high / 2 + 1), using: &random)
                    : Int64.random(in: 0...high, using: &random)
                cost += attemptCost
                excess += max(attemptCost - high, 0)
            }
            spent += cost
            actions = pool.handle(.jobFinished(.released, jobID: job.id, costPicoUSD: cost))
        }
        #expect(spent <= budget + excess)
        #expect(pool.ledger?.spent == spent)
        if pool.budgetWasReached {
            // It stopped at the first job that did not fit, with nothing in flight.
            let next = try #require(queue.last)
            let reservation = try #require(RunBudget(limitPicoUSD: budget, attemptsPerJob: attempts, prices: Self.prices).reservation(for: next).amount)
            #expect(spent + reservation > budget)
        } else {
            #expect(queue.isEmpty, "the run ended early without reaching the budget")
        }
    }

    var fakeSuccess: JobOutcome { .succeeded(JobResult(responseBody: "{}")) }
}
