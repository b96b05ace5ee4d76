import Testing

@testable import OpenRouter

/// `OpenRouterClient.init` and ``OpenRouterConfiguration`` checks. Nothing here sends a request.
@Suite("OpenRouterClient initialisation")
struct OpenRouterClientTests {
    static let key = "sk-or-v1-0123456789abcdef0123456789abcdef"

    static func configuration(_ change: (inout OpenRouterConfiguration) -> Void) -> OpenRouterConfiguration {
        var configuration = OpenRouterConfiguration()
        change(&configuration)
        return configuration
    }

    static func configError(apiKey: String = key, _ configuration: OpenRouterConfiguration) -> OpenRouterError? {
        #expect(throws: OpenRouterError.self) { _ = try OpenRouterClient(apiKey: apiKey, configuration: configuration) }
    }

    @Test func aValidConfigurationMakesAClient() throws {
        let client = try OpenRouterClient(apiKey: Self.key)
        #expect(client.baseURL == "https://openrouter.ai/api/v1")
        #expect(client.configuration.timeout == .seconds(30))
        #expect(client.configuration.maxRetries == 3)
        #expect(client.retryPolicy == RetryPolicy(maxRetries: 3, baseDelay: .seconds(1), maxDelay: .seconds(30), maxRetryAfter: .seconds(120)))
    }

    @Test func settingsReachTheRetryPolicyAndTheBaseURLLosesItsTrailingSlash() throws {
        let configuration = Self.configuration {
            $0.baseURL = "https://example.test/api/v1//"
            $0.maxRetries = 0
            $0.retryDelay = .milliseconds(10)
            $0.maxRetryDelay = .milliseconds(80)
            $0.maxRetryAfter = .seconds(5)
            $0.retriesInvalidResponses = true
        }
        let client = try OpenRouterClient(apiKey: Self.key, configuration: configuration)
        #expect(client.baseURL == "https://example.test/api/v1")
        #expect(client.retryPolicy == RetryPolicy(maxRetries: 0, baseDelay: .milliseconds(10), maxDelay: .milliseconds(80), maxRetryAfter: .seconds(5), retriesInvalidResponses: true))
    }

    @Test func theKeyIsTrimmed() throws {
        let client = try OpenRouterClient(apiKey: "  \(Self.key)\n")
        #expect(client.apiKey.secret == Self.key)
    }

    @Test(arguments: ["", "   ", "\n\t"])
    func aMissingOrBlankKeyIsAConfigError(key: String) {
        let error = Self.configError(apiKey: key, OpenRouterConfiguration())
        #expect(error?.category == .config)
        #expect(error?.message == "an API key is required (set OPENROUTER_API_KEY)")
        #expect(error?.isRetryable == false)
    }

    @Test(arguments: ["sk or v1", "sk-or-\u{7F}", "sk-or-é", "sk-or\r\nX-Injected: 1"])
    func aKeyThatCannotGoInAHeaderIsAConfigError(key: String) {
        let error = Self.configError(apiKey: key, OpenRouterConfiguration())
        #expect(error?.category == .config)
        #expect(error?.message == "the API key contains characters not allowed in an HTTP header")
    }

    @Test(arguments: ["not a url", "", "ftp://openrouter.ai/api/v1", "openrouter.ai/api/v1", "https://", "file:///tmp/x"])
    func anUnusableBaseURLIsAConfigError(url: String) {
        let error = Self.configError(Self.configuration { $0.baseURL = url })
        #expect(error?.category == .config)
        #expect(error?.message == "base URL '\(url)' is not an http(s) URL")
    }

    @Test func negativeRetriesAreAConfigError() {
        let error = Self.configError(Self.configuration { $0.maxRetries = -1 })
        #expect(error?.category == .config)
        #expect(error?.message == "maxRetries must not be negative")
    }

    @Test(arguments: [Duration.zero, .seconds(-1)])
    func aTimeoutThatIsNotPositiveIsAConfigError(timeout: Duration) {
        let error = Self.configError(Self.configuration { $0.timeout = timeout })
        #expect(error?.category == .config)
        #expect(error?.message == "timeout must be positive")
        let idle = Self.configError(Self.configuration { $0.streamIdleTimeout = timeout })
        #expect(idle?.category == .config)
        #expect(idle?.message == "stream idle timeout must be positive")
    }

    @Test func otherLimitsAreChecked() {
        let delay = Self.configError(Self.configuration { $0.retryDelay = .milliseconds(-1) })
        #expect(delay?.category == .config)
        #expect(delay?.message == "retry delays must not be negative")
        let maxDelay = Self.configError(Self.configuration { $0.maxRetryDelay = .milliseconds(-1) })
        #expect(maxDelay?.message == "retry delays must not be negative")
        let concurrency = Self.configError(Self.configuration { $0.maxConcurrentRequests = 0 })
        #expect(concurrency?.category == .config)
        #expect(concurrency?.message == "maxConcurrentRequests must be at least 1")
        let bytes = Self.configError(Self.configuration { $0.maxResponseBytes = 1023 })
        #expect(bytes?.category == .config)
        #expect(bytes?.message == "maxResponseBytes must be at least 1024")
    }

    @Test(arguments: ["http://openrouter.ai/api/v1", "http://10.0.0.5:8080", "http://128.0.0.1", "http://localhost.evil.example", "http://127.0.0.1.nip.io"])
    func plainHTTPToANonLoopbackHostIsAConfigError(url: String) throws {
        let error = Self.configError(Self.configuration { $0.baseURL = url })
        #expect(error?.category == .config)
        #expect(error?.message.hasPrefix("refusing plain http:// to '") == true)
        #expect(error?.message.hasSuffix("': the API key would travel unencrypted (only loopback hosts are allowed)") == true)
    }

    @Test(arguments: ["http://127.0.0.1:8080/api/v1", "http://localhost:1234", "http://LOCALHOST", "http://[::1]:9000/api/v1", "http://127.1.2.3"])
    func plainHTTPToLoopbackIsAllowed(url: String) throws {
        let client = try OpenRouterClient(apiKey: Self.key, configuration: Self.configuration { $0.baseURL = url })
        #expect(client.baseURL.hasPrefix("http://"))
    }

    @Test func allowsInsecureHTTPAllowsOtherHosts() throws {
        let client = try OpenRouterClient(apiKey: Self.key, configuration: Self.configuration {
            $0.baseURL = "http://10.0.0.5:8080/api/v1"
            $0.allowsInsecureHTTP = true
        })
        #expect(client.baseURL == "http://10.0.0.5:8080/api/v1")
    }

    @Test func httpsNeedsNoPermission() throws {
        _ = try OpenRouterClient(apiKey: Self.key, configuration: Self.configuration { $0.baseURL = "https://10.0.0.5/api/v1" })
    }

    @Test func theKeyIsNotInAConfigErrorDescription() {
        let error = Self.configError(apiKey: Self.key, Self.configuration { $0.baseURL = "http://openrouter.ai" })
        #expect(error.map { !"\($0)".contains(Self.key) } == true)
    }

    @Test func requestHeadersCarryTheKeyAndAttribution() throws {
        let client = try OpenRouterClient(apiKey: Self.key, configuration: Self.configuration {
            $0.appName = "promptbatch"
            $0.siteURL = "https://example.org"
        })
        let headers = client.headers(streaming: false)
        #expect(headers["Authorization"] == ["Bearer \(Self.key)"])
        #expect(headers["Accept"] == ["application/json"])
        #expect(headers["X-OpenRouter-Title"] == ["promptbatch"])
        #expect(headers["X-Title"] == ["promptbatch"])
        #expect(headers["HTTP-Referer"] == ["https://example.org"])
        #expect(client.headers(streaming: true)["Accept"] == ["text/event-stream"])
        let plain = try OpenRouterClient(apiKey: Self.key).headers(streaming: false)
        #expect(plain["X-Title"].isEmpty && plain["X-OpenRouter-Title"].isEmpty && plain["HTTP-Referer"].isEmpty)
    }

    @Test(arguments: ["promptbatch\r\nX-Injected: 1", "line\nbreak", "nul\u{0}"])
    func attributionThatCannotGoInAHeaderIsAConfigError(value: String) {
        let byName = Self.configError(Self.configuration { $0.appName = value })
        #expect(byName?.category == .config)
        #expect(byName?.message == "appName contains a line break or NUL, which an HTTP header cannot carry")
        let bySite = Self.configError(Self.configuration { $0.siteURL = value })
        #expect(bySite?.message == "siteURL contains a line break or NUL, which an HTTP header cannot carry")
    }

    @Test func theChatHeadIsMadeOnceWithEveryHeaderAndALengthToFillIn() throws {
        let client = try OpenRouterClient(apiKey: Self.key, configuration: Self.configuration {
            $0.baseURL = "https://example.org:8443/some%20path/api/v1"
            $0.appName = "Café app"
        })
        let head = String(decoding: client.requestHeaders.chatHead, as: UTF8.self)
        #expect(head.hasPrefix("POST /some%20path/api/v1/chat/completions HTTP/1.1\r\n"))
        #expect(head.contains("\r\nHost: example.org:8443\r\n"))
        #expect(head.contains("\r\nAuthorization: Bearer \(Self.key)\r\n"))
        #expect(head.contains("\r\nX-Title: Café app\r\n"))
        #expect(head.hasSuffix("\r\nContent-Length: "))
    }

    @Test(arguments: [
        ("application/json", "json", true), ("Application/JSON; charset=utf-8", "json", true),
        ("application/problem+json", "json", true), ("text/html; charset=utf-8", "json", false),
        ("", "json", false), ("jso", "json", false), ("TEXT/EVENT-STREAM", "event-stream", true),
        ("text/event\rstream", "event-stream", false), ("text/plain", "event-stream", false),
    ] as [(String, StaticString, Bool)])
    func mediaTypesAreMatchedWithoutRegardToCase(value: String, word: StaticString, matches: Bool) {
        #expect(OpenRouterClient.mediaType(value, contains: word) == matches)
    }
}
