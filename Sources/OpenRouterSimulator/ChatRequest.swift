import Foundation

/// The fields of a chat completion request the simulator looks at; others are ignored.
struct ChatRequest: Decodable, Sendable {
    struct Message: Decodable, Sendable {
        var role: String?
        var content: JSONValue?
    }

    var model: String?
    /// OpenRouter's fallback list: tried in order after `model`.
    var models: [String]?
    /// Provider routing preferences; the simulator looks only at `order`.
    var provider: JSONValue?
    var messages: [Message]?
    var maxTokens: Int?
    var stream: Bool?
    var responseFormat: JSONValue?
    var tools: [JSONValue]?
    var toolChoice: JSONValue?
    var sim: SimDirective?

    enum CodingKeys: String, CodingKey {
        case model, models, provider, messages, stream, tools, sim
        case maxTokens = "max_tokens"
        case responseFormat = "response_format"
        case toolChoice = "tool_choice"
    }
}

/// The `sim` object in a request body: per-request fault injection and tuning.
struct SimDirective: Decodable, Sendable {
    /// Raw fault name; validated against ``SimulatedFault``.
    var fault: String?
    var times: Int?
    var key: String?
    var latencyMs: Int?
    var retryAfter: String?
    var trickleMs: Int?

    enum CodingKeys: String, CodingKey {
        case fault, times, key
        case latencyMs = "latency_ms"
        case retryAfter = "retry_after"
        case trickleMs = "trickle_ms"
    }
}

extension ChatRequest.Message {
    /// The text of `content`: a string, or the concatenated `text` of `{type:"text"}` parts.
    var text: String {
        switch content {
        case .string(let text): return text
        case .array(let parts):
            var text = ""
            for part in parts where part["type"]?.stringValue == "text" {
                text += part["text"]?.stringValue ?? ""
            }
            return text
        default: return ""
        }
    }
}
