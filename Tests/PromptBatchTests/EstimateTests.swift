import Foundation
import GRDB
import OpenRouter
import OpenRouterSimulator
import Testing
@testable import PromptBatchKit

@Suite struct EstimateTests {
    func body(_ json: String) throws -> JSONObject {
        guard case .object(let object) = try JSONValue(parsing: json) else { throw CancellationError() }
        return object
    }

    @Test func plainMessagesCountFourPerMessagePlusOnePerFourBytes() throws {
        let estimate = JobEstimate(wireBody: try body(#"{"messages":[{"role":"system","content":"Answer briefly."},{"role":"user","content":"Grüße, wie geht's?"}],"max_tokens":50}"#))
        // "Answer briefly." is 15 bytes → 4 tokens; "Grüße, wie geht's?" is 20 bytes → 5 tokens.
        #expect(estimate.promptTokens == (4 + 4) + (4 + 5))
        #expect(estimate.maxCompletionTokens == 50)
        #expect(estimate.promptTokens == TokenCounting.promptTokens(messageTexts: ["Answer briefly.", "Grüße, wie geht's?"]))
    }

    @Test func toolsSchemasToolCallsAndTextPartsAreCounted() throws {
        let tools = #"[{"type":"function","function":{"name":"f","parameters":{"type":"object"}}}]"#
        let estimate = JobEstimate(wireBody: try body("""
            {"messages":[{"role":"user","content":[{"type":"text","text":"abcdefgh"},{"type":"image_url","image_url":{"url":"x"}}]},
             {"role":"assistant","content":null,"tool_calls":[{"id":"c","type":"function","function":{"name":"get","arguments":"{}"}}]}],
             "tools":\(tools),"max_completion_tokens":7}
            """))
        let toolTokens = (try JSONValue(parsing: tools).serialized.utf8.count + 3) / 4
        #expect(estimate.promptTokens == (4 + 2) + (4 + 2) + toolTokens)
        #expect(estimate.maxCompletionTokens == 7)

        let schema = try body(#"{"messages":[{"role":"user","content":"abcd"}],"response_format":{"type":"json_schema","json_schema":{"name":"n","schema":{"type":"object"}}}}"#)
        let format = try #require(schema["response_format"])
        #expect(JobEstimate(wireBody: schema).promptTokens == 5 + (format.serialized.utf8.count + 3) / 4)
        #expect(JobEstimate(wireBody: schema).maxCompletionTokens == nil)
    }

    @Test func aStoredBodyThatIsNotJSONStillGetsAnEstimate() {
        #expect(JobEstimate(requestBody: "12345678").promptTokens == 4 + 2)
    }

    @Test func attemptCostRoundsUpAndFallsBackToTheModelsCompletionLimit() {
        let prices = PriceTable(entries: [
            "m": .init(pricing: ModelInfo.Pricing(prompt: Decimal(string: "0.15")!, completion: Decimal(string: "0.6")!), maxCompletionTokens: 1000),
            "open": .init(pricing: ModelInfo.Pricing(prompt: 1, completion: 1), maxCompletionTokens: nil),
            "unpriced": .init(pricing: nil, maxCompletionTokens: 10),
        ])
        // 0.15 USD per 1M = 150,000 pico per token; 0.6 = 600,000.
        #expect(prices.attemptCost(model: "m", estimate: JobEstimate(promptTokens: 10, maxCompletionTokens: 20))
            == .priced(low: 1_500_000, high: 1_500_000 + 12_000_000, completionLimit: 20))
        #expect(prices.attemptCost(model: "m", estimate: JobEstimate(promptTokens: 10, maxCompletionTokens: nil))
            == .priced(low: 1_500_000, high: 1_500_000 + 600_000_000, completionLimit: 1000))
        #expect(prices.attemptCost(model: "open", estimate: JobEstimate(promptTokens: 3, maxCompletionTokens: nil))
            == .priced(low: 3_000_000, high: nil, completionLimit: nil))
        #expect(prices.attemptCost(model: "unpriced", estimate: JobEstimate(promptTokens: 3, maxCompletionTokens: 5)) == .unpriced)
        #expect(prices.attemptCost(model: "absent", estimate: JobEstimate(promptTokens: 3, maxCompletionTokens: 5)) == .unpriced)
        // A third of a pico-dollar per token rounds up, never down.
        let tiny = PriceTable(entries: ["t": .init(pricing: ModelInfo.Pricing(prompt: Decimal(string: "0.000001")! / 3, completion: 0), maxCompletionTokens: 1)])
        #expect(tiny.attemptCost(model: "t", estimate: JobEstimate(promptTokens: 1, maxCompletionTokens: 1)).high == 1)
    }

    @Test func costEstimateSumsPricedModelsAndListsTheRest() {
        let prices = PriceTable(entries: [
            "a": .init(pricing: ModelInfo.Pricing(prompt: 1, completion: 2), maxCompletionTokens: nil),
            "b": .init(pricing: ModelInfo.Pricing(prompt: 1, completion: 1), maxCompletionTokens: 100),
        ])
        var estimate = CostEstimate()
        estimate.add(model: "a", estimate: JobEstimate(promptTokens: 10, maxCompletionTokens: 5), prices: prices)
        estimate.add(model: "a", estimate: JobEstimate(promptTokens: 10, maxCompletionTokens: nil), prices: prices)
        estimate.add(model: "b", estimate: JobEstimate(promptTokens: 1, maxCompletionTokens: nil), prices: prices)
        estimate.add(model: "x", estimate: JobEstimate(promptTokens: 7, maxCompletionTokens: 1), prices: prices)
        #expect(estimate.lines.map(\.model) == ["a", "b"])
        #expect(estimate.lines[0].lowPicoUSD == 20_000_000)
        #expect(estimate.lines[0].high == nil, "one job of a has no completion limit")
        #expect(estimate.lines[1].high == 101_000_000)
        #expect(estimate.total.jobs == 3)
        #expect(estimate.total.lowPicoUSD == 21_000_000)
        #expect(estimate.total.high == nil)
        #expect(estimate.unpriced == ["x": 1])
        #expect(estimate.jobCount == 4)
    }

    @Test func jobsSubmittedBeforeEstimatesWereStoredAreEstimatedFromTheirRequest() throws {
        let database = try TemporaryDatabase()
        // A version 1 database with one job, as an older promptbatch left it.
        do {
            let pool = try DatabasePool(path: database.path)
            try JobStore.Migrator.migrate(pool, migrations: [JobStore.Migration.embedded[0]])
            try pool.write { db in
                try db.execute(sql: "INSERT INTO batches (name, created_at, content_hash, source_files, job_count) VALUES ('old', 0, 'h', '[]', 1)")
                try db.execute(sql: """
                    INSERT INTO jobs (batch_id, custom_id, source_file, line_number, model, request)
                    VALUES (1, 'old-1', 'f', 1, 'm', '{"messages":[{"role":"user","content":"12345678"}],"max_tokens":9}')
                    """)
            }
        }
        let store = try database.openStore()
        var seen: [JobEstimate] = []
        try store.forEachEstimate(batchID: nil, pendingOnly: true) { seen.append($0.estimate) }
        #expect(seen == [JobEstimate(promptTokens: 6, maxCompletionTokens: 9)])
        let claimed = try store.claimJobs(limit: 1, runnerID: store.registerRunner(), batchID: nil)
        #expect(claimed.map(\.estimate) == seen)
    }

    @Test func submissionStoresEachJobsEstimate() throws {
        let database = try TemporaryDatabase()
        let store = try database.openStore()
        let directory = try TemporaryDirectory()
        let file = try directory.write("a.jsonl", lines: [jobLine("a", prompt: "abcdefghi", extra: #""max_tokens":3"#)])
        _ = try BatchSubmission(files: [file]).run(store: store) { _ in }
        let row = try #require(try store.dbPool.read { db in try Row.fetchOne(db, sql: "SELECT estimated_prompt_tokens, max_completion_tokens FROM jobs") })
        #expect(row[0] as Int == 4 + 3)
        #expect(row[1] as Int == 3)
    }
}
