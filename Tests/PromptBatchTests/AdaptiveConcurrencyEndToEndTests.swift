import Foundation
import OpenRouterSimulator
import PromptBatchKit
import Testing

/// The built binary against a simulator that admits only K requests at a time and answers
/// 429 beyond: the adaptive limit comes down to what is admitted, a fixed one keeps knocking.
@Suite struct AdaptiveConcurrencyEndToEndTests {
    static let jobCount = 240

    /// Runs the batch at `--concurrency 32` against a simulator that admits 8, with no retries,
    /// so every 429 is a job lost to it; returns the 429s and all requests.
    func rateLimitedRequests(fixed: Bool) async throws -> (rejected: Int, requests: Int) {
        let directory = try TemporaryDirectory()
        let file = try directory.write("jobs.jsonl", lines: (1...Self.jobCount).map { jobLine("j\($0)", prompt: "capped \($0)") })
        var configuration = SimulatorConfiguration()
        configuration.maxInFlight = 8
        configuration.latency = .milliseconds(50)
        return try await OpenRouterSimulator.withRunning(configuration) { sim in
            let database = directory.path + "/cap.sqlite"
            let cli = CommandLineHarness(databasePath: database, baseURL: sim.baseURL, workingDirectory: directory.path)
            #expect(try await cli.run(["submit", file]).exitCode == 0)
            let run = try await cli.run(["run", "--concurrency", "32", "--max-retries", "0"] + (fixed ? ["--fixed-concurrency"] : []))
            #expect([0, 1].contains(run.exitCode), "\(run.stderr)")
            let counts = try JobStore(path: database).counts(batchID: nil)
            let rejected = sim.stats().byStatus[429] ?? 0
            #expect(counts.succeeded + counts.failed == Self.jobCount)
            #expect(counts.failed == rejected)
            #expect(counts.failedByCategory == (rejected > 0 ? ["rate_limited": rejected] : [:]))
            return (rejected, sim.stats().chatRequests)
        }
    }

    @Test func theAdaptiveLimitLosesFarFewerRequestsTo429sThanAFixedOne() async throws {
        let adaptive = try await rateLimitedRequests(fixed: false)
        let fixed = try await rateLimitedRequests(fixed: true)
        // A fixed 32 against 8 admitted keeps most sends refused; the adaptive limit pays for
        // the first overshoot, then probes above the cap now and then. How many a fixed limit
        // loses depends on how fast its refused slots send again: 100 of 240 with the whole
        // suite running beside it, on two cores.
        #expect(fixed.rejected > 3 * adaptive.rejected, "adaptive \(adaptive), fixed \(fixed)")
        #expect(fixed.rejected > Self.jobCount / 4, "fixed \(fixed)")
    }

    @Test func rateLimitFlagsAreCheckedAndARateLimitedRunFinishes() async throws {
        let directory = try TemporaryDirectory()
        let file = try directory.write("jobs.jsonl", lines: (1...5).map { jobLine("r\($0)", prompt: "rate \($0)") })
        try await OpenRouterSimulator.withRunning { sim in
            let cli = CommandLineHarness(databasePath: directory.path + "/rate.sqlite", baseURL: sim.baseURL, workingDirectory: directory.path)
            #expect(try await cli.run(["submit", file]).exitCode == 0)
            for bad in [["--rpm", "0"], ["--tpm", "0"]] {
                let refused = try await cli.run(["run"] + bad)
                #expect(refused.exitCode == 64)
                #expect(refused.stderr.contains("must be at least 1"), "\(refused.stderr)")
            }
            #expect(sim.stats().chatRequests == 0)
            let run = try await cli.run(["run", "--rpm", "6000", "--tpm", "1000000"])
            #expect(run.exitCode == 0, "\(run.stderr)")
            #expect(sim.stats().chatRequests == 5)
        }
    }
}
