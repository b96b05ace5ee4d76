import Foundation

/// The one error the OpenRouter client throws.
///
/// Its ``category`` comes from a closed set whose raw values are stable (they become a CSV
/// column in promptbatch). The description never contains the API key or prompt text.
public struct OpenRouterError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure this is. The raw values are part of the public contract.
    public struct Category: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// Invalid client settings: missing key, unparsable or refused base URL, negative limits.
        public static let config = Category(rawValue: "config")
        /// The request failed local validation and was never sent.
        public static let validation = Category(rawValue: "validation")
        /// 400 or 422: the server rejected the request's parameters.
        public static let badRequest = Category(rawValue: "bad_request")
        /// 401: bad or missing key. No other request with this key will succeed either.
        public static let auth = Category(rawValue: "auth")
        /// 402: out of credits or over the key's limit.
        public static let payment = Category(rawValue: "payment")
        /// 403: permissions or guardrails.
        public static let forbidden = Category(rawValue: "forbidden")
        /// 429.
        public static let rateLimited = Category(rawValue: "rate_limited")
        /// 408, 504, or one of the client's own deadlines.
        public static let timeout = Category(rawValue: "timeout")
        /// 500, 502, 503 and other 5xx.
        public static let server = Category(rawValue: "server")
        /// Connection refused or reset, DNS, TLS.
        public static let network = Category(rawValue: "network")
        /// A body that cannot be parsed, is incomplete, or lacks what a completion must have.
        public static let invalidResponse = Category(rawValue: "invalid_response")
        /// The content does not match the requested JSON schema (or is not JSON when JSON was asked for).
        public static let schemaViolation = Category(rawValue: "schema_violation")
        /// Moderation flagged the input, or the output finished with `content_filter`.
        public static let contentFilter = Category(rawValue: "content_filter")
        /// The caller cancelled the request.
        public static let cancelled = Category(rawValue: "cancelled")

        /// Every category, in documentation order.
        public static let all: [Category] = [
            .config, .validation, .badRequest, .auth, .payment, .forbidden, .rateLimited, .timeout,
            .server, .network, .invalidResponse, .schemaViolation, .contentFilter, .cancelled,
        ]
    }

    public var category: Category
    /// A human-readable explanation, with the provider's own message when there is one.
    public var message: String
    /// The HTTP status of the response, when there was one (200 for errors carried inside a 200).
    public var statusCode: Int?
    /// The error code inside an OpenRouter error body, when it differs from the HTTP status.
    public var errorCode: Int?
    /// `metadata.provider_name` of a provider error.
    public var providerName: String?
    /// `metadata.raw`: what the upstream provider said.
    public var providerRaw: String?
    /// `metadata.error_type`, e.g. `rate_limit_exceeded`.
    public var errorType: String?
    /// The generation id (`X-Generation-Id` or the body's `id`), the handle for `/generation`.
    public var generationID: String?
    /// How long the server asked us to wait (`Retry-After`).
    public var retryAfter: Duration?
    /// Content received before a stream failed or was cut off.
    public var partialContent: String?
    /// Token usage the failed response reported, if any (a failed attempt may still be billed).
    public var usage: Usage?
    /// For `schema_violation`: the path of the first offending value, e.g. `$.items[2].name`.
    public var path: String?
    /// False when the request never went out (cancelled while waiting for a free request
    /// slot): no attempt to report, nothing billed.
    public var wasSent = true

    public init(
        _ category: Category,
        _ message: String,
        statusCode: Int? = nil,
        retryAfter: Duration? = nil,
        generationID: String? = nil
    ) {
        self.category = category
        self.message = message
        self.statusCode = statusCode
        self.retryAfter = retryAfter
        self.generationID = generationID
    }

    /// Whether trying the same request again may succeed.
    ///
    /// Decided here and nowhere else: network errors, timeouts, 429, 5xx and errors carried
    /// in a 200 with such a code are retryable; a 402 only when it says when to retry;
    /// 400, 401, 403, validation, schema violations and cancellation never are.
    public var isRetryable: Bool {
        switch category {
        case .network, .timeout, .rateLimited, .server: true
        case .payment: retryAfter != nil
        default: false
        }
    }

    /// An error that stops a whole batch: no other request with this key can succeed.
    public var isFatal: Bool {
        category == .auth || (category == .payment && retryAfter == nil)
    }

    public var description: String {
        var text = "\(category.rawValue): \(message)"
        if let statusCode { text += " (HTTP \(statusCode))" }
        if let providerName { text += " [provider: \(providerName)]" }
        if let providerRaw { text += " provider said: \(providerRaw)" }
        if let path { text += " at \(path)" }
        return text
    }
}

extension OpenRouterError: LocalizedError {
    public var errorDescription: String? { description }
}

extension OpenRouterError.Category {
    /// The category of an HTTP status code (also used for codes inside an error body).
    public init(statusCode: Int) {
        switch statusCode {
        case 400, 422: self = .badRequest
        case 401: self = .auth
        case 402: self = .payment
        case 403: self = .forbidden
        case 408, 504: self = .timeout
        case 429: self = .rateLimited
        case 500...599: self = .server
        default: self = .badRequest
        }
    }
}
