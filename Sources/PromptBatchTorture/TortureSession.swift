import Foundation
import OpenRouterSimulator

/// The state of one torture run: the runners started, the interruptions delivered, and which
/// jobs each interruption caught in flight.
struct TortureSession {
    let configuration: TortureConfiguration
    let databasePath: String
    let environment: [String: String]
    var random: SplitMix64
    /// Per custom id: how many interruptions found the job `running` under the interrupted runner.
    var caught: [String: Int] = [:]
    var interruptions: [TortureReport.Interruption] = []
    /// Problems seen while running (an unexpected exit code, a job left running after SIGINT).
    var violations: [String] = []
    var processesStarted = 0
    private var database: TortureDatabase?

    init(configuration: TortureConfiguration, databasePath: String, baseURL: String) {
        self.configuration = configuration
        self.databasePath = databasePath
        self.random = SplitMix64(seed: configuration.seed)
        environment = [
            "PROMPTBATCH_DB": databasePath,
            "OPENROUTER_API_KEY": "sk-or-v1-torture-0123456789abcdef",
            "OPENROUTER_BASE_URL": baseURL,
            "PROMPTBATCH_LOG_LEVEL": "warning",
        ]
    }

    mutating func start(_ arguments: [String], name: String) throws -> RunnerProcess {
        processesStarted += 1
        return try RunnerProcess(
            configuration.promptbatch, arguments, environment: environment,
            logPrefix: configuration.workDirectory + "/\(name)")
    }

    func log(named name: String) throws -> String {
        try String(contentsOfFile: configuration.workDirectory + "/\(name).err", encoding: .utf8)
    }

    mutating func db() throws -> TortureDatabase {
        if let database { return database }
        let opened = try TortureDatabase(path: databasePath)
        database = opened
        return opened
    }

    /// Finished-job counts at which to interrupt: random, distinct where possible, sorted,
    /// all before 90% of the batch so the run is still busy when they come.
    mutating func interruptionPoints() -> [Int] {
        let upper = max(2, configuration.jobs * 9 / 10)
        return (0..<configuration.interruptions).map { _ in Int.random(in: 1..<upper, using: &random) }.sorted()
    }

    /// Starts runners, interrupts them at every interruption point, then runs to the end.
    mutating func interruptAndResume() async throws {
        let points = interruptionPoints()
        var live: [RunnerProcess] = []
        let runnerCount = configuration.mode == .concurrent ? 2 : 1
        for point in points {
            while live.count < runnerCount {
                live.append(try start(configuration.runArguments, name: "run-\(processesStarted)"))
            }
            // Wait for the point, or for every runner to have stopped by itself. A SIGINT also
            // waits for the runner to register: before that its handler is not installed yet,
            // and SIGINT's default action ends it (harmlessly: it holds nothing). Two runners
            // wait for both to register: a runner recovers a dead one's jobs as it starts, and
            // one starting just as the other is killed would take them before they are counted.
            while live.contains(where: \.isRunning) {
                let isDue = try db().finishedCount() >= point
                let mustBeRegistered = configuration.mode == .kill ? [] : live.filter(\.isRunning)
                if isDue, try mustBeRegistered.allSatisfy({ try db().isRegistered(pid: $0.pid) }) { break }
                try await Task.sleep(for: .milliseconds(5))
            }
            try await Task.sleep(for: .milliseconds(Int.random(in: 0..<25, using: &random)))
            let running = live.indices.filter { live[$0].isRunning }
            let victim = live.remove(at: running.isEmpty ? 0 : running[Int.random(in: 0..<running.count, using: &random)])
            try await interrupt(victim, atPoint: point)
            // A runner that ended by itself is a finished run: collect how it ended.
            for runner in live where !runner.isRunning {
                await expectNormalEnd(of: runner)
            }
            live.removeAll { !$0.isRunning }
        }
        for runner in live { await expectNormalEnd(of: runner) }
        // One last run on its own finishes whatever is left (after SIGINT or a kill of the
        // last runner, that is the jobs they put back or left running).
        await expectNormalEnd(of: try start(configuration.runArguments, name: "run-\(processesStarted)"))
    }

    private mutating func interrupt(_ runner: RunnerProcess, atPoint point: Int) async throws {
        let finished = try db().finishedCount()
        guard runner.isRunning else {
            violations.append("the runner ended before interruption point \(point) (\(finished) finished): \(await runner.wait()); \(runner.stderrTail)")
            return
        }
        let signal = configuration.mode == .sigint ? SIGINT : SIGKILL
        // SIGINT: the runner puts its jobs back itself, so what it held is read just before.
        let heldBefore = signal == SIGINT ? try db().runningJobs(ofProcess: runner.pid) : []
        runner.signal(signal)
        let exit = await runner.wait()
        let heldAfter = try db().runningJobs(ofProcess: runner.pid)
        let held: Set<String>
        switch configuration.mode {
        case .kill, .concurrent:
            if exit != .init(status: SIGKILL, wasSignalled: true) {
                violations.append("a SIGKILLed runner ended with \(exit)")
            }
            held = heldAfter
        case .sigint:
            // 130 is the interrupted run; 0 or 1 when the last jobs finished within the grace.
            if ![130, 0, 1].contains(exit.status) || exit.wasSignalled {
                violations.append("a SIGINTed runner ended with \(exit), not 130: \(runner.stderrTail)")
            }
            if !heldAfter.isEmpty {
                violations.append("a SIGINTed runner left \(heldAfter.count) jobs running: \(heldAfter.sorted().prefix(5))")
            }
            held = heldBefore.union(heldAfter)
        }
        for id in held { caught[id, default: 0] += 1 }
        interruptions.append(.init(point: point, finishedAtSignal: finished, caughtInFlight: held.count))
    }

    private mutating func expectNormalEnd(of runner: RunnerProcess) async {
        let exit = await runner.wait()
        // 0: all succeeded; 1: the queue drained with some jobs failed for good.
        if exit.wasSignalled || ![0, 1].contains(exit.status) {
            violations.append("a runner ended with \(exit): \(runner.stderrTail)")
        }
    }
}
