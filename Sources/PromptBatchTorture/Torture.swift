import Foundation
import OpenRouterSimulator

/// Crash torture: a batch run against a faulty simulator while its runner processes are
/// interrupted again and again, then every invariant of the queue checked from outside.
///
/// The simulator runs in this process; the runners are the real `promptbatch` binary as child
/// processes, so a SIGKILL is a real crash. Interruptions come at random finished-job counts
/// (drawn from the seed), plus a random 0–25 ms, so they land anywhere: mid-request, between an
/// answer and its commit, while claiming.
public enum Torture {
    /// Runs the batch to the end through the configured interruptions and checks it.
    /// - Throws: Only when the torture itself cannot proceed (the binary will not start, the
    ///   submit fails); broken invariants are ``TortureReport/violations``.
    public static func run(_ configuration: TortureConfiguration) async throws -> TortureReport {
        let jobFile = configuration.workDirectory + "/torture.jsonl"
        try jobLines(configuration).joined(separator: "\n").appending("\n").write(toFile: jobFile, atomically: true, encoding: .utf8)
        let databasePath = configuration.workDirectory + "/torture.sqlite"
        let started = ContinuousClock.now
        return try await OpenRouterSimulator.withRunning(configuration.simulatorConfiguration) { simulator in
            var session = TortureSession(configuration: configuration, databasePath: databasePath, baseURL: simulator.baseURL)
            let submit = try await session.start(["submit", jobFile], name: "submit").wait()
            guard submit == .init(status: 0, wasSignalled: false) else {
                throw TortureError("submit failed (\(submit)): \(try session.log(named: "submit"))")
            }
            try await session.interruptAndResume()
            var report = try session.check(stats: simulator.stats())
            report.wallSeconds = (ContinuousClock.now - started) / .seconds(1)
            return report
        }
    }

    /// The job file: flat-form lines with unique prompts (the simulator counts requests per
    /// prompt), every `streamEvery`-th one streamed.
    static func jobLines(_ configuration: TortureConfiguration) -> [String] {
        (1...max(1, configuration.jobs)).map { index in
            let stream = configuration.streamEvery > 0 && index % configuration.streamEvery == 0
            return #"{"custom_id":"\#(customID(index))","model":"sim/echo","messages":[{"role":"user","content":"\#(prompt(index))"}]\#(stream ? #","stream":true"# : "")}"#
        }
    }

    static func customID(_ index: Int) -> String { "t\(index)" }
    static func prompt(_ index: Int) -> String { "torture job \(index)" }
}

struct TortureError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
