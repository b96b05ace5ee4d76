import Foundation

/// What `/generation` remembers about one served completion; deliberately small.
struct GenerationRecord: Sendable {
    var model: String
    var cost: Decimal
    var promptTokens: Int
    var completionTokens: Int
    var latencyMs: Int
    var finishReason: String?
    var created: Int
    var streamed: Bool
    var providerName = "SimProvider"

    func jsonText(id: String) -> String {
        var out = "{\"data\":{\"id\":"
        JSONText.appendString(id, to: &out)
        out += ",\"model\":"
        JSONText.appendString(model, to: &out)
        out += ",\"total_cost\":" + JSONText.decimalLiteral(cost)
        out += ",\"tokens_prompt\":\(promptTokens),\"tokens_completion\":\(completionTokens)"
        out += ",\"native_tokens_prompt\":\(promptTokens),\"native_tokens_completion\":\(completionTokens)"
        out += ",\"native_tokens_reasoning\":0,\"native_tokens_cached\":0,\"provider_name\":"
        JSONText.appendString(providerName, to: &out)
        out += ",\"latency\":\(latencyMs),\"finish_reason\":"
        if let finishReason { JSONText.appendString(finishReason, to: &out) } else { out += "null" }
        let date = Date(timeIntervalSince1970: TimeInterval(created))
        out += ",\"created_at\":\"" + date.formatted(.iso8601) + "\",\"streamed\":\(streamed)}}"
        return out
    }
}
