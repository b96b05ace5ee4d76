import Foundation
import GRDB
import Logging

/// Drains pending jobs through a handler, at most `concurrency` at a time.
///
/// One task group keeps up to `concurrency` handler tasks running and starts one as each
/// finishes, from jobs claimed ahead so no slot waits for SQLite. Attempts and completions go
/// through one group-commit writer. A job's failure is recorded, never thrown; `run()` throws
/// only when the database itself fails.
public final class JobRunner<Handler: JobHandler>: Sendable {
    public let store: JobStore
    public let handler: Handler
    public let configuration: RunnerConfiguration
    private let logger: Logger
    private let stopSignal = OneShotSignal()
    private let progressBox = LockedBox(RunProgress())
    private let metrics = RunMetrics()

    /// - Parameters:
    ///   - store: The queue.
    ///   - handler: Runs each job.
    ///   - configuration: Concurrency, scope and timing; see ``RunnerConfiguration``.
    ///   - logger: Defaults to a logger labelled `promptbatch.runner`.
    public init(
        store: JobStore, handler: Handler, configuration: RunnerConfiguration = RunnerConfiguration(),
        logger: Logger = Logger(label: "promptbatch.runner")
    ) {
        self.store = store
        self.handler = handler
        self.configuration = configuration
        self.logger = logger
    }

    /// The run so far; cheap (one lock) to read as often as a progress display wants.
    public var progress: RunProgress { progressBox.current }

    /// Stops claiming. In-flight jobs get ``RunnerConfiguration/grace`` to finish, then their
    /// tasks are cancelled and the jobs released to `pending`. A stopped runner stays stopped.
    public func requestStop() {
        stopSignal.fire()
    }

    /// Drains pending jobs in scope.
    ///
    /// Returns when the queue is empty for the scope, a fatal outcome halted the run, or a
    /// stop was requested and in-flight work finished or was released. Cancelling the calling
    /// task stops at once, without grace.
    /// - Returns: The counts of this run, and why it halted if it did.
    /// - Throws: A database error that prevented claiming or recording work; jobs still
    ///   held by this runner are released before it is thrown.
    public func run() async throws -> RunSummary {
        let configuration = self.configuration
        let dbPool = store.dbPool
        let recovered = try await dbPool.write { db in
            try JobStore.recoverAbandonedJobs(db, now: Date(), staleAfter: configuration.staleAfter)
        }
        if recovered > 0 {
            logger.notice("recovered jobs abandoned by dead runners", metadata: ["jobs": "\(recovered)"])
        }
        let runnerID = JobStore.makeRunnerID(host: JobStore.currentHost, pid: JobStore.currentPID)
        let pending = try await dbPool.write { db in
            try JobStore.registerRunner(db, id: runnerID, host: JobStore.currentHost, pid: JobStore.currentPID, now: Date())
            if let budget = configuration.budget {
                try JobStore.recordBudgetStart(db, runnerID: runnerID, batchID: configuration.batchID, limitPicoUSD: budget.limitPicoUSD, now: Date())
            }
            return try JobStore.pendingCount(db, batchID: configuration.batchID)
        }
        progressBox.withLock { progress in
            progress = RunProgress()
            progress.total = pending
            progress.budgetPicoUSD = configuration.budget?.limitPicoUSD
        }
        var logger = self.logger
        logger[metadataKey: "runner"] = "\(runnerID)"

        let writer = GroupCommitWriter(dbPool: dbPool, runnerID: runnerID, progress: progressBox, logger: logger, cache: configuration.cache)
        let writerTask = Task { await writer.run() }
        let heartbeatTask = Task { [logger] in
            while true {
                do { try await Task.sleep(for: configuration.heartbeatInterval) } catch { return }
                do {
                    try await dbPool.write { db in try JobStore.heartbeat(db, runnerID: runnerID, now: Date()) }
                } catch is CancellationError {
                    return
                } catch {
                    logger.warning("heartbeat failed", metadata: ["error": "\(GroupCommitWriter.oneLine(error))"])
                }
            }
        }

        let pool = await withTaskCancellationHandler {
            await drain(runnerID: runnerID, writer: writer)
        } onCancel: {
            requestStop()
        }

        writer.finish()
        await writerTask.value
        heartbeatTask.cancel()
        let failure = pool.claimError ?? writer.firstError
        let budgetOutcome = pool.ledger.map {
            BudgetOutcome(limitPicoUSD: $0.limit, spentPicoUSD: $0.spent, wasReached: pool.budgetWasReached)
        }
        let stopReason = failure != nil ? "failed" : pool.budgetWasReached ? "budget"
            : pool.haltReason != nil ? "halted" : pool.wasInterrupted ? "interrupted" : "drained"
        // Whatever is still ours (a claim that raced a failure) goes back to pending. In a task
        // of its own: this must happen even when the caller's task was cancelled.
        try await Task {
            try await dbPool.write { db in
                if budgetOutcome != nil {
                    try JobStore.recordBudgetEnd(db, runnerID: runnerID, stopReason: stopReason, now: Date())
                }
                try JobStore.unregisterRunner(db, runnerID: runnerID)
            }
        }.value

        if let failure { throw failure }
        let progress = progressBox.current
        return RunSummary(
            succeeded: progress.succeeded, failed: progress.failed, released: progress.released,
            haltReason: pool.haltReason, wasInterrupted: pool.wasInterrupted,
            attempts: progress.attempts, tokens: progress.tokens, costPicoUSD: progress.costPicoUSD,
            budget: budgetOutcome)
    }

    private enum TaskResult: Sendable {
        case jobFinished(JobOutcome, jobID: Int64, costPicoUSD: Int64)
        case claimed([ClaimedJob])
        case claimFailed(any Error)
        case stopRequested
        case graceExpired
        case tick
        case ignored
    }

    private func drain(runnerID: String, writer: GroupCommitWriter) async -> RunnerPool {
        let configuration = self.configuration
        var pool = RunnerPool(
            concurrency: max(configuration.concurrency, 1), chunkSize: configuration.claimChunkSize, budget: configuration.budget,
            rateLimits: configuration.rateLimits)

        return await withTaskGroup(of: TaskResult.self, returning: RunnerPool.self) { group in
            let stopSignal = self.stopSignal
            group.addTask {
                await stopSignal.wait() ? .stopRequested : .ignored
            }
            var actions = pool.handle(.started(stopAlreadyRequested: stopSignal.hasFired))
            while true {
                for action in actions {
                    switch action {
                    case .start(let job):
                        let (handler, metrics) = (self.handler, self.metrics)
                        group.addTask {
                            let (outcome, cost) = await Self.execute(job, handler: handler, writer: writer, metrics: metrics)
                            return .jobFinished(outcome, jobID: job.id, costPicoUSD: cost)
                        }
                    case .claim(let limit):
                        group.addTask {
                            do {
                                return .claimed(try await writer.claim(limit: limit, batchID: configuration.batchID))
                            } catch {
                                return .claimFailed(error)
                            }
                        }
                    case .release(let jobIDs):
                        writer.enqueue(.release(jobIDs))
                    case .startGraceTimer:
                        let grace = configuration.grace
                        group.addTask {
                            try? await Task.sleep(for: grace)
                            return .graceExpired
                        }
                    case .wake(let delay):
                        group.addTask {
                            try? await Task.sleep(for: delay)
                            return .tick
                        }
                    case .cancelInFlight:
                        logger.notice("grace period over, cancelling in-flight jobs", metadata: ["jobs": "\(pool.inFlight)"])
                        group.cancelAll()
                    case .finish:
                        // Ends the stop waiter and any grace timer; nothing else is running.
                        group.cancelAll()
                        progressBox.withLock { $0.inFlight = 0 }
                        return pool
                    }
                }
                let inFlight = pool.inFlight
                progressBox.withLock { $0.inFlight = inFlight }
                guard let result = await group.next() else { return pool }
                // A stop requested while we waited is handled before the event, so a job that
                // finished meanwhile cannot start another one after `requestStop()` returned.
                // (The stop waiter may also have been cancelled before it saw the signal.)
                actions = stopSignal.hasFired && !pool.wasInterrupted ? pool.handle(.stopRequested) : []
                if pool.claimError == nil, let error = writer.firstError {
                    actions += pool.handle(.writeFailed(error))
                }
                switch result {
                case .jobFinished(let outcome, let jobID, let cost):
                    actions += pool.handle(.jobFinished(outcome, jobID: jobID, costPicoUSD: cost))
                case .claimed(let jobs): actions += pool.handle(.claimed(jobs))
                case .claimFailed(let error): actions += pool.handle(.claimFailed(error))
                case .stopRequested: actions += pool.handle(.stopRequested)
                case .graceExpired: actions += pool.handle(.graceExpired)
                case .tick: actions += pool.handle(.tick)
                case .ignored: break
                }
            }
        }
    }

    /// Runs one job; returns its outcome and what its attempts cost.
    private static func execute(_ job: ClaimedJob, handler: Handler, writer: GroupCommitWriter, metrics: RunMetrics) async -> (JobOutcome, Int64) {
        // What the job's attempts cost, and whether one of them left an open row (a stream
        // that started), which only a later record of this job can close.
        let attempts = LockedBox<(cost: Int64, opened: Bool)>((0, false))
        var outcome = await handler.run(job) { attempt in
            let closesOpenRow = attempts.withLock { state in
                state.cost = Money.adding(state.cost, attempt.costPicoUSD ?? 0)
                let closes = state.opened && !attempt.isOpen
                state.opened = state.opened || attempt.isOpen
                return closes
            }
            metrics.record(attempt)
            writer.enqueue(.attempt(jobID: job.id, attempt, mayCloseOpenRow: closesOpenRow))
        }
        if Task.isCancelled {
            // Cancelled for a stop: an error caused by the cancellation is not the job's fault.
            switch outcome {
            case .succeeded, .fatal: break
            case .failed, .released: outcome = .released
            }
        }
        writer.enqueue(.complete(jobID: job.id, outcome))
        return (outcome, attempts.current.cost)
    }
}
