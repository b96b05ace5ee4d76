import Foundation

/// The simulator's deterministic token and reply rules, public so tests can compute
/// the exact values a response must carry.
///
/// - `prompt_tokens` = Σ over messages of `4 + ceil(utf8Bytes(text) / 4)`, where the text
///   is a string `content` or the concatenation of its `{type:"text"}` parts; `null`
///   content counts as 0 bytes.
/// - reply = `"Simulated reply to: "` + the first 32 characters of the last user message
///   (`{"reply":"…"}` for `json_object`, the minimal schema instance for `json_schema`).
/// - `completion_tokens` = `ceil(utf8Bytes(reply) / 4)`; with a smaller `max_tokens` the reply
///   is cut to `max_tokens × 4` bytes at a character boundary, `completion_tokens = max_tokens`
///   and `finish_reason` is `length`. Tool calls count the arguments' bytes and ignore
///   `max_tokens`.
/// - cost = `prompt_tokens × promptPrice + completion_tokens × completionPrice` (``SimulatedModel/cost(promptTokens:completionTokens:)``).
public enum TokenCounting {
    /// Prefix of every simulated text reply.
    public static let replyPrefix = "Simulated reply to: "

    /// `ceil(utf8 bytes / 4)`.
    public static func tokens(forText text: String) -> Int {
        (text.utf8.count + 3) / 4
    }

    /// Tokens one message adds to `prompt_tokens`: `4 + ceil(bytes / 4)`.
    public static func messageTokens(text: String) -> Int {
        4 + tokens(forText: text)
    }

    /// `prompt_tokens` for messages given by their text content.
    public static func promptTokens(messageTexts: [String]) -> Int {
        messageTexts.reduce(0) { $0 + messageTokens(text: $1) }
    }

    /// The plain-text reply for a last user message.
    public static func replyText(lastUserMessage: String) -> String {
        replyPrefix + String(lastUserMessage.prefix(32))
    }

    /// The `json_object` reply: `{"reply":"<replyText>"}`.
    public static func jsonObjectReply(lastUserMessage: String) -> String {
        "{\"reply\":" + JSONText.quoted(replyText(lastUserMessage: lastUserMessage)) + "}"
    }

    /// The minimal instance of a JSON Schema given as JSON text, written compactly with
    /// sorted keys (the content of a `json_schema` reply or a tool call's `arguments`).
    /// Returns `nil` if `schemaJSON` is not valid JSON.
    public static func minimalInstance(ofSchemaJSON schemaJSON: String) -> String? {
        guard let schema = try? JSONDecoder().decode(JSONValue.self, from: Data(schemaJSON.utf8)) else { return nil }
        return JSONSchemaInstance(root: schema).instance().jsonText
    }

    /// Cuts `reply` to at most `maxTokens × 4` UTF-8 bytes at a character boundary.
    /// Returns the (possibly shortened) text, `completion_tokens` and whether it was cut.
    public static func applyMaxTokens(_ reply: String, maxTokens: Int?) -> (text: String, completionTokens: Int, truncated: Bool) {
        let full = tokens(forText: reply)
        guard let maxTokens, maxTokens >= 0, maxTokens < full else { return (reply, full, false) }
        let limit = maxTokens * 4
        var bytes = 0
        var end = reply.startIndex
        for character in reply {
            let size = character.utf8.count
            if bytes + size > limit { break }
            bytes += size
            end = reply.index(after: end)
        }
        return (String(reply[..<end]), maxTokens, true)
    }
}
