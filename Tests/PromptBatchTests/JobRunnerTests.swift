import Synchronization
import Foundation
import GRDB
import Logging
import Testing
@testable import PromptBatchKit

/// A handler whose behaviour per job is a closure; counts its calls.
struct FakeHandler: JobHandler {
    let recorder = Recorder()
    let body: @Sendable (ClaimedJob, Int, @escaping @Sendable (AttemptRecord) -> Void) async -> JobOutcome

    func run(_ job: ClaimedJob, recordAttempt: @escaping @Sendable (AttemptRecord) -> Void) async -> JobOutcome {
        let call = recorder.record(job.id)
        return await body(job, call, recordAttempt)
    }
}

/// The job's number from its custom id `job-N`.
func number(of job: ClaimedJob) -> Int { Int(job.customID.dropFirst(4))! }

let fakeSuccess = JobOutcome.succeeded(JobResult(responseBody: #"{"ok":true}"#, answeredModel: "test/model", finishReason: "stop"))

@Suite struct JobRunnerTests {
    @Test func runsEveryJobToCompletionWithExactCountsAndSums() async throws {
        let database = try TemporaryDatabase()
        let store = try database.openStore()
        let batch = try store.createTestBatch(500)
        let other = try store.createTestBatch(20)
        // Job n: one failed attempt first when n is even; fails for good when n is a multiple of 10.
        let handler = FakeHandler { job, _, recordAttempt in
            let n = number(of: job)
            if n % 2 == 0 {
                recordAttempt(AttemptRecord(startedAt: Date(), statusCode: 503, errorCategory: "server",
                                                  usage: nil, costPicoUSD: nil))
            }
            recordAttempt(AttemptRecord(startedAt: Date(), statusCode: 200, usage: TokenUsage(prompt: n, completion: 2),
                                              costPicoUSD: Int64(n) * 1_000, costSource: "reported"))
            return n % 10 == 0 ? .failed(category: "content_filter", message: "refused") : fakeSuccess
        }
        let runner = JobRunner(store: store, handler: handler,
                               configuration: RunnerConfiguration(concurrency: 8, batchID: batch))
        let summary = try await runner.run()

        #expect(summary.succeeded == 450)
        #expect(summary.failed == 50)
        #expect(summary.released == 0)
        #expect(summary.haltReason == nil)
        #expect(!summary.wasInterrupted)
        #expect(summary.attempts == 750)
        #expect(summary.tokens == TokenUsage(prompt: 500 * 501 / 2, completion: 1000))
        #expect(summary.costPicoUSD == Int64(500 * 501 / 2) * 1_000)
        #expect(handler.recorder.calls == 500)

        let counts = try store.counts(batchID: batch)
        #expect(counts.succeeded == 450)
        #expect(counts.failed == 50)
        #expect(counts.failedByCategory == ["content_filter": 50])
        #expect(counts.attempts == 750)
        #expect(counts.tokens == summary.tokens)
        #expect(counts.costPicoUSD == summary.costPicoUSD)
        #expect(try store.counts(batchID: other).pending == 20)
        let results = try await store.dbPool.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM results") }
        #expect(results == 450)

        let progress = runner.progress
        #expect(progress.total == 500)
        #expect(progress.done == 500)
        #expect(progress.inFlight == 0)
        let runners = try await store.dbPool.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM runners") }
        #expect(runners == 0)
    }

    @Test func failedJobsRetriedRunAgainAndAttemptsAccumulate() async throws {
        let database = try TemporaryDatabase()
        let store = try database.openStore()
        _ = try store.createTestBatch(30)
        let seenPreviousAttempts = LockedBox<[Int]>([])
        let handler = FakeHandler { job, _, recordAttempt in
            seenPreviousAttempts.withLock { $0.append(job.previousAttempts) }
            for _ in 0..<2 {
                recordAttempt(AttemptRecord(startedAt: Date(), statusCode: 429, costPicoUSD: 1))
            }
            return job.previousAttempts == 0 ? .failed(category: "rate_limit", message: "429") : fakeSuccess
        }
        let runner = JobRunner(store: store, handler: handler, configuration: RunnerConfiguration(concurrency: 4))
        let first = try await runner.run()
        #expect(first.failed == 30)
        #expect(try store.retryFailed(batchID: nil, categories: ["rate_limit"]) == 30)
        let second = try await runner.run()
        #expect(second.succeeded == 30)
        #expect(second.attempts == 60)
        #expect(seenPreviousAttempts.current.sorted() == Array(repeating: 0, count: 30) + Array(repeating: 2, count: 30))
        let counts = try store.counts(batchID: nil)
        #expect(counts.succeeded == 30)
        #expect(counts.attempts == 120)
        #expect(counts.costPicoUSD == 120)
        let history = try await store.dbPool.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM attempts") }
        #expect(history == 120)
    }

    @Test func aFatalOutcomeHaltsTheRunAndLeavesTheRestPending() async throws {
        let database = try TemporaryDatabase()
        let store = try database.openStore()
        _ = try store.createTestBatch(300)
        let concurrency = 6
        let handler = FakeHandler { _, call, _ in
            if call == 20 { return .fatal(category: "auth", message: "invalid API key") }
            try? await Task.sleep(for: .milliseconds(2))
            return fakeSuccess
        }
        let runner = JobRunner(store: store, handler: handler,
                               configuration: RunnerConfiguration(concurrency: concurrency, grace: .seconds(5)))
        let summary = try await runner.run()

        #expect(summary.haltReason == HaltReason(category: "auth", message: "invalid API key"))
        #expect(!summary.wasInterrupted)
        #expect(summary.released == 1)
        // Calls 1...19 finished before the fatal one; after it, at most the jobs already in
        // flight ran.
        #expect(handler.recorder.calls <= 20 + concurrency)
        #expect(summary.succeeded == handler.recorder.calls - 1)
        let counts = try store.counts(batchID: nil)
        #expect(counts.running == 0)
        #expect(counts.succeeded == summary.succeeded)
        #expect(counts.pending == 300 - summary.succeeded)
    }

    @Test func requestStopReleasesJobsUnfinishedAfterTheGracePeriod() async throws {
        let database = try TemporaryDatabase()
        let store = try database.openStore()
        _ = try store.createTestBatch(50)
        let handler = FakeHandler { job, _, recordAttempt in
            do {
                try await Task.sleep(for: .seconds(30))
                return fakeSuccess
            } catch {
                recordAttempt(AttemptRecord(startedAt: Date(), errorCategory: "cancelled", costPicoUSD: 3))
                return .failed(category: "cancelled", message: "\(error)")
            }
        }
        let runner = JobRunner(store: store, handler: handler,
                               configuration: RunnerConfiguration(concurrency: 3, grace: .milliseconds(100)))
        let run = Task { try await runner.run() }
        try await waitUntil { handler.recorder.calls == 3 }
        runner.requestStop()
        // Had the grace period not cancelled them, the 30 s handlers would have succeeded.
        let summary = try await run.value

        #expect(summary.wasInterrupted)
        #expect(summary.released == 3)
        #expect(summary.succeeded == 0)
        #expect(summary.failed == 0)
        #expect(summary.costPicoUSD == 9)
        #expect(handler.recorder.calls == 3)
        #expect(try store.states() == ["pending": 50])
        #expect(try store.counts(batchID: nil).attempts == 3)
    }

    @Test func requestStopLetsJobsFinishWithinTheGracePeriod() async throws {
        let database = try TemporaryDatabase()
        let store = try database.openStore()
        _ = try store.createTestBatch(50)
        // Jobs finish only once the stop was requested, so exactly the first four can be in flight.
        let stopRequested = Gate()
        let handler = FakeHandler { _, _, _ in
            while !stopRequested.isOpen { try? await Task.sleep(for: .milliseconds(10)) }
            return fakeSuccess
        }
        let runner = JobRunner(store: store, handler: handler,
                               configuration: RunnerConfiguration(concurrency: 4, grace: .seconds(20)))
        let run = Task { try await runner.run() }
        try await waitUntil { handler.recorder.calls == 4 }
        runner.requestStop()
        stopRequested.open()
        let summary = try await run.value
        #expect(summary.wasInterrupted)
        #expect(summary.succeeded == 4)
        #expect(summary.released == 0)
        #expect(try store.states() == ["pending": 46, "succeeded": 4])
    }

    @Test func cancellingTheRunReleasesInFlightJobs() async throws {
        let database = try TemporaryDatabase()
        let store = try database.openStore()
        _ = try store.createTestBatch(20)
        let handler = FakeHandler { _, _, _ in
            do {
                try await Task.sleep(for: .seconds(30))
                return fakeSuccess
            } catch {
                return .released
            }
        }
        let runner = JobRunner(store: store, handler: handler, configuration: RunnerConfiguration(concurrency: 2))
        let run = Task { try await runner.run() }
        try await waitUntil { handler.recorder.calls == 2 }
        run.cancel()
        let summary = try await run.value
        #expect(summary.wasInterrupted)
        #expect(summary.released == 2)
        #expect(try store.states() == ["pending": 20])
    }

    @Test func theRunnerRecoversJobsOfADeadRunnerBeforeStarting() async throws {
        let database = try TemporaryDatabase()
        let store = try database.openStore()
        _ = try store.createTestBatch(10)
        let dead = try store.registerRunner(host: "elsewhere.example", pid: 1, now: Date().addingTimeInterval(-3600))
        _ = try store.claimJobs(limit: 4, runnerID: dead, batchID: nil)
        let handler = FakeHandler { _, _, _ in fakeSuccess }
        let summary = try await JobRunner(store: store, handler: handler).run()
        #expect(summary.succeeded == 10)
    }

    @Test func twoRunnersOnOneDatabaseRunEachJobOnce() async throws {
        let database = try TemporaryDatabase()
        let setup = try database.openStore()
        _ = try setup.createTestBatch(2_000)
        let handler = FakeHandler { _, _, _ in
            await Task.yield()
            return fakeSuccess
        }
        let runners = [
            JobRunner(store: try database.openStore(), handler: handler, configuration: RunnerConfiguration(concurrency: 16)),
            JobRunner(store: try database.openStore(), handler: handler, configuration: RunnerConfiguration(concurrency: 16)),
        ]
        async let first = runners[0].run()
        async let second = runners[1].run()
        let summaries = try await [first, second]
        #expect(summaries[0].succeeded + summaries[1].succeeded == 2_000)
        #expect(handler.recorder.calls == 2_000)
        #expect(Set(handler.recorder.jobIDs).count == 2_000)
        #expect(try setup.states() == ["succeeded": 2_000])
    }
}

/// Seconds of CPU (user + system) this process has used.
func processCPUSeconds() -> Double {
    var usage = rusage()
    #if os(Linux)
    getrusage(RUSAGE_SELF.rawValue, &usage)
    #else
    getrusage(RUSAGE_SELF, &usage)
    #endif
    func seconds(_ time: timeval) -> Double { Double(time.tv_sec) + Double(time.tv_usec) / 1e6 }
    return seconds(usage.ru_utime) + seconds(usage.ru_stime)
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}

/// Prints, never asserts: timing belongs to benchmarks, not tests. CPU time is the whole
/// process's, so it includes other tests running alongside.
@Suite(.serialized) struct JobRunnerThroughput {
    func measure(jobs: Int, concurrency: Int, handlerSleep: Duration?) async throws -> String {
        let database = try TemporaryDatabase()
        let store = try database.openStore()
        _ = try store.createTestBatch(jobs)
        let handler = FakeHandler { _, _, recordAttempt in
            if let handlerSleep { try? await Task.sleep(for: handlerSleep) }
            recordAttempt(AttemptRecord(startedAt: Date(), statusCode: 200, usage: TokenUsage(prompt: 1, completion: 1),
                                              costPicoUSD: 1, costSource: "reported"))
            return fakeSuccess
        }
        let runner = JobRunner(store: store, handler: handler, configuration: RunnerConfiguration(concurrency: concurrency))
        let clock = ContinuousClock()
        let start = clock.now
        let cpuStart = processCPUSeconds()
        let summary = try await runner.run()
        let cpu = processCPUSeconds() - cpuStart
        let elapsed = (clock.now - start).seconds
        #expect(summary.succeeded == jobs)
        let sleep = handlerSleep.map { "a \($0) handler" } ?? "an instant handler"
        return "throughput: \(jobs) jobs, concurrency \(concurrency), \(sleep): "
            + "\(String(format: "%.2f", elapsed)) s = \(Int(Double(jobs) / elapsed)) jobs/s, "
            + "CPU \(Int(cpu / Double(jobs) * 1e6)) µs/job"
    }

    @Test func printsJobsPerSecondForAnInstantHandler() async throws {
        print(try await measure(jobs: 20_000, concurrency: 64, handlerSleep: nil))
    }

    /// The target load: 256 at once, 100 ms each (at most 2,560 jobs/s). Opt-in, ~5 s.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["PROMPTBATCH_BENCHMARK"] != nil))
    func printsJobsPerSecondFor256SlowJobsAtOnce() async throws {
        print(try await measure(jobs: Int(ProcessInfo.processInfo.environment["PROMPTBATCH_BENCHMARK_JOBS"] ?? "") ?? 12_800, concurrency: 256, handlerSleep: .milliseconds(100)))
    }
}

/// A flag one task opens and others poll.
final class Gate: Sendable {
    private let state = Mutex(false)
    var isOpen: Bool { state.withLock { $0 } }
    func open() { state.withLock { $0 = true } }
}
