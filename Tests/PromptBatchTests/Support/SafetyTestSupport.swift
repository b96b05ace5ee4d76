import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Finds pieces of an API key in bytes: any 8-character window of the key's secret part
/// (what follows `sk-or-v1-`), so a key cut short by truncation is caught as well as a whole one;
/// also spelled in hex, as AsyncHTTPClient's trace log prints bodies.
struct KeyLeakScanner {
    let windows: [[UInt8]]

    init(key: String, publicPrefix: String = "sk-or-v1-") {
        let secret = Array(key.utf8.dropFirst(key.hasPrefix(publicPrefix) ? publicPrefix.utf8.count : 0))
        let plain = (0...(secret.count - 8)).map { Array(secret[$0..<($0 + 8)]) }
        let hex = plain.map { window in Array(window.map { String(format: "%02x", $0) }.joined().utf8) }
        windows = plain + hex
    }

    /// The first leaked window, as text, or nil.
    func leak(in bytes: [UInt8]) -> String? {
        for window in windows where bytes.firstRange(of: window) != nil {
            return String(decoding: window, as: UTF8.self)
        }
        return nil
    }

    func leak(in text: String) -> String? { leak(in: Array(text.utf8)) }

    /// The first leaked window in the file, or nil (also when the file does not exist).
    func leak(inFile path: String) -> String? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return leak(in: [UInt8](data))
    }
}

/// The permission bits of a file, or nil if it does not exist.
func permissions(of path: String) -> Int? {
    var info = stat()
    guard stat(path, &info) == 0 else { return nil }
    return Int(info.st_mode) & 0o777
}

extension CommandLineHarness {
    /// Starts the binary through `/bin/sh` with `umask 000`, so a file it creates gets
    /// whatever mode the program asks for and no more protection from the environment.
    /// Environment as ``start(_:environment:)`` sets it.
    func startWithOpenUmask(_ arguments: [String]) throws -> (Process, Pipe, Pipe) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", "umask 000 && exec \"$0\" \"$@\"", Self.binary.path] + arguments
        var environment = ProcessInfo.processInfo.environment
        environment["PROMPTBATCH_DB"] = databasePath
        environment["OPENROUTER_API_KEY"] = apiKey
        environment["OPENROUTER_BASE_URL"] = baseURL
        environment["PROMPTBATCH_LOG_LEVEL"] = nil
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
}

/// A small tmpfs mounted on a fresh directory, for disk trouble that chmod cannot cause for
/// root: a full disk and a read-only file system. Mounting needs root (CAP_SYS_ADMIN), which
/// the developers' machines and CI have; elsewhere the tests that need it are skipped with
/// the reason given by ``unavailableReason``.
final class ScratchFileSystem: Sendable {
    let path: String

    /// Why mounting is impossible here, or nil when it works (tried once, on a throwaway mount).
    static let unavailableReason: String? = {
        do {
            let probe = try ScratchFileSystem(sizeBytes: 64 * 1024)
            try probe.remount(readOnly: true)
            probe.unmount()
            return nil
        } catch {
            return "cannot mount a tmpfs here (\(error)); run as root on Linux to test disk trouble"
        }
    }()

    static var isAvailable: Bool { unavailableReason == nil }

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    init(sizeBytes: Int) throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("promptbatch-fs-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        #if os(Linux)
        guard mount("tmpfs", path, "tmpfs", 0, "size=\(sizeBytes),mode=0755") == 0 else {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(atPath: path)
            throw Failure(description: "mount tmpfs: \(reason)")
        }
        #else
        try? FileManager.default.removeItem(atPath: path)
        throw Failure(description: "tmpfs mounts are Linux-only")
        #endif
    }

    deinit { unmount() }

    /// Makes the mount read-only or writable again, in place: open files stay open.
    func remount(readOnly: Bool) throws {
        #if os(Linux)
        let flags = UInt(MS_REMOUNT) | (readOnly ? UInt(MS_RDONLY) : 0)
        guard mount("tmpfs", path, "tmpfs", flags, nil) == 0 else {
            throw Failure(description: "remount \(readOnly ? "ro" : "rw"): \(String(cString: strerror(errno)))")
        }
        #endif
    }

    /// Detaches the mount (lazily, so a file still open cannot keep it) and removes the folder.
    func unmount() {
        #if os(Linux)
        if umount2(path, Int32(MNT_DETACH)) == 0 || errno == EINVAL {
            try? FileManager.default.removeItem(atPath: path)
        }
        #endif
    }

    /// Fills the file system: writes `path/filler` until the disk is full. Returns the bytes written.
    @discardableResult
    func fill() -> Int {
        let descriptor = open(path + "/filler", O_CREAT | O_WRONLY | O_APPEND | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { return 0 }
        defer { close(descriptor) }
        let chunk = [UInt8](repeating: 0x55, count: 4096)
        var total = 0
        while true {
            let written = chunk.withUnsafeBytes { systemWrite(descriptor, $0.baseAddress, $0.count) }
            if written <= 0 { break }
            total += written
        }
        return total
    }

    /// Frees what ``fill()`` took.
    func drain() {
        unlink(path + "/filler")
    }
}

#if canImport(Glibc)
private let systemWrite = Glibc.write
#elseif canImport(Darwin)
private let systemWrite = Darwin.write
#endif
