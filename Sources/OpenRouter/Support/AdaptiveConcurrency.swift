import Foundation

/// The client's in-flight limit when it adapts (``OpenRouterConfiguration/adaptsConcurrency``):
/// lowered when the server answers 429 or 503, raised again while requests succeed, never
/// above ``OpenRouterConfiguration/maxConcurrentRequests``.
///
/// - A 429 or 503 with at least half the limit in flight is a measurement: with `inFlight`
///   other requests under way the server said no, so the limit drops to at most that many.
///   (With fewer in flight the refusal says nothing of concurrency — a rate limit, a busy
///   provider — and must not collapse the limit.) Once per round trip (an answer to a request
///   sent before the last cut was caused by the old limit) it is also multiplied by
///   ``backoffRatio``, which keeps it just under what the server admits instead of on it.
/// - Each success adds `1 / limit`: about one more request per round trip of the whole window,
///   as TCP's congestion avoidance does.
///
/// A value type with no clock or I/O: the client feeds it every attempt's end.
public struct AdaptiveConcurrency: Sendable, Hashable {
    public let maximum: Int
    /// What the limit is multiplied by, once per round trip, on a 429 or 503. Default 0.95.
    public var backoffRatio = 0.95
    private var window: Double
    private var lastCut: Date?

    public init(maximum: Int) {
        self.maximum = max(maximum, 1)
        self.window = Double(self.maximum)
    }

    /// Requests that may be in flight now.
    public var limit: Int { max(1, min(maximum, Int(window))) }

    /// Feeds one ended HTTP attempt.
    /// - Parameters:
    ///   - statusCode: its HTTP status; nil (no answer) says nothing of capacity.
    ///   - startedAt: when it was sent.
    ///   - now: when it ended.
    ///   - inFlight: the other requests still in flight as it ended.
    public mutating func observe(statusCode: Int?, startedAt: Date, now: Date, inFlight: Int) {
        switch statusCode {
        case 429?, 503?:
            if Double(inFlight) >= window / 2 { window = max(1, min(window, Double(inFlight))) }
            if lastCut.map({ startedAt >= $0 }) ?? true {
                window = max(1, min(window - 1, window * backoffRatio))
                lastCut = now
            }
        case let status? where (200..<300).contains(status):
            window = min(Double(maximum), window + 1 / window)
        default:
            break
        }
    }
}
