/// An error from the job queue's database: a refused schema, a rejected batch.
///
/// Descriptions name files, versions and custom ids, never prompt text.
public struct JobStoreError: Error, CustomStringConvertible, Sendable {
    /// What went wrong, as a value a caller can switch on.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }
        public var description: String { name }

        /// The database was migrated by a newer promptbatch than this one.
        public static let databaseIsNewer = Code("databaseIsNewer")
        /// An applied migration's checksum differs from the one compiled into this program.
        public static let migrationEdited = Code("migrationEdited")
        /// The database records a migration this program does not know.
        public static let unknownMigration = Code("unknownMigration")
        /// Two jobs of one batch share a `custom_id`.
        public static let duplicateCustomID = Code("duplicateCustomID")
        /// The database file could not be created.
        public static let cannotCreateDatabase = Code("cannotCreateDatabase")
        /// The database file or its folder cannot be written (read-only file system, permissions).
        public static let databaseNotWritable = Code("databaseNotWritable")
    }

    public let code: Code
    /// One line a user can act on.
    public let message: String

    public var description: String { message }

    init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }
}
