import Foundation
import Hummingbird

/// Thrown after the connection was closed on purpose (`reset`, `hang`) so Hummingbird
/// writes nothing and the stats middleware counts no status.
struct ConnectionDropped: Error {}

extension OpenRouterSimulator {
    static let hugeContentBytes = 20 * 1024 * 1024

    /// `POST /api/v1/chat/completions`.
    func chat(_ request: Request, context: SimulatorRequestContext) async throws -> Response {
        // The latency counts from here, so the simulator's own work (reading, decoding,
        // rendering) is part of it, as a real server's is: a request answers `latency` after
        // it arrived, not `latency` plus however long a busy simulator took.
        let arrival = ContinuousClock.now
        let generationID = state.makeGenerationID()

        let authorization = request.headers[.authorization] ?? ""
        let bearer = Self.bearerKey(authorization)
        guard !bearer.isEmpty else {
            return SimulatorError.response(
                status: 401, message: "No auth credentials found",
                metadata: SimulatorError.plainMetadata(type: "unauthorized"), generationID: generationID)
        }
        if let apiKey = configuration.apiKey, bearer != apiKey {
            return SimulatorError.response(
                status: 401, message: "User not found.",
                metadata: SimulatorError.plainMetadata(type: "unauthorized"), generationID: generationID)
        }

        // Admission comes before parsing so an overloaded simulator answers "at once".
        guard state.enter(limit: configuration.maxInFlight) else {
            state.countFault("max_in_flight")
            return SimulatorError.response(
                status: 429, message: "Rate limit exceeded: too many requests in flight",
                metadata: SimulatorError.providerMetadata(type: "rate_limit_exceeded", raw: "simulator admission cap reached"),
                generationID: generationID, headers: [SimulatorError.retryAfterField: configuration.retryAfter])
        }
        let token = InFlightToken(state: state)
        defer { withExtendedLifetime(token) {} }

        let body = try await request.body.collect(upTo: context.maxUploadSize)
        let chat: ChatRequest
        do {
            chat = try JSONDecoder().decode(ChatRequest.self, from: Data(body.readableBytesView))
        } catch {
            return badRequest("Invalid JSON in request body", generationID: generationID)
        }
        guard let requestedModel = chat.model, !requestedModel.isEmpty else {
            return badRequest("model is required", generationID: generationID)
        }
        // With a `models` fallback list, the first of `model` and then `models` that the
        // catalogue knows answers (as OpenRouter falls back past an unavailable model).
        let candidates = [requestedModel] + (chat.models ?? [])
        let modelID = chat.models?.isEmpty == false
            ? candidates.first(where: { id in configuration.models.contains { $0.id == id } }) ?? requestedModel
            : requestedModel
        guard let messages = chat.messages, !messages.isEmpty else {
            return badRequest("messages must be a non-empty array", generationID: generationID)
        }

        let lastUserText = messages.last(where: { $0.role == "user" })?.text ?? ""
        let counted = state.countKey(chat.sim?.key ?? lastUserText, draw: !faultThresholds.isEmpty)
        var fault: SimulatedFault?
        if let name = chat.sim?.fault {
            guard let named = SimulatedFault(rawValue: name) else {
                return badRequest("Unknown sim.fault \"\(name)\"", generationID: generationID)
            }
            if chat.sim?.times.map({ counted.count <= $0 }) ?? true { fault = named }
        } else if let random = counted.random {
            fault = faultThresholds.first(where: { random < $0.upTo })?.fault
        }
        if let fault { state.countFault(fault.rawValue) }

        let latency = chat.sim?.latencyMs.map { Duration.milliseconds($0) } ?? configuration.latency
        let answerAt = arrival + latency
        let streamed = chat.stream ?? false

        if let status = fault?.errorStatus, let fault {
            if latency > .zero { try await Task.sleep(until: answerAt) }
            return faultErrorResponse(
                fault, status: status, chat: chat, model: modelID, lastUserText: lastUserText,
                authorization: authorization, generationID: generationID)
        }

        var completion: SimulatedCompletion
        switch makeCompletion(chat, messages: messages, model: modelID, lastUserText: lastUserText, fault: fault, id: generationID) {
        case .success(let value): completion = value
        case .failure(let failure): return failure.response
        }
        if let first = chat.provider?["order"]?.arrayValue?.first?.stringValue { completion.provider = first }
        // Recorded before sending: OpenRouter bills a generation even if the client goes away.
        state.record(
            GenerationRecord(
                model: completion.model, cost: completion.cost, promptTokens: completion.promptTokens,
                completionTokens: completion.completionTokens, latencyMs: Int(latency.components.seconds * 1000)
                    + Int(latency.components.attoseconds / 1_000_000_000_000_000),
                finishReason: completion.finishReason, created: completion.created, streamed: streamed,
                providerName: completion.provider),
            id: generationID)

        switch fault {
        case .reset:
            if latency > .zero { try await Task.sleep(until: answerAt) }
            context.channel.close(promise: nil)
            throw ConnectionDropped()
        case .hang:
            if latency > .zero { try await Task.sleep(until: answerAt) }
            await InboundCloseDetector.hang(on: context.channel, limit: .seconds(120))
            throw ConnectionDropped()
        default:
            break
        }

        let renderer = CompletionRenderer(
            completion: completion, fault: fault, lineEnding: configuration.crlfLineEndings ? "\r\n" : "\n")
        var headers: HTTPFields = [SimulatorError.generationIDField: generationID]
        let contentType = streamed ? "text/event-stream" : "application/json"
        headers[.contentType] = fault == .wrongContentType ? "text/html; charset=utf-8" : contentType

        if fault == .trickle {
            let bytes = streamed
                ? renderer.processingComment + renderer.streamEvents().joined()
                : renderer.jsonBody()
            let interval = Duration.milliseconds(chat.sim?.trickleMs ?? 1000)
            return Response(
                status: .ok, headers: headers,
                body: ResponseBody(contentLength: bytes.utf8.count) { writer in
                    // The token keeps the request in flight until the last byte is out.
                    defer { withExtendedLifetime(token) {} }
                    if latency > .zero { try await Task.sleep(until: answerAt) }
                    for byte in bytes.utf8 {
                        try await writer.write(ByteBuffer(bytes: CollectionOfOne(byte)))
                        try await Task.sleep(for: interval)
                    }
                    try await writer.finish(nil)
                })
        }

        if streamed {
            headers[.cacheControl] = "no-cache"
            return Response(
                status: .ok, headers: headers,
                body: ResponseBody { writer in
                    defer { withExtendedLifetime(token) {} }
                    try await writer.write(ByteBuffer(string: renderer.processingComment))
                    if latency > .zero { try await Task.sleep(until: answerAt) }
                    for event in renderer.streamEvents() {
                        try await writer.write(ByteBuffer(string: event))
                    }
                    try await writer.finish(nil)
                })
        }

        let answer = ByteBuffer(string: renderer.jsonBody())
        if latency > .zero { try await Task.sleep(until: answerAt) }
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: answer))
    }

    /// The key of `Authorization: Bearer <key>`, or `""`.
    static func bearerKey(_ authorization: String) -> String {
        let prefix = "bearer "
        guard authorization.count > prefix.count, authorization.prefix(prefix.count).lowercased() == prefix else { return "" }
        return authorization.dropFirst(prefix.count).trimmingCharacters(in: .whitespaces)
    }

    func badRequest(_ message: String, generationID: String) -> Response {
        SimulatorError.response(
            status: 400, message: message, metadata: SimulatorError.plainMetadata(type: "bad_request"), generationID: generationID)
    }

    /// Applies the rules documented on ``TokenCounting``; fails with a 400 response for an
    /// unknown forced tool.
    func makeCompletion(
        _ chat: ChatRequest, messages: [ChatRequest.Message], model modelID: String, lastUserText: String,
        fault: SimulatedFault?, id: String
    ) -> Result<SimulatedCompletion, ResponseFailure> {
        let model = SimulatedModel.pricing(for: modelID, in: configuration.models)
        let promptTokens = messages.reduce(0) { $0 + TokenCounting.messageTokens(text: $1.text) }
        var completion = SimulatedCompletion(
            id: id, model: modelID, created: Int(Date().timeIntervalSince1970), content: nil, toolCall: nil,
            finishReason: "stop", promptTokens: promptTokens, completionTokens: 0, cost: 0)

        let tools = chat.tools ?? []
        if !tools.isEmpty, chat.toolChoice?.stringValue != "none", messages.last?.role != "tool" {
            var tool = tools[0]
            if let forced = chat.toolChoice?["function"]?["name"]?.stringValue {
                guard let match = tools.first(where: { $0["function"]?["name"]?.stringValue == forced }) else {
                    return .failure(ResponseFailure(response: badRequest("tool_choice names unknown function \"\(forced)\"", generationID: id)))
                }
                tool = match
            }
            let parameters = tool["function"]?["parameters"] ?? .object(["type": .string("object")])
            let arguments = JSONSchemaInstance(root: parameters).instance().jsonText
            completion.toolCall = .init(
                id: state.makeCallID(), name: tool["function"]?["name"]?.stringValue ?? "", arguments: arguments)
            completion.finishReason = "tool_calls"
            completion.completionTokens = TokenCounting.tokens(forText: arguments)
        } else {
            let reply = replyText(chat, lastUserText: lastUserText, fault: fault)
            let limited = TokenCounting.applyMaxTokens(reply, maxTokens: chat.maxTokens)
            completion.content = limited.text
            completion.completionTokens = limited.completionTokens
            if limited.truncated { completion.finishReason = "length" }
        }
        completion.cost = model.cost(promptTokens: promptTokens, completionTokens: completion.completionTokens)
        return .success(completion)
    }

    private func replyText(_ chat: ChatRequest, lastUserText: String, fault: SimulatedFault?) -> String {
        if fault == .hugeBody {
            return String(repeating: "a", count: Self.hugeContentBytes)
        }
        let format = chat.responseFormat?["type"]?.stringValue
        if format == "json_schema", let schema = chat.responseFormat?["json_schema"]?["schema"] {
            let instance = JSONSchemaInstance(root: schema).instance()
            if fault == .schemaViolation {
                guard case .object(var object) = instance,
                    let firstRequired = schema["required"]?.arrayValue?.first?.stringValue
                else { return "not json" }
                object[firstRequired] = nil
                return JSONValue.object(object).jsonText
            }
            return instance.jsonText
        }
        if fault == .schemaViolation { return "not json" }
        if format == "json_object" { return TokenCounting.jsonObjectReply(lastUserMessage: lastUserText) }
        return TokenCounting.replyText(lastUserMessage: lastUserText)
    }
}

/// A ready error response that aborts building a completion.
struct ResponseFailure: Error {
    let response: Response
}
