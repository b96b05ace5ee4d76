import Foundation
import Testing

@testable import OpenRouter

/// The adaptive in-flight limit on its own (a value type fed explicit times), and the
/// limiter whose permits it moves.
@Suite struct AdaptiveConcurrencyTests {
    let start = Date(timeIntervalSince1970: 1_000)

    @Test func a429IsAMeasurementAndCutsTheLimitOncePerRoundTrip() {
        var limit = AdaptiveConcurrency(maximum: 20)
        #expect(limit.limit == 20)
        // Refused with 19 others in flight: at most 19, then the cut by at least one, to 18.
        limit.observe(statusCode: 429, startedAt: start, now: start + 0.1, inFlight: 19)
        #expect(limit.limit == 18)
        // Sent before that cut: no second cut, but still a measurement.
        limit.observe(statusCode: 429, startedAt: start + 0.05, now: start + 0.12, inFlight: 15)
        #expect(limit.limit == 15)
        limit.observe(statusCode: 503, startedAt: start, now: start + 0.13, inFlight: 16)
        #expect(limit.limit == 15)
        // Sent after it and still refused: cut again (14 measured, less one).
        limit.observe(statusCode: 503, startedAt: start + 0.11, now: start + 0.2, inFlight: 14)
        #expect(limit.limit == 13)
        // Twenty successes add about one and a half.
        for index in 0..<20 {
            limit.observe(statusCode: 200, startedAt: start + 0.3, now: start + 0.4 + Double(index) / 100, inFlight: 11)
        }
        #expect(limit.limit == 14)
        // Other failures say nothing of capacity.
        for status in [nil, 400, 500, 502] as [Int?] {
            limit.observe(statusCode: status, startedAt: start + 1, now: start + 1.1, inFlight: 0)
        }
        #expect(limit.limit == 14)
    }

    @Test func aRefusalWithFewInFlightIsNoMeasurementOfConcurrency() {
        // A rate limit or a busy provider answers 429 whatever is in flight: only the cut applies.
        var limit = AdaptiveConcurrency(maximum: 20)
        limit.observe(statusCode: 429, startedAt: start, now: start + 0.1, inFlight: 2)
        #expect(limit.limit == 19)
        limit.observe(statusCode: 503, startedAt: start + 0.2, now: start + 0.3, inFlight: 0)
        #expect(limit.limit == 18)
    }

    @Test func theLimitStaysWithinOneAndTheMaximum() {
        var limit = AdaptiveConcurrency(maximum: 3)
        for step in 0..<10 {
            let time = start + Double(step)
            limit.observe(statusCode: 429, startedAt: time, now: time + 0.5, inFlight: 50)
        }
        #expect(limit.limit == 1)
        for step in 0..<1_000 {
            limit.observe(statusCode: 200, startedAt: start + 20, now: start + 20 + Double(step) / 1_000, inFlight: 0)
        }
        #expect(limit.limit == 3)
    }

    @Test func aRaisedLimitLetsWaitersInAndALoweredOneTakesEffectAsHoldersLeave() async throws {
        let limiter = ConcurrencyLimiter(limit: 2)
        try await limiter.acquire()
        try await limiter.acquire()
        let third = Task { try await limiter.acquire() }
        limiter.setLimit(3)
        try await third.value
        #expect(limiter.held == 3)
        limiter.setLimit(1)
        limiter.release()
        limiter.release()
        #expect(limiter.held == 1)
        let fourth = Task { try await limiter.acquire() }
        limiter.release()
        try await fourth.value
        #expect(limiter.held == 1)
    }
}
