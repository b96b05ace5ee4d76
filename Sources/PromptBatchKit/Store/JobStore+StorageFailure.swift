import GRDB

extension JobStore {
    /// One line that says why the database itself failed — a full disk, a read-only file or
    /// file system, an I/O error, damage — or nil when `error` is not such a failure.
    ///
    /// GRDB's own description quotes the SQL statement, over several lines; a user needs the
    /// cause, and the statement never helps them act on it.
    /// - Parameter error: Any error thrown while opening or using a ``JobStore``.
    public static func storageFailureDescription(_ error: any Error) -> String? {
        guard let error = error as? DatabaseError else { return nil }
        let cause: String
        switch error.resultCode {
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
}
