import Foundation
import OpenRouterSimulator
import Testing

@Suite struct ToolTests {
    static var weatherTool: [String: Any] {
        [
        "type": "function",
        "function": [
            "name": "get_weather", "description": "Weather for a city",
            "parameters": [
                "type": "object",
                "properties": ["city": ["type": "string"], "days": ["type": "integer"], "unit": ["enum": ["c", "f"]]],
                "required": ["city", "unit"],
            ],
        ],
        ]
    }
    static let weatherArguments = #"{"city":"example","unit":"c"}"#
    static var timeTool: [String: Any] { ["type": "function", "function": ["name": "get_time"]] }

    @Test func toolCallResponse() async throws {
        try await OpenRouterSimulator.withRunning { sim in
            let reply = try await TestClient.chat(sim, chatBody("Weather in Paris?", ["tools": [Self.weatherTool, Self.timeTool]]))
            let json = try #require(reply.json)
            let choice = try #require(json[array: "choices"]?.first)
            #expect(choice["finish_reason"] as? String == "tool_calls")
            let message = try #require(choice[object: "message"])
            #expect(message["content"] is NSNull)
            #expect(reply.text.contains("\"content\":null"))
            let call = try #require(message[array: "tool_calls"]?.first)
            #expect((call["id"] as? String)?.hasPrefix("call_") == true)
            #expect(call["type"] as? String == "function")
            #expect(call[object: "function"]?["name"] as? String == "get_weather")
            #expect(call[object: "function"]?["arguments"] as? String == Self.weatherArguments)
            #expect(json[object: "usage"]?["completion_tokens"] as? Int == TokenCounting.tokens(forText: Self.weatherArguments))
        }
    }

    @Test func toolChoiceSelectsOrDisablesTools() async throws {
        try await OpenRouterSimulator.withRunning { sim in
            let forced = try await TestClient.chat(
                sim,
                chatBody("Time?", ["tools": [Self.weatherTool, Self.timeTool], "tool_choice": ["type": "function", "function": ["name": "get_time"]]]))
            let call = forced.json?[array: "choices"]?.first?[object: "message"]?[array: "tool_calls"]?.first
            #expect(call?[object: "function"]?["name"] as? String == "get_time")
            #expect(call?[object: "function"]?["arguments"] as? String == "{}")

            let none = try await TestClient.chat(sim, chatBody("No tools", ["tools": [Self.weatherTool], "tool_choice": "none"]))
            #expect(none.json?[array: "choices"]?.first?[object: "message"]?["content"] as? String == TokenCounting.replyText(lastUserMessage: "No tools"))

            let afterTool: [String: Any] = [
                "model": "sim/echo", "tools": [Self.weatherTool],
                "messages": [
                    ["role": "user", "content": "Weather?"],
                    ["role": "assistant", "content": NSNull(), "tool_calls": [["id": "call_9", "type": "function", "function": ["name": "get_weather", "arguments": "{}"]]]],
                    ["role": "tool", "tool_call_id": "call_9", "content": "sunny"],
                ],
            ]
            let final = try await TestClient.chat(sim, afterTool)
            #expect(final.json?[array: "choices"]?.first?["finish_reason"] as? String == "stop")
            #expect(final.json?[object: "usage"]?["prompt_tokens"] as? Int == TokenCounting.promptTokens(messageTexts: ["Weather?", "", "sunny"]))

            let unknown = try await TestClient.chat(
                sim, chatBody("x", ["tools": [Self.weatherTool], "tool_choice": ["type": "function", "function": ["name": "nope"]]]))
            #expect(unknown.status == 400)
        }
    }
}
