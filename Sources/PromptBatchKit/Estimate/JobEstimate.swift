import OpenRouter

/// What one attempt of a job may use, known before it is sent: an estimate of its prompt
/// tokens and the completion limit it asked for.
///
/// The prompt rule is the usual rule of thumb for English text with BPE tokenizers: a token
/// per ``bytesPerToken`` UTF-8 bytes, plus ``tokensPerMessage`` per message for the chat
/// template. Counted per message: its text (string content, or the `text` of its parts),
/// its `name`, and the names and arguments of its tool calls. Counted once: the `tools`
/// definitions and the `response_format` (a JSON schema), which providers put in the prompt
/// too. Images, audio and files are not counted. It is a heuristic, not a tokenizer: text in
/// scripts that take several bytes per character, or code, can come out higher.
public struct JobEstimate: Sendable, Hashable {
    /// Estimated `prompt_tokens` of one attempt.
    public var promptTokens: Int
    /// The request's `max_tokens` (the larger of it and `max_completion_tokens` when both are
    /// set); nil when it sets neither.
    public var maxCompletionTokens: Int?

    /// UTF-8 bytes per estimated token: 4.
    public static let bytesPerToken = 4
    /// Tokens added per message for its role and delimiters: 4.
    public static let tokensPerMessage = 4

    public init(promptTokens: Int, maxCompletionTokens: Int?) {
        self.promptTokens = promptTokens
        self.maxCompletionTokens = maxCompletionTokens
    }

    /// Estimates a request given as its wire body.
    public init(wireBody body: JSONObject) {
        var tokens = 0
        for message in body["messages"]?.arrayValue ?? [] {
            var bytes = 0
            switch message["content"] {
            case .string(let text)?:
                bytes += text.utf8.count
            case .array(let parts)?:
                for part in parts { bytes += part["text"]?.stringValue?.utf8.count ?? 0 }
            default:
                break
            }
            bytes += message["name"]?.stringValue?.utf8.count ?? 0
            for call in message["tool_calls"]?.arrayValue ?? [] {
                bytes += call["function"]?["name"]?.stringValue?.utf8.count ?? 0
                bytes += call["function"]?["arguments"]?.stringValue?.utf8.count ?? 0
            }
            tokens += Self.tokensPerMessage + Self.tokens(forBytes: bytes)
        }
        tokens += Self.definitionTokens(in: body)
        self.init(promptTokens: tokens, maxCompletionTokens: Self.limit(body["max_tokens"]?.intValue, body["max_completion_tokens"]?.intValue))
    }

    /// Estimates a request read from a job file, from its typed fields rather than by looking
    /// them up in its wire body: the same count, since the body is made from them.
    public init(request: ChatRequest) {
        var tokens = 0
        for message in request.messages {
            var bytes = 0
            switch message.content {
            case .text(let text)?:
                bytes += text.utf8.count
            case .parts(let parts)?:
                for part in parts { bytes += part["text"]?.stringValue?.utf8.count ?? 0 }
            case nil:
                break
            }
            bytes += message.name?.utf8.count ?? 0
            for call in message.toolCalls ?? [] {
                bytes += call.name.utf8.count + call.arguments.utf8.count
            }
            tokens += Self.tokensPerMessage + Self.tokens(forBytes: bytes)
        }
        let hasSchema = if case .jsonSchema? = request.responseFormat { true } else { false }
        if request.tools != nil || hasSchema {
            // Rare enough to take from the wire body as it is sent.
            tokens += Self.definitionTokens(in: request.wireBody())
        }
        let maxCompletionTokens = request.extraFields["max_completion_tokens"]?.intValue
        self.init(promptTokens: tokens, maxCompletionTokens: Self.limit(request.parameters.maxTokens, maxCompletionTokens))
    }

    /// What the prompt carries besides its messages: the `tools` definitions and a JSON-schema
    /// `response_format`, counted by their JSON text.
    private static func definitionTokens(in body: JSONObject) -> Int {
        var tokens = 0
        if let tools = body["tools"], !tools.isNull {
            tokens += Self.tokens(forBytes: tools.serialized.utf8.count)
        }
        if let format = body["response_format"], format["type"]?.stringValue == "json_schema" {
            tokens += Self.tokens(forBytes: format.serialized.utf8.count)
        }
        return tokens
    }

    /// The larger of `max_tokens` and `max_completion_tokens`, or whichever is set.
    private static func limit(_ maxTokens: Int?, _ maxCompletionTokens: Int?) -> Int? {
        switch (maxTokens, maxCompletionTokens) {
        case (let maxTokens?, let maxCompletionTokens?): max(maxTokens, maxCompletionTokens)
        case (let maxTokens, let maxCompletionTokens): maxTokens ?? maxCompletionTokens
        }
    }

    /// Estimates a request given as stored JSON text; text that is not a JSON object is
    /// counted as one message of that many bytes.
    public init(requestBody: String) {
        if case .object(let body)? = try? JSONValue(parsing: requestBody) {
            self.init(wireBody: body)
        } else {
            self.init(promptTokens: Self.tokensPerMessage + Self.tokens(forBytes: requestBody.utf8.count), maxCompletionTokens: nil)
        }
    }

    /// `ceil(bytes / bytesPerToken)`.
    static func tokens(forBytes bytes: Int) -> Int {
        (bytes + bytesPerToken - 1) / bytesPerToken
    }
}
