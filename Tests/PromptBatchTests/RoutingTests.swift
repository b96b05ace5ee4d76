import Foundation
import GRDB
import OpenRouterSimulator
@testable import PromptBatchKit
import Testing

/// `models` fallback lists and `provider` preferences in job lines reach the wire, and the
/// report names the model that answered.
@Suite(.timeLimit(.minutes(3)))
struct RoutingTests {
    @Test func fallbackModelsAndProviderPreferencesReachTheWireAndTheReportGroupsByTheAnsweringModel() async throws {
        let directory = try TemporaryDirectory()
        let file = try directory.write("routing.jsonl", lines: [
            jobLine("fallback", prompt: "Route me", model: "acme/unavailable",
                    extra: #""models":["acme/also-unavailable","openai/gpt-4o-mini","openai/gpt-4o"],"provider":{"order":["Acme Cloud"],"allow_fallbacks":false}"#),
            jobLine("fallback-stream", prompt: "Route me too", model: "acme/unavailable",
                    extra: #""stream":true,"models":["openai/gpt-4o-mini"]"#),
            jobLine("plain", prompt: "No routing", model: "openai/gpt-4o-mini"),
            jobLine("echo", prompt: "Echo", model: "sim/echo"),
        ])
        try await OpenRouterSimulator.withRunning { sim in
            let database = directory.path + "/r.sqlite"
            let cli = CommandLineHarness(databasePath: database, baseURL: sim.baseURL, workingDirectory: directory.path)
            let submit = try await cli.run(["submit", file])
            #expect(submit.exitCode == 0, "\(submit.stderr)")
            let run = try await cli.run(["run"])
            #expect(run.exitCode == 0, "\(run.stderr)")

            let store = try JobStore(path: database)
            let rows = try await store.dbPool.read { db in
                try Row.fetchAll(db, sql: "SELECT custom_id, model, answered_model, request FROM jobs ORDER BY id")
            }
            #expect(rows[0]["model"] == "acme/unavailable")
            #expect(rows[0]["answered_model"] == "openai/gpt-4o-mini")
            #expect(rows[1]["answered_model"] == "openai/gpt-4o-mini")
            #expect((rows[0]["request"] as String).contains(#""provider":{"order":["Acme Cloud"],"allow_fallbacks":false}"#))

            // The simulator answers as the first provider of `provider.order`: it was sent.
            let export = try await cli.run(["export"])
            let first = try #require(export.stdout.split(separator: "\n").first)
            let object = try JSONSerialization.jsonObject(with: Data(first.utf8)) as? [String: Any]
            let body = try #require((object?["response"] as? [String: Any])?["body"] as? [String: Any])
            #expect(body["provider"] as? String == "Acme Cloud")
            #expect(body["model"] as? String == "openai/gpt-4o-mini")

            let report = try CSVReader.parse(try await cli.run(["report"]).stdout)
            let model = try #require(report[0].firstIndex(of: "model"))
            #expect(report.dropFirst().map { $0[model] } == ["openai/gpt-4o-mini", "openai/gpt-4o-mini", "openai/gpt-4o-mini", "sim/echo"])

            let grouped = try CSVReader.parse(try await cli.run(["report", "--group-by", "model"]).stdout)
            #expect(grouped[0].prefix(3) == ["model", "jobs", "succeeded"])
            #expect(grouped.dropFirst().map { Array($0.prefix(3)) } == [["openai/gpt-4o-mini", "3", "3"], ["sim/echo", "1", "1"]])
        }
    }
}
