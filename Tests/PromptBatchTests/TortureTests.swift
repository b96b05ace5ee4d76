import Foundation
import PromptBatchTorture
import Testing

/// `scripts/torture` scaled down: the built binary interrupted mid-batch against a simulator
/// answering 20% of requests with mixed faults, then every invariant checked from the
/// database and the simulator's counts.
@Suite("Crash torture, scaled down")
struct TortureTests {
    @Test(arguments: TortureConfiguration.Mode.allCases)
    func nothingIsLostOrRunTwiceThroughInterruptions(_ mode: TortureConfiguration.Mode) async throws {
        let directory = try TemporaryDirectory()
        var configuration = TortureConfiguration(promptbatch: CommandLineHarness.binary.path, workDirectory: directory.path)
        configuration.mode = mode
        configuration.jobs = 240
        configuration.interruptions = 4
        configuration.concurrency = 8
        configuration.seed = 0x70A7
        let report = try await Torture.run(configuration)

        #expect(report.violations.isEmpty, "\(report)")
        #expect(report.interruptions.count == 4, "the interruptions must really happen: \(report)")
        #expect(report.jobs == 240)
        #expect(report.succeeded + report.failed == 240)
        #expect(report.integrity == ["ok"])
        // The faults really came and were retried: more requests than jobs, all accounted for.
        #expect(report.faultsInjected.values.reduce(0, +) > 0)
        #expect(report.simulatorRequests > 240)
        #expect(report.simulatorRequests == report.recordedAttempts + report.unrecordedRequests + report.incompleteRequests)
        // Only a request a kill cut off while its body was on the way is nobody's.
        #expect(report.incompleteRequests <= (mode == .sigint ? 0 : report.interruptions.reduce(0) { $0 + $1.caughtInFlight }))
        // Interruptions caught jobs in flight, so the bound on re-sent requests was tested.
        #expect(report.interruptions.reduce(0) { $0 + $1.caughtInFlight } > 0)
    }
}
