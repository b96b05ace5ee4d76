import HTTPTypes
import Hummingbird

/// OpenRouter-style error responses: `{"error":{"code","message","metadata"}}`.
enum SimulatorError {
    static let generationIDField = HTTPField.Name("X-Generation-Id")!
    static let retryAfterField = HTTPField.Name("Retry-After")!

    /// - Parameter metadata: the JSON object text for `error.metadata`.
    static func response(
        status: Int, message: String, metadata: String, generationID: String? = nil, headers extra: HTTPFields = [:]
    ) -> Response {
        var body = "{\"error\":{\"code\":\(status),\"message\":"
        JSONText.appendString(message, to: &body)
        body += ",\"metadata\":" + metadata + "}}"
        var headers = extra
        headers[.contentType] = "application/json"
        if let generationID { headers[generationIDField] = generationID }
        return Response(
            status: HTTPResponse.Status(code: status),
            headers: headers,
            body: ResponseBody(byteBuffer: ByteBuffer(string: body)))
    }

    /// Metadata for errors blamed on the upstream provider.
    static func providerMetadata(type: String, raw: String) -> String {
        "{\"error_type\":\"\(type)\",\"provider_name\":\"SimProvider\",\"raw\":" + JSONText.quoted(raw) + "}"
    }

    static func plainMetadata(type: String) -> String {
        "{\"error_type\":\"\(type)\"}"
    }
}
