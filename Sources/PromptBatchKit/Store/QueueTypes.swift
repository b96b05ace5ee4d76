import Foundation

/// A job handed to a runner by ``JobStore/claimJobs(limit:runnerID:batchID:)``.
public struct ClaimedJob: Sendable, Hashable {
    public var id: Int64
    public var batchID: Int64
    public var customID: String
    /// The requested model.
    public var model: String
    /// The wire JSON body to send.
    public var requestBody: String
    public var isStream: Bool
    /// HTTP attempts made for this job by earlier runs (cumulative, never reset).
    public var previousAttempts: Int
    /// What one attempt may use, for a budget's reservation.
    public var estimate: JobEstimate

    /// - Parameter estimate: Default: computed from `requestBody`.
    public init(
        id: Int64, batchID: Int64, customID: String, model: String, requestBody: String,
        isStream: Bool, previousAttempts: Int, estimate: JobEstimate? = nil
    ) {
        self.id = id
        self.batchID = batchID
        self.customID = customID
        self.model = model
        self.requestBody = requestBody
        self.isStream = isStream
        self.previousAttempts = previousAttempts
        self.estimate = estimate ?? JobEstimate(requestBody: requestBody)
    }
}

/// Token counts of one attempt or a sum of many.
public struct TokenUsage: Sendable, Hashable {
    public var prompt: Int
    public var completion: Int
    public var reasoning: Int
    public var cached: Int

    public init(prompt: Int = 0, completion: Int = 0, reasoning: Int = 0, cached: Int = 0) {
        self.prompt = prompt
        self.completion = completion
        self.reasoning = reasoning
        self.cached = cached
    }

    public static let zero = TokenUsage()

    public static func + (lhs: TokenUsage, rhs: TokenUsage) -> TokenUsage {
        TokenUsage(
            prompt: lhs.prompt + rhs.prompt, completion: lhs.completion + rhs.completion,
            reasoning: lhs.reasoning + rhs.reasoning, cached: lhs.cached + rhs.cached)
    }

    public static func += (lhs: inout TokenUsage, rhs: TokenUsage) { lhs = lhs + rhs }
}

/// One HTTP attempt, as written to the `attempts` table.
public struct AttemptRecord: Sendable, Hashable {
    public var startedAt: Date
    public var latency: Duration?
    public var statusCode: Int?
    public var errorCategory: String?
    public var errorMessage: String?
    public var generationID: String?
    public var usage: TokenUsage?
    /// Cost in pico-USD (1e-12 USD).
    public var costPicoUSD: Int64?
    /// `reported`, `estimated`, or `reconciled` (found later through `/generation`).
    public var costSource: String?
    /// The response is still arriving (a stream whose headers came): the row is written now,
    /// with its generation id, and completed by the record of the same generation id that
    /// ends the attempt. A runner that dies in between leaves it for reconciliation.
    public var isOpen = false

    public init(
        startedAt: Date, latency: Duration? = nil, statusCode: Int? = nil,
        errorCategory: String? = nil, errorMessage: String? = nil, generationID: String? = nil,
        usage: TokenUsage? = nil, costPicoUSD: Int64? = nil, costSource: String? = nil
    ) {
        self.startedAt = startedAt
        self.latency = latency
        self.statusCode = statusCode
        self.errorCategory = errorCategory
        self.errorMessage = errorMessage
        self.generationID = generationID
        self.usage = usage
        self.costPicoUSD = costPicoUSD
        self.costSource = costSource
    }
}

/// What a successful job leaves behind.
public struct JobResult: Sendable, Hashable {
    /// The response body, stored in `results.response`.
    public var responseBody: String
    public var answeredModel: String?
    public var finishReason: String?
    /// Latency of the successful attempt.
    public var latency: Duration?

    public init(
        responseBody: String, answeredModel: String? = nil, finishReason: String? = nil,
        latency: Duration? = nil
    ) {
        self.responseBody = responseBody
        self.answeredModel = answeredModel
        self.finishReason = finishReason
        self.latency = latency
    }
}

/// How a handler's run of a job ended.
public enum JobOutcome: Sendable, Hashable {
    /// The job is `succeeded`; its result row is written in the same transaction.
    case succeeded(JobResult)
    /// The job is `failed` for good (the handler has already done its retries).
    case failed(category: String, message: String)
    /// The whole run must stop (bad key, no credit): this job goes back to `pending`,
    /// and the runner stops claiming.
    case fatal(category: String, message: String)
    /// The job goes back to `pending` (shutdown).
    case released
}
