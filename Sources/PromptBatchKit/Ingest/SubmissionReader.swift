import Foundation

/// The reading half of a submission: every file streamed, hashed and parsed, and what it holds
/// handed on in file order — jobs ready to insert and problems ready to print.
///
/// It knows nothing of the database, so it can run on a thread of its own while the database
/// side inserts what it has already read (``SubmissionPipe``): parsing and SQLite then use
/// a core each.
struct SubmissionReader: Sendable {
    enum Item: Sendable {
        case job(JobStore.NewJob)
        case problem(BatchSubmission.Problem)
    }

    var files: [String]
    var maximumLineBytes: Int
    var parser: JobLineParser

    /// Reads every file, calling `emit` for each job and problem in file and line order.
    /// - Parameter emit: returns false to stop reading (the other side failed).
    /// - Returns: the content hash: each file's SHA-256 folded into one, so it depends on the
    ///   files' bytes and order, not their names.
    func read(emit: (Item) -> Bool) -> String {
        var hasher = SHA256()
        for file in files {
            var fileHasher = SHA256()
            var jobsInFile = 0
            var problemsInFile = 0
            var isStopped = false
            func note(_ problem: BatchSubmission.Problem) {
                problemsInFile += 1
                if !emit(.problem(problem)) { isStopped = true }
            }
            let reader: JobFileReader
            do {
                reader = try JobFileReader(path: file, maximumLineBytes: maximumLineBytes)
            } catch {
                note(BatchSubmission.Problem(file: file, line: nil, message: error.message))
                if isStopped { break }
                continue
            }
            let baseName = (file as NSString).lastPathComponent
            let stem = baseName.hasSuffix(".jsonl") ? String(baseName.dropLast(6)) : baseName
            do {
                try reader.forEachLine(digest: { fileHasher.update($0) }) { line in
                    switch line {
                    case .tooLong(let number, let byteCount):
                        note(BatchSubmission.Problem(file: file, line: number, message: "line is \(byteCount) bytes, over the limit of \(maximumLineBytes) (see --max-line-bytes)"))
                    case .content(let number, let bytes):
                        if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { return }
                        do throws(JobLineError) {
                            let job = try parser.parse(bytes, fallbackCustomID: "\(stem):\(number)")
                            jobsInFile += 1
                            let newJob = JobStore.NewJob(
                                customID: job.customID, sourceFile: file, lineNumber: number, model: job.model,
                                requestBody: job.requestBody, isStream: job.isStream, estimate: job.estimate)
                            if !emit(.job(newJob)) { isStopped = true }
                        } catch {
                            note(BatchSubmission.Problem(file: file, line: number, message: error.message))
                        }
                    }
                    if isStopped { throw CancellationError() }
                }
            } catch let error as JobFileError {
                note(BatchSubmission.Problem(file: file, line: nil, message: error.message))
            } catch {
                // Stopped by the other side; what was read no longer matters.
            }
            if isStopped { break }
            hasher.update(Array(fileHasher.finalize().utf8))
            if jobsInFile == 0 && problemsInFile == 0 {
                note(BatchSubmission.Problem(file: file, line: nil, message: "holds no jobs"))
            }
            if isStopped { break }
        }
        return hasher.finalize()
    }
}

/// Hands a ``SubmissionReader``'s items from its thread to the database side, in order, a
/// bounded number at a time so memory stays flat however large the files are.
///
/// `@unchecked Sendable` is sound: every stored property but the immutable `capacity` is
/// touched only while `condition` is locked.
final class SubmissionPipe: @unchecked Sendable {
    private let condition = NSCondition()
    private let capacity: Int
    private var ready: [[SubmissionReader.Item]] = []
    private var contentHash: String?
    private var isCancelled = false

    /// - Parameter capacity: batches of items in flight at most.
    init(capacity: Int = 4) {
        self.capacity = capacity
    }

    /// Reading side: hands over a batch; waits while the pipe is full. False once cancelled.
    func push(_ batch: [SubmissionReader.Item]) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while ready.count >= capacity && !isCancelled { condition.wait() }
        guard !isCancelled else { return false }
        ready.append(batch)
        condition.broadcast()
        return true
    }

    /// Reading side: nothing more will come.
    func finish(contentHash: String) {
        condition.lock()
        self.contentHash = contentHash
        condition.broadcast()
        condition.unlock()
    }

    /// Database side: the next batches in order, or the content hash once all were taken.
    func next() -> Result<[[SubmissionReader.Item]], Finished> {
        condition.lock()
        defer { condition.unlock() }
        while ready.isEmpty && contentHash == nil { condition.wait() }
        if ready.isEmpty { return .failure(Finished(contentHash: contentHash!)) }
        defer {
            ready.removeAll(keepingCapacity: true)
            condition.broadcast()
        }
        return .success(ready)
    }

    /// Database side: stop the reader (after a failure); pending batches are dropped.
    func cancel() {
        condition.lock()
        isCancelled = true
        ready.removeAll()
        condition.broadcast()
        condition.unlock()
    }

    struct Finished: Error {
        var contentHash: String
    }
}

extension SubmissionReader {
    /// Reads on a thread of its own, calling `consume` here, in order, for every item.
    ///
    /// If `consume` throws, the reader is stopped and waited for before the error is rethrown,
    /// so no thread outlives the call.
    /// - Returns: the content hash.
    func read(onThreadOfItsOwn consume: (Item) throws -> Void) throws -> String {
        let pipe = SubmissionPipe()
        let done = DispatchSemaphore(value: 0)
        let reader = self
        let thread = Thread {
            var batch: [Item] = []
            var batchBytes = 0
            var isStopped = false
            let hash = reader.read { item in
                batch.append(item)
                if case .job(let job) = item { batchBytes += job.requestBody.utf8.count }
                if batch.count == Self.batchSize || batchBytes >= Self.batchBytes {
                    isStopped = !pipe.push(batch)
                    batch.removeAll(keepingCapacity: true)
                    batchBytes = 0
                }
                return !isStopped
            }
            if !isStopped, !batch.isEmpty { _ = pipe.push(batch) }
            pipe.finish(contentHash: hash)
            done.signal()
        }
        thread.stackSize = 8 << 20
        thread.start()
        do {
            while true {
                switch pipe.next() {
                case .success(let batches):
                    for batch in batches {
                        for item in batch { try consume(item) }
                    }
                case .failure(let finished):
                    done.wait()
                    return finished.contentHash
                }
            }
        } catch {
            pipe.cancel()
            done.wait()
            throw error
        }
    }

    /// Items handed over at a time: enough to make the lock's cost vanish.
    static let batchSize = 256
    /// A batch is also handed over once its requests hold this many bytes, so the pipe holds
    /// a few MiB of ordinary lines, and at most a few lines at the 10 MiB limit.
    static let batchBytes = 1 << 20
}
