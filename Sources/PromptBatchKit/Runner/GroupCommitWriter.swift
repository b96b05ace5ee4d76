import Foundation
import GRDB
import Logging

/// The runner's single writer: claims, attempts, completions and releases are queued, and
/// each transaction commits everything queued while the previous one ran (group commit).
///
/// One transaction per call would cap a runner at the database's commit rate; batching makes
/// the commit cost shared by all the jobs that finished meanwhile. Progress counters move
/// only after the commit that made them true.
final class GroupCommitWriter: Sendable {
    enum Request: Sendable {
        case claim(limit: Int, batchID: Int64?)
        /// `mayCloseOpenRow`: an earlier record of the job in this run was open, so this one
        /// may complete that row; false spares the look-up (every job not streamed).
        case attempt(jobID: Int64, AttemptRecord, mayCloseOpenRow: Bool = true)
        case complete(jobID: Int64, JobOutcome)
        case release([Int64])
    }

    private enum Reply: Sendable {
        case claimed([ClaimedJob], cached: Int)
        case recorded(TokenUsage?, costPicoUSD: Int64, isNewAttempt: Bool)
        case completed(JobOutcome, applied: Bool)
        case released
    }

    private struct Queued: Sendable {
        var request: Request
        var claimContinuation: CheckedContinuation<[ClaimedJob], any Error>?
    }

    private struct QueueState {
        var queued: [Queued] = []
        var waiter: CheckedContinuation<[Queued]?, Never>?
        var isFinished = false

        /// Hands the queue over and starts a new one with room for a full group: grown one
        /// append at a time, it was reallocated six times per group (0.4% of a run's samples).
        mutating func emptyQueue() {
            queued = []
            queued.reserveCapacity(GroupCommitWriter.fullGroup)
        }
    }

    private let dbPool: DatabasePool
    private let runnerID: String
    private let progress: LockedBox<RunProgress>
    private let logger: Logger
    /// Claims answer jobs from the cache under this policy; nil: never.
    private let cache: ResponseCachePolicy?
    private let queue = LockedBox(QueueState())
    private let firstErrorBox = LockedBox<(any Error)?>(nil)

    init(dbPool: DatabasePool, runnerID: String, progress: LockedBox<RunProgress>, logger: Logger, cache: ResponseCachePolicy? = nil) {
        self.cache = cache
        self.dbPool = dbPool
        self.runnerID = runnerID
        self.progress = progress
        self.logger = logger
    }

    /// The first write that failed for good, if any.
    var firstError: (any Error)? { firstErrorBox.current }

    /// Queues a write; it commits with the next group.
    func enqueue(_ request: Request) {
        enqueue(Queued(request: request))
    }

    /// Claims jobs in the next group's transaction.
    func claim(limit: Int, batchID: Int64?) async throws -> [ClaimedJob] {
        try await withCheckedThrowingContinuation { continuation in
            enqueue(Queued(request: .claim(limit: limit, batchID: batchID), claimContinuation: continuation))
        }
    }

    /// No more requests will come; ``run()`` returns once the queue is written.
    func finish() {
        let waiter = queue.withLock { state in
            state.isFinished = true
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(returning: nil)
    }

    /// How long a group smaller than ``fullGroup`` waits for more before it commits.
    ///
    /// A commit costs about as much as the writes in it (WAL frames for the same few pages,
    /// the hop to GRDB's queue), and at a few thousand jobs a second a writer that commits as
    /// soon as anything is queued commits a job's attempt and its result apart, a job or two
    /// per transaction. Two milliseconds gathers several: it delays only when a result
    /// becomes durable, never a request (slots do not wait for commits, and claims are made
    /// a chunk ahead).
    static let gatherWindow: Duration = .milliseconds(2)
    static let fullGroup = 64

    /// Writes groups until ``finish()`` was called and the queue is empty.
    func run() async {
        while var group = await nextGroup() {
            if group.count < Self.fullGroup, !queue.withLock({ $0.isFinished }) {
                try? await Task.sleep(for: Self.gatherWindow)
                group += takeQueued()
            }
            await commit(group)
        }
    }

    /// What was queued since the last group, without waiting.
    private func takeQueued() -> [Queued] {
        queue.withLock { state in
            defer { state.emptyQueue() }
            return state.queued
        }
    }

    private func enqueue(_ item: Queued) {
        let waiter = queue.withLock { state -> CheckedContinuation<[Queued]?, Never>? in
            precondition(!state.isFinished, "write queued after the writer finished")
            if let waiter = state.waiter {
                state.waiter = nil
                return waiter
            }
            state.queued.append(item)
            return nil
        }
        waiter?.resume(returning: [item])
    }

    private func nextGroup() async -> [Queued]? {
        await withCheckedContinuation { continuation in
            let ready = queue.withLock { state -> [Queued]?? in
                if !state.queued.isEmpty {
                    defer { state.emptyQueue() }
                    return .some(state.queued)
                }
                if state.isFinished { return .some(nil) }
                state.waiter = continuation
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }

    private func commit(_ group: [Queued]) async {
        let requests = group.map(\.request)
        let runnerID = self.runnerID
        let cache = self.cache
        do {
            let replies = try await dbPool.write { db in
                let now = Date()
                var folding = AttemptFolding(requests)
                let replies = try requests.map {
                    try Self.apply($0, db: db, runnerID: runnerID, now: now, cache: cache, folding: &folding)
                }
                try folding.flush(db)
                return replies
            }
            deliver(replies, to: group)
        } catch where group.count > 1 {
            // One bad request must not sink the others: redo them one transaction each.
            logger.warning("group commit failed, retrying one by one", metadata: ["error": "\(Self.oneLine(error))"])
            for item in group { await commit([item]) }
        } catch {
            let item = group[0]
            logger.error("database write failed", metadata: ["error": "\(Self.oneLine(error))", "request": "\(item.request.kind)"])
            firstErrorBox.withLock { if $0 == nil { $0 = error } }
            item.claimContinuation?.resume(throwing: error)
        }
    }

    /// An error for a log line: GRDB's description quotes the statement over several lines.
    static func oneLine(_ error: any Error) -> String {
        JobStore.storageFailureDescription(error) ?? "\(error)".split(whereSeparator: \.isNewline).joined(separator: " ")
    }

    /// A job's last attempt and its success are usually in the same group, and each adds to
    /// the job's row: the attempt its tokens and cost, the success its state and answer. The
    /// attempt's totals wait for the success later in the group and go into its update, so the
    /// row (and the state index) is written once per job instead of twice.
    struct AttemptFolding {
        /// Jobs whose success is still ahead in the group.
        private var succeedingLater: Set<Int64> = []
        /// Totals waiting for their job's success: at most one per job, the latest attempt's.
        private var waiting: [Int64: JobStore.AttemptTotals] = [:]

        init(_ group: [Request]) {
            for case .complete(let jobID, .succeeded) in group { succeedingLater.insert(jobID) }
        }

        /// Adds an attempt's totals to its job now, or keeps them for the job's success.
        mutating func add(_ totals: JobStore.AttemptTotals, jobID: Int64, db: Database) throws {
            guard succeedingLater.contains(jobID) else {
                return try JobStore.addToJob(db, jobID: jobID, totals)
            }
            // Two attempts in one group: the earlier one's totals go first, as they came.
            if let earlier = waiting.updateValue(totals, forKey: jobID) {
                try JobStore.addToJob(db, jobID: jobID, earlier)
            }
        }

        /// The totals to fold into this completion of the job.
        mutating func completing(_ jobID: Int64) -> JobStore.AttemptTotals? {
            succeedingLater.remove(jobID)
            return waiting.removeValue(forKey: jobID)
        }

        /// Adds whatever still waits (nothing, unless a job's success came twice in a group).
        mutating func flush(_ db: Database) throws {
            for (jobID, totals) in waiting { try JobStore.addToJob(db, jobID: jobID, totals) }
            waiting = [:]
        }
    }

    private static func apply(
        _ request: Request, db: Database, runnerID: String, now: Date, cache: ResponseCachePolicy?, folding: inout AttemptFolding
    ) throws -> Reply {
        switch request {
        case .claim(let limit, let batchID):
            let (jobs, cached) = try JobStore.claimJobs(db, limit: limit, runnerID: runnerID, batchID: batchID, now: now, cache: cache)
            return .claimed(jobs, cached: cached)
        case .attempt(let jobID, let attempt, let mayCloseOpenRow):
            let isNew = try JobStore.insertAttempt(db, jobID: jobID, attempt, runnerID: runnerID, mayCloseOpenRow: mayCloseOpenRow)
            try folding.add(JobStore.AttemptTotals(attempt, isNew: isNew), jobID: jobID, db: db)
            return .recorded(attempt.usage, costPicoUSD: attempt.costPicoUSD ?? 0, isNewAttempt: isNew)
        case .complete(let jobID, let outcome):
            let applied = try JobStore.complete(
                db, jobID: jobID, outcome: outcome, runnerID: runnerID, now: now, adding: folding.completing(jobID))
            return .completed(outcome, applied: applied)
        case .release(let jobIDs):
            try JobStore.release(db, jobIDs: jobIDs, runnerID: runnerID)
            return .released
        }
    }

    private func deliver(_ replies: [Reply], to group: [Queued]) {
        var delta = RunProgress()
        for (reply, item) in zip(replies, group) {
            switch reply {
            case .claimed(let jobs, let cached):
                delta.succeeded += cached
                delta.cached += cached
                item.claimContinuation?.resume(returning: jobs)
            case .recorded(let usage, let cost, let isNew):
                if isNew { delta.attempts += 1 }
                if let usage { delta.tokens += usage }
                delta.costPicoUSD = Money.adding(delta.costPicoUSD, cost)
            case .completed(let outcome, let applied):
                guard applied else {
                    logger.warning("job was no longer ours when it finished", metadata: ["job": "\(item.request.jobID ?? -1)"])
                    continue
                }
                switch outcome {
                case .succeeded: delta.succeeded += 1
                case .failed: delta.failed += 1
                case .fatal, .released: delta.released += 1
                }
            case .released:
                break
            }
        }
        progress.withLock { progress in
            progress.succeeded += delta.succeeded
            progress.cached += delta.cached
            progress.failed += delta.failed
            progress.released += delta.released
            progress.attempts += delta.attempts
            progress.tokens += delta.tokens
            progress.costPicoUSD = Money.adding(progress.costPicoUSD, delta.costPicoUSD)
        }
    }
}

extension GroupCommitWriter.Request {
    var kind: String {
        switch self {
        case .claim: "claim"
        case .attempt: "attempt"
        case .complete: "complete"
        case .release: "release"
        }
    }

    var jobID: Int64? {
        switch self {
        case .attempt(let jobID, _, _), .complete(let jobID, _): jobID
        case .claim, .release: nil
        }
    }
}
