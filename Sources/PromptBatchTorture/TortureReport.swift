/// What a torture run did and every invariant it found broken.
public struct TortureReport: Sendable, CustomStringConvertible {
    public struct Interruption: Sendable {
        /// The finished-job count the interruption waited for.
        public var point: Int
        /// Jobs finished when the signal was sent.
        public var finishedAtSignal: Int
        /// Jobs the interrupted runner held (`running`) at the signal.
        public var caughtInFlight: Int
    }

    public var mode: TortureConfiguration.Mode
    public var jobs = 0
    public var succeeded = 0
    public var failed = 0
    public var interruptions: [Interruption] = []
    /// `promptbatch` processes started, the submit included.
    public var processesStarted = 0
    /// Chat requests the simulator received.
    public var simulatorRequests = 0
    /// Attempt rows in the database.
    public var recordedAttempts = 0
    /// Requests the simulator received that no attempt row records: sent by a runner that died
    /// before recording them.
    public var unrecordedRequests = 0
    /// Requests whose body never fully arrived (the runner died while sending it), so the
    /// simulator could not tell whose they were; never billed.
    public var incompleteRequests = 0
    /// The most unrecorded requests of any one job.
    public var maxUnrecordedPerJob = 0
    /// Attempts ended by the grace period of a SIGINT (recorded as `cancelled`).
    public var cancelledAttempts = 0
    /// Faults the simulator injected, by name.
    public var faultsInjected: [String: Int] = [:]
    public var integrity: [String] = []
    public var wallSeconds = 0.0
    /// Every broken invariant, one line each; empty when all held.
    public var violations: [String] = []

    public var description: String {
        var lines = [
            "torture \(mode.rawValue): \(jobs) jobs, \(interruptions.count) interruptions, \(processesStarted) processes, \(String(format: "%.1f", wallSeconds)) s",
            "  jobs: \(succeeded) succeeded, \(failed) failed for good, \(jobs - succeeded - failed) other",
            "  requests: \(simulatorRequests) received by the simulator, \(recordedAttempts) recorded as attempts, \(unrecordedRequests) unrecorded (at most \(maxUnrecordedPerJob) for one job), \(incompleteRequests) cut off before their body arrived, \(cancelledAttempts) cancelled at the grace period",
            "  caught in flight per interruption: \(interruptions.map { String($0.caughtInFlight) }.joined(separator: " ")) (sum \(interruptions.reduce(0) { $0 + $1.caughtInFlight }))",
            "  faults injected: \(faultsInjected.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "))",
            "  integrity_check: \(integrity.joined(separator: "; "))",
        ]
        if violations.isEmpty {
            lines.append("  every invariant held")
        } else {
            lines.append("  \(violations.count) violations:")
            lines += violations.prefix(50).map { "    - \($0)" }
        }
        return lines.joined(separator: "\n")
    }
}
