/// A misbehaviour the simulator can inject into a chat completion.
///
/// Chosen per request with the body directive `"sim": {"fault": "<rawValue>"}` or at
/// random with ``SimulatorConfiguration/faultRates``. Faults that only make sense for
/// one mode fall back as documented on each case.
public enum SimulatedFault: String, CaseIterable, Sendable, Hashable, Codable {
    /// 400 Bad Request, `error_type: bad_request`.
    case badRequest = "400"
    /// 401 Unauthorized, `error_type: unauthorized`.
    case unauthorized = "401"
    /// 402 Payment Required without `Retry-After`.
    case paymentRequired = "402"
    /// 402 Payment Required with `Retry-After`.
    case paymentRequiredRetry = "402_retry"
    /// 403 moderation error; metadata has `reasons`, `flagged_input`, `provider_name`, `model_slug`.
    case moderation = "403"
    /// 408 Request Timeout.
    case requestTimeout = "408"
    /// 422 Unprocessable Entity.
    case unprocessable = "422"
    /// 429 with `Retry-After` (directive `retry_after`, else the configuration's, default `"1"`)
    /// and `X-RateLimit-Limit/Remaining/Reset`.
    case rateLimited = "429"
    /// 500 Internal Server Error, `error_type: server`.
    case serverError = "500"
    /// 502 Bad Gateway, `error_type: provider_unavailable`.
    case badGateway = "502"
    /// 503 with `Retry-After`, `error_type: provider_overloaded`.
    case overloaded = "503"
    /// 504 Gateway Timeout, `error_type: timeout`.
    case gatewayTimeout = "504"
    /// The connection is closed before any response byte (no status line, no headers).
    case reset = "reset"
    /// Nothing is sent for up to 120 s or until the client disconnects.
    case hang = "hang"
    /// A valid 200 body sent one byte every `trickle_ms` (directive; default 1000 ms).
    case trickle = "trickle"
    /// 200, `application/json`, body cut in half (stream: a truncated `data:` event).
    case malformed = "malformed"
    /// 200 whose body is `{"error":{"code":502,…}}`.
    case errorBody = "error_body"
    /// 200 with `choices[0].finish_reason: "error"` and `choices[0].error`.
    /// Streams behave like ``streamError``.
    case choiceError = "choice_error"
    /// 200 with `"choices":[]` (stream: only the usage chunk and `[DONE]`).
    case emptyChoices = "empty_choices"
    /// 200 without a `choices` key (stream: only a usage chunk without `choices`, then `[DONE]`).
    case missingChoices = "missing_choices"
    /// Stream: after two content deltas, OpenRouter's mid-stream error event, then EOF
    /// without `[DONE]`. Non-stream: same as ``choiceError``.
    case streamError = "stream_error"
    /// Stream ends after the usage chunk without `[DONE]`. Non-stream: a normal answer.
    case noDone = "no_done"
    /// 200 whose content violates the requested json_schema (first required property of the
    /// root object dropped); `"not json"` when there is no schema or nothing to drop.
    case schemaViolation = "schema_violation"
    /// 401 whose message echoes the request's `Authorization` header value.
    case echoAuth = "echo_auth"
    /// Usage with negative `prompt_tokens`.
    case badUsage = "bad_usage"
    /// `usage.cost` written as the JSON string `"0.001"`.
    case costString = "cost_string"
    /// A valid 200 body labelled `Content-Type: text/html`.
    case wrongContentType = "wrong_content_type"
    /// A valid 200 body whose content is a 20 MiB string.
    case hugeBody = "huge_body"

    /// The HTTP status for faults that answer with an error status, else `nil`.
    public var errorStatus: Int? {
        switch self {
        case .badRequest: 400
        case .unauthorized, .echoAuth: 401
        case .paymentRequired, .paymentRequiredRetry: 402
        case .moderation: 403
        case .requestTimeout: 408
        case .unprocessable: 422
        case .rateLimited: 429
        case .serverError: 500
        case .badGateway: 502
        case .overloaded: 503
        case .gatewayTimeout: 504
        default: nil
        }
    }
}
