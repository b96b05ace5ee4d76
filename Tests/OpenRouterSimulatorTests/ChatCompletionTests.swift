import Foundation
import OpenRouterSimulator
import Testing

@Suite struct ChatCompletionTests {
    @Test func jsonHappyPathHasExactTokensAndCost() async throws {
        try await OpenRouterSimulator.withRunning { sim in
            let user = "Hello there, how are you doing today my friend?"
            let body: [String: Any] = [
                "model": "openai/gpt-4o-mini", "temperature": 0.3, "unknown_field": ["ignored": true],
                "messages": [["role": "system", "content": "You are terse."], ["role": "user", "content": user]],
            ]
            let reply = try await TestClient.chat(sim, body)
            #expect(reply.status == 200)
            let json = try #require(reply.json)
            let id = try #require(json["id"] as? String)
            #expect(id.hasPrefix("gen-"))
            #expect(reply.headers.first(name: "X-Generation-Id") == id)
            #expect(json["provider"] as? String == "SimProvider")
            #expect(json["model"] as? String == "openai/gpt-4o-mini")
            #expect(json["object"] as? String == "chat.completion")
            #expect(json["created"] is Int)

            let choice = try #require(json[array: "choices"]?.first)
            let expectedReply = TokenCounting.replyText(lastUserMessage: user)
            #expect(expectedReply == "Simulated reply to: Hello there, how are you doing t")
            #expect(choice["finish_reason"] as? String == "stop")
            #expect(choice["native_finish_reason"] as? String == "stop")
            #expect(choice[object: "message"]?["content"] as? String == expectedReply)
            #expect(choice[object: "message"]?["role"] as? String == "assistant")

            let prompt = TokenCounting.promptTokens(messageTexts: ["You are terse.", user])
            #expect(prompt == (4 + 4) + (4 + 12))
            let completion = TokenCounting.tokens(forText: expectedReply)
            let usage = try #require(json[object: "usage"])
            #expect(usage["prompt_tokens"] as? Int == prompt)
            #expect(usage["completion_tokens"] as? Int == completion)
            #expect(usage["total_tokens"] as? Int == prompt + completion)
            #expect(usage[object: "prompt_tokens_details"]?["cached_tokens"] as? Int == 0)
            #expect(usage[object: "completion_tokens_details"]?["reasoning_tokens"] as? Int == 0)
            let cost = SimulatedModel.pricing(for: "openai/gpt-4o-mini").cost(promptTokens: prompt, completionTokens: completion)
            #expect(cost == Decimal(string: "0.0000114"))
            // A plain literal, exactly as OpenRouter writes it.
            #expect(reply.text.contains("\"cost\":0.0000114}"))
        }
    }

    @Test func contentPartsAndNullContentCount() async throws {
        try await OpenRouterSimulator.withRunning { sim in
            let body: [String: Any] = [
                "model": "anthropic/claude-3.5-haiku",
                "messages": [
                    ["role": "assistant", "content": NSNull()],
                    ["role": "user", "content": [["type": "text", "text": "Part one, "], ["type": "image_url", "image_url": ["url": "x"]], ["type": "text", "text": "part two"]]],
                ],
            ]
            let json = try #require(try await TestClient.chat(sim, body).json)
            let usage = try #require(json[object: "usage"])
            #expect(usage["prompt_tokens"] as? Int == 4 + (4 + TokenCounting.tokens(forText: "Part one, part two")))
            let content = json[array: "choices"]?.first?[object: "message"]?["content"] as? String
            #expect(content == TokenCounting.replyText(lastUserMessage: "Part one, part two"))
        }
    }

    @Test func maxTokensCutsTheReply() async throws {
        try await OpenRouterSimulator.withRunning { sim in
            let json = try #require(try await TestClient.chat(sim, chatBody("Tell me a story", ["max_tokens": 3])).json)
            let choice = try #require(json[array: "choices"]?.first)
            #expect(choice["finish_reason"] as? String == "length")
            #expect(choice[object: "message"]?["content"] as? String == "Simulated re")
            #expect(json[object: "usage"]?["completion_tokens"] as? Int == 3)
        }
    }

    @Test func unknownModelIsServedAtEchoPrices() async throws {
        try await OpenRouterSimulator.withRunning { sim in
            let reply = try await TestClient.chat(sim, chatBody("abcd", model: "vendor/not-listed"))
            let json = try #require(reply.json)
            #expect(json["model"] as? String == "vendor/not-listed")
            // 5 prompt tokens × 0.000001 + 6 completion tokens × 0.000002
            #expect(reply.text.contains("\"cost\":0.000017}"))
        }
    }

    @Test func jsonObjectAndJSONSchemaReplies() async throws {
        try await OpenRouterSimulator.withRunning { sim in
            let object = try await TestClient.chat(sim, chatBody("Say \"hi\"", ["response_format": ["type": "json_object"]]))
            let content = try #require(object.json?[array: "choices"]?.first?[object: "message"]?["content"] as? String)
            #expect(content == TokenCounting.jsonObjectReply(lastUserMessage: "Say \"hi\""))
            let parsed = try JSONSerialization.jsonObject(with: Data(content.utf8)) as? [String: Any]
            #expect(parsed?["reply"] as? String == "Simulated reply to: Say \"hi\"")

            let schema: [String: Any] = [
                "type": "object",
                "properties": [
                    "name": ["type": "string"], "age": ["type": "integer"], "score": ["type": "number"],
                    "ok": ["type": "boolean"], "tags": ["type": "array", "items": ["type": "string"]],
                    "kind": ["enum": ["a", "b"]], "fixed": ["const": 7], "maybe": ["type": ["null", "integer"]],
                    "choice": ["anyOf": [["type": "boolean"], ["type": "string"]]],
                    "address": ["$ref": "#/$defs/Address"], "optional": ["type": "string"],
                ],
                "required": ["name", "age", "score", "ok", "tags", "kind", "fixed", "maybe", "choice", "address"],
                "$defs": ["Address": ["type": "object", "properties": ["city": ["type": "string"], "zip": ["type": "integer"]]]],
            ]
            let reply = try await TestClient.chat(
                sim, chatBody("Person", ["response_format": ["type": "json_schema", "json_schema": ["name": "p", "strict": true, "schema": schema]]]))
            let text = try #require(reply.json?[array: "choices"]?.first?[object: "message"]?["content"] as? String)
            #expect(
                text
                    == #"{"address":{"city":"example","zip":1},"age":1,"choice":true,"fixed":7,"kind":"a","maybe":1,"name":"example","ok":true,"score":1.5,"tags":["example"]}"#
            )
            let schemaJSON = String(decoding: try JSONSerialization.data(withJSONObject: schema), as: UTF8.self)
            #expect(TokenCounting.minimalInstance(ofSchemaJSON: schemaJSON) == text)
            #expect(reply.json?[object: "usage"]?["completion_tokens"] as? Int == TokenCounting.tokens(forText: text))
        }
    }

    @Test func latencyDelaysTheAnswer() async throws {
        try await OpenRouterSimulator.withRunning { sim in
            let start = ContinuousClock.now
            let reply = try await TestClient.chat(sim, chatBody("slow", ["sim": ["latency_ms": 200]]))
            #expect(reply.status == 200)
            #expect(ContinuousClock.now - start >= .milliseconds(200))
        }
    }

    @Test func authAndValidationErrors() async throws {
        var configuration = SimulatorConfiguration()
        configuration.apiKey = "sk-right"
        try await OpenRouterSimulator.withRunning(configuration) { sim in
            let missing = try await TestClient.chat(sim, chatBody("x"), key: nil)
            #expect(missing.status == 401)
            #expect(missing.headers.first(name: "X-Generation-Id")?.hasPrefix("gen-") == true)
            #expect(missing.json?[object: "error"]?["code"] as? Int == 401)
            #expect(try await TestClient.chat(sim, chatBody("x"), key: "").status == 401)
            let wrong = try await TestClient.chat(sim, chatBody("x"), key: "sk-wrong")
            #expect(wrong.status == 401)
            #expect(!wrong.text.contains("sk-wrong"))
            #expect(try await TestClient.chat(sim, chatBody("x"), key: "sk-right").status == 200)

            let noModel = try await TestClient.chat(sim, ["messages": [["role": "user", "content": "x"]]], key: "sk-right")
            #expect(noModel.status == 400)
            #expect(noModel.json?[object: "error"]?["code"] as? Int == 400)
            #expect(try await TestClient.chat(sim, ["model": "m", "messages": []], key: "sk-right").status == 400)
            let notJSON = try await TestClient.send(sim.baseURL + "/chat/completions", body: "{nope", key: "sk-right")
            #expect(notJSON.status == 400)
            #expect(try await TestClient.chat(sim, faultBody("no_such_fault"), key: "sk-right").status == 400)
        }
    }
}
