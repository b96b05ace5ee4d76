import OpenRouterSimulator
import Testing

@testable import OpenRouter

/// `maxConcurrentRequests` and cancellation, end to end.
@Suite("OpenRouterClient concurrency against the simulator")
struct OpenRouterClientConcurrencyTests {
    static func runParallel(_ h: Harness, count: Int, latencyMs: Int) async throws -> [ChatResponse] {
        try await withThrowingTaskGroup(of: ChatResponse.self) { group in
            for index in 0..<count {
                group.addTask { try await h.chat(Harness.request("question \(index)", key: "q\(index)", latencyMs: latencyMs)) }
            }
            var responses: [ChatResponse] = []
            for try await response in group { responses.append(response) }
            return responses
        }
    }

    static func waitUntilInFlight(_ h: Harness) async throws {
        let start = ContinuousClock.now
        while h.sim.stats().inFlight == 0, ContinuousClock.now - start < .seconds(10) {
            try await Task.sleep(for: .milliseconds(5))
        }
        try #require(h.sim.stats().inFlight > 0)
    }

    @Test func noMoreThanMaxConcurrentRequestsAreInFlight() async throws {
        try await Harness.run(configure: { $0.maxConcurrentRequests = 2 }) { h in
            let responses = try await Self.runParallel(h, count: 10, latencyMs: 100)
            #expect(responses.count == 10)
            let stats = h.sim.stats()
            #expect(stats.chatRequests == 10)
            #expect(stats.maxInFlight <= 2)
            #expect(stats.maxInFlight == 2)
            #expect(stats.inFlight == 0)
            #expect(Set(responses.map(\.content)).count == 10)
        }
    }

    @Test func aHigherLimitLetsMoreThrough() async throws {
        try await Harness.run(configure: { $0.maxConcurrentRequests = 5 }) { h in
            _ = try await Self.runParallel(h, count: 10, latencyMs: 300)
            let stats = h.sim.stats()
            #expect(stats.maxInFlight <= 5)
            #expect(stats.maxInFlight >= 3)
        }
    }

    @Test func streamsCountAgainstTheLimit() async throws {
        try await Harness.run(configure: { $0.maxConcurrentRequests = 2 }) { h in
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<6 {
                    group.addTask {
                        let stream = try await h.client.chatStream(Harness.request("s\(index)", key: "s\(index)", latencyMs: 100))
                        _ = try await stream.collect()
                    }
                }
                try await group.waitForAll()
            }
            #expect(h.sim.stats().maxInFlight <= 2)
            #expect(h.sim.stats().chatRequests == 6)
        }
    }

    @Test func aRequestWaitingForASlotCanBeCancelled() async throws {
        try await Harness.run(configure: { $0.maxConcurrentRequests = 1 }) { h in
            let blocker = Task { try await h.chat(Harness.request("slow", key: "slow", latencyMs: 2000)) }
            try await Self.waitUntilInFlight(h)
            let waiter = Task { try await h.chat(Harness.request("waiting", key: "waiting")) }
            try await Task.sleep(for: .milliseconds(50))
            waiter.cancel()
            switch await waiter.result {
            case .success(let response): Issue.record("expected cancellation, got \(String(describing: response.content))")
            case .failure(let error): #expect((error as? OpenRouterError)?.category == .cancelled)
            }
            #expect(h.count("waiting") == 0)
            blocker.cancel()
            _ = await blocker.result
        }
    }

    @Test func cancellingAnInFlightCallEndsItAsCancelled() async throws {
        try await Harness.run { h in
            let call = Task { try await h.chat(Harness.request(fault: "hang")) }
            try await Self.waitUntilInFlight(h)
            call.cancel()
            switch await call.result {
            case .success(let response): Issue.record("expected cancellation, got \(String(describing: response.content))")
            case .failure(let error): #expect((error as? OpenRouterError)?.category == .cancelled)
            }
            #expect(h.count() == 1)
            #expect(h.sleeps.items.isEmpty)
        }
    }
}
