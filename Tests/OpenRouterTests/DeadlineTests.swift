import Testing

@testable import OpenRouter

/// `withDeadline`, the whole-request and idle deadlines under every HTTP attempt.
@Suite("withDeadline")
struct DeadlineTests {
    static func timeoutError(_ body: () async throws -> Void) async -> OpenRouterError? {
        do {
            try await body()
            Issue.record("expected a timeout")
            return nil
        } catch let error as OpenRouterError {
            return error
        } catch {
            Issue.record("expected an OpenRouterError, got \(error)")
            return nil
        }
    }

    @Test func aBodyThatFinishesInTimeReturnsItsValue() async throws {
        let value = try await withDeadline(.seconds(30), activity: nil) { 42 }
        #expect(value == 42)
    }

    @Test func aBodyThatOutlastsTheDeadlineIsCancelledAndTimesOut() async {
        let error = await Self.timeoutError {
            _ = try await withDeadline(.milliseconds(50), activity: nil) {
                try await Task.sleep(for: .seconds(60))
                return 1
            }
        }
        #expect(error?.category == .timeout)
        #expect(error?.message == "no complete response within 50 ms")
    }

    @Test func aDeadlineCountedFromAnEarlierStartNamesTheConfiguredTimeout() async {
        let start = ContinuousClock.now - .seconds(3)
        let error = await Self.timeoutError {
            _ = try await withDeadline(.seconds(1), since: start, activity: nil) {
                try await Task.sleep(for: .seconds(60))
                return 1
            }
        }
        #expect(error?.category == .timeout)
        #expect(error?.message == "no complete response within 1000 ms")
    }

    @Test func silenceLongerThanTheIdleTimeoutTimesOut() async {
        let activity = ActivityMonitor()
        let error = await Self.timeoutError {
            _ = try await withDeadline(.seconds(60), idleTimeout: .milliseconds(50), activity: activity) {
                try await Task.sleep(for: .seconds(60))
                return 1
            }
        }
        #expect(error?.category == .timeout)
        #expect(error?.message == "no data for 50 ms")
    }
}
