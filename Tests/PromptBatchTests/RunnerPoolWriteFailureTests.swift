import Testing
@testable import PromptBatchKit

/// A write that fails (full disk, read-only file) stops the run like a failed claim: nothing
/// more starts, since its result could not be recorded.
@Suite struct RunnerPoolWriteFailureTests {
    struct DiskFull: Error {}

    func jobs(_ ids: ClosedRange<Int64>) -> [ClaimedJob] {
        ids.map { ClaimedJob(id: $0, batchID: 1, customID: "job-\($0)", model: "m", requestBody: "{}", isStream: false, previousAttempts: 0) }
    }

    @Test func aFailedWriteReleasesTheBufferStartsNothingAndFinishesWhenInFlightJobsEnd() {
        var pool = RunnerPool(concurrency: 2, chunkSize: 2)
        _ = pool.handle(.started(stopAlreadyRequested: false))
        _ = pool.handle(.claimed(jobs(1...4)))
        #expect(pool.handle(.writeFailed(DiskFull())) == [.release([4, 3]), .startGraceTimer])
        #expect(pool.claimError is DiskFull)
        #expect(!pool.wasInterrupted)
        #expect(pool.handle(.jobFinished(.released)) == [], "no buffered job starts")
        #expect(pool.handle(.writeFailed(DiskFull())) == [], "a stop is handled once")
        #expect(pool.handle(.jobFinished(.released)) == [.finish])
    }
}
