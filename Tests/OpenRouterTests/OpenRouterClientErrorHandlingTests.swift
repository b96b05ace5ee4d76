import AsyncHTTPClient
import Foundation
import OpenRouterSimulator
import Testing

@testable import OpenRouter

/// HTTP errors, retries, transport failures and response validation, end to end.
@Suite("OpenRouterClient error handling against the simulator")
struct OpenRouterClientErrorHandlingTests {
    // MARK: Errors that are not retried

    @Test func a400IsABadRequestAndNotRetried() async throws {
        try await Harness.run { h in
            let error = await h.chatError(Harness.request(fault: "400"))
            #expect(error?.category == .badRequest)
            #expect(error?.statusCode == 400)
            #expect(error?.message == "Simulated bad request")
            #expect(error?.errorType == "bad_request")
            #expect(error?.generationID?.hasPrefix("gen-") == true)
            #expect(h.count() == 1)
            #expect(h.sleeps.items.isEmpty)
        }
    }

    @Test func a422IsABadRequestAndNotRetried() async throws {
        try await Harness.run { h in
            let error = await h.chatError(Harness.request(fault: "422"))
            #expect(error?.category == .badRequest)
            #expect(error?.statusCode == 422)
            #expect(h.count() == 1)
        }
    }

    @Test func a401IsAnAuthErrorNotRetriedAndFatal() async throws {
        try await Harness.run { h in
            let error = await h.chatError(Harness.request(fault: "401"))
            #expect(error?.category == .auth)
            #expect(error?.statusCode == 401)
            #expect(error?.message == "User not found.")
            #expect(error?.isFatal == true)
            #expect(h.count() == 1)
            #expect(h.sleeps.items.isEmpty)
        }
    }

    @Test func aWrongKeyIsAnAuthError() async throws {
        var simulator = SimulatorConfiguration()
        simulator.apiKey = "sk-or-v1-the-right-key"
        try await Harness.run(simulator: simulator) { h in
            let error = await h.chatError(Harness.request())
            #expect(error?.category == .auth)
            #expect(error?.statusCode == 401)
            #expect(h.sim.stats().requestsTotal == 1)
        }
    }

    @Test func a402IsAPaymentErrorAndNotRetried() async throws {
        try await Harness.run { h in
            let error = await h.chatError(Harness.request(fault: "402"))
            #expect(error?.category == .payment)
            #expect(error?.statusCode == 402)
            #expect(error?.retryAfter == nil)
            #expect(error?.isFatal == true)
            #expect(h.count() == 1)
            #expect(h.sleeps.items.isEmpty)
        }
    }

    @Test func a402WithRetryAfterIsRetriedAfterIt() async throws {
        try await Harness.run { h in
            let response = try await h.chat(Harness.request(fault: "402_retry", times: 1, retryAfter: "3"))
            #expect(response.content != nil)
            #expect(h.count() == 2)
            #expect(h.sleeps.items == [.seconds(3)])
        }
    }

    @Test func a403ModerationErrorIsAContentFilterErrorAndNotRetried() async throws {
        try await Harness.run { h in
            let error = await h.chatError(Harness.request("say something rude", fault: "403"))
            #expect(error?.category == .contentFilter)
            #expect(error?.statusCode == 403)
            #expect(error?.providerName == "SimProvider")
            #expect(error?.message.contains("flagged") == true)
            #expect(h.count() == 1)
            #expect(h.sleeps.items.isEmpty)
        }
    }

    // MARK: Errors that are retried

    @Test func a429WaitsForRetryAfterThenSucceeds() async throws {
        try await Harness.run { h in
            let response = try await h.chat(Harness.request(fault: "429", times: 2, retryAfter: "7"))
            #expect(response.content == TokenCounting.replyText(lastUserMessage: "What is the capital of France?"))
            #expect(h.count() == 3)
            #expect(h.sleeps.items == [.seconds(7), .seconds(7)])
        }
    }

    @Test func a429CarriesItsRetryAfterAndProviderDetails() async throws {
        try await Harness.run(configure: { $0.maxRetries = 0 }) { h in
            let error = await h.chatError(Harness.request(fault: "429", retryAfter: "2"))
            #expect(error?.category == .rateLimited)
            #expect(error?.statusCode == 429)
            #expect(error?.retryAfter == .seconds(2))
            #expect(error?.errorType == "rate_limit_exceeded")
            #expect(error?.providerName == "SimProvider")
            #expect(error?.providerRaw == "429 Too Many Requests: slow down")
            #expect(error?.isRetryable == true)
            #expect(h.count() == 1)
        }
    }

    @Test func aRetryAfterBeyondTheLimitIsNotWaitedFor() async throws {
        try await Harness.run(configure: { $0.maxRetryAfter = .seconds(60) }) { h in
            let error = await h.chatError(Harness.request(fault: "429", retryAfter: "3600"))
            #expect(error?.category == .rateLimited)
            #expect(error?.retryAfter == .seconds(3600))
            #expect(h.count() == 1)
            #expect(h.sleeps.items.isEmpty)
        }
    }

    @Test func anAbsurdRetryAfterIsNotWaitedForAndDoesNotCrash() async throws {
        try await Harness.run { h in
            // A 503, not a 429: the simulator's own X-RateLimit-Reset arithmetic traps on such a value.
            let error = await h.chatError(Harness.request(fault: "503", retryAfter: "99999999999999999999"))
            #expect(error?.category == .server)
            #expect(error?.statusCode == 503)
            #expect(h.count() == 1)
            #expect(h.sleeps.items.isEmpty)
        }
    }

    @Test func aRetryAfterHTTPDateIsHonoured() async throws {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        let date = formatter.string(from: Date().addingTimeInterval(100))
        try await Harness.run { h in
            let response = try await h.chat(Harness.request(fault: "429", times: 1, retryAfter: date))
            #expect(response.content != nil)
            let sleeps = h.sleeps.items
            try #require(sleeps.count == 1)
            // Longer than any backoff (capped at 30 s), and no longer than the date is away.
            #expect(sleeps[0] > .seconds(40) && sleeps[0] <= .seconds(100), "\(sleeps[0])")
        }
    }

    @Test(arguments: ["500", "502", "504", "408"])
    func aServerErrorIsRetriedWithExponentialBackoffThenSucceeds(fault: String) async throws {
        try await Harness.run { h in
            let response = try await h.chat(Harness.request(fault: fault, times: 2))
            #expect(response.content == TokenCounting.replyText(lastUserMessage: "What is the capital of France?"))
            #expect(h.count() == 3)
            let sleeps = h.sleeps.items
            #expect(sleeps.count == 2)
            if sleeps.count == 2 {
                #expect(sleeps[0] >= .seconds(1) && sleeps[0] < .milliseconds(1500))
                #expect(sleeps[1] >= .seconds(2) && sleeps[1] < .seconds(3))
            }
        }
    }

    @Test func a503IsRetriedAfterItsRetryAfterThenSucceeds() async throws {
        try await Harness.run { h in
            let response = try await h.chat(Harness.request(fault: "503", times: 2))
            #expect(response.content != nil)
            #expect(h.count() == 3)
            #expect(h.sleeps.items == [.seconds(1), .seconds(1)])
        }
    }

    @Test(arguments: [
        ("500", OpenRouterError.Category.server, 500, "Internal Server Error"),
        ("502", .server, 502, "Provider returned error"),
        ("503", .server, 503, "Provider is overloaded"),
        ("504", .timeout, 504, "Provider timed out"),
        ("408", .timeout, 408, "Request timed out"),
    ])
    func theMaxRetryLimitIsEnforced(fault: String, category: OpenRouterError.Category, status: Int, message: String) async throws {
        try await Harness.run(configure: { $0.maxRetries = 2 }) { h in
            let error = await h.chatError(Harness.request(fault: fault))
            #expect(error?.category == category)
            #expect(error?.statusCode == status)
            #expect(error?.message == message)
            #expect(h.count() == 3)
            #expect(h.sleeps.items.count == 2)
            #expect(h.attempts.items.map(\.attempt) == [1, 2, 3])
            #expect(h.attempts.items.map(\.willRetry) == [true, true, false])
        }
    }

    @Test func noRetriesMeansOneAttempt() async throws {
        try await Harness.run(configure: { $0.maxRetries = 0 }) { h in
            let error = await h.chatError(Harness.request(fault: "500"))
            #expect(error?.category == .server)
            #expect(h.count() == 1)
        }
    }

    @Test func aProviderErrorShowsWhatTheProviderSaid() async throws {
        try await Harness.run(configure: { $0.maxRetries = 0 }) { h in
            let error = await h.chatError(Harness.request(fault: "502"))
            #expect(error?.providerName == "SimProvider")
            #expect(error?.providerRaw == "upstream connect error")
            #expect(error.map(\.description) == "server: Provider returned error (HTTP 502) [provider: SimProvider] provider said: upstream connect error")
        }
    }

    // MARK: Network and timeouts

    @Test func aConnectionResetIsANetworkErrorAndRetried() async throws {
        try await Harness.run(configure: { $0.maxRetries = 0 }) { h in
            let error = await h.chatError(Harness.request(fault: "reset"))
            #expect(error?.category == .network)
            #expect(error?.statusCode == nil)
            #expect(error?.isRetryable == true)
        }
        try await Harness.run { h in
            let response = try await h.chat(Harness.request(fault: "reset", times: 1))
            #expect(response.content != nil)
            #expect(h.count() == 2)
            #expect(h.sleeps.items.count == 1)
        }
    }

    @Test func aClosedPortIsANetworkError() async throws {
        // AsyncHTTPClient keeps retrying a refused connection for its connect timeout (10 s)
        // unless told not to; that is its business, not what this test is about.
        var httpConfiguration = HTTPClient.Configuration()
        httpConfiguration.connectionPool.retryConnectionEstablishment = false
        let httpClient = HTTPClient(eventLoopGroupProvider: .singleton, configuration: httpConfiguration)
        var configuration = OpenRouterConfiguration()
        configuration.baseURL = "http://127.0.0.1:1/api/v1"
        configuration.maxRetries = 1
        let sleeps = Recorder<Duration>()
        let client = try OpenRouterClient(apiKey: Harness.apiKey, configuration: configuration, httpClient: httpClient, sleep: { sleeps.append($0) })
        do {
            let response = try await client.chat(Harness.request())
            Issue.record("expected an error, got \(response)")
        } catch {
            #expect(error.category == .network)
            #expect(error.statusCode == nil)
            #expect(error.isRetryable)
            #expect(!error.description.contains(Harness.apiKey))
        }
        #expect(sleeps.items.count == 1)
        try await httpClient.shutdown()
    }

    @Test func aHangingServerTimesOut() async throws {
        try await Harness.run(configure: {
            $0.timeout = .seconds(1)
            $0.maxRetries = 0
        }) { h in
            let start = ContinuousClock.now
            let error = await h.chatError(Harness.request(fault: "hang"))
            #expect(error?.category == .timeout)
            #expect(error?.isRetryable == true)
            // The simulator would hang for 120 s.
            #expect(ContinuousClock.now - start < .seconds(60))
            #expect(h.attempts.items.first?.category == .timeout)
            #expect(h.attempts.items.first?.statusCode == nil)
        }
    }

    @Test func aTimedOutAttemptIsRetried() async throws {
        try await Harness.run(configure: {
            $0.timeout = .seconds(1)
            $0.maxRetries = 4
        }) { h in
            let response = try await h.chat(Harness.request(fault: "hang", times: 1))
            #expect(response.content != nil)
            let reports = h.attempts.items
            #expect(reports.first?.category == .timeout)
            #expect(reports.last?.error == nil)
            // Usually 2; more only when a starved test runner lets the second attempt time out too.
            #expect(h.count() == reports.count && reports.count >= 2)
        }
    }

    @Test func aTrickledBodyIsCutOffByTheWholeRequestDeadline() async throws {
        try await Harness.run(configure: {
            $0.timeout = .milliseconds(500)
            $0.maxRetries = 0
        }) { h in
            let error = await h.chatError(Harness.request(fault: "trickle", trickleMs: 50))
            #expect(error?.category == .timeout)
        }
    }

    // MARK: Response validation

    @Test func malformedJSONIsAnInvalidResponse() async throws {
        try await Harness.run { h in
            let error = await h.chatError(Harness.request(fault: "malformed"))
            #expect(error?.category == .invalidResponse)
            #expect(error?.statusCode == 200)
            #expect(error?.message.hasPrefix("malformed JSON body") == true)
            #expect(error?.generationID?.hasPrefix("gen-") == true)
            #expect(h.count() == 1)
        }
    }

    @Test func invalidResponsesAreRetriedWhenConfigured() async throws {
        try await Harness.run(configure: { $0.retriesInvalidResponses = true }) { h in
            let response = try await h.chat(Harness.request(fault: "malformed", times: 1))
            #expect(response.content != nil)
            #expect(h.count() == 2)
        }
    }

    @Test func anErrorInA200IsAnErrorCategorisedByItsCode() async throws {
        try await Harness.run(configure: { $0.maxRetries = 0 }) { h in
            let error = await h.chatError(Harness.request(fault: "error_body"))
            #expect(error?.category == .server)
            #expect(error?.statusCode == 200)
            #expect(error?.errorCode == 502)
            #expect(error?.message == "Provider returned error")
            #expect(error?.providerName == "SimProvider")
            #expect(error?.isRetryable == true)
        }
        try await Harness.run { h in
            let response = try await h.chat(Harness.request(fault: "error_body", times: 1))
            #expect(response.content != nil)
            #expect(h.count() == 2)
        }
    }

    @Test func aChoiceThatFinishedWithErrorIsAnError() async throws {
        try await Harness.run(configure: { $0.maxRetries = 0 }) { h in
            let error = await h.chatError(Harness.request(fault: "choice_error"))
            #expect(error?.category == .server)
            #expect(error?.statusCode == 200)
            #expect(error?.partialContent == "")
            #expect(error?.usage != nil)
        }
    }

    @Test(arguments: [
        ("empty_choices", "the response's choices array is empty"),
        ("missing_choices", "the response has no choices array"),
        ("bad_usage", "usage.prompt_tokens is not a plausible token count"),
        ("cost_string", "usage.cost is string, not a number"),
    ])
    func anIncompleteOrImplausibleBodyIsAnInvalidResponse(fault: String, message: String) async throws {
        try await Harness.run { h in
            let error = await h.chatError(Harness.request(fault: fault))
            #expect(error?.category == .invalidResponse)
            #expect(error?.message == message)
            #expect(error?.statusCode == 200)
            #expect(h.count() == 1)
        }
    }

    @Test func aBodyOverTheSizeLimitIsAnInvalidResponse() async throws {
        try await Harness.run(configure: { $0.maxResponseBytes = 1 << 20 }) { h in
            let error = await h.chatError(Harness.request(fault: "huge_body"))
            #expect(error?.category == .invalidResponse)
            #expect(error?.message == "response body larger than 1048576 bytes")
            #expect(h.count() == 1)
        }
    }

    @Test func aBodyWithTheWrongContentTypeIsAnInvalidResponse() async throws {
        try await Harness.run { h in
            let error = await h.chatError(Harness.request(fault: "wrong_content_type"))
            #expect(error?.category == .invalidResponse)
            #expect(error?.message == "expected a JSON body, got Content-Type text/html; charset=utf-8")
            #expect(h.count() == 1)
        }
    }

    // MARK: Attempt reports

    @Test func everyAttemptIsReportedWithStatusCategoryLatencyGenerationAndUsage() async throws {
        try await Harness.run { h in
            let response = try await h.chat(Harness.request(fault: "503", times: 1, latencyMs: 30))
            let reports = h.attempts.items
            try #require(reports.count == 2)
            let failed = reports[0]
            #expect(failed.attempt == 1)
            #expect(failed.statusCode == 503)
            #expect(failed.category == .server)
            #expect(failed.error?.message == "Provider is overloaded")
            #expect(failed.latency >= .milliseconds(30))
            #expect(failed.generationID?.hasPrefix("gen-") == true)
            #expect(failed.generationID != response.id)
            #expect(failed.usage == nil)
            #expect(failed.retryDelay == .seconds(1))
            #expect(failed.willRetry)
            let succeeded = reports[1]
            #expect(succeeded.attempt == 2)
            #expect(succeeded.statusCode == 200)
            #expect(succeeded.category == nil)
            #expect(succeeded.error == nil)
            #expect(succeeded.latency >= .milliseconds(30))
            #expect(succeeded.generationID == response.id)
            #expect(succeeded.usage == response.usage)
            #expect(succeeded.usage?.cost != nil)
            #expect(succeeded.retryDelay == nil)
            #expect(!succeeded.willRetry)
            #expect(succeeded.startedAt >= failed.startedAt)
        }
    }

    @Test func aFailedAttemptReportsTheUsageItWasBilledFor() async throws {
        try await Harness.run { h in
            _ = await h.chatError(Harness.request(fault: "empty_choices"))
            let report = try #require(h.attempts.items.first)
            #expect(report.statusCode == 200)
            #expect(report.category == .invalidResponse)
            #expect(report.usage?.promptTokens ?? 0 > 0)
            #expect(report.generationID?.hasPrefix("gen-") == true)
        }
    }

    @Test func aTransportFailureIsReportedWithoutAStatus() async throws {
        try await Harness.run(configure: { $0.maxRetries = 0 }) { h in
            _ = await h.chatError(Harness.request(fault: "reset"))
            let report = try #require(h.attempts.items.first)
            #expect(report.statusCode == nil)
            #expect(report.category == .network)
            #expect(!report.willRetry)
        }
    }
}
