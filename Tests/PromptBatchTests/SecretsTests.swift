import Foundation
import GRDB
import OpenRouterSimulator
@testable import PromptBatchKit
import Testing

/// The API key, through the built binary: it travels in the Authorization header and lands
/// nowhere else — not in the database (main file, -wal, -shm), not in logs at any level, not in
/// reports, exports or error messages, even when the server echoes it back.
@Suite(.timeLimit(.minutes(3)))
struct SecretsTests {
    /// A fresh key per test, so a leak cannot be an old file's.
    static func makeKey() -> String {
        "sk-or-v1-" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
            + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
    }

    @Test func theKeyIsWrittenNowhereEvenWhenTheServerEchoesIt() async throws {
        let directory = try TemporaryDirectory()
        let key = Self.makeKey()
        let scanner = KeyLeakScanner(key: key)
        let database = directory.path + "/secrets.sqlite"
        var configuration = SimulatorConfiguration()
        configuration.apiKey = key
        try await OpenRouterSimulator.withRunning(configuration) { sim in
            var cli = CommandLineHarness(databasePath: database, baseURL: sim.baseURL, workingDirectory: directory.path)
            cli.apiKey = key
            var outputs: [(String, CommandLineHarness.Result)] = []
            func run(_ arguments: [String]) async throws -> CommandLineHarness.Result {
                let result = try await cli.run(arguments + ["--log-level", "trace"])
                outputs.append((arguments.joined(separator: " "), result))
                return result
            }

            let ordinary = try directory.write("ordinary.jsonl", lines: [
                jobLine("plain", prompt: "plain"),
                jobLine("streamed", prompt: "streamed", extra: #""stream":true"#),
                jobLine("retried", prompt: "retried", extra: #""sim":{"fault":"503","times":1,"retry_after":"0"}"#),
                jobLine("malformed", prompt: "malformed", extra: #""sim":{"fault":"malformed","times":1}"#),
                jobLine("bad", prompt: "bad", extra: #""sim":{"fault":"400"}"#),
            ])
            #expect(try await run(["submit", ordinary]).exitCode == 0)
            // Held open to the end so SQLite keeps the -wal and -shm files for the scan.
            let holder = try JobStore(path: database)
            let first = try await run(["run", "--concurrency", "2"])
            #expect(first.exitCode == 1, "one job fails with a 400: \(first.stderr)")
            #expect(first.stderr.contains("attempt succeeded"), "trace logging was on")

            // A 401 halts a run, so each echoing job gets a batch (and a run) of its own.
            let echoing = try directory.write("echo.jsonl", lines: [jobLine("echo", prompt: "echo", extra: #""sim":{"fault":"echo_auth"}"#)])
            let echoingStream = try directory.write("echo-stream.jsonl", lines: [
                jobLine("echo-streamed", prompt: "echo streamed", extra: #""stream":true,"sim":{"fault":"echo_auth"}"#),
            ])
            #expect(try await run(["submit", echoing]).exitCode == 0)
            #expect(try await run(["submit", echoingStream]).exitCode == 0)
            for batch in ["2", "3"] {
                let halted = try await run(["run", "--batch", batch])
                #expect(halted.exitCode == 3)
                #expect(halted.stderr.contains("Invalid credentials: Bearer …\(key.suffix(4))"), "\(halted.stderr)")
            }

            #expect(try await run(["status"]).exitCode == 0)
            #expect(try await run(["status", "--json"]).exitCode == 0)
            #expect(try await run(["report", "--output", "report.csv"]).exitCode == 0)
            #expect(try await run(["report", "--group-by", "category"]).exitCode == 0)
            #expect(try await run(["export", "--output", "export.jsonl"]).exitCode == 0)
            #expect(try await run(["models"]).exitCode == 0)
            #expect(try await run(["chat", "--model", "sim/echo", "Hello"]).exitCode == 0)
            // A configuration failure prints its line too.
            let refused = try await run(["models", "--refresh", "--base-url", "http://example.invalid/api/v1"])
            #expect(refused.exitCode == 78)

            // The echo really happened, and what was kept of it is masked.
            let messages = try await holder.dbPool.read { db in
                try String.fetchAll(db, sql: "SELECT error_message FROM attempts WHERE error_message LIKE '%Invalid credentials%'")
            }
            #expect(messages.count >= 2)
            #expect(messages.allSatisfy { $0.contains("Bearer …\(key.suffix(4))") })

            for (command, result) in outputs {
                #expect(scanner.leak(in: result.stdout) == nil, "stdout of \(command)")
                #expect(scanner.leak(in: result.stderr) == nil, "stderr of \(command)")
            }
            #expect(FileManager.default.fileExists(atPath: database + "-wal"))
            #expect(FileManager.default.fileExists(atPath: database + "-shm"))
            for file in [database, database + "-wal", database + "-shm", directory.path + "/report.csv", directory.path + "/export.jsonl"] {
                #expect(scanner.leak(inFile: file) == nil, "\(file)")
            }
            _ = holder
        }
    }

    @Test func theDatabaseAndItsWALFilesAreOwnerOnlyWhateverTheUmask() async throws {
        let directory = try TemporaryDirectory()
        let database = directory.path + "/modes.sqlite"
        let file = try directory.write("jobs.jsonl", lines: (1...8).map { jobLine("j\($0)", prompt: "mode \($0)") })
        var configuration = SimulatorConfiguration()
        configuration.latency = .milliseconds(150)
        try await OpenRouterSimulator.withRunning(configuration) { sim in
            let cli = CommandLineHarness(databasePath: database, baseURL: sim.baseURL, workingDirectory: directory.path)
            let (submitProcess, submitOut, submitErr) = try cli.startWithOpenUmask(["submit", file])
            let submit = await CommandLineHarness.finish(submitProcess, submitOut, submitErr)
            #expect(submit.exitCode == 0, "\(submit.stderr)")
            #expect(permissions(of: database) == 0o600)

            // -wal and -shm exist while a process has the database open; SQLite gives them the
            // main file's mode.
            let (process, stdout, stderr) = try cli.startWithOpenUmask(["run", "--concurrency", "1"])
            let deadline = ContinuousClock.now + .seconds(30)
            while permissions(of: database + "-wal") == nil || permissions(of: database + "-shm") == nil, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(10))
            }
            #expect(permissions(of: database + "-wal") == 0o600)
            #expect(permissions(of: database + "-shm") == 0o600)
            let run = await CommandLineHarness.finish(process, stdout, stderr)
            #expect(run.exitCode == 0, "\(run.stderr)")
            #expect(permissions(of: database) == 0o600)
        }
    }

    @Test func plainHTTPToAHostThatIsNotLoopbackIsRefusedUnlessAllowed() async throws {
        let directory = try TemporaryDirectory()
        let key = Self.makeKey()
        try await OpenRouterSimulator.withRunning { sim in
            // An IPv4-mapped IPv6 address is not on the loopback list, yet it reaches the
            // simulator on 127.0.0.1: the allowed case never leaves this machine.
            let port = try #require(URL(string: sim.baseURL)?.port)
            var cli = CommandLineHarness(
                databasePath: directory.path + "/h.sqlite", baseURL: "http://[::ffff:127.0.0.1]:\(port)/api/v1", workingDirectory: directory.path)
            cli.apiKey = key
            let file = try directory.write("jobs.jsonl", lines: [jobLine("a", prompt: "insecure")])
            #expect(try await cli.run(["submit", file]).exitCode == 0)
            for command in [["run"], ["models"], ["chat", "--model", "sim/echo", "Hi"]] {
                let refused = try await cli.run(command)
                #expect(refused.exitCode == 78, "\(command)")
                #expect(refused.stderr.hasPrefix("promptbatch: refusing plain http:// to '::ffff:127.0.0.1'"), "\(command): \(refused.stderr)")
                #expect(refused.stderr.split(separator: "\n").count == 1, "\(command): \(refused.stderr)")
                #expect(KeyLeakScanner(key: key).leak(in: refused.stderr) == nil)
            }
            #expect(sim.stats().requestsTotal == 0, "nothing was sent")

            let allowed = try await cli.run(["run", "--allow-insecure-http"])
            #expect(allowed.exitCode == 0, "\(allowed.stderr)")
            #expect(sim.stats().chatRequests == 1)
        }
    }
}
