import Foundation
import OpenRouterSimulator
import Testing

@Suite struct StreamingTests {
    private func decode(_ event: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(event.utf8)) as? [String: Any])
    }

    @Test func sseShape() async throws {
        try await OpenRouterSimulator.withRunning { sim in
            let reply = try await TestClient.chat(sim, chatBody("Stream this to me", ["stream": true]))
            #expect(reply.status == 200)
            #expect(reply.headers.first(name: "Content-Type")?.hasPrefix("text/event-stream") == true)
            #expect(reply.text.hasPrefix(": OPENROUTER PROCESSING\n\n"))
            let id = try #require(reply.headers.first(name: "X-Generation-Id"))
            let events = reply.events
            #expect(events.last == "[DONE]")
            let chunks = try events.dropLast().map(decode)
            for chunk in chunks {
                #expect(chunk["id"] as? String == id)
                #expect(chunk["object"] as? String == "chat.completion.chunk")
                #expect(chunk["provider"] as? String == "SimProvider")
                #expect(chunk["model"] as? String == "openai/gpt-4o-mini")
                #expect(chunk["created"] is Int)
            }
            let first = try #require(chunks.first?[array: "choices"]?.first?[object: "delta"])
            #expect(first["role"] as? String == "assistant")
            #expect(first["content"] as? String == "")

            let contentChunks = chunks.dropFirst().dropLast(2)
            #expect(contentChunks.count == 4)
            let text = contentChunks.compactMap { $0[array: "choices"]?.first?[object: "delta"]?["content"] as? String }.joined()
            #expect(text == TokenCounting.replyText(lastUserMessage: "Stream this to me"))

            let finish = try #require(chunks.dropLast().last?[array: "choices"]?.first)
            #expect(finish["finish_reason"] as? String == "stop")
            #expect(finish["native_finish_reason"] as? String == "stop")
            #expect((finish[object: "delta"])?.isEmpty == true)

            let usageChunk = try #require(chunks.last)
            #expect(usageChunk[array: "choices"]?.isEmpty == true)
            let usage = try #require(usageChunk[object: "usage"])
            #expect(usage["prompt_tokens"] as? Int == TokenCounting.promptTokens(messageTexts: ["Stream this to me"]))
            #expect(usage["completion_tokens"] as? Int == TokenCounting.tokens(forText: text))
            #expect(usage["cost"] is NSNumber)

            let generation = try #require(try await TestClient.get(sim.baseURL + "/generation?id=\(id)").json?[object: "data"])
            #expect(generation["streamed"] as? Bool == true)
        }
    }

    @Test func crlfLineEndings() async throws {
        var configuration = SimulatorConfiguration()
        configuration.crlfLineEndings = true
        try await OpenRouterSimulator.withRunning(configuration) { sim in
            let reply = try await TestClient.chat(sim, chatBody("crlf", ["stream": true]))
            #expect(reply.text.hasPrefix(": OPENROUTER PROCESSING\r\n\r\ndata: {"))
            #expect(reply.text.hasSuffix("data: [DONE]\r\n\r\n"))
            #expect(!reply.text.replacingOccurrences(of: "\r\n", with: "").contains("\n"))
        }
    }

    @Test func streamErrorStopsWithoutDone() async throws {
        try await OpenRouterSimulator.withRunning { sim in
            let reply = try await TestClient.chat(sim, faultBody("stream_error", stream: true))
            #expect(reply.status == 200)
            let events = reply.events
            #expect(!events.contains("[DONE]"))
            #expect(events.count == 4)  // role, two content deltas, error
            let error = try decode(try #require(events.last))
            #expect(error[object: "error"]?["code"] as? Int == 502)
            #expect(error[object: "error"]?["message"] as? String == "Provider disconnected")
            #expect(error[object: "error"]?[object: "metadata"]?["error_type"] as? String == "provider_unavailable")
            #expect(error[array: "choices"]?.first?["finish_reason"] as? String == "error")
        }
    }

    @Test func noDoneEndsAfterUsage() async throws {
        try await OpenRouterSimulator.withRunning { sim in
            let events = try await TestClient.chat(sim, faultBody("no_done", stream: true)).events
            #expect(!events.contains("[DONE]"))
            let last = try decode(try #require(events.last))
            #expect(last[object: "usage"] != nil)
            #expect(last[array: "choices"]?.isEmpty == true)
        }
    }

    @Test func streamedToolCallDeltas() async throws {
        try await OpenRouterSimulator.withRunning { sim in
            let body = chatBody("Weather?", ["stream": true, "tools": [ToolTests.weatherTool]])
            let events = try await TestClient.chat(sim, body).events
            #expect(events.last == "[DONE]")
            let chunks = try events.dropLast().map(decode)
            let calls = chunks.compactMap { $0[array: "choices"]?.first?[object: "delta"]?[array: "tool_calls"]?.first }
            #expect(calls.count >= 2)
            let first = try #require(calls.first)
            #expect(first["index"] as? Int == 0)
            #expect((first["id"] as? String)?.hasPrefix("call_") == true)
            #expect(first["type"] as? String == "function")
            #expect(first[object: "function"]?["name"] as? String == "get_weather")
            #expect(first[object: "function"]?["arguments"] as? String == "")
            for later in calls.dropFirst() {
                #expect(later["id"] == nil)
                #expect(later[object: "function"]?["name"] == nil)
            }
            let arguments = calls.compactMap { $0[object: "function"]?["arguments"] as? String }.joined()
            #expect(arguments == ToolTests.weatherArguments)
            let finish = chunks.dropLast().last?[array: "choices"]?.first
            #expect(finish?["finish_reason"] as? String == "tool_calls")
        }
    }
}
