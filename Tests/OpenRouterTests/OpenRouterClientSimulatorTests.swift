import Foundation
import Logging
import OpenRouterSimulator
import Synchronization
import Testing

@testable import OpenRouter

// End-to-end tests of `OpenRouterClient` against `OpenRouterSimulator` on 127.0.0.1, one
// simulator per test on an ephemeral port, the fault chosen per request with the body's
// `"sim"` object. Backoff never sleeps: the client's `sleep` records the durations asked for.

/// Everything a simulator test needs: the client, what it slept, what it reported.
struct Harness: Sendable {
    let sim: RunningSimulator
    let client: OpenRouterClient
    let sleeps: Recorder<Duration>
    let attempts: Recorder<AttemptReport>

    static let apiKey = "sk-or-v1-5ec12e7a11ce0ddba11c0ffee5eed1234"
    static let model = "openai/gpt-4o-mini"

    /// Runs `body` with a fresh simulator and a client pointed at it.
    static func run(
        simulator: SimulatorConfiguration = .init(),
        logger: Logger = Logger(label: "openrouter-test", factory: { _ in SwiftLogNoOpLogHandler() }),
        configure: @Sendable (inout OpenRouterConfiguration) -> Void = { _ in },
        _ body: @Sendable (Harness) async throws -> Void
    ) async throws {
        try await OpenRouterSimulator.withRunning(simulator) { sim in
            var configuration = OpenRouterConfiguration()
            configuration.baseURL = sim.baseURL
            // Generous: a starved test runner must not turn slow answers into timeouts.
            // Tests of timeouts set their own.
            configuration.timeout = .seconds(60)
            configure(&configuration)
            let sleeps = Recorder<Duration>()
            let client = try OpenRouterClient(
                apiKey: apiKey, configuration: configuration, logger: logger,
                sleep: { duration in sleeps.append(duration) }
            )
            try await body(Harness(sim: sim, client: client, sleeps: sleeps, attempts: Recorder()))
        }
    }

    /// The `sim` directive of a request body.
    static func directive(
        fault: String? = nil, times: Int? = nil, key: String = "k", latencyMs: Int? = nil, retryAfter: String? = nil, trickleMs: Int? = nil
    ) -> JSONObject {
        var sim: JSONObject = ["key": .string(key)]
        if let fault { sim["fault"] = .string(fault) }
        if let times { sim["times"] = .number(JSONNumber(times)) }
        if let latencyMs { sim["latency_ms"] = .number(JSONNumber(latencyMs)) }
        if let retryAfter { sim["retry_after"] = .string(retryAfter) }
        if let trickleMs { sim["trickle_ms"] = .number(JSONNumber(trickleMs)) }
        return ["sim": .object(sim)]
    }

    static func request(
        _ text: String = "What is the capital of France?",
        model: String? = Harness.model,
        fault: String? = nil, times: Int? = nil, key: String = "k", latencyMs: Int? = nil, retryAfter: String? = nil, trickleMs: Int? = nil
    ) -> ChatRequest {
        ChatRequest(
            messages: [.user(text)], model: model,
            extraFields: directive(fault: fault, times: times, key: key, latencyMs: latencyMs, retryAfter: retryAfter, trickleMs: trickleMs)
        )
    }

    /// How many chat requests the simulator saw for a counter key.
    func count(_ key: String = "k") -> Int { sim.stats().byKey[key] ?? 0 }

    /// `chat`, reporting attempts to ``attempts``.
    func chat(_ request: ChatRequest) async throws(OpenRouterError) -> ChatResponse {
        let attempts = self.attempts
        return try await client.chat(request) { attempts.append($0) }
    }

    /// `chat` that must fail; returns the error.
    func chatError(_ request: ChatRequest, sourceLocation: SourceLocation = #_sourceLocation) async -> OpenRouterError? {
        do {
            let response = try await chat(request)
            Issue.record("expected an error, got \(String(describing: response.content))", sourceLocation: sourceLocation)
            return nil
        } catch {
            return error
        }
    }

    /// The exact cost the simulator charges for a completion.
    static func cost(model: String = Harness.model, prompt: Int, completion: Int) -> Decimal {
        SimulatedModel.pricing(for: model).cost(promptTokens: prompt, completionTokens: completion)
    }
}

/// A thread-safe list, for values reported from other tasks.
final class Recorder<Element: Sendable>: Sendable {
    private let storage = Mutex<[Element]>([])

    init() {}

    func append(_ element: Element) { storage.withLock { $0.append(element) } }
    var items: [Element] { storage.withLock { $0 } }
}

@Suite("OpenRouterClient against the simulator")
struct OpenRouterClientSimulatorTests {
    // MARK: Chat

    @Test func aBasicChatCompletionReturnsTheAnswerWithUsageAndCost() async throws {
        try await Harness.run { h in
            let response = try await h.chat(Harness.request("Hello"))
            let reply = TokenCounting.replyText(lastUserMessage: "Hello")
            #expect(response.content == reply)
            #expect(response.model == Harness.model)
            #expect(response.provider == "SimProvider")
            #expect(response.id.hasPrefix("gen-"))
            #expect(response.choices.first?.finishReason == .stop)
            #expect(response.choices.first?.nativeFinishReason == "stop")
            let usage = try #require(response.usage)
            let prompt = TokenCounting.promptTokens(messageTexts: ["Hello"])
            let completion = TokenCounting.tokens(forText: reply)
            #expect(usage.promptTokens == prompt)
            #expect(usage.completionTokens == completion)
            #expect(usage.totalTokens == prompt + completion)
            #expect(usage.cost == Harness.cost(prompt: prompt, completion: completion))
            #expect(h.count() == 1)
        }
    }

    @Test func aSystemMessageIsSentAndCounted() async throws {
        try await Harness.run { h in
            var request = Harness.request("Name a colour.")
            request.messages.insert(.system("You are terse."), at: 0)
            let response = try await h.chat(request)
            #expect(response.content == TokenCounting.replyText(lastUserMessage: "Name a colour."))
            #expect(response.usage?.promptTokens == TokenCounting.promptTokens(messageTexts: ["You are terse.", "Name a colour."]))
        }
    }

    @Test func aConversationHistoryIsSentWhole() async throws {
        try await Harness.run { h in
            let history: [Message] = [
                .system("You are a geography tutor."),
                .user("What is the capital of France?"),
                .assistant("Paris."),
                .user("And of Italy?"),
            ]
            var request = Harness.request()
            request.messages = history
            let response = try await h.chat(request)
            #expect(response.content == TokenCounting.replyText(lastUserMessage: "And of Italy?"))
            #expect(response.usage?.promptTokens == TokenCounting.promptTokens(messageTexts: history.map(\.text)))
        }
    }

    @Test func aLongPromptWithControlCharactersIsSentUnchanged() async throws {
        // The sanitiser is opt-in: the client itself never truncates or cleans a prompt.
        let prompt = "\u{7}bell\u{1B}[31m\u{0}" + String(repeating: "é long prompt ", count: 4_000)
        #expect(prompt.count > InputSanitizer().maximumLength)
        try await Harness.run { h in
            let response = try await h.chat(Harness.request(prompt))
            #expect(response.content == TokenCounting.replyText(lastUserMessage: prompt))
            #expect(response.usage?.promptTokens == TokenCounting.promptTokens(messageTexts: [prompt]))
        }
    }

    @Test func modelParametersReachTheServer() async throws {
        try await Harness.run { h in
            var request = Harness.request("Tell me a long story about a dragon")
            request.parameters = .init(temperature: 0.2, maxTokens: 3, topP: 0.9, frequencyPenalty: 0.5, presencePenalty: 0.5, stop: ["\n\n"], seed: 7)
            let response = try await h.chat(request)
            let full = TokenCounting.replyText(lastUserMessage: "Tell me a long story about a dragon")
            #expect(response.content == String(full.utf8.prefix(12))!)
            #expect(response.usage?.completionTokens == 3)
            #expect(response.choices.first?.finishReason == .length)
        }
    }

    @Test func theDefaultModelIsUsedWhenTheRequestNamesNone() async throws {
        try await Harness.run(configure: { $0.defaultModel = "anthropic/claude-3.5-haiku" }) { h in
            let response = try await h.chat(Harness.request(model: nil))
            #expect(response.model == "anthropic/claude-3.5-haiku")
        }
    }

    @Test func anInvalidRequestIsNeverSent() async throws {
        try await Harness.run { h in
            var request = Harness.request()
            request.parameters.temperature = 3
            let error = await h.chatError(request)
            #expect(error?.category == .validation)
            #expect(h.sim.stats().requestsTotal == 0)
            #expect(h.attempts.items.isEmpty)
        }
    }

    // MARK: Structured output

    @Test func jsonObjectOutputIsCheckedAndReturned() async throws {
        try await Harness.run { h in
            var request = Harness.request("Give me JSON")
            request.responseFormat = .jsonObject
            let response = try await h.chat(request)
            #expect(response.content == TokenCounting.jsonObjectReply(lastUserMessage: "Give me JSON"))
            let json = try JSONValue(parsing: response.content ?? "")
            #expect(json["reply"]?.stringValue == TokenCounting.replyText(lastUserMessage: "Give me JSON"))
        }
    }

    @Test func strictJSONSchemaOutputIsCheckedAndReturned() async throws {
        try await Harness.run { h in
            var request = Harness.request("What is the capital of France?")
            request.responseFormat = try .jsonSchema(name: "answer_schema", schema: ChatRequestTests.answerSchema)
            let response = try await h.chat(request)
            let expected = try #require(TokenCounting.minimalInstance(ofSchemaJSON: ChatRequestTests.answerSchema.serialized))
            #expect(response.content == expected)
            let json = try JSONValue(parsing: response.content ?? "")
            #expect(json["answer"]?.stringValue != nil)
            #expect(json["confidence"]?.numberValue != nil)
        }
    }

    @Test func nonStrictJSONSchemaOutputIsCheckedToo() async throws {
        try await Harness.run { h in
            var request = Harness.request()
            request.responseFormat = try .jsonSchema(name: "loose", schema: ["type": "object", "properties": ["n": ["type": "integer"]], "required": ["n"]], strict: false)
            let response = try await h.chat(request)
            #expect(try JSONValue(parsing: response.content ?? "")["n"]?.intValue != nil)
            request.extraFields = Harness.directive(fault: "schema_violation", key: "v")
            let error = await h.chatError(request)
            #expect(error?.category == .schemaViolation)
            #expect(error?.message == #"the content does not match schema 'loose': missing required property "n""#)
        }
    }

    @Test func contentThatViolatesTheSchemaIsASchemaViolationWithThePath() async throws {
        try await Harness.run { h in
            var request = Harness.request(fault: "schema_violation")
            request.responseFormat = try .jsonSchema(name: "answer_schema", schema: ChatRequestTests.answerSchema)
            let error = await h.chatError(request)
            #expect(error?.category == .schemaViolation)
            #expect(error?.path == "$")
            #expect(error?.message == #"the content does not match schema 'answer_schema': missing required property "answer""#)
            #expect(error?.statusCode == 200)
            #expect(error?.generationID?.hasPrefix("gen-") == true)
            #expect(error?.partialContent?.contains("confidence") == true)
            #expect(error?.usage?.completionTokens ?? 0 > 0)
            #expect(error?.isRetryable == false)
            #expect(h.count() == 1)
            #expect(error.map { "\($0)".hasSuffix(" at $") } == true)
        }
    }

    @Test func contentThatIsNotJSONWhenJSONWasAskedForIsASchemaViolation() async throws {
        try await Harness.run { h in
            var request = Harness.request(fault: "schema_violation")
            request.responseFormat = .jsonObject
            let error = await h.chatError(request)
            #expect(error?.category == .schemaViolation)
            #expect(error?.path == "$")
            #expect(error?.message == "the content is not a JSON object")
            #expect(error?.partialContent == "not json")
            #expect(h.count() == 1)
        }
    }

    @Test func aSchemaViolationInATruncatedAnswerSaysItWasCutOff() async throws {
        try await Harness.run { h in
            var request = Harness.request()
            request.responseFormat = .jsonObject
            request.parameters.maxTokens = 2
            let error = await h.chatError(request)
            #expect(error?.category == .schemaViolation)
            #expect(error?.message == "the content is not a JSON object (the output was cut off by max_tokens)")
        }
    }

    // MARK: Tools

    static let weather = ChatRequestTests.weatherTool

    @Test func aToolCallComesBackWithItsArguments() async throws {
        try await Harness.run { h in
            var request = Harness.request("Weather in Paris?")
            request.tools = [.function("noop"), Self.weather]
            request.toolChoice = .function("get_weather")
            let response = try await h.chat(request)
            let choice = try #require(response.choices.first)
            #expect(choice.finishReason == .toolCalls)
            #expect(choice.message.content == nil)
            let call = try #require(choice.message.toolCalls.first)
            #expect(call.name == "get_weather")
            #expect(call.id.isEmpty == false)
            #expect(call.arguments == TokenCounting.minimalInstance(ofSchemaJSON: Self.weather.parameters.serialized))
            #expect(try JSONValue(parsing: call.arguments)["city"]?.stringValue != nil)
        }
    }

    @Test func aToolResultIsAnsweredWithText() async throws {
        try await Harness.run { h in
            var request = Harness.request("Weather in Paris?")
            request.tools = [Self.weather]
            let first = try await h.chat(request)
            let call = try #require(first.choices.first?.message.toolCalls.first)
            request.messages += [.assistant(toolCalls: [call]), .tool(callID: call.id, content: #"{"temp":21}"#)]
            let second = try await h.chat(request)
            #expect(second.choices.first?.message.toolCalls.isEmpty == true)
            #expect(second.content == TokenCounting.replyText(lastUserMessage: "Weather in Paris?"))
        }
    }

    @Test func toolChoiceNoneGetsText() async throws {
        try await Harness.run { h in
            var request = Harness.request("Weather?")
            request.tools = [Self.weather]
            request.toolChoice = ToolChoice.none
            let response = try await h.chat(request)
            #expect(response.content == TokenCounting.replyText(lastUserMessage: "Weather?"))
        }
    }

    // MARK: Models and generations

    @Test func modelsAreListedWithExactPricesPerMillionTokens() async throws {
        try await Harness.run { h in
            let models = try await h.client.models()
            #expect(models.map(\.id) == SimulatedModel.defaultCatalog.map(\.id))
            let mini = try #require(models.first { $0.id == "openai/gpt-4o-mini" })
            #expect(mini.name == "OpenAI: GPT-4o-mini")
            #expect(mini.contextLength == 128_000)
            #expect(mini.maxCompletionTokens == 16_384)
            #expect(mini.pricing?.prompt == Decimal(string: "0.15"))
            #expect(mini.pricing?.completion == Decimal(string: "0.6"))
            #expect(mini.pricing?.request == nil)
            let gemini = try #require(models.first { $0.id == "google/gemini-2.0-flash-001" })
            #expect(gemini.pricing?.prompt == Decimal(string: "0.1"))
            #expect(gemini.pricing?.completion == Decimal(string: "0.4"))
            let free = try #require(models.first { $0.id.hasSuffix(":free") })
            #expect(free.pricing?.prompt == 0 && free.pricing?.completion == 0)
            for (model, simulated) in zip(models, SimulatedModel.defaultCatalog) {
                #expect(model.pricing?.prompt == simulated.promptPrice * 1_000_000)
                #expect(model.pricing?.completion == simulated.completionPrice * 1_000_000)
            }
        }
    }

    @Test func theModelsListIsCached() async throws {
        try await Harness.run { h in
            let first = try await h.client.models()
            #expect(h.sim.stats().requestsTotal == 1)
            let second = try await h.client.models()
            #expect(second == first)
            #expect(h.sim.stats().requestsTotal == 1)
            _ = try await h.client.models(refresh: true)
            #expect(h.sim.stats().requestsTotal == 2)
        }
    }

    @Test func theModelsCacheExpires() async throws {
        try await Harness.run(configure: { $0.modelsCacheDuration = .zero }) { h in
            _ = try await h.client.models()
            _ = try await h.client.models()
            #expect(h.sim.stats().requestsTotal == 2)
        }
    }

    @Test func aGenerationIsLookedUpByID() async throws {
        try await Harness.run { h in
            let response = try await h.chat(Harness.request("Hello"))
            let generation = try await h.client.generation(id: response.id)
            #expect(generation.id == response.id)
            #expect(generation.model == Harness.model)
            #expect(generation.providerName == "SimProvider")
            #expect(generation.totalCost == response.usage?.cost)
            #expect(generation.promptTokens == response.usage?.promptTokens)
            #expect(generation.completionTokens == response.usage?.completionTokens)
            #expect(generation.finishReason == "stop")
        }
    }

    @Test func anUnknownGenerationIsAnError() async throws {
        try await Harness.run { h in
            do throws(OpenRouterError) {
                let generation = try await h.client.generation(id: "gen-does-not-exist&x=1")
                Issue.record("expected an error, got \(generation)")
            } catch {
                #expect(error.statusCode == 404)
                #expect(error.isRetryable == false)
            }
            do throws(OpenRouterError) {
                let generation = try await h.client.generation(id: "gen-é 1/2?#")
                Issue.record("expected an error, got \(generation)")
            } catch {
                #expect(error.statusCode == 404)
            }
        }
    }
}
