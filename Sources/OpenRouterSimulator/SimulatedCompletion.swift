import Foundation

/// The deterministic answer to one chat request, before it is written as JSON or SSE.
struct SimulatedCompletion: Sendable {
    struct ToolCall: Sendable {
        var id: String
        var name: String
        var arguments: String
    }

    var id: String
    var model: String
    var created: Int
    /// `nil` when answering with a tool call.
    var content: String?
    var toolCall: ToolCall?
    var finishReason: String
    var promptTokens: Int
    var completionTokens: Int
    var cost: Decimal
    /// The provider named in the response: the first of the request's `provider.order`, else `SimProvider`.
    var provider = "SimProvider"
}

/// The OpenRouter error object used for provider errors inside 200 responses.
let providerErrorObject =
    "{\"code\":502,\"message\":\"Provider returned error\",\"metadata\":{\"error_type\":\"provider_unavailable\","
    + "\"provider_name\":\"SimProvider\",\"raw\":\"upstream connect error or disconnect/reset before headers\"}}"

/// Writes a ``SimulatedCompletion`` in OpenRouter's exact response shapes, with the
/// body-shape faults applied.
struct CompletionRenderer {
    let completion: SimulatedCompletion
    let fault: SimulatedFault?
    /// `"\n"` or `"\r\n"` for SSE.
    let lineEnding: String

    // MARK: Non-stream

    /// The `application/json` body of a non-streamed answer.
    func jsonBody() -> String {
        if fault == .errorBody {
            return "{\"error\":" + providerErrorObject + "}"
        }
        var out = header(object: "chat.completion")
        switch fault {
        case .emptyChoices:
            out += ",\"choices\":[]"
        case .missingChoices:
            break
        case .choiceError, .streamError:
            out += ",\"choices\":[{\"index\":0,\"finish_reason\":\"error\",\"native_finish_reason\":\"error\""
            out += ",\"message\":{\"role\":\"assistant\",\"content\":\"\"},\"error\":" + providerErrorObject + "}]"
        default:
            out += ",\"choices\":[{\"index\":0,\"finish_reason\":"
            JSONText.appendString(completion.finishReason, to: &out)
            out += ",\"native_finish_reason\":"
            JSONText.appendString(completion.finishReason, to: &out)
            out += ",\"message\":" + message() + "}]"
        }
        out += ",\"usage\":" + usage() + "}"
        if fault == .malformed {
            return String(decoding: out.utf8.prefix(out.utf8.count / 2), as: UTF8.self)
        }
        return out
    }

    private func message() -> String {
        var out = "{\"role\":\"assistant\",\"content\":"
        if let content = completion.content {
            JSONText.appendString(content, to: &out)
        } else {
            out += "null"
        }
        if let call = completion.toolCall {
            out += ",\"tool_calls\":[{\"id\":"
            JSONText.appendString(call.id, to: &out)
            out += ",\"type\":\"function\",\"function\":{\"name\":"
            JSONText.appendString(call.name, to: &out)
            out += ",\"arguments\":"
            JSONText.appendString(call.arguments, to: &out)
            out += "}}]"
        }
        return out + "}"
    }

    /// `{"id":…,"provider":…,"model":…,"object":…,"created":…` without the closing brace.
    private func header(object: String) -> String {
        var out = "{\"id\":"
        JSONText.appendString(completion.id, to: &out)
        out += ",\"provider\":"
        JSONText.appendString(completion.provider, to: &out)
        out += ",\"model\":"
        JSONText.appendString(completion.model, to: &out)
        out += ",\"object\":\"\(object)\",\"created\":\(completion.created)"
        return out
    }

    func usage() -> String {
        let prompt = fault == .badUsage ? -completion.promptTokens : completion.promptTokens
        let cost = fault == .costString ? "\"0.001\"" : JSONText.decimalLiteral(completion.cost)
        return "{\"prompt_tokens\":\(prompt),\"completion_tokens\":\(completion.completionTokens)"
            + ",\"total_tokens\":\(prompt + completion.completionTokens)"
            + ",\"prompt_tokens_details\":{\"cached_tokens\":0},\"completion_tokens_details\":{\"reasoning_tokens\":0}"
            + ",\"cost\":" + cost + "}"
    }

    // MARK: Stream

    /// The SSE comment OpenRouter sends before the first event.
    var processingComment: String {
        ": OPENROUTER PROCESSING" + lineEnding + lineEnding
    }

    private func event(_ data: String) -> String {
        "data: " + data + lineEnding + lineEnding
    }

    private func chunk(delta: String, finishReason: String? = nil) -> String {
        let reason = finishReason.map(JSONText.quoted) ?? "null"
        return event(
            header(object: "chat.completion.chunk")
                + ",\"choices\":[{\"index\":0,\"delta\":" + delta
                + ",\"finish_reason\":" + reason + ",\"native_finish_reason\":" + reason + "}]}")
    }

    /// The `data:` events after the processing comment, in order.
    func streamEvents() -> [String] {
        if fault == .errorBody {
            return [event("{\"error\":" + providerErrorObject + "}")]
        }
        let usageChunk = header(object: "chat.completion.chunk") + ",\"choices\":[],\"usage\":" + usage() + "}"
        let done = event("[DONE]")
        switch fault {
        case .emptyChoices:
            return [event(usageChunk), done]
        case .missingChoices:
            return [event(header(object: "chat.completion.chunk") + ",\"usage\":" + usage() + "}"), done]
        default:
            break
        }

        var events = [chunk(delta: "{\"role\":\"assistant\",\"content\":\"\"}")]
        if fault == .malformed {
            let full = chunk(delta: "{\"content\":" + JSONText.quoted(completion.content ?? "") + "}")
            events.append(String(decoding: full.utf8.prefix(full.utf8.count / 2), as: UTF8.self) + lineEnding + lineEnding)
            return events
        }
        let deltas = contentDeltas()
        if fault == .streamError || fault == .choiceError {
            events += deltas.prefix(2).map { chunk(delta: $0) }
            events.append(
                event(
                    "{\"id\":" + JSONText.quoted(completion.id) + ",\"object\":\"chat.completion.chunk\",\"created\":\(completion.created)"
                        + ",\"model\":" + JSONText.quoted(completion.model) + ",\"provider\":" + JSONText.quoted(completion.provider)
                        + ",\"error\":{\"code\":502,\"message\":\"Provider disconnected\",\"metadata\":{\"error_type\":\"provider_unavailable\"}}"
                        + ",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"\"},\"finish_reason\":\"error\"}]}"))
            return events
        }
        events += deltas.map { chunk(delta: $0) }
        events.append(chunk(delta: "{}", finishReason: completion.finishReason))
        events.append(event(usageChunk))
        if fault != .noDone { events.append(done) }
        return events
    }

    /// The `delta` objects carrying the content or tool call, about four pieces.
    private func contentDeltas() -> [String] {
        if let call = completion.toolCall {
            var first = "{\"tool_calls\":[{\"index\":0,\"id\":" + JSONText.quoted(call.id)
            first += ",\"type\":\"function\",\"function\":{\"name\":" + JSONText.quoted(call.name) + ",\"arguments\":\"\"}}]}"
            return [first] + Self.split(call.arguments, pieces: 3).map {
                "{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":" + JSONText.quoted($0) + "}}]}"
            }
        }
        return Self.split(completion.content ?? "", pieces: 4).map { "{\"content\":" + JSONText.quoted($0) + "}" }
    }

    /// Splits `text` into at most `pieces` non-empty runs of characters.
    static func split(_ text: String, pieces: Int) -> [String] {
        guard !text.isEmpty else { return [] }
        // Index walking instead of Array(text): huge_body content is 20 MiB.
        let size = max(1, (text.count + pieces - 1) / pieces)
        var result: [String] = []
        var start = text.startIndex
        while start < text.endIndex {
            let end = text.index(start, offsetBy: size, limitedBy: text.endIndex) ?? text.endIndex
            result.append(String(text[start..<end]))
            start = end
        }
        return result
    }
}
