/// The estimated cost of a set of jobs, per model and in total: the low end (prompts only)
/// and the high end (prompts plus every completion at its limit), for one attempt per job.
///
/// Jobs whose model has no known price are counted apart, never guessed; jobs with a price
/// but no known completion limit make the high end unknown for their model and the total.
public struct CostEstimate: Sendable, Hashable {
    public struct ModelLine: Sendable, Hashable {
        public var model: String
        public var jobs = 0
        public var promptTokens = 0
        /// Sum of the completion limits of the jobs that have one.
        public var completionLimitTokens = 0
        public var lowPicoUSD: Int64 = 0
        /// The high end over the jobs that have a completion limit.
        public var highPicoUSD: Int64 = 0
        /// Jobs with neither `max_tokens` nor a known model limit.
        public var jobsWithoutCompletionLimit = 0

        /// The high end, unless some job has no completion limit.
        public var high: Int64? { jobsWithoutCompletionLimit == 0 ? highPicoUSD : nil }
    }

    /// Priced models, by id.
    public private(set) var priced: [String: ModelLine] = [:]
    /// Jobs per model with no known price.
    public private(set) var unpriced: [String: Int] = [:]
    /// Estimated prompt tokens of the unpriced jobs.
    public private(set) var unpricedPromptTokens = 0

    public init() {}

    /// Adds one job.
    public mutating func add(model: String, estimate: JobEstimate, prices: PriceTable) {
        switch prices.attemptCost(model: model, estimate: estimate) {
        case .unpriced:
            unpriced[model, default: 0] += 1
            unpricedPromptTokens += estimate.promptTokens
        case .priced(let low, let high, let limit):
            var line = priced[model] ?? ModelLine(model: model)
            line.jobs += 1
            line.promptTokens += estimate.promptTokens
            line.lowPicoUSD = Money.adding(line.lowPicoUSD, low)
            if let high, let limit {
                line.highPicoUSD = Money.adding(line.highPicoUSD, high)
                line.completionLimitTokens += limit
            } else {
                line.jobsWithoutCompletionLimit += 1
            }
            priced[model] = line
        }
    }

    /// The priced models, by id.
    public var lines: [ModelLine] { priced.values.sorted { $0.model < $1.model } }

    /// All priced models together (`model` is `total`).
    public var total: ModelLine {
        var total = ModelLine(model: "total")
        for line in priced.values {
            total.jobs += line.jobs
            total.promptTokens += line.promptTokens
            total.completionLimitTokens += line.completionLimitTokens
            total.lowPicoUSD = Money.adding(total.lowPicoUSD, line.lowPicoUSD)
            total.highPicoUSD = Money.adding(total.highPicoUSD, line.highPicoUSD)
            total.jobsWithoutCompletionLimit += line.jobsWithoutCompletionLimit
        }
        return total
    }

    /// Jobs of all models, priced or not.
    public var jobCount: Int { total.jobs + unpriced.values.reduce(0, +) }
}

/// How estimates compared with the prompt tokens providers reported, for jobs already run.
public struct EstimateAccuracy: Sendable, Hashable {
    /// Jobs with a reported prompt token count.
    public var jobs = 0
    public var estimatedPromptTokens = 0
    public var reportedPromptTokens = 0
    /// The job furthest below and above its report, as (estimate − reported) / reported.
    public var lowestRelativeError: Double = 0
    public var highestRelativeError: Double = 0
    /// The mean of |estimate − reported| / reported.
    public var meanAbsoluteRelativeError: Double = 0

    public init() {}

    /// Adds one job's estimate and the prompt tokens its latest attempt reported.
    public mutating func add(estimated: Int, reported: Int) {
        let error = reported > 0 ? Double(estimated - reported) / Double(reported) : 0
        lowestRelativeError = jobs == 0 ? error : min(lowestRelativeError, error)
        highestRelativeError = jobs == 0 ? error : max(highestRelativeError, error)
        meanAbsoluteRelativeError = (meanAbsoluteRelativeError * Double(jobs) + abs(error)) / Double(jobs + 1)
        jobs += 1
        estimatedPromptTokens += estimated
        reportedPromptTokens += reported
    }

    /// (Σ estimate − Σ reported) / Σ reported.
    public var totalRelativeError: Double {
        reportedPromptTokens > 0 ? Double(estimatedPromptTokens - reportedPromptTokens) / Double(reportedPromptTokens) : 0
    }
}
