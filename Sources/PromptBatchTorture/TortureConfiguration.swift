import OpenRouterSimulator

/// What a torture run does: how many jobs, which faults, how often and how the runner is
/// interrupted.
public struct TortureConfiguration: Sendable {
    /// How the runner processes are interrupted.
    public enum Mode: String, Sendable, CaseIterable {
        /// One `run` at a time, killed with SIGKILL and started again.
        case kill
        /// Two `run` processes on one database; one of them is killed with SIGKILL and
        /// started again at each interruption.
        case concurrent
        /// One `run` at a time, stopped with SIGINT (grace ``TortureConfiguration/grace``)
        /// and started again.
        case sigint
    }

    /// The built `promptbatch` binary.
    public var promptbatch: String
    /// A folder for the job file, the database and the runners' logs; must exist.
    public var workDirectory: String
    public var mode: Mode = .kill
    /// Jobs in the batch. Default 2,000.
    public var jobs = 2_000
    /// Interruptions, spread over the batch at random finished-job counts. Default 10.
    public var interruptions = 10
    /// Seed for the faults, the interruption moments and the victims. Default 1.
    public var seed: UInt64 = 1
    /// Total fault probability per request, split evenly over ``faults``. Default 0.2.
    public var faultRate = 0.2
    /// The faults mixed in. Default 429, 500, 502, 503, reset, hang and malformed.
    public var faults: [SimulatedFault] = [.rateLimited, .serverError, .badGateway, .overloaded, .reset, .hang, .malformed]
    /// Every `streamEvery`-th job is a `stream: true` job; `0` for none. Default 4.
    public var streamEvery = 4
    /// Simulator latency per answer, in milliseconds. Default 20.
    public var latencyMilliseconds = 20
    /// `run --concurrency`. Default 16.
    public var concurrency = 16
    /// `run --timeout`, in seconds: how long a hung request is waited for. Default 2.
    public var attemptTimeout = 2.0
    /// `run --grace`, in seconds, for ``Mode/sigint``. Default 1.
    public var grace = 1.0

    public init(promptbatch: String, workDirectory: String) {
        self.promptbatch = promptbatch
        self.workDirectory = workDirectory
    }

    var simulatorConfiguration: SimulatorConfiguration {
        var configuration = SimulatorConfiguration()
        configuration.latency = .milliseconds(latencyMilliseconds)
        configuration.seed = seed
        for fault in faults {
            configuration.faultRates[fault] = faultRate / Double(faults.count)
        }
        return configuration
    }

    var runArguments: [String] {
        ["run", "--concurrency", String(concurrency), "--timeout", String(attemptTimeout), "--grace", String(grace)]
    }
}
