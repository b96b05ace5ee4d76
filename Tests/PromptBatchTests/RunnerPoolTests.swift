import Testing
@testable import PromptBatchKit

@Suite struct RunnerPoolTests {
    func jobs(_ ids: ClosedRange<Int64>) -> [ClaimedJob] {
        ids.map { ClaimedJob(id: $0, batchID: 1, customID: "job-\($0)", model: "m", requestBody: "{}", isStream: false, previousAttempts: 0) }
    }

    @Test func claimsEnoughForEverySlotPlusAChunkAtStart() {
        var pool = RunnerPool(concurrency: 4, chunkSize: 2)
        #expect(pool.handle(.started(stopAlreadyRequested: false)) == [.claim(limit: 6)])
        let actions = pool.handle(.claimed(jobs(1...6)))
        #expect(actions == jobs(1...4).map { .start($0) })
        #expect(pool.buffer.map(\.id) == [6, 5])
        // A finished job starts the next buffered one; the buffer is topped up once it is
        // down to half a chunk.
        #expect(pool.handle(.jobFinished(.released)) == [.start(jobs(5...5)[0]), .claim(limit: 1)])
        #expect(pool.handle(.jobFinished(.released)) == [.start(jobs(6...6)[0])])
        #expect(pool.handle(.claimed(jobs(7...7))) == [.claim(limit: 1)])
        #expect(pool.handle(.jobFinished(.released)) == [.start(jobs(7...7)[0])])
    }

    @Test func finishesWhenAShortClaimLeftNothingAndTheLastJobEnds() {
        var pool = RunnerPool(concurrency: 2, chunkSize: 2)
        _ = pool.handle(.started(stopAlreadyRequested: false))
        #expect(pool.handle(.claimed(jobs(1...1))) == [.start(jobs(1...1)[0])])
        #expect(pool.isExhausted)
        #expect(pool.handle(.jobFinished(.failed(category: "x", message: "y"))) == [.finish])
    }

    @Test func finishesAtOnceOnAnEmptyQueue() {
        var pool = RunnerPool(concurrency: 2, chunkSize: 2)
        _ = pool.handle(.started(stopAlreadyRequested: false))
        #expect(pool.handle(.claimed([])) == [.finish])
    }

    @Test func aStopReleasesTheBufferAndGivesInFlightJobsGrace() {
        var pool = RunnerPool(concurrency: 2, chunkSize: 2)
        _ = pool.handle(.started(stopAlreadyRequested: false))
        _ = pool.handle(.claimed(jobs(1...4)))
        #expect(pool.handle(.stopRequested) == [.release([4, 3]), .startGraceTimer])
        #expect(pool.handle(.graceExpired) == [.cancelInFlight])
        #expect(pool.handle(.jobFinished(.released)) == [])
        #expect(pool.handle(.jobFinished(.released)) == [.finish])
        #expect(pool.wasInterrupted)
    }

    @Test func aFatalOutcomeStopsWithoutCountingAsInterrupted() {
        var pool = RunnerPool(concurrency: 2, chunkSize: 2)
        _ = pool.handle(.started(stopAlreadyRequested: false))
        _ = pool.handle(.claimed(jobs(1...3)))
        #expect(pool.handle(.jobFinished(.fatal(category: "auth", message: "bad key"))) == [.release([3]), .startGraceTimer])
        #expect(pool.haltReason == HaltReason(category: "auth", message: "bad key"))
        #expect(!pool.wasInterrupted)
        #expect(pool.handle(.jobFinished(fakeSuccess)) == [.finish])
    }

    @Test func aClaimArrivingDuringAStopIsReleased() {
        var pool = RunnerPool(concurrency: 1, chunkSize: 1)
        _ = pool.handle(.started(stopAlreadyRequested: false))
        _ = pool.handle(.claimed(jobs(1...2)))
        #expect(pool.handle(.jobFinished(fakeSuccess)) == [.start(jobs(2...2)[0]), .claim(limit: 1)])
        #expect(pool.handle(.stopRequested) == [.startGraceTimer])
        #expect(pool.handle(.claimed(jobs(3...3))) == [.release([3])])
        #expect(pool.handle(.jobFinished(fakeSuccess)) == [.finish])
    }

    @Test func aStopBeforeTheStartFinishesAtOnce() {
        var pool = RunnerPool(concurrency: 3, chunkSize: 2)
        #expect(pool.handle(.started(stopAlreadyRequested: true)) == [.finish])
    }
}
