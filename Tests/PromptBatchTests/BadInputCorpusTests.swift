import Foundation
import GRDB
import Testing
@testable import PromptBatchKit

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `promptbatch submit` against the committed corpus of malformed job files in
/// `Tests/Fixtures/bad-input/` (and a few cases that cannot be committed, made here at run time).
///
/// For every case: exit 65, not a crash; stderr is exactly the expected `FILE:LINE: message`
/// lines and the summary; and a database that already held a good batch keeps every row of
/// every table as it was.
@Suite struct BadInputCorpusTests {
    /// One entry of `EXPECTED.json`.
    struct Expectation: Decodable, Sendable, CustomTestStringConvertible {
        /// Job files given to `submit`, relative to the corpus folder (where `submit` runs).
        var files: [String]
        /// Options after the files, if any.
        var arguments: [String]?
        /// Every line `submit` writes to stderr, in order.
        var stderr: [String]
        /// What the case is about, for people reading the corpus.
        var about: String
        var testDescription: String { files.joined(separator: " ") }
    }

    static let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/bad-input")

    static func loadExpectations() throws -> [Expectation] {
        let data = try Data(contentsOf: corpus.appendingPathComponent("EXPECTED.json"))
        return try JSONDecoder().decode([Expectation].self, from: data)
    }

    /// Empty when the file cannot be read; ``everyFixtureHasExactlyOneExpectation()`` then fails and says why.
    static let expectations = (try? loadExpectations()) ?? []

    @Test func everyFixtureHasExactlyOneExpectation() throws {
        let expectations = try Self.loadExpectations()
        let fixtures = try FileManager.default.contentsOfDirectory(atPath: Self.corpus.path)
            .filter { !$0.hasPrefix(".") && $0 != "EXPECTED.json" }
        let named = expectations.flatMap(\.files)
        #expect(Set(named) == Set(fixtures))
        #expect(named.count == Set(named).count, "a fixture is named by two expectations")
        #expect(fixtures.count >= 30)
    }

    @Test(arguments: expectations)
    func refusesTheFixtureAndLeavesTheDatabaseAlone(_ expectation: Expectation) async throws {
        try await expectRefused(
            arguments: expectation.files + (expectation.arguments ?? []),
            in: Self.corpus.path,
            stderr: expectation.stderr
        )
    }

    /// A single line of 100 MiB with the default 10 MiB limit: refused by its length alone. The
    /// reader never holds more than the limit of one line, so the child's peak memory stays far
    /// below the line's size.
    @Test func aHundredMebibyteLineIsRefusedWithoutBeingHeld() async throws {
        let directory = try TemporaryDirectory()
        let head = Array(#"{"custom_id":"huge","model":"sim/echo","messages":[{"role":"user","content":""#.utf8)
        let tail = Array(#""}]}"#.utf8)
        let fillerBytes = 100 * 1024 * 1024
        try await offCooperativePool {
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: try directory.write("huge.jsonl", bytes: [])))
            defer { try? handle.close() }
            try handle.write(contentsOf: head)
            let block = Data(repeating: UInt8(ascii: "x"), count: 1024 * 1024)
            for _ in 0..<(fillerBytes / block.count) { try handle.write(contentsOf: block) }
            try handle.write(contentsOf: tail + [0x0A])
            try handle.write(contentsOf: Array((jobLine("after", prompt: "fine") + "\n").utf8))
        }
        let lineBytes = head.count + fillerBytes + tail.count
        let peakBefore = Self.largestChildResidentBytes()
        try await expectRefused(arguments: ["huge.jsonl"], in: directory.path, stderr: [
            "huge.jsonl:1: line is \(lineBytes) bytes, over the limit of \(10 * 1024 * 1024) (see --max-line-bytes)",
            "promptbatch: 1 problem found; nothing was submitted",
        ])
        // getrusage only knows the largest child so far; if an earlier child was already that
        // large, this run cannot be told apart from it, so there is nothing to check.
        let limit = 80 * 1024 * 1024
        if peakBefore < limit {
            #expect(Self.largestChildResidentBytes() < limit, "submit held the over-long line in memory")
        }
    }

    @Test func aDirectoryGivenAsAFileIsRefusedByName() async throws {
        let directory = try TemporaryDirectory()
        try directory.write("good.jsonl", lines: [jobLine("a", prompt: "fine")])
        try FileManager.default.createDirectory(atPath: directory.path + "/jobs.d", withIntermediateDirectories: false)
        try await expectRefused(arguments: ["good.jsonl", "jobs.d"], in: directory.path, stderr: [
            "jobs.d: is a directory, not a job file",
            "promptbatch: 1 problem found; nothing was submitted",
        ])
    }

    @Test func aMissingFileIsRefusedByName() async throws {
        let directory = try TemporaryDirectory()
        try directory.write("good.jsonl", lines: [jobLine("a", prompt: "fine")])
        try await expectRefused(arguments: ["good.jsonl", "missing.jsonl"], in: directory.path, stderr: [
            "missing.jsonl: no such file or directory",
            "promptbatch: 1 problem found; nothing was submitted",
        ])
    }

    /// Root reads a mode-000 file anyway (CI runs as root), so there the case cannot be made and is
    /// not run; the check asks the kernel rather than assuming from the user id.
    @Test(.enabled(if: canMakeAnUnreadableFile(), "this user can read a mode-000 file (root)"))
    func anUnreadableFileIsRefusedByName() async throws {
        let directory = try TemporaryDirectory()
        try directory.write("good.jsonl", lines: [jobLine("a", prompt: "fine")])
        let locked = try directory.write("locked.jsonl", lines: [jobLine("b", prompt: "fine")])
        #expect(chmod(locked, 0) == 0)
        defer { chmod(locked, 0o600) }
        try await expectRefused(arguments: ["good.jsonl", "locked.jsonl"], in: directory.path, stderr: [
            "locked.jsonl: permission denied",
            "promptbatch: 1 problem found; nothing was submitted",
        ])
    }

    // MARK: - Helpers

    /// Submits `arguments` from `workingDirectory` to a database holding one earlier good batch,
    /// and checks the refusal: exit 65 (not a signal), exactly `stderr`, nothing on stdout, and
    /// every table as it was.
    func expectRefused(
        arguments: [String], in workingDirectory: String, stderr expected: [String],
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        let scratch = try TemporaryDirectory()
        let database = scratch.path + "/db.sqlite"
        let seed = try scratch.write("seed.jsonl", lines: [jobLine("seed", prompt: "already here")])
        // The earlier batch goes in through the same submission code in-process: half the process launches.
        let seeded = try await offCooperativePool {
            try BatchSubmission(files: [seed]).run(store: try JobStore(path: database)) { _ in }.batchID
        }
        try #require(seeded != nil, "seeding failed", sourceLocation: sourceLocation)
        let before = try await Self.snapshot(database)
        try #require(before.jobCount == 1, sourceLocation: sourceLocation)

        let cli = CommandLineHarness(databasePath: database, baseURL: nil, workingDirectory: workingDirectory)
        let (process, stdout, stderr) = try cli.start(["submit"] + arguments)
        let result = await CommandLineHarness.finish(process, stdout, stderr)
        #expect(process.terminationReason == .exit, "killed by signal \(result.exitCode)", sourceLocation: sourceLocation)
        #expect(result.exitCode == 65, sourceLocation: sourceLocation)
        var lines = result.stderr.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if lines.last == "" { lines.removeLast() }
        #expect(lines == expected, sourceLocation: sourceLocation)
        #expect(result.stdout.isEmpty, sourceLocation: sourceLocation)

        let after = try await Self.snapshot(database)
        #expect(after.jobCount == before.jobCount && after.batchCount == before.batchCount, sourceLocation: sourceLocation)
        #expect(after.contents == before.contents, "the database changed", sourceLocation: sourceLocation)
    }

    struct Snapshot: Equatable {
        var batchCount: Int
        var jobCount: Int
        /// Every row of every table, in table and rowid order.
        var contents: String
    }

    static func snapshot(_ database: String) async throws -> Snapshot {
        try await offCooperativePool {
            try JobStore(path: database).dbPool.read { db in
                var contents = ""
                let tables = try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
                for table in tables {
                    contents += "\(table)\n"
                    for row in try Row.fetchAll(db, sql: "SELECT * FROM \(table.quotedDatabaseIdentifier) ORDER BY rowid") {
                        contents += "\(row)\n"
                    }
                }
                return Snapshot(
                    batchCount: try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM batches") ?? 0,
                    jobCount: try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM jobs") ?? 0,
                    contents: contents
                )
            }
        }
    }

    /// The peak resident size of the largest child process waited for so far, in bytes.
    static func largestChildResidentBytes() -> Int {
        var usage = rusage()
        #if canImport(Darwin)
        getrusage(RUSAGE_CHILDREN, &usage)
        return Int(usage.ru_maxrss)  // bytes on Darwin
        #else
        getrusage(__rusage_who_t(RUSAGE_CHILDREN.rawValue), &usage)
        return Int(usage.ru_maxrss) * 1024  // kilobytes on Linux
        #endif
    }
}

/// Whether a file with mode 000 is unreadable to this process (it is not to root).
private func canMakeAnUnreadableFile() -> Bool {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("promptbatch-access-\(UUID().uuidString)").path
    guard FileManager.default.createFile(atPath: path, contents: Data("x".utf8)) else { return false }
    defer { unlink(path) }
    chmod(path, 0)
    return access(path, R_OK) != 0
}

/// Runs blocking work (large file writes, SQLite writes) on a thread of its own, so neither
/// the cooperative pool nor Dispatch's global queues (which Swift's tasks share on Linux) wait.
private func offCooperativePool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await CommandLineHarness.onThreadOfItsOwn { Result { try work() } }.get()
}
