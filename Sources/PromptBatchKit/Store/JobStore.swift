import Foundation
import CSQLiteSettings
import GRDB

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The SQLite job queue: batches, jobs, attempts, results and runners in one WAL database.
///
/// Any number of `JobStore`s, in one process or several, may open the same file: claims are
/// single statements, so no job is handed to two runners, and every connection waits for
/// locks (up to ``busyTimeout``) instead of failing with "database is locked".
public struct JobStore: Sendable {
    /// How long a connection waits for another writer before giving up: 120 s. Long because
    /// one `createBatch` of millions of jobs holds the write lock for its whole transaction.
    public static let busyTimeout: TimeInterval = 120

    /// The database file.
    public let path: String
    /// The connection pool. Code in this module may read it directly (reports, status).
    let dbPool: DatabasePool

    /// Opens or creates the database and applies pending migrations.
    ///
    /// A new file is created with mode 0600: prompts and responses are nobody else's business.
    /// - Parameter path: The database file.
    /// - Throws: ``JobStoreError`` when the file cannot be created or written (every use of a
    ///   WAL database writes, reading included), the schema is newer than this program or an
    ///   applied migration was edited; GRDB's `DatabaseError` when SQLite fails.
    public init(path: String) throws {
        _ = Self.sqliteSettings
        try Self.createFileIfMissing(path: path)
        try Self.checkWritable(path: path)
        var configuration = Configuration()
        configuration.label = "promptbatch"
        configuration.busyMode = .timeout(Self.busyTimeout)
        configuration.prepareDatabase { db in
            // WAL with synchronous=NORMAL stays consistent on power loss, losing at most the
            // last commits, which the queue redoes (jobs go back to pending).
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
        }
        self.path = path
        self.dbPool = try DatabasePool(path: path, configuration: configuration)
        try Migrator.migrate(dbPool)
    }

    /// Once per process, before SQLite's first connection: no memory statistics, whose global
    /// mutex every SQLite allocation and free took (4.5% of a submit's samples, most of them
    /// on the database thread, which bounds it). Too late if something else in the
    /// process opened a database first; then SQLite keeps its defaults.
    private static let sqliteSettings: Void = {
        _ = promptbatch_sqlite_disable_memory_statistics()
    }()

    /// SQLite would fail later with "unable to open database file" or "attempt to write a
    /// readonly database"; this names the cause. The folder must take the -wal and -shm files.
    private static func checkWritable(path: String) throws {
        let folder = (path as NSString).deletingLastPathComponent
        for (file, what) in [(path, "the database file"), (folder.isEmpty ? "." : folder, "its folder")] where access(file, W_OK) != 0 {
            let reason = errno == EROFS ? "it is on a read-only file system" : String(cString: strerror(errno))
            throw JobStoreError(.databaseNotWritable, "cannot write to \(what) (\(reason)); promptbatch writes to its database even to read it")
        }
    }

    private static func createFileIfMissing(path: String) throws {
        let descriptor = open(path, O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0o600)
        if descriptor >= 0 {
            close(descriptor)
        } else if errno != EEXIST {
            let reason = String(cString: strerror(errno))
            throw JobStoreError(.cannotCreateDatabase, "cannot create database \(path): \(reason)")
        }
    }
}

extension JobStore {
    /// This machine's host name, as stored in `runners.host`.
    public static let currentHost: String = {
        var buffer = [UInt8](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count) == 0 else { return "localhost" }
        return String(decoding: buffer.prefix { $0 != 0 }, as: UTF8.self)
    }()

    /// This process's id, as stored in `runners.pid`.
    public static var currentPID: Int { Int(getpid()) }

    /// Whether a process with this pid exists on this machine. Only ESRCH means "gone":
    /// EPERM is a live process of another user.
    static func processExists(pid: Int) -> Bool {
        guard pid > 0, let pid = pid_t(exactly: pid) else { return false }
        return kill(pid, 0) == 0 || errno != ESRCH
    }
}
