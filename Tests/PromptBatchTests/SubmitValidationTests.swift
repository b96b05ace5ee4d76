import Foundation
import PromptBatchKit
import Testing

/// `promptbatch submit` refuses bad input whole: every problem printed as FILE:LINE: message,
/// exit 65, and nothing enqueued.
@Suite struct SubmitValidationTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var lines: [String]
        /// Expected `line: message` fragments, in order.
        var problems: [(line: Int?, fragment: String)]
        var arguments: [String] = []
        var testDescription: String { name }
    }

    static let good = jobLine("ok", prompt: "fine")

    static let cases: [Case] = [
        Case(name: "not JSON", lines: [good, "{not json"], problems: [(2, "not valid JSON")]),
        Case(name: "not an object", lines: ["[1,2]"], problems: [(1, "expected a JSON object, got array")]),
        Case(name: "missing messages", lines: [#"{"model":"m/x"}"#], problems: [(1, "messages: missing")]),
        Case(name: "empty messages", lines: [#"{"model":"m/x","messages":[]}"#], problems: [(1, "messages: must not be empty")]),
        Case(name: "unknown role", lines: [#"{"model":"m/x","messages":[{"role":"bot","content":"hi"}]}"#], problems: [(1, #"messages[0].role: unknown role "bot""#)]),
        Case(name: "missing model", lines: [#"{"messages":[{"role":"user","content":"hi"}]}"#], problems: [(1, "model: missing (add \"model\" to the line or pass --model)")]),
        Case(name: "temperature out of range", lines: [jobLine("t", prompt: "x", extra: #""temperature":3"#)], problems: [(1, "temperature: 3.0 is out of range 0.0…2.0")]),
        Case(name: "max_tokens of the wrong type", lines: [jobLine("t", prompt: "x", extra: #""max_tokens":"ten""#)], problems: [(1, "max_tokens: expected an integer, got string")]),
        Case(name: "malformed schema", lines: [jobLine("s", prompt: "x", extra: #""response_format":{"type":"json_schema","json_schema":{"name":"s","schema":{"type":"object","properties":5}}}"#)], problems: [(1, "response_format.json_schema.schema")]),
        Case(name: "malformed tools", lines: [jobLine("t", prompt: "x", extra: #""tools":[{"type":"function","function":{"name":"bad name!"}}]"#)], problems: [(1, "tools[0].function.name")]),
        Case(name: "custom_id repeated", lines: [jobLine("dup", prompt: "a"), "", jobLine("dup", prompt: "b")], problems: [(3, #"custom_id "dup" repeats"#)]),
        Case(name: "batch form with a wrong url", lines: [#"{"custom_id":"a","method":"POST","url":"/v1/embeddings","body":{"model":"m/x","messages":[{"role":"user","content":"hi"}]}}"#], problems: [(1, "url: only \"/v1/chat/completions\" is supported")]),
        Case(name: "every bad line is reported, blank lines counted", lines: ["", "nope", good, "[]", "   ", #"{"model":"m/x"}"#], problems: [(2, "not valid JSON"), (4, "expected a JSON object"), (6, "messages: missing")]),
        // Found by the job-line fuzzer: a raw newline from the line split the report in two.
        Case(name: "control characters from the line are escaped, keeping the report on one line", lines: [#"{"model":"op\nai/gpt-4o\u001b[31m","messages":[{"role":"user","content":"hi"}]}"#], problems: [(1, #"model: "op\nai/gpt-4o\u{1B}[31m" is not a model id"#)]),
        Case(name: "a line over the size limit", lines: [good, jobLine("big", prompt: String(repeating: "x", count: 5000))], problems: [(2, "over the limit of 1000")], arguments: ["--max-line-bytes", "1000"]),
    ]

    @Test(arguments: cases)
    func refusesBadInputWholeAndNamesFileAndLine(_ testCase: Case) async throws {
        let directory = try TemporaryDirectory()
        let database = directory.path + "/db.sqlite"
        let cli = CommandLineHarness(databasePath: database, baseURL: nil, workingDirectory: directory.path)
        let seed = try directory.write("seed.jsonl", lines: [jobLine("seed", prompt: "already here")])
        #expect(try await cli.run(["submit", seed]).exitCode == 0)
        let before = try JobStore(path: database).counts(batchID: nil)

        let file = try directory.write("bad.jsonl", lines: testCase.lines)
        let result = try await cli.run(["submit", file] + testCase.arguments)
        #expect(result.exitCode == 65)
        let problemLines = result.stderr.split(separator: "\n").filter { $0.hasPrefix(file) }
        #expect(problemLines.count == testCase.problems.count, "\(result.stderr)")
        for (line, expected) in zip(problemLines, testCase.problems) {
            let prefix = expected.line.map { "\(file):\($0): " } ?? "\(file): "
            #expect(line.hasPrefix(prefix), "\(line)")
            #expect(line.contains(expected.fragment), "\(line)")
        }
        #expect(try JobStore(path: database).counts(batchID: nil) == before, "nothing was enqueued")
    }

    @Test func acceptsBlankLinesABOMAndBothLineForms() async throws {
        let directory = try TemporaryDirectory()
        let cli = CommandLineHarness(databasePath: directory.path + "/db.sqlite", baseURL: nil, workingDirectory: directory.path)
        let text = "\u{FEFF}" + [
            "",
            jobLine("flat", prompt: "one"),
            "\r",
            #"{"custom_id":"batch","method":"POST","url":"/v1/chat/completions","body":{"model":"m/x","messages":[{"role":"user","content":"two"}]}}"#,
            #"{"messages":[{"role":"user","content":"three"}]}"#,
        ].joined(separator: "\n")
        let file = try directory.write("mixed.jsonl", bytes: Array(text.utf8))
        let result = try await cli.run(["submit", file, "--model", "m/default"])
        #expect(result.exitCode == 0, "\(result.stderr)")
        #expect(result.stdout.contains("3 jobs"))
        let export = try JobStore(path: directory.path + "/db.sqlite")
        #expect(try export.counts(batchID: nil).pending == 3)
    }

    @Test func refusesTheSameContentTwiceUnlessForced() async throws {
        let directory = try TemporaryDirectory()
        let cli = CommandLineHarness(databasePath: directory.path + "/db.sqlite", baseURL: nil, workingDirectory: directory.path)
        let lines = [jobLine("a", prompt: "one"), jobLine("b", prompt: "two")]
        let first = try directory.write("first.jsonl", lines: lines)
        let copy = try directory.write("copy.jsonl", lines: lines)
        #expect(try await cli.run(["submit", first]).exitCode == 0)
        let again = try await cli.run(["submit", copy])
        #expect(again.exitCode == 65)
        #expect(again.stderr.contains("already submitted as batch 1"))
        #expect(try await cli.run(["submit", copy, "--force"]).exitCode == 0)
        #expect(try JobStore(path: directory.path + "/db.sqlite").counts(batchID: nil).pending == 4)
    }

    @Test func aDryRunValidatesAndCountsButEnqueuesNothing() async throws {
        let directory = try TemporaryDirectory()
        let database = directory.path + "/db.sqlite"
        let cli = CommandLineHarness(databasePath: database, baseURL: nil, workingDirectory: directory.path)
        let file = try directory.write("jobs.jsonl", lines: [jobLine("a", prompt: "one"), jobLine("b", prompt: "two")])
        let result = try await cli.run(["submit", file, "--dry-run"])
        #expect(result.exitCode == 0)
        #expect(result.stdout.contains("2 jobs valid"))
        #expect(!FileManager.default.fileExists(atPath: database))
    }

    @Test func missingFilesAndDirectoriesAreReportedByName() async throws {
        let directory = try TemporaryDirectory()
        let cli = CommandLineHarness(databasePath: directory.path + "/db.sqlite", baseURL: nil, workingDirectory: directory.path)
        let result = try await cli.run(["submit", directory.path + "/nope.jsonl", directory.path])
        #expect(result.exitCode == 65)
        #expect(result.stderr.contains("\(directory.path)/nope.jsonl: no such file or directory"))
        #expect(result.stderr.contains("\(directory.path): is a directory"))
    }
}
