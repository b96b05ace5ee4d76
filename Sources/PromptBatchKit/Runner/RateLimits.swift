/// `run --rpm` and `run --tpm`: requests and tokens per minute, as token buckets that admit a
/// job when it starts.
public struct RateLimits: Sendable, Hashable {
    /// Jobs started per minute at most; nil for no limit.
    public var requestsPerMinute: Int?
    /// Estimated tokens per minute at most (prompt estimate plus completion limit, see
    /// ``JobEstimate``); nil for no limit.
    public var tokensPerMinute: Int?

    public init(requestsPerMinute: Int? = nil, tokensPerMinute: Int? = nil) {
        self.requestsPerMinute = requestsPerMinute
        self.tokensPerMinute = tokensPerMinute
    }

    /// What a job takes from the token bucket: its prompt estimate plus its completion limit
    /// (providers count `max_tokens` against a tokens-per-minute limit when a request arrives).
    static func tokens(of job: ClaimedJob) -> Double {
        Double(job.estimate.promptTokens + (job.estimate.maxCompletionTokens ?? 0))
    }
}

/// A bucket that fills at `perMinute / 60` a second up to one second's worth (at least one
/// job's), so no minute sees more than `perMinute` plus one second's worth.
struct TokenBucket: Sendable, Hashable {
    let perSecond: Double
    let capacity: Double
    private var level: Double
    private var filledAt: ContinuousClock.Instant

    init(perMinute: Int, now: ContinuousClock.Instant) {
        perSecond = Double(max(perMinute, 1)) / 60
        capacity = max(perSecond, 1)
        level = capacity
        filledAt = now
    }

    private mutating func fill(now: ContinuousClock.Instant) {
        guard now > filledAt else { return }
        level = min(capacity, level + perSecond * ((now - filledAt) / .seconds(1)))
        filledAt = now
    }

    /// How long until `amount` may be taken; zero when it may now. An amount larger than the
    /// bucket is taken once the bucket is full, leaving it in debt, so large jobs still run at
    /// the right average rate.
    mutating func wait(for amount: Double, now: ContinuousClock.Instant) -> Duration {
        fill(now: now)
        let needed = min(amount, capacity)
        guard level < needed else { return .zero }
        // Whole milliseconds, rounded up past floating-point noise.
        return .milliseconds(max(1, Int64(((needed - level) / perSecond * 1000 - 1e-6).rounded(.up))))
    }

    mutating func take(_ amount: Double, now: ContinuousClock.Instant) {
        fill(now: now)
        level -= amount
    }
}

/// Both buckets of a run.
struct RateLimiter: Sendable, Hashable {
    private var requests: TokenBucket?
    private var tokens: TokenBucket?

    init(_ limits: RateLimits, now: ContinuousClock.Instant) {
        requests = limits.requestsPerMinute.map { TokenBucket(perMinute: $0, now: now) }
        tokens = limits.tokensPerMinute.map { TokenBucket(perMinute: $0, now: now) }
    }

    /// How long `job` must wait to start; zero when it may start now.
    mutating func wait(for job: ClaimedJob, now: ContinuousClock.Instant) -> Duration {
        max(requests?.wait(for: 1, now: now) ?? .zero, tokens?.wait(for: RateLimits.tokens(of: job), now: now) ?? .zero)
    }

    mutating func take(for job: ClaimedJob, now: ContinuousClock.Instant) {
        requests?.take(1, now: now)
        tokens?.take(RateLimits.tokens(of: job), now: now)
    }
}
