import Foundation

/// When to try again and how long to wait first. A value with no I/O: the client asks it
/// after every failed attempt.
public struct RetryPolicy: Sendable, Hashable {
    /// Retries after the first attempt.
    public var maxRetries: Int
    /// Delay before the first retry; doubles with each attempt.
    public var baseDelay: Duration
    /// Upper bound of a computed delay (jitter included).
    public var maxDelay: Duration
    /// A server's `Retry-After` beyond this is not waited for.
    public var maxRetryAfter: Duration
    /// Also retry `invalid_response`.
    public var retriesInvalidResponses: Bool

    public init(maxRetries: Int = 3, baseDelay: Duration = .seconds(1), maxDelay: Duration = .seconds(30), maxRetryAfter: Duration = .seconds(120), retriesInvalidResponses: Bool = false) {
        self.maxRetries = maxRetries
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
        self.maxRetryAfter = maxRetryAfter
        self.retriesInvalidResponses = retriesInvalidResponses
    }

    /// The wait before retry number `retry` (0 for the first retry) after `error`, or nil
    /// when the request must not be retried.
    ///
    /// `Retry-After` wins when the server sent one (429, 503, 402); otherwise
    /// `baseDelay × 2^retry + jitter`, jitter uniform in `[0, baseDelay × 2^retry / 2)`
    /// from `random`, the whole capped at `maxDelay`.
    public func delay(afterFailure error: OpenRouterError, retry: Int, random: inout some RandomNumberGenerator) -> Duration? {
        guard retry < maxRetries else { return nil }
        let retryable = error.isRetryable || (retriesInvalidResponses && error.category == .invalidResponse)
        guard retryable else { return nil }
        if let retryAfter = error.retryAfter {
            return retryAfter <= maxRetryAfter ? max(retryAfter, .zero) : nil
        }
        return backoff(retry: retry, random: &random)
    }

    /// `baseDelay × 2^retry` plus jitter, capped at `maxDelay`.
    public func backoff(retry: Int, random: inout some RandomNumberGenerator) -> Duration {
        let base = baseDelay * (1 << min(retry, 30))
        let cappedBase = min(base, maxDelay)
        let jitterRange = cappedBase / 2
        let jitterNanos = jitterRange.nanoseconds > 0 ? Int64.random(in: 0..<jitterRange.nanoseconds, using: &random) : 0
        return min(cappedBase + .nanoseconds(jitterNanos), maxDelay)
    }

    /// Parses `Retry-After`: delta-seconds or an HTTP date (RFC 9110 §10.2.3).
    public static func parseRetryAfter(_ value: String, now: Date = Date()) -> Duration? {
        let trimmed = value.trimmingCharacters(in: .whitespaces)
        if let seconds = Double(trimmed), seconds.isFinite, seconds >= 0 {
            // Capped at about 31 years: `Int64(_:)` traps on larger values, and any such wait is refused anyway.
            return .milliseconds(Int64(min(seconds, 1_000_000_000) * 1000))
        }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        for format in ["EEE, dd MMM yyyy HH:mm:ss zzz", "EEEE, dd-MMM-yy HH:mm:ss zzz", "EEE MMM d HH:mm:ss yyyy"] {
            formatter.dateFormat = format
            if let date = formatter.date(from: trimmed) {
                let interval = max(0, date.timeIntervalSince(now))
                return .milliseconds(Int64(interval * 1000))
            }
        }
        return nil
    }
}

extension Duration {
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }

    var milliseconds: Int64 { nanoseconds / 1_000_000 }
}
