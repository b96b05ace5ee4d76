import Foundation
import GRDB
import OpenRouter
import OpenRouterSimulator
@testable import PromptBatchKit
import Testing

@Suite struct CanonicalRequestTests {
    func canonical(_ text: String) throws -> CanonicalRequest {
        try #require(CanonicalRequest(requestBody: text))
    }

    @Test func ignoresKeyOrderWhitespaceNumberSpellingAndStream() throws {
        let a = try canonical(#"{"model":"m","temperature":0,"messages":[{"role":"user","content":"Hi"}],"max_tokens":100}"#)
        let b = try canonical(#"{ "messages" : [ {"content":"Hi","role":"user"} ], "max_tokens":1e2, "temperature":0.0, "model":"m", "stream":true }"#)
        #expect(a.hash == b.hash)
        #expect(a.hash.count == 64)
    }

    @Test func everythingElseChangesTheHash() throws {
        let base = try canonical(#"{"model":"m","temperature":0,"messages":[{"role":"user","content":"Hi"}]}"#)
        for other in [
            #"{"model":"n","temperature":0,"messages":[{"role":"user","content":"Hi"}]}"#,
            #"{"model":"m","temperature":0.01,"messages":[{"role":"user","content":"Hi"}]}"#,
            #"{"model":"m","temperature":0,"messages":[{"role":"user","content":"Hi "}]}"#,
            #"{"model":"m","temperature":0,"messages":[{"role":"user","content":"Hi"}],"models":["x"]}"#,
            #"{"model":"m","temperature":0,"messages":[{"role":"user","content":"Hi"}],"provider":{"order":["A"]}}"#,
            #"{"model":"m","temperature":0,"messages":[{"role":"user","content":"Hi"}],"tools":[]}"#,
        ] {
            #expect(try canonical(other).hash != base.hash, "\(other)")
        }
    }

    @Test func onlyTemperatureZeroIsDeterministic() throws {
        #expect(try canonical(#"{"model":"m","temperature":0}"#).isDeterministic)
        #expect(try canonical(#"{"model":"m","temperature":0.0}"#).isDeterministic)
        #expect(try canonical(#"{"model":"m","temperature":-0e1}"#).isDeterministic)
        #expect(try !canonical(#"{"model":"m"}"#).isDeterministic)
        #expect(try !canonical(#"{"model":"m","temperature":0.7}"#).isDeterministic)
    }

    @Test func canonicalNumbersAreOneSpellingPerValue() {
        #expect(JSONNumber(unchecked: "1.50").canonicalLiteral == "15e-1")
        #expect(JSONNumber(unchecked: "15e-1").canonicalLiteral == "15e-1")
        #expect(JSONNumber(unchecked: "100").canonicalLiteral == "1e2")
        #expect(JSONNumber(unchecked: "-0.0").canonicalLiteral == "0")
        #expect(JSONNumber(unchecked: "7").canonicalLiteral == "7")
    }
}

/// The cache's sources on a real database file: hashing them at a run's start, and the index
/// the look-up uses.
@Suite struct ResponseCacheSourceTests {
    @Test func everySucceededJobIsHashedAcrossManyPagesAndOnlyHashedJobsAreIndexed() throws {
        let database = try TemporaryDatabase()
        let store = try database.openStore()
        _ = try store.createTestBatch(2_600)
        // Every other job succeeded; a page holds 1,000, so this takes two full pages and a part.
        try store.dbPool.write { db in
            try db.execute(sql: "UPDATE jobs SET state = 'succeeded' WHERE id % 2 = 0")
            try db.execute(sql: "UPDATE jobs SET state = 'succeeded' WHERE id <= 300")
        }
        let succeeded = 1_300 + 150
        /// Entries of the index, read through it.
        func indexEntries() throws -> Int {
            try store.dbPool.read { db in
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM jobs INDEXED BY jobs_by_request_hash WHERE request_hash IS NOT NULL AND cached_from_job_id IS NULL")!
            }
        }
        #expect(try indexEntries() == 0)

        #expect(try store.computeMissingSourceHashes() == succeeded)
        let (hashed, unhashedSucceeded) = try store.dbPool.read { db in
            (try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM jobs WHERE request_hash IS NOT NULL")!,
             try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM jobs WHERE request_hash IS NULL AND state = 'succeeded'")!)
        }
        #expect(hashed == succeeded)
        #expect(unhashedSucceeded == 0)
        #expect(try indexEntries() == succeeded)
        // Nothing is left to do the second time.
        #expect(try store.computeMissingSourceHashes() == 0)

        // The look-up by hash uses the index, which holds no unhashed job.
        let plan = try store.dbPool.read { db in
            try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN SELECT id FROM jobs WHERE request_hash = ? AND state = 'succeeded' AND cached_from_job_id IS NULL", arguments: ["x"])
                .map { $0["detail"] as String }.joined(separator: "; ")
        }
        #expect(plan.contains("jobs_by_request_hash"), "\(plan)")
        // Version 4's index leaves out jobs without a hash, which `submit` made of every job.
        let definition = try store.dbPool.read { db in
            try String.fetchOne(db, sql: "SELECT sql FROM sqlite_master WHERE name = 'jobs_by_request_hash'")
        }
        #expect(definition?.contains("WHERE request_hash IS NOT NULL AND cached_from_job_id IS NULL") == true, "\(definition ?? "none")")
    }
}

/// `run --cache` through the built binary against the simulator.
@Suite(.timeLimit(.minutes(3)))
struct ResponseCacheEndToEndTests {
    @Test func reusesEarlierResultsWithoutARequestAndReportsTheSavings() async throws {
        let directory = try TemporaryDirectory()
        let deterministic = (1...3).map { jobLine("d\($0)", prompt: "Deterministic question \($0)", extra: #""temperature":0,"max_tokens":50"#) }
        let first = try directory.write("first.jsonl", lines: deterministic + [jobLine("warm", prompt: "A warm question", extra: #""temperature":0.8"#)])
        // The same requests with their keys in another order, one streamed, one spelled 0.0.
        let second = try directory.write("second.jsonl", lines: [
            #"{"custom_id":"again-1","max_tokens":50,"temperature":0,"messages":[{"content":"Deterministic question 1","role":"user"}],"model":"sim/echo"}"#,
            #"{"custom_id":"again-2","model":"sim/echo","stream":true,"temperature":0.0,"max_tokens":5e1,"messages":[{"role":"user","content":"Deterministic question 2"}]}"#,
            jobLine("again-warm", prompt: "A warm question", extra: #""temperature":0.8"#),
            jobLine("new", prompt: "Something new", extra: #""temperature":0"#),
        ])
        let databasePath = directory.path + "/c.sqlite"
        try await OpenRouterSimulator.withRunning { sim in
            let cli = CommandLineHarness(databasePath: databasePath, baseURL: sim.baseURL, workingDirectory: directory.path)
            #expect(try await cli.run(["submit", first]).exitCode == 0)
            let firstRun = try await cli.run(["run"])
            #expect(firstRun.exitCode == 0, "\(firstRun.stderr)")
            #expect(sim.stats().chatRequests == 4)

            // A run without --cache leaves its results unhashed (as do databases from before the
            // cache, which this also makes); `run --cache` hashes them when it starts.
            let store = try JobStore(path: databasePath)
            try await store.dbPool.write { db in try db.execute(sql: "UPDATE jobs SET request_hash = NULL, is_deterministic = NULL") }

            #expect(try await cli.run(["submit", second]).exitCode == 0)
            let cached = try await cli.run(["run", "--cache"])
            #expect(cached.exitCode == 0, "\(cached.stderr)")
            #expect(cached.stdout.contains("4 succeeded (2 from the cache)"), "\(cached.stdout)")
            // Sent: the nondeterministic repeat and the new job; not the two repeats at temperature 0.
            #expect(sim.stats().chatRequests == 6)

            let rows = try await store.dbPool.read { db in
                try Row.fetchAll(db, sql: "SELECT id, custom_id, state, attempts, cost_picousd, cost_source, cached_from_job_id, cache_saved_picousd FROM jobs ORDER BY id")
            }
            let byID = Dictionary(uniqueKeysWithValues: rows.map { ($0["custom_id"] as String, $0) })
            let originalCost = try await store.dbPool.read { db in
                try Int64.fetchOne(db, sql: "SELECT SUM(cost_picousd) FROM jobs WHERE custom_id IN ('d1', 'd2')")
            }
            for id in ["again-1", "again-2"] {
                let row = try #require(byID[id])
                #expect(row["state"] == "succeeded")
                #expect(row["attempts"] == 0)
                #expect(row["cost_picousd"] == 0)
                #expect(row["cost_source"] == "cached")
                #expect(row["cached_from_job_id"] as Int64? != nil)
            }
            #expect(byID["again-warm"]?["cost_source"] == "reported")
            #expect(byID["again-warm"]?["attempts"] == 1)
            #expect(byID["new"]?["cached_from_job_id"] as Int64? == nil)

            let status = try await cli.run(["status", "--json", "--batch", "2"])
            let json = try #require(try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any])
            #expect(json["cached"] as? Int == 2)
            let saved = try #require(status.stdout.range(of: #""cache_saved_usd":[0-9.]+"#, options: .regularExpression).map { String(status.stdout[$0].dropFirst(18)) })
            #expect(Money.picoUSD(parsing: saved) == originalCost)
            let text = try await cli.run(["status"])
            #expect(text.stdout.contains("from the cache: 2 jobs, saved $\(saved)"), "\(text.stdout)")

            let report = try await cli.run(["report", "--batch", "2"])
            let csv = try CSVReader.parse(report.stdout)
            let header = csv[0]
            let cachedRows = csv.dropFirst().filter { $0[header.firstIndex(of: "cost_source")!] == "cached" }
            #expect(cachedRows.map { $0[header.firstIndex(of: "custom_id")!] } == ["again-1", "again-2"])
            #expect(cachedRows.allSatisfy { $0[header.firstIndex(of: "cost_usd")!] == "0" && $0[header.firstIndex(of: "attempts")!] == "0" })

            // The export gives the reused body: the original's answer, word for word.
            let export = try await cli.run(["export"])
            func content(_ customID: String) throws -> String? {
                let line = try #require(export.stdout.split(separator: "\n").first { $0.contains(#""custom_id":"\#(customID)""#) })
                let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
                let body = (object?["response"] as? [String: Any])?["body"] as? [String: Any]
                return ((body?["choices"] as? [[String: Any]])?.first?["message"] as? [String: Any])?["content"] as? String
            }
            #expect(try content("again-1") == content("d1"))
            #expect(try content("again-2") == content("d2"))
            #expect(try content("again-1") != nil)

            // With --cache-nondeterministic the warm question is reused too.
            let third = try directory.write("third.jsonl", lines: [jobLine("warm-3", prompt: "A warm question", extra: #""temperature":0.8"#)])
            #expect(try await cli.run(["submit", third]).exitCode == 0)
            let loose = try await cli.run(["run", "--cache-nondeterministic"])
            #expect(loose.exitCode == 0, "\(loose.stderr)")
            #expect(sim.stats().chatRequests == 6)
            let warm = try await store.dbPool.read { db in
                try Row.fetchOne(db, sql: "SELECT cost_source, cached_from_job_id FROM jobs WHERE custom_id = 'warm-3'")
            }
            #expect(warm?["cost_source"] == "cached")
            // The original, never a copy.
            #expect(warm?["cached_from_job_id"] as Int64? == byID["warm"]?["id"])
        }
    }

    @Test func withoutTheFlagNothingIsReused() async throws {
        let directory = try TemporaryDirectory()
        let line = jobLine("a", prompt: "Same question", extra: #""temperature":0"#)
        let first = try directory.write("a.jsonl", lines: [line])
        let second = try directory.write("b.jsonl", lines: [line.replacingOccurrences(of: #""a""#, with: #""b""#)])
        try await OpenRouterSimulator.withRunning { sim in
            let cli = CommandLineHarness(databasePath: directory.path + "/n.sqlite", baseURL: sim.baseURL, workingDirectory: directory.path)
            for arguments in [["submit", first], ["run"], ["submit", second], ["run"]] {
                let result = try await cli.run(arguments)
                #expect(result.exitCode == 0, "\(arguments): \(result.stderr)")
            }
            #expect(sim.stats().chatRequests == 2)
        }
    }
}
