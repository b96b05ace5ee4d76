import Foundation

/// One `promptbatch run` child process, its output in files beside the database.
final class RunnerProcess: Sendable {
    struct Exit: Sendable, Equatable, CustomStringConvertible {
        /// Exit status, or the signal number when ``wasSignalled``.
        var status: Int32
        var wasSignalled: Bool

        var description: String { wasSignalled ? "signal \(status)" : "exit \(status)" }
    }

    let pid: Int32
    let stderrPath: String
    private let process: Process

    /// Starts `executable arguments` with `environment` added to this process's own.
    init(_ executable: String, _ arguments: [String], environment: [String: String], logPrefix: String) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        process.standardInput = FileHandle.nullDevice
        let stdoutPath = logPrefix + ".out"
        stderrPath = logPrefix + ".err"
        for path in [stdoutPath, stderrPath] where !FileManager.default.createFile(atPath: path, contents: nil) {
            throw TortureError("cannot create \(path)")
        }
        process.standardOutput = FileHandle(forWritingAtPath: stdoutPath)
        process.standardError = FileHandle(forWritingAtPath: stderrPath)
        try process.run()
        self.process = process
        self.pid = process.processIdentifier
    }

    var isRunning: Bool { process.isRunning }

    func signal(_ number: Int32) {
        kill(pid, number)
    }

    /// Waits on a thread of its own: `waitUntilExit` blocks, and must not hold a thread of the
    /// cooperative pool that the in-process simulator serves from, nor one of Dispatch's global
    /// queues, whose threads Swift's tasks share on Linux.
    func wait() async -> Exit {
        let process = self.process
        return await withCheckedContinuation { continuation in
            Thread {
                process.waitUntilExit()
                continuation.resume(returning: Exit(
                    status: process.terminationStatus, wasSignalled: process.terminationReason == .uncaughtSignal))
            }.start()
        }
    }

    /// The last lines the process wrote to stderr, for a failure message.
    var stderrTail: String {
        let text = (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? ""
        return String(text.suffix(1_500))
    }
}
