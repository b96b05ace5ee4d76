/// How a ``JobRunner`` drains the queue.
public struct RunnerConfiguration: Sendable, Hashable {
    /// Jobs handled at once (values below 1 count as 1). Default 5.
    public var concurrency: Int
    /// Run only this batch's jobs; nil (the default) for every batch.
    public var batchID: Int64?
    /// After a stop request or a fatal outcome, how long in-flight jobs may go on before their
    /// tasks are cancelled and the jobs released to `pending`. Default 10 s.
    public var grace: Duration
    /// How often the runner marks itself alive. Default 5 s.
    public var heartbeatInterval: Duration
    /// Heartbeat age after which another runner's jobs count as abandoned. Default 30 s.
    public var staleAfter: Duration
    /// A spending limit; nil (the default) for none. See ``RunBudget``.
    public var budget: RunBudget?
    /// Requests and tokens per minute; nil (the default) for no limit. See ``RateLimits``.
    public var rateLimits: RateLimits?
    /// Answer jobs from earlier results where this allows; nil (the default) never does.
    /// See ``ResponseCachePolicy``.
    public var cache: ResponseCachePolicy?

    public init(
        concurrency: Int = 5, batchID: Int64? = nil, grace: Duration = .seconds(10),
        heartbeatInterval: Duration = .seconds(5), staleAfter: Duration = .seconds(30), budget: RunBudget? = nil
    ) {
        self.concurrency = concurrency
        self.batchID = batchID
        self.grace = grace
        self.heartbeatInterval = heartbeatInterval
        self.staleAfter = staleAfter
        self.budget = budget
    }

    /// Jobs claimed per statement: small enough that one runner does not hoard a batch that
    /// another could share, large enough that claims are a small part of the writes.
    var claimChunkSize: Int { min(max(concurrency / 4, 4), 64) }
}
