import Hummingbird

extension OpenRouterSimulator {
    func jsonResponse(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(
            status: status,
            headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }

    /// `GET /api/v1/models`: the configured catalogue (prices as strings, USD per token).
    func modelsResponse() -> Response {
        var out = "{\"data\":["
        for (index, model) in configuration.models.enumerated() {
            if index > 0 { out += "," }
            let prompt = JSONText.quoted(JSONText.decimalLiteral(model.promptPrice))
            let completion = JSONText.quoted(JSONText.decimalLiteral(model.completionPrice))
            out += "{\"id\":" + JSONText.quoted(model.id) + ",\"name\":" + JSONText.quoted(model.name)
            out += ",\"description\":" + JSONText.quoted(model.description)
            out += ",\"context_length\":\(model.contextLength),\"created\":\(model.created)"
            out += ",\"pricing\":{\"prompt\":" + prompt + ",\"completion\":" + completion
            out += ",\"request\":\"0\",\"image\":\"0\",\"web_search\":\"0\",\"internal_reasoning\":\"0\""
            out += ",\"input_cache_read\":\"0\",\"input_cache_write\":\"0\"}"
            out += ",\"top_provider\":{\"context_length\":\(model.contextLength),\"max_completion_tokens\":"
            out += model.maxCompletionTokens.map(String.init) ?? "null"
            out += ",\"is_moderated\":false},\"supported_parameters\":["
            out += model.supportedParameters.map(JSONText.quoted).joined(separator: ",") + "]}"
        }
        return jsonResponse(out + "]}")
    }

    /// `GET /api/v1/generation?id=…`.
    func generationResponse(_ request: Request) -> Response {
        guard let id = request.uri.queryParameters.get("id"), let record = state.generation(id: id) else {
            return SimulatorError.response(
                status: 404, message: "Generation not found", metadata: SimulatorError.plainMetadata(type: "not_found"))
        }
        return jsonResponse(record.jsonText(id: id))
    }

    /// `GET /api/v1/key`: usage is the total cost of every recorded generation.
    func keyResponse() -> Response {
        jsonResponse(
            "{\"data\":{\"label\":\"sim\",\"limit\":null,\"limit_remaining\":null,\"usage\":"
                + JSONText.decimalLiteral(state.totalCost) + ",\"is_free_tier\":false}}")
    }
}
