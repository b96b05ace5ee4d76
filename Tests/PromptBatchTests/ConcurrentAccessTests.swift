import Foundation
import OpenRouterSimulator
@testable import PromptBatchKit
import Testing

/// Several `promptbatch` processes on one database at once — two runs, a report, a status,
/// an export and a submit — round after round: SQLite's locks are waited for, never shown to
/// the user as "database is locked", and the results add up.
@Suite(.timeLimit(.minutes(3)))
struct ConcurrentAccessTests {
    static let jobsPerBatch = 24

    static func batchFile(_ directory: TemporaryDirectory, batch: Int) throws -> String {
        try directory.write("batch\(batch).jsonl", lines: (1...jobsPerBatch).map { jobLine("b\(batch)-\($0)", prompt: "batch \(batch) job \($0)") })
    }

    /// No error line, no lock message, exit 0.
    static func expectClean(_ result: CommandLineHarness.Result, _ what: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(result.exitCode == 0, "\(what): \(result.stderr)", sourceLocation: sourceLocation)
        #expect(!result.stderr.contains("locked"), "\(what): \(result.stderr)", sourceLocation: sourceLocation)
        #expect(!result.stderr.lowercased().contains("busy"), "\(what): \(result.stderr)", sourceLocation: sourceLocation)
        #expect(!result.stderr.contains("promptbatch:"), "\(what): \(result.stderr)", sourceLocation: sourceLocation)
    }

    @Test func runsReportsStatusExportsAndSubmitsAtOnceNeverSeeALockedDatabase() async throws {
        let directory = try TemporaryDirectory()
        let rounds = 3
        var configuration = SimulatorConfiguration()
        configuration.latency = .milliseconds(5)
        try await OpenRouterSimulator.withRunning(configuration) { sim in
            let cli = CommandLineHarness(databasePath: directory.path + "/shared.sqlite", baseURL: sim.baseURL, workingDirectory: directory.path)

            // Round 0: the file does not exist yet; two readers and a submit create and migrate it at once.
            let first = try Self.batchFile(directory, batch: 1)
            async let submitFirst = cli.run(["submit", first])
            async let statusOnFresh = cli.run(["status", "--json"])
            async let reportOnFresh = cli.run(["report"])
            for (result, what) in try await [(submitFirst, "submit 1"), (statusOnFresh, "status"), (reportOnFresh, "report")] {
                Self.expectClean(result, "fresh file, \(what)")
            }

            for round in 1...rounds {
                // Each run works on this round's batch; the submit adds the next one meanwhile,
                // so the runs' exit codes do not depend on when it lands.
                let next = try Self.batchFile(directory, batch: round + 1)
                async let runA = cli.run(["run", "--batch", "\(round)", "--concurrency", "4"])
                async let runB = cli.run(["run", "--batch", "\(round)", "--concurrency", "4"])
                async let submit = cli.run(["submit", next])
                async let report = cli.run(["report"])
                async let status = cli.run(["status", "--json"])
                async let export = cli.run(["export"])
                let results = try await [
                    (runA, "run A"), (runB, "run B"), (submit, "submit"), (report, "report"), (status, "status"), (export, "export"),
                ]
                for (result, what) in results { Self.expectClean(result, "round \(round), \(what)") }

                // What the readers saw was a consistent snapshot: the states add up to the jobs.
                let object = try #require(try JSONSerialization.jsonObject(with: Data(results[4].0.stdout.utf8)) as? [String: Any])
                let json = object.compactMapValues { $0 as? Int }
                #expect(json["jobs"] == (json["pending"] ?? -1) + (json["running"] ?? -1) + (json["succeeded"] ?? -1))
                let before = round * Self.jobsPerBatch
                #expect((before...(before + Self.jobsPerBatch)).contains(json["jobs"] ?? -1), "the next batch is all there or not at all")
                let reportRows = try CSVReader.parse(results[3].0.stdout)
                #expect([before, before + Self.jobsPerBatch].contains(reportRows.count - 1))
                let store = try JobStore(path: cli.databasePath)
                let counts = try store.counts(batchID: Int64(round))
                #expect(counts.succeeded == Self.jobsPerBatch, "round \(round)")
                #expect(counts.running == 0 && counts.pending == 0 && counts.failed == 0, "round \(round)")
            }

            let last = try await cli.run(["run"])
            Self.expectClean(last, "last run")
            let counts = try JobStore(path: cli.databasePath).counts(batchID: nil)
            #expect(counts.succeeded == (rounds + 1) * Self.jobsPerBatch)
            let byKey = sim.stats().byKey
            #expect(byKey.count == (rounds + 1) * Self.jobsPerBatch)
            #expect(byKey.values.allSatisfy { $0 == 1 }, "two runs on one database never send a job twice")
            let export = try await cli.run(["export"])
            #expect(export.stdout.split(separator: "\n").count == (rounds + 1) * Self.jobsPerBatch)
        }
    }
}
