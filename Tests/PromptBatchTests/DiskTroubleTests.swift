import Foundation
import GRDB
import OpenRouterSimulator
@testable import PromptBatchKit
import Testing

/// A database on a read-only or full file system, through the built binary: one clear line
/// on stderr and exit 78, a database that still passes `PRAGMA integrity_check`, and no job
/// lost or stuck — jobs a failed run had in flight are released by the next run.
///
/// As root, chmod does not stop writes, so the trouble comes from a small tmpfs mounted for
/// the test (remounted read-only, or filled up). Where mounting is impossible the tests are
/// skipped, with the reason printed.
@Suite(.timeLimit(.minutes(3)), .serialized)
struct DiskTroubleTests {
    static let canMount: Bool = {
        if let reason = ScratchFileSystem.unavailableReason {
            FileHandle.standardError.write(Data("DiskTroubleTests skipped: \(reason)\n".utf8))
        }
        return ScratchFileSystem.isAvailable
    }()

    /// The integrity check's verdict, read with a plain connection (no migration, no write).
    static func integrity(of path: String) throws -> [String] {
        var configuration = Configuration()
        configuration.readonly = true
        let queue = try DatabaseQueue(path: path, configuration: configuration)
        return try queue.read { db in try String.fetchAll(db, sql: "PRAGMA integrity_check") }
    }

    static func stateCounts(_ path: String) throws -> [String: Int] {
        var configuration = Configuration()
        configuration.readonly = true
        let queue = try DatabaseQueue(path: path, configuration: configuration)
        return try queue.read { db in
            var states: [String: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT state, COUNT(*) FROM jobs GROUP BY state") { states[row[0]] = row[1] }
            return states
        }
    }

    static func customIDs(_ path: String, state: String) throws -> Set<String> {
        var configuration = Configuration()
        configuration.readonly = true
        let queue = try DatabaseQueue(path: path, configuration: configuration)
        return Set(try queue.read { db in try String.fetchAll(db, sql: "SELECT custom_id FROM jobs WHERE state = ?", arguments: [state]) })
    }

    /// The last stderr line, which must be the one that explains the failure.
    static func lastLine(_ text: String) -> String {
        String(text.split(separator: "\n").last ?? "")
    }

    @Test(.enabled(if: canMount, "mounting a tmpfs needs root on Linux; the reason is printed"))
    func aReadOnlyFileSystemIsOneClearLineForEveryCommandAndChangesNothing() async throws {
        let fs = try ScratchFileSystem(sizeBytes: 8 << 20)
        let directory = try TemporaryDirectory()
        let database = fs.path + "/ro.sqlite"
        try await OpenRouterSimulator.withRunning { sim in
            let cli = CommandLineHarness(databasePath: database, baseURL: sim.baseURL, workingDirectory: directory.path)
            let file = try directory.write("jobs.jsonl", lines: (1...6).map { jobLine("j\($0)", prompt: "read-only \($0)") })
            #expect(try await cli.run(["submit", file]).exitCode == 0)
            #expect(try await cli.run(["run", "--max-retries", "0"]).exitCode == 0)
            let more = try directory.write("more.jsonl", lines: [jobLine("late", prompt: "late")])
            let before = try Self.stateCounts(database)

            try fs.remount(readOnly: true)
            // A WAL database is written even to be read (its -shm index), so every command,
            // reading ones included, refuses with the cause.
            let commands = [["run"], ["submit", more], ["retry"], ["cancel", "--batch", "1"], ["status"], ["report"], ["export"]]
            for command in commands {
                let result = try await cli.run(command)
                #expect(result.exitCode == 78, "\(command): \(result.stderr)")
                #expect(result.stdout.isEmpty, "\(command)")
                #expect(
                    result.stderr == "promptbatch: cannot open database \(database): cannot write to the database file "
                        + "(it is on a read-only file system); promptbatch writes to its database even to read it\n",
                    "\(command): \(result.stderr)")
            }

            try fs.remount(readOnly: false)
            #expect(try Self.integrity(of: database) == ["ok"])
            #expect(try Self.stateCounts(database) == before)
            #expect(sim.stats().chatRequests == 6, "nothing was sent while the database could not record it")
        }
    }

    @Test(.enabled(if: canMount, "mounting a tmpfs needs root on Linux; the reason is printed"))
    func aDiskThatFillsDuringARunStopsItCleanlyAndTheNextRunFinishes() async throws {
        let fs = try ScratchFileSystem(sizeBytes: 2 << 20)
        let directory = try TemporaryDirectory()
        let database = fs.path + "/full.sqlite"
        let count = 40
        var configuration = SimulatorConfiguration()
        configuration.latency = .milliseconds(100)
        try await OpenRouterSimulator.withRunning(configuration) { sim in
            let cli = CommandLineHarness(databasePath: database, baseURL: sim.baseURL, workingDirectory: directory.path)
            let file = try directory.write("jobs.jsonl", lines: (1...count).map { jobLine("j\($0)", prompt: "full disk \($0)") })
            #expect(try await cli.run(["submit", file]).exitCode == 0)

            let (process, stdout, stderr) = try cli.start(["run", "--concurrency", "2"])
            let deadline = ContinuousClock.now + .seconds(60)
            while sim.stats().chatRequests < 6, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(10))
            }
            #expect(fs.fill() >= 0)
            let failed = await CommandLineHarness.finish(process, stdout, stderr)
            #expect(failed.exitCode == 78, "\(failed.stderr)")
            #expect(Self.lastLine(failed.stderr).hasPrefix("promptbatch: the run stopped: the disk is full"), "\(failed.stderr)")
            #expect(failed.stderr.split(separator: "\n").allSatisfy { !$0.hasPrefix("\t") && !$0.hasPrefix(" ") }, "every log line is one line")

            // Nothing was damaged, and no job is lost: each is pending, running (held by the
            // dead run) or finished with its result.
            #expect(try Self.integrity(of: database) == ["ok"])
            let afterFailure = try Self.stateCounts(database)
            #expect(afterFailure.values.reduce(0, +) == count)
            #expect(afterFailure["failed"] == nil)
            #expect((afterFailure["succeeded"] ?? 0) < count, "the disk filled before the run could finish")
            // The failed run could not write its jobs back to pending either (that is a write
            // too): they stay `running`, owned by a process that is gone.
            let stranded = afterFailure["running"] ?? 0
            #expect(stranded > 0)
            let finishedBefore = try Self.customIDs(database, state: "succeeded")
            let sentBefore = sim.stats().chatRequests

            // While the disk stays full, a new run cannot start work either — and sends nothing.
            let stillFull = try await cli.run(["run"])
            #expect(stillFull.exitCode == 78, "\(stillFull.stderr)")
            #expect(Self.lastLine(stillFull.stderr).contains("the disk is full"), "\(stillFull.stderr)")
            #expect(sim.stats().chatRequests == sentBefore)

            fs.drain()
            let resumed = try await cli.run(["run", "--concurrency", "2"])
            #expect(resumed.exitCode == 0, "\(resumed.stderr)")
            // ... and the next run releases them first thing, because their owner's pid is gone.
            #expect(resumed.stderr.contains("jobs=\(stranded) [PromptBatchKit] recovered jobs abandoned by dead runners"), "\(resumed.stderr)")
            #expect(try Self.integrity(of: database) == ["ok"])
            #expect(try Self.stateCounts(database) == ["succeeded": count])
            let byKey = sim.stats().byKey
            #expect(byKey.count == count)
            #expect(byKey.values.allSatisfy { $0 <= 2 }, "at most one extra request per job the failure caught in flight")
            let resent = Set(byKey.filter { $0.value > 1 }.keys)
            #expect(resent.isDisjoint(with: finishedBefore.map { "full disk \($0.dropFirst())" }), "a recorded result is never asked for again")
        }
    }

    @Test(.enabled(if: canMount, "mounting a tmpfs needs root on Linux; the reason is printed"))
    func submittingToAFullDiskEnqueuesNothing() async throws {
        let fs = try ScratchFileSystem(sizeBytes: 1 << 20)
        let directory = try TemporaryDirectory()
        let database = fs.path + "/submit.sqlite"
        let cli = CommandLineHarness(databasePath: database, baseURL: nil, workingDirectory: directory.path)
        let small = try directory.write("small.jsonl", lines: [jobLine("a", prompt: "before")])
        #expect(try await cli.run(["submit", small]).exitCode == 0)
        fs.fill()
        let big = try directory.write("big.jsonl", lines: (1...2000).map { jobLine("b\($0)", prompt: String(repeating: "word ", count: 40)) })
        let result = try await cli.run(["submit", big])
        #expect(result.exitCode == 78, "\(result.stderr)")
        #expect(result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")
        #expect(result.stderr.contains("the disk is full"), "\(result.stderr)")
        fs.drain()
        #expect(try Self.integrity(of: database) == ["ok"])
        #expect(try Self.stateCounts(database) == ["pending": 1], "the batch is all or nothing")
    }
}
