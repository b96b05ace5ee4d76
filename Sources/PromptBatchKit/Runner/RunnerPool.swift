/// The runner's scheduling decisions as a value type with no I/O: which jobs to start,
/// when to claim more, when to release, when the run is over.
///
/// ``JobRunner`` feeds it events from its task group and carries out the actions.
struct RunnerPool {
    enum Event {
        case started(stopAlreadyRequested: Bool)
        case claimed([ClaimedJob])
        case claimFailed(any Error)
        /// Recording an attempt, a result or a release failed (disk full, read-only file).
        case writeFailed(any Error)
        case jobFinished(JobOutcome)
        case stopRequested
        case graceExpired
    }

    enum Action: Equatable {
        case start(ClaimedJob)
        case claim(limit: Int)
        case release([Int64])
        case startGraceTimer
        case cancelInFlight
        case finish
    }

    let concurrency: Int
    let chunkSize: Int

    /// Claimed jobs not yet started, lowest id last.
    private(set) var buffer: [ClaimedJob] = []
    private(set) var inFlight = 0
    private(set) var isClaiming = false
    /// A claim came back short: nothing more is pending in scope.
    private(set) var isExhausted = false
    private(set) var isStopping = false
    private(set) var hasStartedGraceTimer = false
    private(set) var isFinished = false
    private(set) var haltReason: HaltReason?
    private(set) var wasInterrupted = false
    /// The first claim or write that failed; the run stopped because of it.
    private(set) var claimError: (any Error)?

    init(concurrency: Int, chunkSize: Int) {
        precondition(concurrency > 0, "concurrency must be at least 1")
        self.concurrency = concurrency
        self.chunkSize = max(chunkSize, 1)
    }

    mutating func handle(_ event: Event) -> [Action] {
        var actions: [Action] = []
        switch event {
        case .started(let stopAlreadyRequested):
            if stopAlreadyRequested { stop(interrupted: true, into: &actions) }
        case .claimed(let jobs):
            isClaiming = false
            if jobs.count < lastClaimLimit { isExhausted = true }
            if isStopping {
                if !jobs.isEmpty { actions.append(.release(jobs.map(\.id))) }
            } else {
                buffer.insert(contentsOf: jobs.reversed(), at: 0)
            }
        case .claimFailed(let error):
            isClaiming = false
            if claimError == nil { claimError = error }
            stop(interrupted: false, into: &actions)
        case .writeFailed(let error):
            // Jobs started now would be paid for with nowhere to record their results.
            if claimError == nil { claimError = error }
            stop(interrupted: false, into: &actions)
        case .jobFinished(let outcome):
            inFlight -= 1
            if case .fatal(let category, let message) = outcome, haltReason == nil {
                haltReason = HaltReason(category: category, message: message)
                stop(interrupted: false, into: &actions)
            }
        case .stopRequested:
            stop(interrupted: true, into: &actions)
        case .graceExpired:
            if inFlight > 0 { actions.append(.cancelInFlight) }
        }
        schedule(into: &actions)
        return actions
    }

    private var lastClaimLimit = 0

    private mutating func stop(interrupted: Bool, into actions: inout [Action]) {
        if interrupted { wasInterrupted = true }
        guard !isStopping else { return }
        isStopping = true
        if !buffer.isEmpty {
            actions.append(.release(buffer.map(\.id)))
            buffer.removeAll()
        }
        if inFlight > 0, !hasStartedGraceTimer {
            hasStartedGraceTimer = true
            actions.append(.startGraceTimer)
        }
    }

    private mutating func schedule(into actions: inout [Action]) {
        guard !isFinished else { return }
        if !isStopping {
            while inFlight < concurrency, let job = buffer.popLast() {
                inFlight += 1
                actions.append(.start(job))
            }
            // Keep free slots plus one chunk claimed, so a slot never waits for SQLite.
            let wanted = (concurrency - inFlight) + chunkSize - buffer.count
            if !isClaiming, !isExhausted, wanted > 0, wanted >= chunkSize / 2 || buffer.isEmpty {
                isClaiming = true
                lastClaimLimit = wanted
                actions.append(.claim(limit: wanted))
            }
        }
        if inFlight == 0, !isClaiming, buffer.isEmpty, isExhausted || isStopping {
            isFinished = true
            actions.append(.finish)
        }
    }
}
