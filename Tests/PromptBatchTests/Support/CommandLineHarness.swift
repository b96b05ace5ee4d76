import Foundation
import Testing

/// Runs the built `promptbatch` binary as a child process, the way a user would.
struct CommandLineHarness: Sendable {
    struct Result {
        var exitCode: Int32
        var stdout: String
        var stderr: String
    }

    /// The folder holding the products of this build (`.build/debug` or similar).
    static let productsDirectory: URL = {
        let candidates = [
            Bundle.main.bundleURL,
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent(),
            URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent().appendingPathComponent(".build/debug"),
        ]
        for candidate in candidates {
            var directory = candidate
            if directory.pathExtension == "xctest" { directory.deleteLastPathComponent() }
            if FileManager.default.isExecutableFile(atPath: directory.appendingPathComponent("promptbatch").path) {
                return directory
            }
        }
        return candidates[0]
    }()

    static var binary: URL { productsDirectory.appendingPathComponent("promptbatch") }

    var databasePath: String
    var baseURL: String?
    var apiKey: String? = "sk-or-v1-test-key-0123456789abcdef"
    var workingDirectory: String

    /// Starts the binary; the caller waits for or signals it.
    func start(_ arguments: [String], environment extra: [String: String] = [:]) throws -> (Process, Pipe, Pipe) {
        let process = Process()
        process.executableURL = Self.binary
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment["PROMPTBATCH_DB"] = databasePath
        environment["OPENROUTER_API_KEY"] = apiKey
        environment["OPENROUTER_BASE_URL"] = baseURL
        environment["PROMPTBATCH_LOG_LEVEL"] = nil
        for (key, value) in extra { environment[key] = value }
        process.environment = environment
        process.currentDirectoryURL = URL(fileURLWithPath: workingDirectory)
        let stdout = Pipe()
        let stderr = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        process.standardInput = FileHandle.nullDevice
        try process.run()
        return (process, stdout, stderr)
    }

    /// Runs the binary to completion.
    func run(_ arguments: [String], environment: [String: String] = [:]) async throws -> Result {
        let (process, stdout, stderr) = try start(arguments, environment: environment)
        return await Self.finish(process, stdout, stderr)
    }

    /// Waits for the process, reading its output concurrently so a full pipe cannot block it.
    ///
    /// The blocking reads and the wait run on threads of their own. Not on the cooperative
    /// pool, and not on Dispatch's global queues either: on Linux Swift's tasks run on the
    /// same limited set of global-queue threads, so two dozen children's reads held them all
    /// and stalled every test for half a minute (the in-process simulator could not answer
    /// the children, which therefore never exited).
    static func finish(_ process: Process, _ stdout: Pipe, _ stderr: Pipe) async -> Result {
        async let out = onThreadOfItsOwn { stdout.fileHandleForReading.readDataToEndOfFile() }
        async let err = onThreadOfItsOwn { stderr.fileHandleForReading.readDataToEndOfFile() }
        let (outData, errData) = await (out, err)
        await onThreadOfItsOwn { process.waitUntilExit() }
        return Result(exitCode: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self), stderr: String(decoding: errData, as: UTF8.self))
    }

    /// Runs a blocking `body` on a new thread and returns what it returned.
    static func onThreadOfItsOwn<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            Thread { continuation.resume(returning: body()) }.start()
        }
    }
}

/// A fresh folder per test, removed afterwards.
final class TemporaryDirectory: Sendable {
    let path: String

    init() throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("promptbatch-tests-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// Writes `lines` joined by newlines to a file in this folder and returns its path.
    @discardableResult
    func write(_ name: String, lines: [String]) throws -> String {
        let file = path + "/" + name
        try (lines.joined(separator: "\n") + "\n").write(toFile: file, atomically: true, encoding: .utf8)
        return file
    }

    func write(_ name: String, bytes: [UInt8]) throws -> String {
        let file = path + "/" + name
        FileManager.default.createFile(atPath: file, contents: Data(bytes))
        return file
    }
}

/// A flat-form job line.
func jobLine(_ id: String, prompt: String, model: String = "sim/echo", extra: String = "") -> String {
    let escaped = prompt.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
    return #"{"custom_id":"\#(id)","model":"\#(model)","messages":[{"role":"user","content":"\#(escaped)"}]\#(extra.isEmpty ? "" : "," + extra)}"#
}
