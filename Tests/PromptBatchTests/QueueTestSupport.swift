import Foundation
import GRDB
@testable import PromptBatchKit

/// A directory of its own for one test's database files, removed when the test is done.
final class TemporaryDatabase: Sendable {
    let directory: URL
    var path: String { directory.appending(path: "queue.sqlite").path }

    init() throws {
        directory = FileManager.default.temporaryDirectory
            .appending(path: "promptbatch-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    deinit {
        try? FileManager.default.removeItem(at: directory)
    }

    func openStore() throws -> JobStore { try JobStore(path: path) }
}

/// `count` jobs with custom ids `job-1`, `job-2`, … made on demand.
func makeJobs(_ count: Int, model: String = "test/model") -> some Sequence<JobStore.NewJob> {
    (1...max(count, 1)).lazy.prefix(count).map { index in
        JobStore.NewJob(
            customID: "job-\(index)", sourceFile: "jobs.jsonl", lineNumber: index, model: model,
            requestBody: #"{"messages":[{"role":"user","content":"\#(index)"}]}"#)
    }
}

extension JobStore {
    /// Creates a batch of `count` generated jobs.
    func createTestBatch(_ count: Int, hash: String = UUID().uuidString) throws -> Int64 {
        try createBatch(name: "test", contentHash: hash, sourceFiles: ["jobs.jsonl"], jobs: makeJobs(count))
    }

    func states() throws -> [String: Int] {
        try dbPool.read { db in
            var states: [String: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT state, COUNT(*) FROM jobs GROUP BY state") {
                states[row[0]] = row[1]
            }
            return states
        }
    }
}

/// A counter and set shared between test tasks.
final class Recorder: Sendable {
    private let state = LockedBox<(calls: Int, jobIDs: [Int64])>((0, []))

    func record(_ jobID: Int64) -> Int {
        state.withLock { state in
            state.calls += 1
            state.jobIDs.append(jobID)
            return state.calls
        }
    }

    var calls: Int { state.current.calls }
    var jobIDs: [Int64] { state.current.jobIDs }
}

/// Polls `condition` every 5 ms until it holds or `timeout` passes.
///
/// The limit only keeps a broken test from hanging: it is wall-clock time, and in a full
/// parallel `swift test` on two cores this task can wait many seconds behind synchronous tests
/// that hold both of the cooperative pool's threads (10 s was not enough).
func waitUntil(timeout: Duration = .seconds(120), _ condition: () -> Bool) async throws {
    let deadline = ContinuousClock.now + timeout
    while !condition() {
        if ContinuousClock.now > deadline { throw CancellationError() }
        try await Task.sleep(for: .milliseconds(5))
    }
}
