import Foundation

/// Settings of an ``OpenRouterClient``. Every property has a default; the API key is not one
/// of them (it is an argument of the client's initialiser, so it can never be printed with
/// the configuration).
public struct OpenRouterConfiguration: Sendable {
    /// Default `https://openrouter.ai/api/v1`. Plain `http://` is accepted only for loopback
    /// hosts (127.0.0.0/8, `::1`, `localhost`) unless ``allowsInsecureHTTP`` is set.
    public var baseURL: String = "https://openrouter.ai/api/v1"
    /// Model used when a request names none. Default: none (a request must name one).
    public var defaultModel: String?
    /// Deadline for one HTTP attempt as a whole, streamed body included. Default 30 s.
    public var timeout: Duration = .seconds(30)
    /// Longest silence allowed between two reads of a streamed body. Default 60 s.
    public var streamIdleTimeout: Duration = .seconds(60)
    /// Retries after the first attempt. Default 3 (so at most 4 attempts).
    public var maxRetries: Int = 3
    /// First backoff delay; attempt `n` waits `retryDelay × 2ⁿ` plus jitter. Default 1 s.
    public var retryDelay: Duration = .seconds(1)
    /// Upper bound of one backoff delay. Default 30 s.
    public var maxRetryDelay: Duration = .seconds(30)
    /// A `Retry-After` longer than this is not waited for: the error is thrown instead. Default 120 s.
    public var maxRetryAfter: Duration = .seconds(120)
    /// Also retry `invalid_response` (truncated or malformed bodies). Default false.
    public var retriesInvalidResponses = false
    /// Sent as `X-OpenRouter-Title` and `X-Title`. Default none.
    public var appName: String?
    /// Sent as `HTTP-Referer`. Default none.
    public var siteURL: String?
    /// Requests in flight at once through this client; more wait their turn. Default 5.
    public var maxConcurrentRequests: Int = 5
    /// Lower the in-flight limit below ``maxConcurrentRequests`` when the server answers 429 or
    /// 503, and raise it again while requests succeed (see ``AdaptiveConcurrency``). Default false.
    public var adaptsConcurrency = false
    /// How long a `/models` answer is reused. Default 10 minutes.
    public var modelsCacheDuration: Duration = .seconds(600)
    /// Largest response body accepted, in bytes. Default 16 MiB.
    public var maxResponseBytes: Int = 16 * 1024 * 1024
    /// Allow plain `http://` to hosts that are not loopback. Default false.
    public var allowsInsecureHTTP = false

    public init() {}

    /// Checks every setting; returns the parsed base URL.
    /// - Throws: `OpenRouterError` with category `config`.
    func validatedBaseURL() throws(OpenRouterError) -> URL {
        guard
            let url = URL(string: baseURL), let scheme = url.scheme?.lowercased(),
            scheme == "https" || scheme == "http", let host = url.host, !host.isEmpty
        else {
            throw OpenRouterError(.config, "base URL '\(baseURL)' is not an http(s) URL")
        }
        if scheme == "http" && !allowsInsecureHTTP && !Self.isLoopback(host: host) {
            throw OpenRouterError(
                .config,
                "refusing plain http:// to '\(host)': the API key would travel unencrypted (only loopback hosts are allowed)"
            )
        }
        guard timeout > .zero else { throw OpenRouterError(.config, "timeout must be positive") }
        guard streamIdleTimeout > .zero else { throw OpenRouterError(.config, "stream idle timeout must be positive") }
        guard maxRetries >= 0 else { throw OpenRouterError(.config, "maxRetries must not be negative") }
        guard retryDelay >= .zero, maxRetryDelay >= .zero else {
            throw OpenRouterError(.config, "retry delays must not be negative")
        }
        guard maxConcurrentRequests >= 1 else {
            throw OpenRouterError(.config, "maxConcurrentRequests must be at least 1")
        }
        guard maxResponseBytes >= 1024 else { throw OpenRouterError(.config, "maxResponseBytes must be at least 1024") }
        for (setting, value) in [("appName", appName), ("siteURL", siteURL)] {
            // Requests' heads are made once, from these: a line break would end the header.
            if let value, value.utf8.contains(where: { $0 == 0x0D || $0 == 0x0A || $0 == 0x00 }) {
                throw OpenRouterError(.config, "\(setting) contains a line break or NUL, which an HTTP header cannot carry")
            }
        }
        return url
    }

    /// 127.0.0.0/8, `::1` and `localhost`.
    public static func isLoopback(host: String) -> Bool {
        let host = host.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        if host == "localhost" || host == "::1" || host == "0:0:0:0:0:0:0:1" { return true }
        let octets = host.split(separator: ".", omittingEmptySubsequences: false)
        return octets.count == 4 && octets[0] == "127" && octets.allSatisfy { UInt8($0) != nil }
    }
}
