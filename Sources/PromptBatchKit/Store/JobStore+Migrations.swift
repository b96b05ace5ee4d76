import Foundation
import GRDB

extension JobStore {
    /// One schema migration, compiled in from `migrations/NNNN_name.sql`.
    struct Migration: Sendable {
        var version: Int
        var name: String
        var sql: String

        /// FNV-1a 64 of the SQL's UTF-8 bytes, as 16 hex digits.
        var checksum: String {
            var hash: UInt64 = 0xcbf2_9ce4_8422_2325
            for byte in sql.utf8 {
                hash ^= UInt64(byte)
                hash &*= 0x0000_0100_0000_01b3
            }
            let hex = String(hash, radix: 16)
            return String(repeating: "0", count: 16 - hex.count) + hex
        }

        static let embedded: [Migration] = EmbeddedMigrations.all.map {
            Migration(version: $0.version, name: $0.name, sql: $0.sql)
        }
    }

    /// Applies pending migrations, each in its own transaction and recorded in
    /// `schema_migrations`, after refusing a database that is newer than this program or
    /// whose applied migrations were edited.
    enum Migrator {
        static func migrate(_ writer: some DatabaseWriter, migrations: [Migration] = Migration.embedded) throws {
            let migrations = migrations.sorted { $0.version < $1.version }
            try writer.writeWithoutTransaction { db in
                try db.execute(sql: """
                    CREATE TABLE IF NOT EXISTS schema_migrations (
                      version INTEGER PRIMARY KEY,
                      name TEXT NOT NULL,
                      checksum TEXT NOT NULL,
                      applied_at INTEGER NOT NULL)
                    """)
                for migration in migrations {
                    // Validation runs inside each transaction so two processes opening a fresh
                    // file at once neither apply a migration twice nor skip the checks.
                    try db.inTransaction(.immediate) {
                        let applied = try validate(db, against: migrations)
                        guard !applied.contains(migration.version) else { return .commit }
                        try db.execute(sql: migration.sql)
                        try db.execute(
                            sql: "INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (?, ?, ?, ?)",
                            arguments: [migration.version, migration.name, migration.checksum, Date().millisecondsSince1970])
                        return .commit
                    }
                }
                if migrations.isEmpty { _ = try validate(db, against: migrations) }
            }
        }

        /// Returns the applied versions, or throws if the database cannot be used by this program.
        private static func validate(_ db: Database, against migrations: [Migration]) throws -> Set<Int> {
            let rows = try Row.fetchAll(db, sql: "SELECT version, name, checksum FROM schema_migrations ORDER BY version")
            let newestKnown = migrations.last?.version ?? 0
            if let newestApplied: Int = rows.last?["version"], newestApplied > newestKnown {
                throw JobStoreError(
                    .databaseIsNewer,
                    "the database has schema version \(newestApplied), but this promptbatch knows only up to version \(newestKnown); use a newer promptbatch")
            }
            let byVersion = Dictionary(uniqueKeysWithValues: migrations.map { ($0.version, $0) })
            var applied = Set<Int>()
            for row in rows {
                let version: Int = row["version"]
                let name: String = row["name"]
                guard let migration = byVersion[version] else {
                    throw JobStoreError(
                        .unknownMigration,
                        "the database records migration \(version) (\(name)), which this promptbatch does not have")
                }
                if migration.checksum != row["checksum"] {
                    throw JobStoreError(
                        .migrationEdited,
                        "migration \(migration.name) was edited after it was applied; restore it and add a new migration instead")
                }
                applied.insert(version)
            }
            return applied
        }
    }
}
