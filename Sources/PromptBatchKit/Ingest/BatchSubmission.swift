import Foundation
import GRDB
import OpenRouter

/// Reads job files into one new batch: every line validated, nothing enqueued unless every
/// line of every file is good, and the same bytes not enqueued twice unless forced.
public struct BatchSubmission: Sendable {
    public var files: [String]
    /// Batch label. Default: the first file's base name.
    public var name: String?
    /// Model for lines that name none.
    public var defaultModel: String?
    /// Longest line accepted, in bytes. Default 10 MiB.
    public var maximumLineBytes = 10 * 1024 * 1024
    /// Submit even when the same content was submitted before.
    public var force = false

    public init(files: [String], name: String? = nil, defaultModel: String? = nil) {
        self.files = files
        self.name = name
        self.defaultModel = defaultModel
    }

    /// A bad line (or file), printed as `FILE:LINE: message`.
    public struct Problem: Sendable, Hashable, CustomStringConvertible {
        public var file: String
        /// Nil for a problem with the file as a whole.
        public var line: Int?
        public var message: String
        public var description: String { line.map { "\(file):\($0): \(message)" } ?? "\(file): \(message)" }
    }

    public struct Outcome: Sendable, Hashable {
        /// Nil for a dry run or when problems were found.
        public var batchID: Int64?
        public var jobCount: Int
        public var problemCount: Int
        /// Earlier batches with the same content (when refused for that reason).
        public var duplicateOf: [Int64]
        public var contentHash: String
    }

    /// Validates every line; enqueues the batch only when all are good.
    ///
    /// - Parameters:
    ///   - store: where to enqueue; nil for a dry run (validate and count only).
    ///   - report: called for each problem as it is found, so a million bad lines need no memory.
    ///   - onJob: called for each good job as it is read (for `--estimate`); default none.
    public func run(store: JobStore?, report: (Problem) -> Void, onJob: (JobStore.NewJob) -> Void = { _ in }) throws -> Outcome {
        if files.isEmpty {
            throw SubmissionError.noFiles
        }
        var problems = 0
        var jobCount = 0
        let reader = SubmissionReader(files: files, maximumLineBytes: maximumLineBytes, parser: JobLineParser(defaultModel: defaultModel))

        /// Reads every file on a thread of its own while this one hands each good job to `add`,
        /// which returns where an earlier job with the same custom id came from, if any.
        /// Problems are reported in file and line order. Returns the content hash.
        func readAll(_ add: (JobStore.NewJob) throws -> (file: String, line: Int)?) throws -> String {
            try reader.read(onThreadOfItsOwn: { item in
                switch item {
                case .problem(let problem):
                    problems += 1
                    report(problem)
                case .job(let job):
                    // Added even after a problem (it all rolls back then), so every repeat is found.
                    if let earlier = try add(job) {
                        problems += 1
                        report(Problem(file: job.sourceFile, line: job.lineNumber, message: "custom_id \(job.customID.debugDescription) repeats \(earlier.file):\(earlier.line)"))
                    } else {
                        jobCount += 1
                        onJob(job)
                    }
                }
            })
        }

        guard let store else {
            // A dry run finds repeats in a scratch table SQLite keeps on disk, not in memory.
            let scratch = try DatabaseQueue(path: "")
            let hash = try scratch.write { db in
                try db.execute(sql: "CREATE TABLE seen (custom_id TEXT PRIMARY KEY, file TEXT NOT NULL, line INTEGER NOT NULL) WITHOUT ROWID")
                let insert = try db.makeStatement(sql: "INSERT OR IGNORE INTO seen VALUES (?, ?, ?)")
                let lookup = try db.makeStatement(sql: "SELECT file, line FROM seen WHERE custom_id = ?")
                return try readAll { job in
                    try insert.execute(arguments: [job.customID, job.sourceFile, job.lineNumber])
                    if db.changesCount > 0 { return nil }
                    return try Row.fetchOne(lookup, arguments: [job.customID]).map { ($0[0], $0[1]) }
                }
            }
            return Outcome(batchID: nil, jobCount: jobCount, problemCount: problems, duplicateOf: [], contentHash: hash)
        }
        var outcome = Outcome(batchID: nil, jobCount: 0, problemCount: 0, duplicateOf: [], contentHash: "")
        do {
            let batchID = try store.createBatch(name: name ?? files.first.map { ($0 as NSString).lastPathComponent }, sourceFiles: files) { writer in
                outcome.contentHash = try readAll { try writer.addUnlessRepeated($0) }
                outcome.jobCount = jobCount
                outcome.problemCount = problems
                if problems > 0 { throw SubmissionError.rolledBack }
                if !force {
                    outcome.duplicateOf = try writer.batches(withContentHash: outcome.contentHash)
                    if !outcome.duplicateOf.isEmpty { throw SubmissionError.rolledBack }
                }
                return outcome.contentHash
            }
            outcome.batchID = batchID
        } catch SubmissionError.rolledBack {
            // Nothing was written; the outcome says why.
        }
        return outcome
    }
}

/// Why a submission enqueued nothing, beyond bad lines.
public enum SubmissionError: Error, Sendable, CustomStringConvertible {
    case noFiles
    case rolledBack

    public var description: String {
        switch self {
        case .noFiles: "no job files given"
        case .rolledBack: "nothing was submitted"
        }
    }
}
