/// The runner's scheduling decisions as a value type with no I/O: which jobs to start,
/// when to claim more, when to release, when the run is over, and — under a budget —
/// whether the next job's worst case still fits (see ``RunBudget``).
///
/// ``JobRunner`` feeds it events from its task group and carries out the actions.
struct RunnerPool {
    enum Event {
        case started(stopAlreadyRequested: Bool)
        case claimed([ClaimedJob])
        case claimFailed(any Error)
        /// Recording an attempt, a result or a release failed (disk full, read-only file).
        case writeFailed(any Error)
        /// A job ended; `costPicoUSD` is what its attempts cost (what settles its reservation).
        case jobFinished(JobOutcome, jobID: Int64 = 0, costPicoUSD: Int64 = 0)
        case stopRequested
        case graceExpired
        /// The wake-up asked for by ``Action/wake(after:)``.
        case tick
    }

    enum Action: Equatable {
        case start(ClaimedJob)
        case claim(limit: Int)
        case release([Int64])
        case startGraceTimer
        case cancelInFlight
        /// Send ``Event/tick`` after this long: the next job waits for the rate limits.
        case wake(after: Duration)
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
    let budget: RunBudget?
    /// Spent and reserved money, when there is a budget.
    private(set) var ledger: BudgetLedger?
    /// The run stopped because the next job's worst case did not fit.
    private(set) var budgetWasReached = false
    private var rateLimiter: RateLimiter?
    private var isWakeScheduled = false

    init(
        concurrency: Int, chunkSize: Int, budget: RunBudget? = nil, rateLimits: RateLimits? = nil,
        now: ContinuousClock.Instant = .now
    ) {
        precondition(concurrency > 0, "concurrency must be at least 1")
        self.concurrency = concurrency
        self.chunkSize = max(chunkSize, 1)
        self.budget = budget
        self.ledger = budget.map { BudgetLedger(limit: $0.limitPicoUSD) }
        self.rateLimiter = rateLimits.map { RateLimiter($0, now: now) }
    }

    /// - Parameter now: the time of the event, for the rate limits; defaults to now.
    mutating func handle(_ event: Event, now: ContinuousClock.Instant = .now) -> [Action] {
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
        case .jobFinished(let outcome, let jobID, let cost):
            inFlight -= 1
            ledger?.settle(jobID: jobID, cost: cost)
            if case .fatal(let category, let message) = outcome, haltReason == nil {
                haltReason = HaltReason(category: category, message: message)
                stop(interrupted: false, into: &actions)
            }
        case .stopRequested:
            stop(interrupted: true, into: &actions)
        case .graceExpired:
            if inFlight > 0 { actions.append(.cancelInFlight) }
        case .tick:
            isWakeScheduled = false
        }
        schedule(now: now, into: &actions)
        return actions
    }

    private var lastClaimLimit = 0

    /// - Parameter graceful: Whether jobs in flight get only the grace period (a budget
    ///   halt lets them finish: their worst case is already reserved).
    private mutating func stop(interrupted: Bool, graceful: Bool = true, into actions: inout [Action]) {
        if interrupted { wasInterrupted = true }
        if !isStopping {
            isStopping = true
            if !buffer.isEmpty {
                actions.append(.release(buffer.map(\.id)))
                buffer.removeAll()
            }
        }
        if graceful, inFlight > 0, !hasStartedGraceTimer {
            hasStartedGraceTimer = true
            actions.append(.startGraceTimer)
        }
    }

    private mutating func schedule(now: ContinuousClock.Instant, into actions: inout [Action]) {
        guard !isFinished else { return }
        if !isStopping {
            while inFlight < concurrency, let job = buffer.last {
                if var limiter = rateLimiter {
                    let wait = limiter.wait(for: job, now: now)
                    rateLimiter = limiter
                    if wait > .zero {
                        if !isWakeScheduled {
                            isWakeScheduled = true
                            actions.append(.wake(after: wait))
                        }
                        break
                    }
                }
                guard admit(job, into: &actions) else { break }
                rateLimiter?.take(for: job, now: now)
                buffer.removeLast()
                inFlight += 1
                actions.append(.start(job))
            }
        }
        if !isStopping {
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

    /// Whether `job` may start now, reserving its worst case if so. A job that waits for
    /// jobs in flight to free money is not refused; one that cannot fit even with nothing in
    /// flight, or cannot be priced, halts the run (the rest stay pending).
    private mutating func admit(_ job: ClaimedJob, into actions: inout [Action]) -> Bool {
        guard let budget, var ledger else { return true }
        switch budget.reservation(for: job) {
        case .impossible(let reason):
            halt(reason, into: &actions)
            return false
        case .amount(let amount) where ledger.fits(amount):
            ledger.reserve(amount, for: job.id)
            self.ledger = ledger
            return true
        case .amount(let amount):
            if inFlight == 0 {
                budgetWasReached = true
                let perAttempt = Money.usdString(picoUSD: amount / Int64(budget.attemptsPerJob))
                halt(HaltReason(
                    category: "budget",
                    message: "budget reached: spent $\(Money.usdString(picoUSD: ledger.spent)) of $\(Money.usdString(picoUSD: ledger.limit)), "
                        + "$\(Money.usdString(picoUSD: ledger.left)) left; the next job (\(job.customID)) could cost up to "
                        + "$\(Money.usdString(picoUSD: amount)) (\(budget.attemptsPerJob) attempt\(budget.attemptsPerJob == 1 ? "" : "s") at most $\(perAttempt) each)"),
                    into: &actions)
            }
            return false
        }
    }

    private mutating func halt(_ reason: HaltReason, into actions: inout [Action]) {
        if haltReason == nil { haltReason = reason }
        stop(interrupted: false, graceful: false, into: &actions)
    }
}
