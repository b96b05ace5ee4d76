import Foundation
import Testing

@testable import OpenRouter


/// Always the same word: 1 gives no jitter (0 would make rejection sampling loop forever), `.max` the most.
private struct ConstantGenerator: RandomNumberGenerator {
    var value: UInt64
    mutating func next() -> UInt64 { value }
}

@Suite("RetryPolicy")
struct RetryPolicyTests {
    static let policy = RetryPolicy(maxRetries: 10, baseDelay: .seconds(1), maxDelay: .seconds(30), maxRetryAfter: .seconds(120))

    static func error(_ category: OpenRouterError.Category, status: Int? = nil, retryAfter: Duration? = nil) -> OpenRouterError {
        OpenRouterError(category, "m", statusCode: status, retryAfter: retryAfter)
    }

    static let serverError = error(.server, status: 503)

    @Test func theDelayDoublesWithEachRetry() {
        var noJitter = ConstantGenerator(value: 1)
        let delays = (0..<5).map { Self.policy.delay(afterFailure: Self.serverError, retry: $0, random: &noJitter) }
        #expect(delays == [.seconds(1), .seconds(2), .seconds(4), .seconds(8), .seconds(16)])
    }

    @Test func jitterStaysWithinHalfTheBaseDelay() {
        var random = SeededGenerator(seed: 42)
        for retry in 0..<4 {
            let base = Duration.seconds(1 << retry)
            var seen = Set<Duration>()
            for _ in 0..<500 {
                let delay = Self.policy.delay(afterFailure: Self.serverError, retry: retry, random: &random)!
                #expect(delay >= base, "retry \(retry): \(delay)")
                #expect(delay < base + base / 2, "retry \(retry): \(delay)")
                seen.insert(delay)
            }
            #expect(seen.count > 400, "jitter should spread the delays, got \(seen.count) distinct values")
        }
        var most = ConstantGenerator(value: .max)
        let largest = Self.policy.backoff(retry: 1, random: &most)
        #expect(largest < .seconds(3))
        #expect(largest > .milliseconds(2999))
    }

    @Test func theSameSeedGivesTheSameDelays() {
        var first = SeededGenerator(seed: 7)
        var second = SeededGenerator(seed: 7)
        let a = (0..<6).map { Self.policy.backoff(retry: $0, random: &first) }
        let b = (0..<6).map { Self.policy.backoff(retry: $0, random: &second) }
        #expect(a == b)
    }

    @Test func theDelayIsCappedJitterIncluded() {
        let policy = RetryPolicy(maxRetries: 100, baseDelay: .seconds(1), maxDelay: .seconds(5))
        var most = ConstantGenerator(value: .max)
        #expect(policy.backoff(retry: 2, random: &most) == .seconds(5))
        #expect(policy.backoff(retry: 3, random: &most) == .seconds(5))
        var random = SeededGenerator(seed: 1)
        for retry in 0..<100 {
            #expect(policy.delay(afterFailure: Self.serverError, retry: retry, random: &random)! <= .seconds(5))
        }
        var none = ConstantGenerator(value: 1)
        #expect(policy.backoff(retry: 1, random: &none) == .seconds(2))
    }

    @Test func aHugeRetryNumberDoesNotOverflow() {
        var random = SeededGenerator(seed: 3)
        #expect(Self.policy.backoff(retry: 10_000, random: &random) == .seconds(30))
    }

    @Test func aZeroBaseDelayRetriesAtOnce() {
        let policy = RetryPolicy(maxRetries: 2, baseDelay: .zero)
        var random = SeededGenerator(seed: 3)
        #expect(policy.delay(afterFailure: Self.serverError, retry: 0, random: &random) == .zero)
    }

    // MARK: Retry-After

    @Test func retryAfterWinsOverBackoff() {
        var random = SeededGenerator(seed: 9)
        let limited = Self.error(.rateLimited, status: 429, retryAfter: .seconds(7))
        #expect(Self.policy.delay(afterFailure: limited, retry: 0, random: &random) == .seconds(7))
        #expect(Self.policy.delay(afterFailure: limited, retry: 3, random: &random) == .seconds(7))
        let zero = Self.error(.server, status: 503, retryAfter: .zero)
        #expect(Self.policy.delay(afterFailure: zero, retry: 0, random: &random) == .zero)
    }

    @Test func retryAfterIsHonouredBeyondTheBackoffCap() {
        var random = SeededGenerator(seed: 9)
        let limited = Self.error(.rateLimited, status: 429, retryAfter: .seconds(90))
        #expect(Self.policy.delay(afterFailure: limited, retry: 0, random: &random) == .seconds(90))
    }

    @Test func aRetryAfterLongerThanTheLimitIsNotWaitedFor() {
        var random = SeededGenerator(seed: 9)
        let limited = Self.error(.rateLimited, status: 429, retryAfter: .seconds(121))
        #expect(Self.policy.delay(afterFailure: limited, retry: 0, random: &random) == nil)
        let atLimit = Self.error(.rateLimited, status: 429, retryAfter: .seconds(120))
        #expect(Self.policy.delay(afterFailure: atLimit, retry: 0, random: &random) == .seconds(120))
    }

    @Test(arguments: [("120", Duration.seconds(120)), ("0", .zero), (" 5 ", .seconds(5)), ("1.5", .milliseconds(1500))])
    func retryAfterSecondsAreParsed(text: String, expected: Duration) {
        #expect(RetryPolicy.parseRetryAfter(text) == expected)
    }

    @Test(arguments: ["Wed, 21 Oct 2015 07:28:00 GMT", "Wednesday, 21-Oct-15 07:28:00 GMT", "Wed Oct 21 07:28:00 2015"])
    func retryAfterHTTPDatesAreParsed(text: String) {
        let now = Date(timeIntervalSince1970: 1_445_412_450)  // 2015-10-21 07:27:30 GMT
        #expect(RetryPolicy.parseRetryAfter(text, now: now) == .seconds(30))
    }

    @Test(arguments: ["99999999999999999999", "1e300", "9223372036854775807"])
    func anAbsurdlyLongRetryAfterIsReadWithoutCrashingAndNotWaitedFor(text: String) throws {
        let retryAfter = try #require(RetryPolicy.parseRetryAfter(text))
        #expect(retryAfter > .seconds(365 * 24 * 3600))
        var random = SeededGenerator(seed: 1)
        let error = Self.error(.rateLimited, status: 429, retryAfter: retryAfter)
        #expect(Self.policy.delay(afterFailure: error, retry: 0, random: &random) == nil)
    }

    @Test func aRetryAfterDateInThePastMeansNow() {
        let now = Date(timeIntervalSince1970: 1_445_412_500)
        #expect(RetryPolicy.parseRetryAfter("Wed, 21 Oct 2015 07:28:00 GMT", now: now) == .zero)
    }

    @Test(arguments: ["", "soon", "-5", "inf", "nan", "Wed, 32 Oct 2015 07:28:00 GMT"])
    func anUnreadableRetryAfterIsIgnored(text: String) {
        #expect(RetryPolicy.parseRetryAfter(text) == nil)
    }

    // MARK: What is retried

    @Test(arguments: [OpenRouterError.Category.network, .timeout, .rateLimited, .server])
    func transientFailuresAreRetried(category: OpenRouterError.Category) {
        var random = SeededGenerator(seed: 5)
        #expect(Self.policy.delay(afterFailure: Self.error(category), retry: 0, random: &random) != nil)
    }

    @Test func paymentIsRetriedOnlyWithRetryAfter() {
        var random = SeededGenerator(seed: 5)
        let outOfCredits = Self.error(.payment, status: 402)
        #expect(!outOfCredits.isRetryable)
        #expect(outOfCredits.isFatal)
        #expect(Self.policy.delay(afterFailure: outOfCredits, retry: 0, random: &random) == nil)
        let inFlight = Self.error(.payment, status: 402, retryAfter: .seconds(3))
        #expect(inFlight.isRetryable)
        #expect(!inFlight.isFatal)
        #expect(Self.policy.delay(afterFailure: inFlight, retry: 0, random: &random) == .seconds(3))
    }

    @Test(arguments: [
        OpenRouterError.Category.badRequest, .auth, .forbidden, .validation, .schemaViolation, .config, .contentFilter, .cancelled, .invalidResponse,
    ])
    func permanentFailuresAreNeverRetriedEvenWithRetryAfter(category: OpenRouterError.Category) {
        var random = SeededGenerator(seed: 5)
        #expect(Self.policy.delay(afterFailure: Self.error(category), retry: 0, random: &random) == nil)
        #expect(Self.policy.delay(afterFailure: Self.error(category, retryAfter: .seconds(1)), retry: 0, random: &random) == nil)
    }

    @Test func anAuthErrorIsFatalForTheBatch() {
        #expect(Self.error(.auth, status: 401).isFatal)
        #expect(!Self.error(.badRequest, status: 400).isFatal)
        #expect(!Self.error(.forbidden, status: 403).isFatal)
    }

    @Test func maxRetriesIsRespected() {
        var random = SeededGenerator(seed: 5)
        let policy = RetryPolicy(maxRetries: 3)
        #expect((0..<3).allSatisfy { policy.delay(afterFailure: Self.serverError, retry: $0, random: &random) != nil })
        #expect(policy.delay(afterFailure: Self.serverError, retry: 3, random: &random) == nil)
        #expect(policy.delay(afterFailure: Self.error(.rateLimited, retryAfter: .seconds(1)), retry: 3, random: &random) == nil)
        let never = RetryPolicy(maxRetries: 0)
        #expect(never.delay(afterFailure: Self.serverError, retry: 0, random: &random) == nil)
    }

    @Test func invalidResponsesAreRetriedOnlyWhenAskedFor() {
        var random = SeededGenerator(seed: 5)
        let invalid = Self.error(.invalidResponse, status: 200)
        #expect(RetryPolicy().delay(afterFailure: invalid, retry: 0, random: &random) == nil)
        let policy = RetryPolicy(retriesInvalidResponses: true)
        #expect(policy.delay(afterFailure: invalid, retry: 0, random: &random) != nil)
        #expect(policy.delay(afterFailure: invalid, retry: 3, random: &random) == nil)
        #expect(policy.delay(afterFailure: Self.error(.schemaViolation), retry: 0, random: &random) == nil)
    }

    @Test func theDefaultsAreThePlans() {
        let policy = RetryPolicy()
        #expect(policy.maxRetries == 3)
        #expect(policy.baseDelay == .seconds(1))
        #expect(!policy.retriesInvalidResponses)
    }
}
