import Foundation
import HTTPTypes
import Hummingbird

extension OpenRouterSimulator {
    static let rateLimitLimitField = HTTPField.Name("X-RateLimit-Limit")!
    static let rateLimitRemainingField = HTTPField.Name("X-RateLimit-Remaining")!
    static let rateLimitResetField = HTTPField.Name("X-RateLimit-Reset")!

    /// The response of a fault that answers with an HTTP error status.
    func faultErrorResponse(
        _ fault: SimulatedFault, status: Int, chat: ChatRequest, model: String, lastUserText: String,
        authorization: String, generationID: String
    ) -> Response {
        let retryAfter = chat.sim?.retryAfter ?? configuration.retryAfter
        var headers: HTTPFields = [:]
        let message: String
        let metadata: String
        switch fault {
        case .badRequest:
            message = "Simulated bad request"
            metadata = SimulatorError.plainMetadata(type: "bad_request")
        case .unauthorized:
            message = "User not found."
            metadata = SimulatorError.plainMetadata(type: "unauthorized")
        case .echoAuth:
            // Deliberately leaks the credential so client tests can prove they redact it.
            message = "Invalid credentials: " + authorization
            metadata = SimulatorError.plainMetadata(type: "unauthorized")
        case .paymentRequired, .paymentRequiredRetry:
            message = "Insufficient credits. Add more using https://openrouter.ai/settings/credits"
            metadata = SimulatorError.plainMetadata(type: "payment_required")
            if fault == .paymentRequiredRetry { headers[SimulatorError.retryAfterField] = retryAfter }
        case .moderation:
            message = "\(model) requires moderation on SimProvider. Your input was flagged for \"harassment\"."
            metadata =
                "{\"error_type\":\"moderation\",\"reasons\":[\"harassment\"],\"flagged_input\":"
                + JSONText.quoted(String(lastUserText.prefix(100))) + ",\"provider_name\":\"SimProvider\",\"model_slug\":"
                + JSONText.quoted(model) + "}"
        case .requestTimeout:
            message = "Request timed out"
            metadata = SimulatorError.plainMetadata(type: "timeout")
        case .unprocessable:
            message = "Unprocessable request"
            metadata = SimulatorError.plainMetadata(type: "invalid_request")
        case .rateLimited:
            message = "Rate limit exceeded"
            metadata = SimulatorError.providerMetadata(type: "rate_limit_exceeded", raw: "429 Too Many Requests: slow down")
            headers[SimulatorError.retryAfterField] = retryAfter
            headers[Self.rateLimitLimitField] = "20"
            headers[Self.rateLimitRemainingField] = "0"
            // OpenRouter reports the reset moment as Unix milliseconds.
            // Clamped so an absurd Retry-After directive cannot overflow the conversion.
            let waitSeconds = min(max(Double(retryAfter) ?? 1, 0), 1e9)
            headers[Self.rateLimitResetField] = String(Int64((Date().timeIntervalSince1970 + waitSeconds) * 1000))
        case .serverError:
            message = "Internal Server Error"
            metadata = SimulatorError.providerMetadata(type: "server", raw: "500 internal error")
        case .badGateway:
            message = "Provider returned error"
            metadata = SimulatorError.providerMetadata(type: "provider_unavailable", raw: "upstream connect error")
        case .overloaded:
            message = "Provider is overloaded"
            metadata = SimulatorError.providerMetadata(type: "provider_overloaded", raw: "503 Service Unavailable: overloaded")
            headers[SimulatorError.retryAfterField] = retryAfter
        case .gatewayTimeout:
            message = "Provider timed out"
            metadata = SimulatorError.providerMetadata(type: "timeout", raw: "504 upstream request timeout")
        default:
            message = "Simulated error"
            metadata = SimulatorError.plainMetadata(type: "server")
        }
        return SimulatorError.response(
            status: status, message: message, metadata: metadata, generationID: generationID, headers: headers)
    }
}
