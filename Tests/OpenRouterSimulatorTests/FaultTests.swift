import Foundation
import OpenRouterSimulator
import Testing

@Suite struct FaultTests {
    static let errorFaults = SimulatedFault.allCases.filter { $0.errorStatus != nil }

    @Test(arguments: errorFaults)
    func errorStatusFaults(_ fault: SimulatedFault) async throws {
        try await OpenRouterSimulator.withRunning { sim in
            let reply = try await TestClient.chat(sim, faultBody(fault.rawValue))
            let status = try #require(fault.errorStatus)
            #expect(reply.status == status)
            #expect(reply.headers.first(name: "X-Generation-Id")?.hasPrefix("gen-") == true)
            let error = try #require(reply.json?[object: "error"])
            #expect(error["code"] as? Int == status)
            #expect(error["message"] is String)
            let metadata = try #require(error[object: "metadata"])
            let expectedType: [Int: String] = [
                402: "payment_required", 429: "rate_limit_exceeded", 500: "server", 502: "provider_unavailable",
                503: "provider_overloaded", 504: "timeout",
            ]
            if let type = expectedType[status] { #expect(metadata["error_type"] as? String == type) }
            if [500, 502, 503, 504].contains(status) {
                #expect(metadata["provider_name"] as? String == "SimProvider")
                #expect(metadata["raw"] is String)
            }
            let retryAfter = reply.headers.first(name: "Retry-After")
            switch fault {
            case .rateLimited, .overloaded, .paymentRequiredRetry: #expect(retryAfter == "1")
            default: #expect(retryAfter == nil)
            }
            if fault == .rateLimited {
                #expect(reply.headers.first(name: "X-RateLimit-Limit") != nil)
                #expect(reply.headers.first(name: "X-RateLimit-Remaining") == "0")
                #expect(reply.headers.first(name: "X-RateLimit-Reset") != nil)
            }
            if fault == .moderation {
                #expect(metadata["reasons"] as? [String] == ["harassment"])
                #expect(metadata["flagged_input"] as? String == "Fault please")
                #expect(metadata["provider_name"] as? String == "SimProvider")
                #expect(metadata["model_slug"] as? String == "openai/gpt-4o-mini")
            }
            #expect(sim.stats().byStatus[status] == 1)
            #expect(sim.stats().byFault[fault.rawValue] == 1)
        }
    }

    @Test func retryAfterDirectiveOverrides() async throws {
        try await OpenRouterSimulator.withRunning { sim in
            let reply = try await TestClient.chat(sim, faultBody("429", ["retry_after": "7"]))
            #expect(reply.headers.first(name: "Retry-After") == "7")
        }
    }

    @Test func echoAuthLeaksTheHeader() async throws {
        try await OpenRouterSimulator.withRunning { sim in
            let reply = try await TestClient.chat(sim, faultBody("echo_auth"), key: "sk-or-secret-123")
            #expect(reply.status == 401)
            #expect((reply.json?[object: "error"]?["message"] as? String)?.contains("Bearer sk-or-secret-123") == true)
        }
    }

    @Test func resetDropsTheConnection() async throws {
        try await OpenRouterSimulator.withRunning { sim in
            await #expect(throws: (any Error).self) {
                _ = try await TestClient.chat(sim, faultBody("reset", stream: true), timeout: .seconds(5))
            }
            await #expect(throws: (any Error).self) {
                _ = try await TestClient.chat(sim, faultBody("reset"), timeout: .seconds(5))
            }
            #expect(sim.stats().byFault["reset"] == 2)
            #expect(sim.stats().byStatus.isEmpty)
        }
    }

    @Test func hangSendsNothingAndNoticesTheClientLeaving() async throws {
        try await OpenRouterSimulator.withRunning { sim in
            await #expect(throws: (any Error).self) {
                _ = try await TestClient.chat(sim, faultBody("hang"), timeout: .milliseconds(300))
            }
            // Other requests are served meanwhile and the hung one leaves the in-flight count.
            #expect(try await TestClient.chat(sim, chatBody("still alive")).status == 200)
            var inFlight = sim.stats().inFlight
            // Generous: in a full parallel test run the simulator's tasks can wait a long time
            // for a thread of the cooperative pool before they notice the client leave.
            let deadline = ContinuousClock.now + .seconds(120)
            while inFlight > 0, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(20))
                inFlight = sim.stats().inFlight
            }
            #expect(inFlight == 0)
        }
    }

    @Test func trickleSendsAValidBodySlowly() async throws {
        try await OpenRouterSimulator.withRunning { sim in
            let start = ContinuousClock.now
            let reply = try await TestClient.chat(sim, faultBody("trickle", ["trickle_ms": 1]))
            #expect(reply.status == 200)
            #expect(reply.json?[array: "choices"]?.count == 1)
            // One byte per millisecond over several hundred bytes.
            #expect(ContinuousClock.now - start >= .milliseconds(Int64(reply.text.utf8.count)))
        }
    }

    @Test func bodyShapeFaults() async throws {
        try await OpenRouterSimulator.withRunning { sim in
            let malformed = try await TestClient.chat(sim, faultBody("malformed"))
            #expect(malformed.status == 200)
            #expect(malformed.headers.first(name: "Content-Type") == "application/json")
            #expect(malformed.json == nil)

            let errorBody = try await TestClient.chat(sim, faultBody("error_body"))
            #expect(errorBody.status == 200)
            #expect(errorBody.json?[object: "error"]?["code"] as? Int == 502)

            for fault in ["choice_error", "stream_error"] {
                let choice = try #require(try await TestClient.chat(sim, faultBody(fault)).json?[array: "choices"]?.first)
                #expect(choice["finish_reason"] as? String == "error")
                #expect(choice[object: "error"]?["code"] as? Int == 502)
                #expect(choice[object: "error"]?[object: "metadata"] != nil)
            }

            let empty = try #require(try await TestClient.chat(sim, faultBody("empty_choices")).json)
            #expect(empty[array: "choices"]?.isEmpty == true)
            let missing = try #require(try await TestClient.chat(sim, faultBody("missing_choices")).json)
            #expect(missing["choices"] == nil)
            #expect(missing["usage"] != nil)

            let badUsage = try await TestClient.chat(sim, faultBody("bad_usage")).json?[object: "usage"]
            #expect((badUsage?["prompt_tokens"] as? Int ?? 0) < 0)
            let costString = try await TestClient.chat(sim, faultBody("cost_string")).json?[object: "usage"]
            #expect(costString?["cost"] as? String == "0.001")

            let html = try await TestClient.chat(sim, faultBody("wrong_content_type"))
            #expect(html.headers.first(name: "Content-Type")?.hasPrefix("text/html") == true)
            #expect(html.json?[array: "choices"]?.count == 1)

        }
    }

    @Test func hugeBody() async throws {
        try await OpenRouterSimulator.withRunning { sim in
            let huge = try await TestClient.chat(sim, faultBody("huge_body"))
            #expect(huge.text.utf8.count > 20 * 1024 * 1024)
            // Parsing 20 MB in a debug build is slow; the shape around the content is enough.
            #expect(huge.text.contains("\"content\":\"aaaa"))
            #expect(huge.text.hasSuffix("}}"))
        }
    }

    @Test func schemaViolation() async throws {
        try await OpenRouterSimulator.withRunning { sim in
            let schema: [String: Any] = [
                "type": "object", "properties": ["a": ["type": "string"], "b": ["type": "integer"]], "required": ["a", "b"],
            ]
            var body = faultBody("schema_violation")
            body["response_format"] = ["type": "json_schema", "json_schema": ["name": "x", "schema": schema]]
            let content = try await TestClient.chat(sim, body).json?[array: "choices"]?.first?[object: "message"]?["content"] as? String
            #expect(content == #"{"b":1}"#)
            let plain = try await TestClient.chat(sim, faultBody("schema_violation")).json
            #expect(plain?[array: "choices"]?.first?[object: "message"]?["content"] as? String == "not json")
        }
    }

    @Test func streamVariantsOfBodyFaults() async throws {
        try await OpenRouterSimulator.withRunning { sim in
            let empty = try await TestClient.chat(sim, faultBody("empty_choices", stream: true)).events
            #expect(empty.count == 2)
            #expect(empty.last == "[DONE]")
            let costString = try await TestClient.chat(sim, faultBody("cost_string", stream: true))
            #expect(costString.text.contains("\"cost\":\"0.001\""))
            let trickle = try await TestClient.chat(sim, faultBody("trickle", stream: true, ["trickle_ms": 0]))
            #expect(trickle.events.last == "[DONE]")
        }
    }

    @Test func timesLimitsAFaultPerKey() async throws {
        try await OpenRouterSimulator.withRunning { sim in
            var statuses: [Int] = []
            for _ in 0..<4 {
                statuses.append(try await TestClient.chat(sim, faultBody("503", key: "retry-me", ["times": 2])).status)
            }
            #expect(statuses == [503, 503, 200, 200])
            #expect(sim.stats().byKey["retry-me"] == 4)
            #expect(sim.stats().byFault["503"] == 2)
        }
    }

    @Test func maxInFlightRejectsAtOnce() async throws {
        var configuration = SimulatorConfiguration()
        configuration.maxInFlight = 1
        configuration.retryAfter = "3"
        try await OpenRouterSimulator.withRunning(configuration) { sim in
            // Slow enough that the second request surely arrives while it is in flight, however loaded the machine.
            async let slow = TestClient.chat(sim, chatBody("slow", ["sim": ["latency_ms": 3000]]), timeout: .seconds(60))
            var inFlight = 0
            for _ in 0..<2000 where inFlight == 0 {
                try await Task.sleep(for: .milliseconds(10))
                inFlight = sim.stats().inFlight
            }
            let rejected = try await TestClient.chat(sim, chatBody("fast"))
            #expect(rejected.status == 429)
            #expect(rejected.headers.first(name: "Retry-After") == "3")
            #expect(rejected.json?[object: "error"]?[object: "metadata"]?["error_type"] as? String == "rate_limit_exceeded")
            #expect(try await slow.status == 200)
            #expect(sim.stats().maxInFlight == 1)
            #expect(sim.stats().byFault["max_in_flight"] == 1)
        }
    }

    @Test func seededFaultRatesAreReproducible() async throws {
        var configuration = SimulatorConfiguration()
        configuration.seed = 42
        configuration.faultRates = [.serverError: 0.3, .rateLimited: 0.2]
        @Sendable func statuses(_ sim: RunningSimulator) async throws -> [Int] {
            var result: [Int] = []
            for index in 0..<30 { result.append(try await TestClient.chat(sim, chatBody("n\(index)")).status) }
            return result
        }
        let first = try await OpenRouterSimulator.withRunning(configuration, statuses)
        let second = try await OpenRouterSimulator.withRunning(configuration, statuses)
        #expect(first == second)
        #expect(Set(first) == [200, 429, 500])
        configuration.seed = 43
        #expect(try await OpenRouterSimulator.withRunning(configuration, statuses) != first)
    }
}
