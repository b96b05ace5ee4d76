import Foundation
import OpenRouterSimulator
import PromptBatchKit
import Testing

/// The smaller commands, through the built binary.
@Suite(.timeLimit(.minutes(2)))
struct CommandLineTests {
    @Test func modelsListsPricesPerMillionTokensAndCachesThem() async throws {
        let directory = try TemporaryDirectory()
        try await OpenRouterSimulator.withRunning { sim in
            let cli = CommandLineHarness(databasePath: directory.path + "/m.sqlite", baseURL: sim.baseURL, workingDirectory: directory.path)
            let first = try await cli.run(["models"])
            #expect(first.exitCode == 0, "\(first.stderr)")
            #expect(first.stdout.contains("openai/gpt-4o-mini\t0.15\t0.6\t128000"))
            let requests = sim.stats().requestsTotal
            let second = try await cli.run(["models"])
            #expect(second.stdout == first.stdout)
            #expect(sim.stats().requestsTotal == requests, "the second listing came from the cache")
            _ = try await cli.run(["models", "--refresh"])
            #expect(sim.stats().requestsTotal == requests + 1)
        }
    }

    @Test func chatStreamsTheAnswerToStandardOutput() async throws {
        let directory = try TemporaryDirectory()
        try await OpenRouterSimulator.withRunning { sim in
            let cli = CommandLineHarness(databasePath: directory.path + "/c.sqlite", baseURL: sim.baseURL, workingDirectory: directory.path)
            let streamed = try await cli.run(["chat", "--model", "sim/echo", "--system", "Be brief.", "Hello there"])
            #expect(streamed.exitCode == 0, "\(streamed.stderr)")
            #expect(streamed.stdout == TokenCounting.replyText(lastUserMessage: "Hello there") + "\n")

            let schema = try directory.write("schema.json", lines: [#"{"type":"object","properties":{"answer":{"type":"string"}},"required":["answer"],"additionalProperties":false}"#])
            let structured = try await cli.run(["chat", "--model", "sim/echo", "--json-schema", schema, "Answer as JSON"])
            #expect(structured.exitCode == 0, "\(structured.stderr)")
            #expect(structured.stdout == #"{"answer":"example"}"# + "\n")
        }
    }

    @Test func configurationProblemsExitWith78AndOneClearLine() async throws {
        let directory = try TemporaryDirectory()
        var cli = CommandLineHarness(databasePath: directory.path + "/x.sqlite", baseURL: "http://127.0.0.1:9/api/v1", workingDirectory: directory.path)
        let file = try directory.write("jobs.jsonl", lines: [jobLine("a", prompt: "x")])
        #expect(try await cli.run(["submit", file]).exitCode == 0)

        cli.apiKey = nil
        let noKey = try await cli.run(["run"])
        #expect(noKey.exitCode == 78)
        #expect(noKey.stderr == "promptbatch: no API key: set OPENROUTER_API_KEY or pass --api-key-file\n")

        cli.apiKey = "sk-or-v1-test-key-0123456789abcdef"
        cli.baseURL = "http://example.com/api/v1"
        let insecure = try await cli.run(["run"])
        #expect(insecure.exitCode == 78)
        #expect(insecure.stderr.contains("refusing plain http:// to 'example.com'"))

        let badLevel = try await cli.run(["status", "--log-level", "loud"])
        #expect(badLevel.exitCode == 64)
    }

    @Test func cancelAndGroupedReports() async throws {
        let directory = try TemporaryDirectory()
        try await OpenRouterSimulator.withRunning { sim in
            let cli = CommandLineHarness(databasePath: directory.path + "/g.sqlite", baseURL: sim.baseURL, workingDirectory: directory.path)
            let first = try directory.write("first.jsonl", lines: [
                jobLine("a", prompt: "one", model: "openai/gpt-4o-mini"), jobLine("b", prompt: "two", model: "sim/echo"),
                jobLine("c", prompt: "three", model: "sim/echo", extra: #""sim":{"fault":"403"}"#),
            ])
            let second = try directory.write("second.jsonl", lines: [jobLine("d", prompt: "four")])
            #expect(try await cli.run(["submit", first]).exitCode == 0)
            #expect(try await cli.run(["submit", second]).exitCode == 0)
            let cancel = try await cli.run(["cancel", "--batch", "2"])
            #expect(cancel.stdout.hasPrefix("1 pending job cancelled"))
            #expect(try await cli.run(["run"]).exitCode == 1)

            let byModel = try CSVReader.parse(try await cli.run(["report", "--group-by", "model"]).stdout)
            #expect(byModel[0] == ["model"] + UsageReport.groupColumns)
            #expect(byModel.dropFirst().map { [$0[0], $0[1], $0[2], $0[3]] } == [
                ["openai/gpt-4o-mini", "1", "1", "0"], ["sim/echo", "3", "1", "1"],
            ])
            let byCategory = try CSVReader.parse(try await cli.run(["report", "--group-by", "category"]).stdout)
            // The simulator's 403 carries moderation metadata, so it counts as content_filter.
            #expect(byCategory.dropFirst().map { [$0[0], $0[1]] } == [["", "3"], ["content_filter", "1"]])

            let status = try await cli.run(["status", "--json", "--batch", "2"])
            #expect(status.stdout.contains(#""cancelled":1"#))
        }
    }

    @Test func reportCellsCannotBecomeSpreadsheetFormulas() async throws {
        let directory = try TemporaryDirectory()
        let cli = CommandLineHarness(databasePath: directory.path + "/f.sqlite", baseURL: nil, workingDirectory: directory.path)
        let file = try directory.write("jobs.jsonl", lines: [
            jobLine("=HYPERLINK(\\\"http://x\\\")", prompt: "x"), jobLine("+1", prompt: "y"), jobLine("plain,comma", prompt: "z"),
        ])
        #expect(try await cli.run(["submit", file]).exitCode == 0)
        let rows = try CSVReader.parse(try await cli.run(["report"]).stdout)
        #expect(rows.dropFirst().map { $0[1] } == ["'=HYPERLINK(\"http://x\")", "'+1", "plain,comma"])
    }
}
