import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A child process started with `posix_spawn`, waited for with `wait4` so its own CPU time and
/// peak RSS are known (Foundation's `Process` reports neither).
struct ChildProcess: Sendable {
    struct Exit: Sendable {
        /// Exit status, or the signal number for a process killed by a signal.
        var status: Int32
        var wasSignalled: Bool
        var userSeconds: Double
        var systemSeconds: Double
        /// Peak resident set size, in bytes.
        var peakRSSBytes: Int
        var wallSeconds: Double

        var cpuSeconds: Double { userSeconds + systemSeconds }
        var succeeded: Bool { !wasSignalled && status == 0 }
    }

    let pid: pid_t
    let startedAt: ContinuousClock.Instant
    let command: String

    /// Starts `executable` with `arguments`. Standard output goes to `stdoutPath` (or
    /// /dev/null), standard error to `stderrPath` (or is inherited).
    static func spawn(
        _ executable: String, _ arguments: [String], environment: [String: String] = [:],
        stdoutPath: String? = nil, stderrPath: String? = nil, stdinPath: String? = nil
    ) throws -> ChildProcess {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, stdinPath ?? "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, stdoutPath ?? "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        if let stderrPath {
            posix_spawn_file_actions_addopen(&actions, 2, stderrPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        }
        var merged = ProcessInfo.processInfo.environment
        for (key, value) in environment { merged[key] = value }
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = merged.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid: pid_t = 0
        let started = ContinuousClock.now
        let result = posix_spawn(&pid, executable, &actions, nil, argv, envp)
        guard result == 0 else {
            throw BenchError("cannot start \(executable): \(String(cString: strerror(result)))")
        }
        return ChildProcess(pid: pid, startedAt: started, command: ([executable] + arguments).joined(separator: " "))
    }

    func signal(_ number: Int32) {
        kill(pid, number)
    }

    /// Waits for the process on a thread of its own (wait4 blocks) and returns its accounting.
    func wait() async -> Exit {
        let pid = self.pid
        let startedAt = self.startedAt
        return await withCheckedContinuation { continuation in
            Thread.detachNewThread {
                var status: Int32 = 0
                var usage = rusage()
                // ru_maxrss cannot be used: posix_spawn's vfork hands the child this process's
                // high-water mark, which exec keeps. /proc's VmHWM is the child's own; polled
                // until it exits (2 ms apart, which also bounds the wall-time error).
                var peakKilobytes = 0
                while true {
                    let reaped = wait4(pid, &status, WNOHANG, &usage)
                    if reaped == pid || (reaped < 0 && errno != EINTR) { break }
                    peakKilobytes = max(peakKilobytes, Self.highWaterKilobytes(pid: pid))
                    usleep(2000)
                }
                let wall = ContinuousClock.now - startedAt
                let signalled = (status & 0x7f) != 0
                continuation.resume(returning: Exit(
                    status: signalled ? status & 0x7f : (status >> 8) & 0xff,
                    wasSignalled: signalled,
                    userSeconds: Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6,
                    systemSeconds: Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6,
                    peakRSSBytes: peakKilobytes * 1024,
                    wallSeconds: wall.seconds))
            }
        }
    }

    /// Runs to completion; a non-zero exit is an error naming the command and its log.
    static func run(
        _ executable: String, _ arguments: [String], environment: [String: String] = [:],
        stdoutPath: String? = nil, stderrPath: String? = nil, stdinPath: String? = nil
    ) async throws -> Exit {
        let child = try spawn(executable, arguments, environment: environment, stdoutPath: stdoutPath, stderrPath: stderrPath, stdinPath: stdinPath)
        let exit = await child.wait()
        guard exit.succeeded else {
            let log = stderrPath.flatMap { try? String(contentsOfFile: $0, encoding: .utf8) } ?? ""
            throw BenchError("`\(child.command)` exited with \(exit.wasSignalled ? "signal " : "")\(exit.status)\n\(log.suffix(2000))")
        }
        return exit
    }

    /// Peak resident set size of a live process, in KiB (VmHWM in /proc/PID/status); 0 once gone.
    static func highWaterKilobytes(pid: pid_t) -> Int {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") })
        else { return 0 }
        return Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") ?? 0
    }

    /// User + system CPU seconds a live process has used so far, from /proc.
    static func cpuSeconds(pid: pid_t) -> Double {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return 0 }
        // Fields after the command name: state is field 3, utime 14 and stime 15.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return 0 }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }
}

struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

extension Duration {
    var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
