/// Runs one job: the runner's only view of HTTP.
public protocol JobHandler: Sendable {
    /// Runs one job to completion, including its own retries.
    ///
    /// Report every HTTP attempt through `recordAttempt` as it ends, so its cost is kept even
    /// if the job later fails. When the task is cancelled (the runner is stopping and the
    /// grace period is over), return promptly; any outcome but `.succeeded` then releases
    /// the job to `pending`.
    /// - Parameters:
    ///   - job: The claimed job.
    ///   - recordAttempt: Queues one attempt for the next commit; never blocks, and may be
    ///     called after cancellation (an attempt a stop cut short was still sent).
    func run(_ job: ClaimedJob, recordAttempt: @escaping @Sendable (AttemptRecord) -> Void) async -> JobOutcome
}
