import Foundation
import GRDB
import GRDBSQLite

extension JobStore {
    /// One job of a new batch, as read from a job file.
    public struct NewJob: Sendable, Hashable {
        public var customID: String
        public var sourceFile: String
        /// 1-based line in `sourceFile`.
        public var lineNumber: Int
        /// The requested model.
        public var model: String
        /// The wire JSON body to send.
        public var requestBody: String
        public var isStream: Bool
        /// Stored for `estimate` and `run --budget`; nil: computed from `requestBody`.
        public var estimate: JobEstimate?

        public init(
            customID: String, sourceFile: String, lineNumber: Int, model: String, requestBody: String,
            isStream: Bool = false, estimate: JobEstimate? = nil
        ) {
            self.customID = customID
            self.sourceFile = sourceFile
            self.lineNumber = lineNumber
            self.model = model
            self.requestBody = requestBody
            self.isStream = isStream
            self.estimate = estimate
        }
    }

    /// Inserts a batch and all its jobs in one transaction.
    ///
    /// `jobs` is consumed lazily through one prepared statement, so memory stays constant
    /// however many jobs there are.
    /// - Parameters:
    ///   - name: An optional label for the batch.
    ///   - contentHash: A hash of the job files, to spot a resubmission.
    ///   - sourceFiles: The job files, stored as a JSON array.
    ///   - jobs: The jobs, in file order.
    ///   - now: The creation time; defaults to now.
    /// - Returns: The new batch's id.
    /// - Throws: ``JobStoreError/Code/duplicateCustomID`` if two jobs share a custom id;
    ///   nothing is inserted then.
    public func createBatch(
        name: String?, contentHash: String, sourceFiles: [String], jobs: some Sequence<NewJob>,
        now: Date = Date()
    ) throws -> Int64 {
        try createBatch(name: name, sourceFiles: sourceFiles, now: now) { writer in
            for job in jobs { try writer.add(job) }
            return contentHash
        }
    }

    /// Inserts a batch and the jobs `body` adds, in one transaction, for callers that learn
    /// the content hash only after reading every job.
    ///
    /// If `body` throws, nothing is inserted and the error is rethrown.
    /// - Parameters:
    ///   - name: An optional label for the batch.
    ///   - sourceFiles: The job files, stored as a JSON array.
    ///   - now: The creation time; defaults to now.
    ///   - body: Adds the jobs through the writer and returns the batch's content hash.
    /// - Returns: The new batch's id.
    /// - Throws: ``JobStoreError/Code/duplicateCustomID`` if two jobs share a custom id.
    public func createBatch(
        name: String?, sourceFiles: [String], now: Date = Date(),
        _ body: (BatchWriter) throws -> String
    ) throws -> Int64 {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        let sourceFilesJSON = String(decoding: try encoder.encode(sourceFiles), as: UTF8.self)
        return try dbPool.write { db in
            // The hash is filled in at the end; '' never matches a real hash meanwhile.
            try db.execute(
                sql: "INSERT INTO batches (name, created_at, content_hash, source_files, job_count) VALUES (?, ?, '', ?, 0)",
                arguments: [name, now.millisecondsSince1970, sourceFilesJSON])
            let batchID = db.lastInsertedRowID
            let writer = try BatchWriter(db: db, batchID: batchID)
            let contentHash = try body(writer)
            try db.execute(
                sql: "UPDATE batches SET job_count = ?, content_hash = ? WHERE id = ?",
                arguments: [writer.jobCount, contentHash, batchID])
            return batchID
        }
    }

    /// Adds jobs to a batch being created, inside its transaction. Valid only during the
    /// `createBatch` call that made it.
    public final class BatchWriter {
        private let db: Database
        private let insert: Statement
        /// The batch being created.
        public let batchID: Int64
        /// Jobs added so far.
        public private(set) var jobCount = 0

        fileprivate init(db: Database, batchID: Int64) throws {
            self.db = db
            self.batchID = batchID
            self.insert = try db.makeStatement(sql: """
                INSERT INTO jobs (batch_id, custom_id, source_file, line_number, model, request, is_stream,
                  estimated_prompt_tokens, max_completion_tokens)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (batch_id, custom_id) DO NOTHING
                """)
        }

        /// Adds one job.
        /// - Throws: ``JobStoreError/Code/duplicateCustomID`` if the batch already has its custom id.
        public func add(_ job: NewJob) throws {
            if try addUnlessRepeated(job) != nil {
                throw JobStoreError(
                    .duplicateCustomID,
                    "duplicate custom_id \"\(job.customID)\" at \(job.sourceFile):\(job.lineNumber); nothing was submitted")
            }
        }

        /// Adds one job unless the batch already has its custom id, and then says where that
        /// earlier job came from. The database's unique index finds the repeat, so a submit's
        /// memory does not grow with its size.
        /// - Returns: nil when added; else the file and line of the job that has the custom id.
        public func addUnlessRepeated(_ job: NewJob) throws -> (file: String, line: Int)? {
            let estimate = job.estimate ?? JobEstimate(requestBody: job.requestBody)
            // No cache key here: hashing every request (and a random-keyed index entry per job)
            // doubled the time of a large submit; `run --cache` computes the keys it needs.
            if try insertRow(job, estimate: estimate) == 0 {
                let row = try Row.fetchOne(
                    db, sql: "SELECT source_file, line_number FROM jobs WHERE batch_id = ? AND custom_id = ?",
                    arguments: [batchID, job.customID])
                return row.map { ($0[0], $0[1]) } ?? (job.sourceFile, job.lineNumber)
            }
            jobCount += 1
            return nil
        }

        /// Runs the insert with SQLite's own binding calls (``StatementBinder``), pointing it at
        /// the strings' bytes for the duration of the step.
        /// - Returns: rows inserted (0 when the custom id repeats).
        private func insertRow(_ job: NewJob, estimate: JobEstimate) throws -> Int32 {
            let statement = insert.sqliteStatement
            let binder = StatementBinder(statement: statement)
            var customID = job.customID
            var sourceFile = job.sourceFile
            var model = job.model
            var request = job.requestBody
            let code = customID.withUTF8 { customID in
                sourceFile.withUTF8 { sourceFile in
                    model.withUTF8 { model in
                        request.withUTF8 { request in
                            binder.bind(1, batchID)
                            binder.bind(2, borrowing: customID)
                            binder.bind(3, borrowing: sourceFile)
                            binder.bind(4, job.lineNumber)
                            binder.bind(5, borrowing: model)
                            binder.bind(6, borrowing: request)
                            binder.bind(7, job.isStream)
                            binder.bind(8, estimate.promptTokens)
                            binder.bind(9, estimate.maxCompletionTokens)
                            let code = sqlite3_step(statement)
                            // The bytes bound above are valid only inside these closures.
                            sqlite3_reset(statement)
                            sqlite3_clear_bindings(statement)
                            return code
                        }
                    }
                }
            }
            try insert.checkDone(code, db)
            return sqlite3_changes(db.sqliteConnection)
        }

        /// The ids of other batches with this content hash, oldest first, as seen inside the
        /// transaction.
        public func batches(withContentHash contentHash: String) throws -> [Int64] {
            try Int64.fetchAll(
                db, sql: "SELECT id FROM batches WHERE content_hash = ? AND id != ? ORDER BY id",
                arguments: [contentHash, batchID])
        }
    }

    /// The ids of batches with this content hash, oldest first.
    public func batches(withContentHash contentHash: String) throws -> [Int64] {
        try dbPool.read { db in
            try Int64.fetchAll(db, sql: "SELECT id FROM batches WHERE content_hash = ? ORDER BY id", arguments: [contentHash])
        }
    }

    /// Marks the batch's pending jobs `cancelled`; running jobs finish as they are.
    /// - Returns: The number of jobs cancelled.
    @discardableResult
    public func cancelPending(batchID: Int64, now: Date = Date()) throws -> Int {
        try dbPool.write { db in
            try db.execute(
                sql: "UPDATE jobs SET state = 'cancelled', finished_at = ? WHERE state = 'pending' AND batch_id = ?",
                arguments: [now.millisecondsSince1970, batchID])
            return db.changesCount
        }
    }

    /// Puts failed jobs back to `pending`, clearing their error; their attempts, tokens,
    /// cost and attempt history are kept.
    /// - Parameters:
    ///   - batchID: The batch, or nil for every batch.
    ///   - categories: Only jobs failed with one of these error categories; empty means all.
    /// - Returns: The number of jobs put back.
    @discardableResult
    public func retryFailed(batchID: Int64?, categories: [String] = []) throws -> Int {
        var sql = """
            UPDATE jobs SET state = 'pending', error_category = NULL, error_message = NULL,
              finished_at = NULL, runner_id = NULL, started_at = NULL
            WHERE state = 'failed'
            """
        var arguments: StatementArguments = []
        if let batchID {
            sql += " AND batch_id = ?"
            arguments += [batchID]
        }
        if !categories.isEmpty {
            sql += " AND error_category IN (\(databaseQuestionMarks(count: categories.count)))"
            arguments += StatementArguments(categories)
        }
        return try dbPool.write { db in
            try db.execute(sql: sql, arguments: arguments)
            return db.changesCount
        }
    }
}
