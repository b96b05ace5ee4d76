/// A spending limit for one run (`run --budget`).
///
/// Before a job starts, the worst case of every attempt it may make is reserved:
/// ``attemptsPerJob`` × (estimated prompt + its completion limit, at the cached prices).
/// All attempts are reserved up front because each one is billed and the handler retries
/// without asking the runner. No job starts unless what this run has spent, plus what is
/// reserved, plus its reservation fits in the limit; when the job ends its reservation is
/// replaced by what its attempts actually cost. So the run can end above the limit only by
/// what attempts cost beyond their own worst case (an estimate that came out low).
public struct RunBudget: Sendable, Hashable {
    /// The limit, in pico-USD.
    public var limitPicoUSD: Int64
    /// The most HTTP attempts a handler makes for one job: 1 + its retries. Default 4.
    public var attemptsPerJob: Int
    /// Prices and completion limits for the worst cases.
    public var prices: PriceTable

    public init(limitPicoUSD: Int64, attemptsPerJob: Int = 4, prices: PriceTable) {
        self.limitPicoUSD = limitPicoUSD
        self.attemptsPerJob = max(attemptsPerJob, 1)
        self.prices = prices
    }

    /// What a job must reserve before it starts, or why it cannot.
    public enum Reservation: Sendable, Hashable {
        /// Pico-USD: ``RunBudget/attemptsPerJob`` × one attempt's worst case.
        case amount(Int64)
        /// The job has no known worst case (no price, or no completion limit).
        case impossible(HaltReason)

        public var amount: Int64? {
            if case .amount(let amount) = self { return amount }
            return nil
        }
    }

    /// What a job must reserve before it starts, or why it cannot be priced.
    public func reservation(for job: ClaimedJob) -> Reservation {
        switch prices.attemptCost(model: job.model, estimate: job.estimate) {
        case .unpriced:
            return .impossible(HaltReason(
                category: "budget",
                message: "cannot keep to the budget: model \(job.model) (job \(job.customID)) has no known price; `promptbatch models --refresh`, or run without --budget"))
        case .priced(_, nil, _):
            return .impossible(HaltReason(
                category: "budget",
                message: "cannot keep to the budget: job \(job.customID) sets no max_tokens and model \(job.model) has no known completion limit"))
        case .priced(_, let high?, _):
            return .amount(Money.multiplying(high, by: attemptsPerJob))
        }
    }
}

/// A run's money as a value type: spent, reserved, and whether one more reservation fits.
struct BudgetLedger: Sendable, Hashable {
    let limit: Int64
    /// What this run's finished jobs cost.
    private(set) var spent: Int64 = 0
    /// What its running jobs have reserved.
    private(set) var reserved: Int64 = 0
    private var reservations: [Int64: Int64] = [:]

    init(limit: Int64) {
        self.limit = limit
    }

    /// What is left for new reservations.
    var available: Int64 { max(limit - Money.adding(spent, reserved), 0) }
    /// What is left of the limit, counting only money spent.
    var left: Int64 { max(limit - spent, 0) }

    func fits(_ amount: Int64) -> Bool {
        Money.adding(Money.adding(spent, reserved), amount) <= limit
    }

    mutating func reserve(_ amount: Int64, for jobID: Int64) {
        reservations[jobID] = amount
        reserved = Money.adding(reserved, amount)
    }

    /// Replaces a job's reservation (if it had one) with what it cost.
    mutating func settle(jobID: Int64, cost: Int64) {
        if let amount = reservations.removeValue(forKey: jobID) { reserved = max(reserved - amount, 0) }
        spent = Money.adding(spent, cost)
    }
}

/// How a run's budget stood when it ended.
public struct BudgetOutcome: Sendable, Hashable {
    public var limitPicoUSD: Int64
    /// What the run's finished jobs cost, as their attempts reported.
    public var spentPicoUSD: Int64
    /// Whether the run stopped because the next job did not fit.
    public var wasReached: Bool

    public var leftPicoUSD: Int64 { max(limitPicoUSD - spentPicoUSD, 0) }
}
