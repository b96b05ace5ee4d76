import Logging
import OpenRouterSimulator
import Testing

@testable import OpenRouter

/// Keeps every log line, metadata included, at every level.
struct CapturingLogHandler: LogHandler {
    let lines: Recorder<String>
    var logLevel: Logger.Level = .trace
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let merged = metadata.merging(event.metadata ?? [:]) { $1 }
        let fields = merged.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        lines.append("\(event.level) [\(event.source)] \(event.message) \(fields) \(event.error.map { "\($0)" } ?? "")")
    }
}

/// The key goes in the `Authorization` header and nowhere else: not in logs, errors or reports.
@Suite("OpenRouterClient API key masking against the simulator")
struct OpenRouterClientKeyMaskingTests {
    static let key = Harness.apiKey
    /// A distinctive run of the key, so a partial leak is caught too.
    static let keyFragment = String(Harness.apiKey.dropFirst(9).prefix(16))

    static func expectNoKey(in texts: [String], sourceLocation: SourceLocation = #_sourceLocation) {
        for text in texts {
            #expect(!text.contains(key), "\(text)", sourceLocation: sourceLocation)
            #expect(!text.contains(keyFragment), "\(text)", sourceLocation: sourceLocation)
        }
    }

    static func texts(of error: OpenRouterError) -> [String] {
        [error.description, error.message, error.providerRaw ?? "", error.partialContent ?? "", String(reflecting: error), error.localizedDescription]
    }

    @Test func theKeyIsSentAsABearerToken() async throws {
        var simulator = SimulatorConfiguration()
        simulator.apiKey = Self.key
        try await Harness.run(simulator: simulator) { h in
            let response = try await h.chat(Harness.request())
            #expect(response.content != nil)
        }
    }

    @Test func noLogLineErrorOrReportContainsTheKey() async throws {
        let lines = Recorder<String>()
        var logger = Logger(label: "openrouter-test") { _ in CapturingLogHandler(lines: lines) }
        logger.logLevel = .trace
        try await Harness.run(logger: logger) { h in
            var errors: [OpenRouterError] = []
            // A failing call, one that fails then succeeds, and one that succeeds.
            if let error = await h.chatError(Harness.request(fault: "401", key: "a")) { errors.append(error) }
            _ = try await h.chat(Harness.request(fault: "503", times: 1, key: "b"))
            _ = try await h.chat(Harness.request(key: "c"))
            // The server echoes the Authorization header back in its error message.
            let echoed = await h.chatError(Harness.request(fault: "echo_auth", key: "d"))
            #expect(echoed?.category == .auth)
            #expect(echoed?.message.hasPrefix("Invalid credentials: Bearer …") == true, "\(String(describing: echoed?.message))")
            #expect(echoed?.message.hasSuffix(String(Self.key.suffix(4))) == true)
            if let echoed { errors.append(echoed) }
            // The same through a stream, and a stream that succeeds.
            do throws(OpenRouterError) {
                let stream = try await h.client.chatStream(Harness.request(fault: "echo_auth", key: "e")) { h.attempts.append($0) }
                Issue.record("expected an error, got a stream \(String(describing: stream.generationID))")
            } catch {
                errors.append(error)
            }
            _ = try await h.client.chatStreamCollected(Harness.request(key: "f")) { h.attempts.append($0) }
            _ = try await h.client.models()

            #expect(errors.count == 3)
            let reports = h.attempts.items
            #expect(reports.count >= 6)
            let captured = lines.items
            #expect(captured.contains { $0.contains("attempt failed") })
            #expect(captured.contains { $0.contains("attempt succeeded") })
            #expect(captured.contains { $0.contains("retrying") })
            Self.expectNoKey(in: captured)
            Self.expectNoKey(in: errors.flatMap(Self.texts(of:)))
            Self.expectNoKey(in: reports.compactMap(\.error).flatMap(Self.texts(of:)))
            Self.expectNoKey(in: reports.map { String(reflecting: $0) })
        }
    }

    @Test func aRetriedEchoIsMaskedInEveryAttemptReport() async throws {
        try await Harness.run(configure: { $0.maxRetries = 2 }) { h in
            let error = await h.chatError(Harness.request(fault: "echo_auth"))
            #expect(error?.category == .auth)
            #expect(h.count() == 1)
            Self.expectNoKey(in: h.attempts.items.compactMap(\.error).flatMap(Self.texts(of:)))
        }
    }

    @Test func theClientItselfDoesNotPrintTheKey() throws {
        let client = try OpenRouterClient(apiKey: Self.key)
        var dumped = ""
        dump(client, to: &dumped, maxDepth: 4)
        Self.expectNoKey(in: ["\(client)", String(reflecting: client), dumped, "\(client.configuration)", String(reflecting: client.configuration)])
    }
}
