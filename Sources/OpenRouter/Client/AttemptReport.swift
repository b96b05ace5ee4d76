import Foundation

/// One HTTP attempt, reported as it ends, so a caller (the batch runner) can record every
/// request it paid for or could have paid for.
public struct AttemptReport: Sendable {
    /// 1 for the first attempt of a call.
    public var attempt: Int
    public var startedAt: Date
    public var latency: Duration
    /// Nil when no response arrived (network error, timeout).
    public var statusCode: Int?
    /// Nil when the attempt succeeded.
    public var error: OpenRouterError?
    /// From `X-Generation-Id` or the body's `id`.
    public var generationID: String?
    /// Usage the response reported, failed attempts included.
    public var usage: Usage?
    /// The wait before the next attempt, when there will be one.
    public var retryDelay: Duration?

    public var category: OpenRouterError.Category? { error?.category }
    public var willRetry: Bool { retryDelay != nil }
}
