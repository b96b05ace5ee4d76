/// A live view of a run, cheap enough to read every 250 ms.
///
/// Every count moves only once the change is committed to the database.
public struct RunProgress: Sendable, Hashable {
    /// Pending jobs in scope when the run started.
    public var total = 0
    public var succeeded = 0
    public var failed = 0
    /// Of `succeeded`, the jobs answered from the cache (`run --cache`), with no request.
    public var cached = 0
    /// Jobs this run started and handed back to `pending` (stop, fatal outcome).
    public var released = 0
    /// Jobs being handled right now.
    public var inFlight = 0
    /// HTTP attempts made by this run.
    public var attempts = 0
    /// Tokens of this run's attempts.
    public var tokens = TokenUsage.zero
    /// Cost of this run's attempts, in pico-USD.
    public var costPicoUSD: Int64 = 0
    /// The run's budget (`run --budget`), in pico-USD; nil for none.
    public var budgetPicoUSD: Int64?

    public init() {}

    /// Jobs finished for good by this run: succeeded or failed.
    public var done: Int { succeeded + failed }
}

/// Why a run halted before the queue was empty.
public struct HaltReason: Sendable, Hashable, CustomStringConvertible {
    public var category: String
    public var message: String

    public init(category: String, message: String) {
        self.category = category
        self.message = message
    }

    public var description: String { "\(category): \(message)" }
}

/// How a run ended.
public struct RunSummary: Sendable, Hashable {
    public var succeeded: Int
    public var failed: Int
    /// Jobs this run started and handed back to `pending`.
    public var released: Int
    /// Set when a handler returned `.fatal`.
    public var haltReason: HaltReason?
    /// Whether ``JobRunner/requestStop()`` (or cancellation) ended the run.
    public var wasInterrupted: Bool
    public var attempts: Int
    public var tokens: TokenUsage
    public var costPicoUSD: Int64
    /// How the budget stood at the end, when the run had one.
    public var budget: BudgetOutcome?
}
