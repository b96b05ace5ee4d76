import Foundation
import GRDB
import OpenRouterSimulator
@testable import PromptBatchKit
import Testing

/// The built `promptbatch` binary against the simulator over loopback, checked through its
/// exit codes, output, and the SQLite and CSV it leaves behind.
@Suite(.timeLimit(.minutes(3)))
struct EndToEndTests {
    static func expectedUsage(prompt: String, model: String = "sim/echo") -> (prompt: Int, completion: Int, cost: Decimal) {
        let promptTokens = TokenCounting.promptTokens(messageTexts: [prompt])
        let reply = TokenCounting.replyText(lastUserMessage: prompt)
        let completion = TokenCounting.applyMaxTokens(reply, maxTokens: nil).completionTokens
        return (promptTokens, completion, SimulatedModel.pricing(for: model).cost(promptTokens: promptTokens, completionTokens: completion))
    }

    @Test func happyPathRecordsExactTokensAndCostAndReportsThemAsCSV() async throws {
        let directory = try TemporaryDirectory()
        let prompts = (1...12).map { "Question number \($0) about the sea" }
        let file = try directory.write("questions.jsonl", lines: prompts.enumerated().map { jobLine("q\($0.offset)", prompt: $0.element) })
        try await OpenRouterSimulator.withRunning { sim in
            let cli = CommandLineHarness(databasePath: directory.path + "/q.sqlite", baseURL: sim.baseURL, workingDirectory: directory.path)
            let submit = try await cli.run(["submit", file])
            #expect(submit.exitCode == 0, "\(submit.stderr)")
            #expect(submit.stdout.contains("12 jobs"))

            let run = try await cli.run(["run", "--concurrency", "4"])
            #expect(run.exitCode == 0, "\(run.stderr)")
            #expect(sim.stats().chatRequests == 12)

            let status = try await cli.run(["status", "--json"])
            let json = try #require(try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any])
            let expected = prompts.map { Self.expectedUsage(prompt: $0) }
            #expect(json["succeeded"] as? Int == 12)
            #expect(json["pending"] as? Int == 0)
            #expect(json["prompt_tokens"] as? Int == expected.map(\.prompt).reduce(0, +))
            #expect(json["completion_tokens"] as? Int == expected.map(\.completion).reduce(0, +))
            let totalCost = expected.map(\.cost).reduce(Decimal(0), +)
            let costText = try #require(status.stdout.range(of: #""cost_usd":([0-9.]+)"#, options: .regularExpression).map { String(status.stdout[$0]) })
            #expect(Decimal(string: String(costText.dropFirst(11))) == totalCost)

            let report = try await cli.run(["report", "--output", "report.csv"])
            #expect(report.exitCode == 0, "\(report.stderr)")
            let rows = try CSVReader.parse(String(contentsOfFile: directory.path + "/report.csv", encoding: .utf8))
            #expect(rows.first == UsageReport.jobColumns)
            #expect(rows.count == 13)
            let costColumn = try #require(rows[0].firstIndex(of: "cost_usd"))
            let statusColumn = try #require(rows[0].firstIndex(of: "status"))
            #expect(rows.dropFirst().map { Decimal(string: $0[costColumn])! }.reduce(Decimal(0), +) == totalCost)
            #expect(rows.dropFirst().allSatisfy { $0[statusColumn] == "succeeded" })
            let latencyColumn = try #require(rows[0].firstIndex(of: "latency_ms"))
            #expect(rows.dropFirst().allSatisfy { Int($0[latencyColumn]) != nil })
            let modelColumn = try #require(rows[0].firstIndex(of: "model"))
            #expect(rows.dropFirst().allSatisfy { $0[modelColumn] == "sim/echo" })

            let export = try await cli.run(["export"])
            let lines = export.stdout.split(separator: "\n")
            #expect(lines.count == 12)
            let first = try #require(try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any])
            #expect(first["custom_id"] as? String == "q0")
            #expect((first["response"] as? [String: Any])?["status_code"] as? Int == 200)
        }
    }

    @Test func faultsAreRetriedOrFailWithTheirCategory() async throws {
        let directory = try TemporaryDirectory()
        let file = try directory.write("faults.jsonl", lines: [
            jobLine("flaky", prompt: "flaky", extra: #""sim":{"fault":"503","times":2,"retry_after":"0"}"#),
            jobLine("reset", prompt: "reset", extra: #""sim":{"fault":"reset","times":1}"#),
            jobLine("malformed", prompt: "malformed", extra: #""sim":{"fault":"malformed","times":1}"#),
            jobLine("bad", prompt: "bad", extra: #""sim":{"fault":"400"}"#),
            jobLine("schema", prompt: "schema", extra: #""sim":{"fault":"schema_violation"},"response_format":{"type":"json_schema","json_schema":{"name":"s","strict":true,"schema":{"type":"object","properties":{"a":{"type":"string"}},"required":["a"],"additionalProperties":false}}}"#),
        ])
        try await OpenRouterSimulator.withRunning { sim in
            let cli = CommandLineHarness(databasePath: directory.path + "/f.sqlite", baseURL: sim.baseURL, workingDirectory: directory.path)
            #expect(try await cli.run(["submit", file]).exitCode == 0)
            let run = try await cli.run(["run", "--concurrency", "5"])
            #expect(run.exitCode == 1, "some jobs failed: \(run.stderr)")
            let store = try JobStore(path: directory.path + "/f.sqlite")
            let report = try CSVReader.parse(try Self.reportCSV(store))
            let header = report[0]
            func row(_ id: String) -> [String: String] {
                let values = report.first { $0[header.firstIndex(of: "custom_id")!] == id }!
                return Dictionary(uniqueKeysWithValues: zip(header, values))
            }
            #expect(row("flaky")["status"] == "succeeded")
            #expect(row("flaky")["attempts"] == "3")
            #expect(row("reset")["status"] == "succeeded")
            #expect(row("reset")["attempts"] == "2")
            #expect(row("malformed")["status"] == "succeeded")
            #expect(row("malformed")["attempts"] == "2")
            #expect(row("bad")["status"] == "failed")
            #expect(row("bad")["error_category"] == "bad_request")
            #expect(row("bad")["attempts"] == "1")
            #expect(row("schema")["status"] == "failed")
            #expect(row("schema")["error_category"] == "schema_violation")
            #expect(row("schema")["attempts"] == "1")
            #expect(Decimal(string: row("schema")["cost_usd"]!)! > 0, "a schema violation was billed and counts")

            // Export: OpenAI's Batch output lines, a failed job with `response: null` and its error.
            let export = try await cli.run(["export"])
            #expect(export.exitCode == 0)
            var exported: [String: [String: Any]] = [:]
            for line in export.stdout.split(separator: "\n") {
                let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
                exported[try #require(object["custom_id"] as? String)] = object
            }
            #expect(Set(exported.keys) == ["flaky", "reset", "malformed", "bad", "schema"])
            let bad = try #require(exported["bad"])
            #expect(bad["response"] is NSNull)
            let badError = try #require(bad["error"] as? [String: Any])
            #expect(badError["code"] as? String == "bad_request")
            #expect((badError["message"] as? String)?.isEmpty == false)
            #expect((exported["schema"]?["error"] as? [String: Any])?["code"] as? String == "schema_violation")
            let flaky = try #require(exported["flaky"])
            #expect(flaky["error"] is NSNull)
            let flakyResponse = try #require(flaky["response"] as? [String: Any])
            #expect(flakyResponse["status_code"] as? Int == 200)
            #expect((flakyResponse["request_id"] as? String)?.hasPrefix("gen-") == true)
            let body = try #require(flakyResponse["body"] as? [String: Any])
            let message = try #require(((body["choices"] as? [[String: Any]])?.first?["message"]) as? [String: Any])
            #expect(message["content"] as? String == "Simulated reply to: flaky")
            #expect(sim.stats().byKey["flaky"] == 3)
            #expect(sim.stats().byKey["bad"] == 1)

            let retry = try await cli.run(["retry", "--category", "schema_violation"])
            #expect(retry.stdout.hasPrefix("1 failed job"))
            _ = try await cli.run(["run"])
            #expect(sim.stats().byKey["schema"] == 2)
            #expect(try store.counts(batchID: nil).attempts == 3 + 2 + 2 + 1 + 2)
        }
    }

    @Test func aBadKeyHaltsAtOnceWithTheRestPending() async throws {
        let directory = try TemporaryDirectory()
        let file = try directory.write("jobs.jsonl", lines: (1...40).map { jobLine("j\($0)", prompt: "prompt \($0)") })
        var configuration = SimulatorConfiguration()
        configuration.apiKey = "sk-or-the-right-key"
        configuration.latency = .milliseconds(20)
        try await OpenRouterSimulator.withRunning(configuration) { sim in
            var cli = CommandLineHarness(databasePath: directory.path + "/k.sqlite", baseURL: sim.baseURL, workingDirectory: directory.path)
            cli.apiKey = "sk-or-a-wrong-key"
            #expect(try await cli.run(["submit", file]).exitCode == 0)
            let run = try await cli.run(["run", "--concurrency", "4"])
            #expect(run.exitCode == 3)
            #expect(run.stderr.contains("halted"))
            #expect(sim.stats().chatRequests <= 4, "at most one request per worker slot")
            let counts = try JobStore(path: directory.path + "/k.sqlite").counts(batchID: nil)
            #expect(counts.failed == 0)
            #expect(counts.running == 0)
            #expect(counts.pending == 40)
        }
    }

    @Test func aKilledRunResumesAndFinishesEveryJobExactlyOnce() async throws {
        let directory = try TemporaryDirectory()
        let count = 60
        let file = try directory.write("jobs.jsonl", lines: (1...count).map { jobLine("j\($0)", prompt: "kill test \($0)") })
        var configuration = SimulatorConfiguration()
        configuration.latency = .milliseconds(150)
        try await OpenRouterSimulator.withRunning(configuration) { sim in
            let database = directory.path + "/kill.sqlite"
            let cli = CommandLineHarness(databasePath: database, baseURL: sim.baseURL, workingDirectory: directory.path)
            #expect(try await cli.run(["submit", file]).exitCode == 0)
            let store = try JobStore(path: database)
            let (process, stdout, stderr) = try cli.start(["run", "--concurrency", "6"])
            while try store.counts(batchID: nil).succeeded < 10 {
                try await Task.sleep(for: .milliseconds(20))
            }
            kill(process.processIdentifier, SIGKILL)
            let killed = await CommandLineHarness.finish(process, stdout, stderr)
            #expect(killed.exitCode == SIGKILL)
            let before = try store.counts(batchID: nil)
            #expect(before.succeeded < count)
            // What the kill caught: jobs claimed but not recorded. That is the jobs on the wire
            // plus any whose answer had arrived but whose commit had not.
            let caught = try await store.dbPool.read { db in
                try String.fetchAll(db, sql: "SELECT custom_id FROM jobs WHERE state = 'running'")
            }.map { "kill test \($0.dropFirst())" }  // the simulator counts by prompt

            let resumed = try await cli.run(["resume", "--concurrency", "6"])
            #expect(resumed.exitCode == 0, "\(resumed.stderr)")
            let after = try store.counts(batchID: nil)
            #expect(after.succeeded == count)
            #expect(after.running == 0)
            let byKey = sim.stats().byKey
            #expect(byKey.count == count)
            // Only jobs the kill caught unrecorded may be sent twice, and only once more.
            let resent = Set(byKey.filter { $0.value > 1 }.keys)
            #expect(resent.isSubset(of: Set(caught)), "re-sent \(resent.subtracting(caught).sorted()) were recorded before the kill")
            #expect(byKey.values.allSatisfy { $0 <= 2 })
            let export = try await cli.run(["export"])
            #expect(Set(export.stdout.split(separator: "\n").map { String($0) }).count == count)
        }
    }

    @Test func twoRunsOnOneDatabaseNeverSendAJobTwice() async throws {
        let directory = try TemporaryDirectory()
        let count = 80
        let file = try directory.write("jobs.jsonl", lines: (1...count).map { jobLine("j\($0)", prompt: "shared \($0)") })
        var configuration = SimulatorConfiguration()
        configuration.latency = .milliseconds(30)
        try await OpenRouterSimulator.withRunning(configuration) { sim in
            let cli = CommandLineHarness(databasePath: directory.path + "/two.sqlite", baseURL: sim.baseURL, workingDirectory: directory.path)
            #expect(try await cli.run(["submit", file]).exitCode == 0)
            async let first = cli.run(["run", "--concurrency", "4"])
            async let second = cli.run(["run", "--concurrency", "4"])
            let (a, b) = try await (first, second)
            #expect(a.exitCode == 0, "\(a.stderr)")
            #expect(b.exitCode == 0, "\(b.stderr)")
            let byKey = sim.stats().byKey
            #expect(byKey.count == count)
            #expect(byKey.values.allSatisfy { $0 == 1 })
        }
    }

    @Test func interruptingARunPutsUnfinishedJobsBackToPending() async throws {
        let directory = try TemporaryDirectory()
        let file = try directory.write("jobs.jsonl", lines: (1...40).map { jobLine("j\($0)", prompt: "interrupt \($0)") })
        var configuration = SimulatorConfiguration()
        configuration.latency = .milliseconds(300)
        try await OpenRouterSimulator.withRunning(configuration) { sim in
            let database = directory.path + "/int.sqlite"
            let cli = CommandLineHarness(databasePath: database, baseURL: sim.baseURL, workingDirectory: directory.path)
            #expect(try await cli.run(["submit", file]).exitCode == 0)
            let store = try JobStore(path: database)
            let (process, stdout, stderr) = try cli.start(["run", "--concurrency", "2", "--grace", "5"])
            while try store.counts(batchID: nil).succeeded < 2 {
                try await Task.sleep(for: .milliseconds(20))
            }
            kill(process.processIdentifier, SIGINT)
            let result = await CommandLineHarness.finish(process, stdout, stderr)
            #expect(result.exitCode == 130, "\(result.stderr)")
            let counts = try store.counts(batchID: nil)
            #expect(counts.running == 0)
            #expect(counts.failed == 0)
            #expect(counts.pending + counts.succeeded == 40)
            #expect(counts.pending > 0)
            #expect(counts.succeeded == sim.stats().chatRequests, "requests in flight were allowed to finish and were recorded")
        }
    }

    @Test func theDemoRunsFromAFreshDirectory() async throws {
        let directory = try TemporaryDirectory()
        let jobs = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("jobs").path
        let cli = CommandLineHarness(databasePath: directory.path + "/unused.sqlite", baseURL: nil, apiKey: nil, workingDirectory: directory.path)
        let demo = try await cli.run(["demo", "--jobs", jobs, "--latency-ms", "1"])
        #expect(demo.exitCode == 0, "\(demo.stderr)")
        #expect(demo.stdout.contains("26 jobs submitted"))
        #expect(demo.stdout.contains("26 succeeded"))
        let rows = try CSVReader.parse(String(contentsOfFile: directory.path + "/promptbatch-demo-report.csv", encoding: .utf8))
        #expect(rows.count == 27)
    }

    static func reportCSV(_ store: JobStore) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("report-\(UUID().uuidString).csv").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let sink = try OutputSink(path: path)
        try UsageReport().write(from: store, to: sink)
        try sink.flush()
        return try String(contentsOfFile: path, encoding: .utf8)
    }
}

/// An RFC 4180 reader for checking what the report writes.
enum CSVReader {
    static func parse(_ text: String) throws -> [[String]] {
        var rows: [[String]] = []
        var row: [String] = []
        var field = ""
        var inQuotes = false
        var iterator = Array(text.unicodeScalars).makeIterator()
        var pending: Unicode.Scalar? = nil
        while let scalar = pending ?? iterator.next() {
            pending = nil
            if inQuotes {
                if scalar == "\"" {
                    if let next = iterator.next() {
                        if next == "\"" { field.unicodeScalars.append("\"") } else { inQuotes = false; pending = next }
                    } else { inQuotes = false }
                } else { field.unicodeScalars.append(scalar) }
                continue
            }
            switch scalar {
            case "\"": inQuotes = true
            case ",": row.append(field); field = ""
            case "\r": break
            case "\n": row.append(field); rows.append(row); row = []; field = ""
            default: field.unicodeScalars.append(scalar)
            }
        }
        if !field.isEmpty || !row.isEmpty { row.append(field); rows.append(row) }
        return rows
    }
}
