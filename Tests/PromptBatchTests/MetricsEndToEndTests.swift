import AsyncHTTPClient
import Foundation
import OpenRouterSimulator
import PromptBatchKit
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `run --metrics-port`: the built binary's Prometheus endpoint scraped during a run, its
/// numbers checked against the database read just before the scrape and after the run.
@Suite struct MetricsEndToEndTests {
    @Test func aScrapeDuringARunLiesBetweenTheDatabaseBeforeAndAfter() async throws {
        let directory = try TemporaryDirectory()
        let count = 30
        let file = try directory.write("jobs.jsonl", lines: (1...count).map {
            jobLine("m\($0)", prompt: "metrics \($0)", extra: $0 % 10 == 0 ? #""sim":{"fault":"500","times":1}"# : "")
        })
        var configuration = SimulatorConfiguration()
        configuration.latency = .milliseconds(100)
        try await OpenRouterSimulator.withRunning(configuration) { sim in
            let database = directory.path + "/metrics.sqlite"
            let cli = CommandLineHarness(databasePath: database, baseURL: sim.baseURL, workingDirectory: directory.path)
            #expect(try await cli.run(["submit", file]).exitCode == 0)
            let store = try JobStore(path: database)
            let port = try Self.freePort()
            let (process, stdout, stderr) = try cli.start(["run", "--concurrency", "2", "--metrics-port", String(port)])
            var scraped: String?
            var before = try store.counts(batchID: nil)
            for _ in 0..<400 {
                try await Task.sleep(for: .milliseconds(25))
                before = try store.counts(batchID: nil)
                scraped = try? await Self.scrape(port: port)
                if scraped != nil && before.succeeded >= 5 { break }
            }
            let run = await CommandLineHarness.finish(process, stdout, stderr)
            #expect(run.exitCode == 0, "\(run.stderr)")
            #expect(run.stderr.contains("metrics on http://127.0.0.1:\(port)/metrics"))
            let text = try #require(scraped, "the endpoint never answered")
            let after = try store.counts(batchID: nil)
            #expect(after.succeeded == count)

            func value(_ name: String, _ labels: [String] = []) -> Double? {
                text.split(separator: "\n").first { line in
                    line.hasPrefix(name) && !line.hasPrefix("#") && labels.allSatisfy { line.contains($0) }
                        && (labels.isEmpty ? line.hasPrefix(name + " ") : true)
                }.flatMap { Double($0.split(separator: " ").last ?? "") }
            }
            // Each success is one 200 attempt; the three 500s are retried once each.
            let ok = try #require(value("promptbatch_requests_total", [#"status="200""#, #"category="ok""#]), "\(text)")
            #expect(Double(before.succeeded) <= ok && ok <= Double(after.succeeded))
            #expect((value("promptbatch_requests_total", [#"status="500""#, #"category="server""#]) ?? 0) <= 3)
            let succeededGauge = try #require(value("promptbatch_jobs", [#"state="succeeded""#]))
            #expect(Double(before.succeeded) <= succeededGauge && succeededGauge <= Double(after.succeeded))
            let states = ["pending", "running", "succeeded", "failed", "cancelled"].compactMap { value("promptbatch_jobs", [#"state="\#($0)""#]) }
            #expect(states.count == 5 && states.reduce(0, +) == Double(count))
            let prompt = try #require(value("promptbatch_prompt_tokens_total"), "\(text)")
            #expect(Double(before.tokens.prompt) <= prompt && prompt <= Double(after.tokens.prompt))
            let cost = try #require(value("promptbatch_cost_usd_total"))
            #expect(cost > 0 && cost <= Double(after.costPicoUSD) / 1e12 + 1e-9)
            let latencies = try #require(value("promptbatch_request_duration_seconds_count"))
            #expect(latencies >= ok)
            #expect(value("promptbatch_concurrency_limit") == 2)
        }
    }

    static func scrape(port: Int) async throws -> String {
        let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: "http://127.0.0.1:\(port)/metrics"), timeout: .seconds(5))
        guard response.status == .ok else { throw CancellationError() }
        return String(buffer: try await response.body.collect(upTo: 1 << 20))
    }

    /// A port nothing listens on now: bound to port 0, read back, closed.
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        guard bound == 0 else { throw CancellationError() }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
