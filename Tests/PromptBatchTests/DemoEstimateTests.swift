import Foundation
import Logging
import OpenRouter
import OpenRouterSimulator
@testable import PromptBatchKit
import Testing

/// The estimate error README states, measured on the example jobs in `jobs/` against the
/// prompt tokens the simulator reports.
@Suite(.timeLimit(.minutes(1)))
struct DemoEstimateTests {
    static let jobsFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("jobs").path

    @Test func theDemoBatchsEstimatesMatchPlainPromptsAndOverestimateToolsAndSchemas() async throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.jobsFolder).filter { $0.hasSuffix(".jsonl") }.sorted()
            .map { Self.jobsFolder + "/" + $0 }
        let database = try TemporaryDatabase()
        let store = try database.openStore()
        let outcome = try BatchSubmission(files: files, name: "demo").run(store: store) { Issue.record("\($0)") }
        #expect(outcome.jobCount == 26)
        try await OpenRouterSimulator.withRunning { simulator in
            var configuration = OpenRouterConfiguration()
            configuration.baseURL = simulator.baseURL
            configuration.retryDelay = .milliseconds(1)
            configuration.retriesInvalidResponses = true
            var logger = Logger(label: "test")
            logger.logLevel = .error
            let client = try OpenRouterClient(apiKey: "sk-or-test", configuration: configuration, logger: logger)
            let summary = try await JobRunner(store: store, handler: OpenRouterJobHandler(client: client, prices: [:]),
                                              configuration: RunnerConfiguration(concurrency: 8), logger: logger).run()
            #expect(summary.succeeded == 26)
        }
        var accuracy = EstimateAccuracy()
        var plain = EstimateAccuracy()
        let requests = try await store.dbPool.read { db in try String.fetchAll(db, sql: "SELECT request FROM jobs ORDER BY id") }
        var index = 0
        try store.forEachEstimate(batchID: nil, pendingOnly: false) { job in
            let reported = try #require(job.reportedPromptTokens)
            accuracy.add(estimated: job.estimate.promptTokens, reported: reported)
            let request = requests[index]
            index += 1
            if !request.contains(#""tools""#) && !request.contains(#""json_schema""#) {
                plain.add(estimated: job.estimate.promptTokens, reported: reported)
            } else {
                #expect(job.estimate.promptTokens > reported, "tools and schemas are counted; the simulator does not")
            }
        }
        // The simulator counts message text at 4 bytes a token, as the estimate does.
        #expect(plain.jobs == 19)
        #expect(plain.estimatedPromptTokens == plain.reportedPromptTokens)
        // The figures README gives.
        #expect(accuracy.jobs == 26)
        #expect(accuracy.estimatedPromptTokens == 914)
        #expect(accuracy.reportedPromptTokens == 400)
        #expect(String(format: "%+.1f%%", accuracy.totalRelativeError * 100) == "+128.5%")
    }
}
