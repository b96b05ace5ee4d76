import GRDB
import GRDBSQLite

/// Binds a statement's parameters with SQLite's own calls.
///
/// GRDB's `StatementArguments` box every value into a `DatabaseValue` array and copy every
/// string, which is most of the cost of the runner's small per-job statements (and was a third
/// of the database side of a million-line submit). Strings are bound `SQLITE_TRANSIENT`
/// (SQLite copies them once), unless borrowed for the duration of one step.
struct StatementBinder {
    let statement: SQLiteStatement

    func bind(_ index: Int32, _ value: Int64?) {
        if let value { sqlite3_bind_int64(statement, index, value) } else { sqlite3_bind_null(statement, index) }
    }

    func bind(_ index: Int32, _ value: Int?) {
        bind(index, value.map(Int64.init))
    }

    func bind(_ index: Int32, _ value: Bool) {
        sqlite3_bind_int(statement, index, value ? 1 : 0)
    }

    /// Binds bytes without a copy (`SQLITE_STATIC`): they must stay valid until the statement
    /// is stepped and reset.
    func bind(_ index: Int32, borrowing bytes: UnsafeBufferPointer<UInt8>) {
        let isStatic = unsafeBitCast(0, to: sqlite3_destructor_type.self)
        if let base = bytes.baseAddress {
            base.withMemoryRebound(to: CChar.self, capacity: bytes.count) {
                _ = sqlite3_bind_text(statement, index, $0, Int32(bytes.count), isStatic)
            }
        } else {
            _ = sqlite3_bind_text(statement, index, "", 0, isStatic)
        }
    }

    func bind(_ index: Int32, _ value: String?) {
        guard var value else {
            sqlite3_bind_null(statement, index)
            return
        }
        let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
        value.withUTF8 { bytes in
            bytes.withMemoryRebound(to: CChar.self) { text in
                if let base = text.baseAddress {
                    _ = sqlite3_bind_text(statement, index, base, Int32(text.count), transient)
                } else {
                    _ = sqlite3_bind_text(statement, index, "", 0, transient)
                }
            }
        }
    }
}

extension Statement {
    /// Binds with `bind`, then runs the statement to completion.
    /// - Returns: the rows it changed.
    @discardableResult
    func execute(_ db: Database, binding bind: (StatementBinder) -> Void) throws -> Int {
        let statement = sqliteStatement
        sqlite3_reset(statement)
        sqlite3_clear_bindings(statement)
        bind(StatementBinder(statement: statement))
        let code = sqlite3_step(statement)
        sqlite3_reset(statement)
        try checkDone(code, db)
        return Int(sqlite3_changes(db.sqliteConnection))
    }

    /// Throws SQLite's error unless a step's `code` says the statement ran to completion.
    func checkDone(_ code: Int32, _ db: Database) throws {
        guard code == SQLITE_DONE else {
            throw DatabaseError(resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(db.sqliteConnection)), sql: sql)
        }
    }
}
