import Foundation
import GRDB

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

extension JobStore {
    /// One line that says why the database itself failed — a full disk, a read-only file or
    /// file system, an I/O error, damage — or nil when `error` is not such a failure.
    ///
    /// GRDB's own description quotes the SQL statement, over several lines; a user needs the
    /// cause, and the statement never helps them act on it.
    /// - Parameters:
    ///   - error: Any error thrown while opening or using a ``JobStore``.
    ///   - path: The database file, when known: an I/O error on a disk with no space left is
    ///     then reported as a full disk (SQLite says "disk I/O error" when it cannot grow the
    ///     -shm file, for one).
    public static func storageFailureDescription(_ error: any Error, path: String? = nil) -> String? {
        guard let error = error as? DatabaseError else { return nil }
        var resultCode = error.resultCode
        if resultCode == .SQLITE_IOERR || resultCode == .SQLITE_CANTOPEN, let path, !hasFreeSpace(besides: path) {
            resultCode = .SQLITE_FULL
        }
        let cause: String
        switch resultCode {
        case .SQLITE_FULL: cause = "the disk is full"
        case .SQLITE_READONLY: cause = "the database is read-only (its file, folder or file system cannot be written)"
        case .SQLITE_CANTOPEN: cause = "the database file cannot be opened"
        case .SQLITE_IOERR: cause = "a disk I/O error"
        case .SQLITE_CORRUPT, .SQLITE_NOTADB: cause = "the database file is damaged or is not a promptbatch database"
        case .SQLITE_BUSY, .SQLITE_LOCKED: cause = "the database stayed locked by another process for longer than \(Int(busyTimeout)) s"
        case .SQLITE_PERM, .SQLITE_AUTH: cause = "permission denied"
        case .SQLITE_NOMEM: cause = "out of memory"
        default: cause = "SQLite failed"
        }
        let detail = (error.message ?? "").split(whereSeparator: \.isNewline).joined(separator: " ")
        return "\(cause) (SQLite error \(error.extendedResultCode.rawValue)\(detail.isEmpty ? "" : ": " + detail))"
    }

    /// Whether the file system holding `path` has a block to spare (true when unknown).
    private static func hasFreeSpace(besides path: String) -> Bool {
        var info = statvfs()
        let folder = (path as NSString).deletingLastPathComponent
        guard statvfs(folder.isEmpty ? "." : folder, &info) == 0 else { return true }
        return info.f_bavail > 0
    }
}
