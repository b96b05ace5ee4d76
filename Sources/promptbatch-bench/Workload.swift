import Foundation
import GRDB

/// Job files and databases for the benchmarks.
enum Workload {
    /// Writes `count` flat-form job lines of about 300 bytes, each prompt unique (the simulator
    /// counts requests by prompt). Returns the file's size in bytes.
    @discardableResult
    static func writeJobs(count: Int, to path: String, stream: Bool = false, prefix: String = "job") throws -> Int {
        guard let file = fopen(path, "w") else { throw BenchError("cannot write \(path)") }
        defer { fclose(file) }
        setvbuf(file, nil, _IOFBF, 1 << 20)
        var bytes = 0
        let streamField = stream ? #","stream":true"# : ""
        for index in 1...max(count, 1) where count > 0 {
            let line = #"{"custom_id":"\#(prefix)-\#(index)","model":"sim/echo","messages":[{"role":"system","content":"You are a terse assistant. Answer in one short sentence."},{"role":"user","content":"Question \#(index): in a few words, what is the capital of the country whose code is \#(index % 997)? Reply plainly."}],"max_tokens":64,"temperature":0\#(streamField)}"# + "\n"
            fputs(line, file)
            bytes += line.utf8.count
        }
        return bytes
    }

    /// Copies a database file (and its WAL, if a writer left one) to a new path.
    static func copyDatabase(_ source: String, to destination: String) throws {
        let manager = FileManager.default
        for suffix in ["", "-wal", "-shm"] {
            try? manager.removeItem(atPath: destination + suffix)
        }
        try manager.copyItem(atPath: source, toPath: destination)
        if manager.fileExists(atPath: source + "-wal") {
            try manager.copyItem(atPath: source + "-wal", toPath: destination + "-wal")
        }
    }

    /// Job counts by state.
    static func states(_ path: String) throws -> [String: Int] {
        let queue = try DatabaseQueue(path: path)
        return try queue.read { db in
            var counts: [String: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT state, count(*) FROM jobs GROUP BY state") {
                counts[row[0]] = row[1]
            }
            return counts
        }
    }

    /// Marks the first `count` jobs as finished the way a run leaves them: state, tokens,
    /// cost and times on the job, one attempt row and one result row each.
    static func markFinished(_ path: String, count: Int) throws {
        let queue = try DatabaseQueue(path: path)
        try queue.write { db in
            let now = Int64(Date().timeIntervalSince1970 * 1000)
            try db.execute(sql: """
                UPDATE jobs SET state = 'succeeded', attempts = 1, prompt_tokens = 40, completion_tokens = 12,
                  cost_picousd = 26000000, cost_source = 'reported', latency_ms = 20, finish_reason = 'stop',
                  answered_model = model, started_at = ?, finished_at = ?
                WHERE id <= ?
                """, arguments: [now, now, count])
            let attemptColumns = try db.columns(in: "attempts").map(\.name)
            let resultColumns = try db.columns(in: "results").map(\.name)
            try db.execute(sql: Self.copySQL(table: "attempts", columns: attemptColumns), arguments: [count])
            try db.execute(sql: Self.copySQL(table: "results", columns: resultColumns), arguments: [count])
        }
    }

    /// `INSERT INTO table SELECT …` filling the known columns from each finished job.
    private static func copySQL(table: String, columns: [String]) -> String {
        let known: [String: String] = [
            "job_id": "id", "attempt": "1", "number": "1", "status_code": "200", "latency_ms": "20",
            "prompt_tokens": "40", "completion_tokens": "12", "cost_picousd": "26000000", "started_at": "started_at",
            "finished_at": "finished_at", "recorded_at": "finished_at", "created_at": "finished_at",
            "generation_id": "'gen-bench-' || id", "response": #"'{"choices":[{"message":{"role":"assistant","content":"Paris."}}]}'"#,
            "body": #"'{"choices":[{"message":{"role":"assistant","content":"Paris."}}]}'"#,
            "content": "'Paris.'", "cost_source": "'reported'", "model": "model", "finish_reason": "'stop'", "outcome": "'succeeded'",
        ]
        let chosen = columns.filter { known[$0] != nil }
        return "INSERT INTO \(table) (\(chosen.joined(separator: ", "))) SELECT \(chosen.map { known[$0]! }.joined(separator: ", ")) FROM jobs WHERE id <= ?"
    }
}
