import Foundation
import Testing
@testable import PromptBatchKit

/// `run --rpm/--tpm` in the pool on its own: explicit times, no clock.
@Suite struct RateLimitTests {
    func job(_ id: Int64, prompt: Int = 6, limit: Int? = 4) -> ClaimedJob {
        ClaimedJob(
            id: id, batchID: 1, customID: "job-\(id)", model: "m", requestBody: "{}", isStream: false, previousAttempts: 0,
            estimate: JobEstimate(promptTokens: prompt, maxCompletionTokens: limit))
    }

    // MARK: Rate limits

    @Test func requestsPerMinuteSpaceJobStartsAndWakeTheRunnerWhenOneMayStart() {
        let start = ContinuousClock.now
        var pool = RunnerPool(concurrency: 8, chunkSize: 8, rateLimits: RateLimits(requestsPerMinute: 60), now: start)
        _ = pool.handle(.started(stopAlreadyRequested: false), now: start)
        let jobs = (1...3).map { job($0) }
        // One second's worth (one job) may start at once; the next in a second.
        #expect(pool.handle(.claimed(jobs), now: start) == [.start(jobs[0]), .wake(after: .seconds(1))])
        #expect(pool.handle(.tick, now: start + .milliseconds(400)) == [.wake(after: .milliseconds(600))])
        #expect(pool.handle(.tick, now: start + .seconds(1)) == [.start(jobs[1]), .wake(after: .seconds(1))])
        // Events between ticks do not ask for another wake-up.
        #expect(pool.handle(.jobFinished(.released, jobID: 1), now: start + .milliseconds(1_500)) == [])
        #expect(pool.handle(.tick, now: start + .seconds(2)) == [.start(jobs[2])])
    }

    @Test func tokensPerMinuteCountThePromptEstimateAndTheCompletionLimit() {
        let start = ContinuousClock.now
        // 600 tokens a minute: 10 a second, each job 6 + 4 = 10.
        var pool = RunnerPool(concurrency: 8, chunkSize: 8, rateLimits: RateLimits(tokensPerMinute: 600), now: start)
        _ = pool.handle(.started(stopAlreadyRequested: false), now: start)
        let jobs = [job(1), job(2), job(3, prompt: 96, limit: 4)]
        #expect(pool.handle(.claimed(jobs), now: start) == [.start(jobs[0]), .wake(after: .seconds(1))])
        #expect(pool.handle(.tick, now: start + .seconds(1)) == [.start(jobs[1]), .wake(after: .seconds(1))])
        // A job bigger than the bucket starts once it is full, and leaves it in debt: the
        // next second's worth is ten seconds away.
        #expect(pool.handle(.tick, now: start + .seconds(2)) == [.start(jobs[2])])
        var bucket = TokenBucket(perMinute: 600, now: start)
        bucket.take(100, now: start)
        #expect(bucket.wait(for: 10, now: start) == .seconds(10))
    }

    @Test func aStopEndsARunWaitingForTheRateLimits() {
        let start = ContinuousClock.now
        var pool = RunnerPool(concurrency: 8, chunkSize: 8, rateLimits: RateLimits(requestsPerMinute: 1), now: start)
        _ = pool.handle(.started(stopAlreadyRequested: false), now: start)
        #expect(pool.handle(.claimed([job(1), job(2)]), now: start) == [.start(job(1)), .wake(after: .seconds(60))])
        #expect(pool.handle(.jobFinished(.released, jobID: 1), now: start) == [])
        #expect(pool.handle(.stopRequested, now: start) == [.release([2]), .finish])
    }
}
