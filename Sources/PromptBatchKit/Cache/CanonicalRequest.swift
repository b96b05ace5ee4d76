import OpenRouter

/// What the response cache compares: a request with the fields that do not change the answer
/// left out, in one canonical spelling, and its SHA-256.
///
/// The canonical form is the wire body without `stream` and `stream_options` (how the answer
/// travels, not what it says; a streamed and a non-streamed job share results), written with
/// ``JSONValue/canonicalBytes``: keys sorted, no whitespace, numbers by exact decimal value.
/// Everything else counts: model, messages, every parameter, the schema, tools, `models`,
/// `provider`, `user`, even a simulator's `sim` directive.
public struct CanonicalRequest: Sendable, Hashable {
    /// Fields left out of the canonical form.
    public static let ignoredFields: Set<String> = ["stream", "stream_options"]
    /// Prefixed to the hashed bytes, so a future change of the form cannot match old hashes.
    static let version = "promptbatch-request-v1\n"

    /// Lowercase hex SHA-256 of the version prefix and the canonical bytes.
    public var hash: String
    /// Whether the request sets `temperature` to 0. OpenRouter's default is 1, so a request
    /// without one is not deterministic.
    public var isDeterministic: Bool

    /// - Parameter wireBody: The request as it is sent.
    public init(wireBody: JSONObject) {
        var body = wireBody
        for field in Self.ignoredFields { body[field] = nil }
        var hasher = SHA256()
        hasher.update(Array(Self.version.utf8))
        hasher.update(JSONValue.object(body).canonicalBytes)
        hash = hasher.finalize()
        if case .number(let temperature)? = wireBody["temperature"] {
            isDeterministic = temperature == JSONNumber(0)
        } else {
            isDeterministic = false
        }
    }

    /// From a stored request body; nil when it is not a JSON object.
    public init?(requestBody: String) {
        guard case .object(let body)? = try? JSONValue(parsing: requestBody) else { return nil }
        self.init(wireBody: body)
    }
}
