import Foundation
import OpenRouterSimulator
import Testing

@Suite struct EndpointTests {
    @Test func modelsListsTheCatalogue() async throws {
        try await OpenRouterSimulator.withRunning { sim in
            let data = try #require(try await TestClient.get(sim.baseURL + "/models").json?[array: "data"])
            #expect(data.compactMap { $0["id"] as? String } == SimulatedModel.defaultCatalog.map(\.id))
            let mini = try #require(data.first)
            #expect(mini["id"] as? String == "openai/gpt-4o-mini")
            #expect(mini["context_length"] as? Int == 128_000)
            #expect(mini[object: "pricing"]?["prompt"] as? String == "0.00000015")
            #expect(mini[object: "pricing"]?["completion"] as? String == "0.0000006")
            for key in ["request", "image", "web_search", "internal_reasoning", "input_cache_read", "input_cache_write"] {
                #expect(mini[object: "pricing"]?[key] is String)
            }
            #expect(mini[object: "top_provider"]?["max_completion_tokens"] as? Int == 16_384)
            #expect(mini[object: "top_provider"]?["is_moderated"] as? Bool == false)
            #expect((mini["supported_parameters"] as? [String])?.contains("tools") == true)
            let free = data.first { $0["id"] as? String == "meta-llama/llama-3.1-8b-instruct:free" }
            #expect(free?[object: "pricing"]?["prompt"] as? String == "0")
            let haiku = data.first { $0["id"] as? String == "anthropic/claude-3.5-haiku" }
            #expect(haiku?[object: "pricing"]?["completion"] as? String == "0.000004")
        }
    }

    @Test func generationAndKeyUsage() async throws {
        try await OpenRouterSimulator.withRunning { sim in
            let first = try await TestClient.chat(sim, chatBody("one", model: "openai/gpt-4o"))
            let second = try await TestClient.chat(sim, chatBody("two", ["stream": true]))
            _ = try await TestClient.chat(sim, faultBody("500"))
            let firstID = try #require(first.headers.first(name: "X-Generation-Id"))
            let generation = try #require(try await TestClient.get(sim.baseURL + "/generation?id=\(firstID)").json?[object: "data"])
            #expect(generation["id"] as? String == firstID)
            #expect(generation["model"] as? String == "openai/gpt-4o")
            #expect(generation["tokens_prompt"] as? Int == 5)
            #expect(generation["native_tokens_completion"] as? Int == 6)
            #expect(generation["native_tokens_reasoning"] as? Int == 0)
            #expect(generation["provider_name"] as? String == "SimProvider")
            #expect(generation["finish_reason"] as? String == "stop")
            #expect(generation["streamed"] as? Bool == false)
            #expect(generation["created_at"] is String)
            #expect(generation["latency"] is Int)
            // 5 × 0.0000025 + 6 × 0.00001
            let raw = try await TestClient.get(sim.baseURL + "/generation?id=\(firstID)").text
            #expect(raw.contains("\"total_cost\":0.0000725,"))

            let missing = try await TestClient.get(sim.baseURL + "/generation?id=gen-unknown")
            #expect(missing.status == 404)
            #expect(missing.json?[object: "error"]?["code"] as? Int == 404)

            // Plus 5 × 0.00000015 + 6 × 0.0000006 for the streamed one; the 500 is not billed.
            #expect(second.status == 200)
            let key = try await TestClient.get(sim.baseURL + "/key")
            #expect(key.text.contains("\"usage\":0.00007685,"))
            let data = try #require(key.json?[object: "data"])
            #expect(data["label"] as? String == "sim")
            #expect(data["limit"] is NSNull)
            #expect(data["is_free_tier"] as? Bool == false)
        }
    }

    @Test func statsCountByKeyStatusAndReset() async throws {
        try await OpenRouterSimulator.withRunning { sim in
            _ = try await TestClient.chat(sim, chatBody("alpha"))
            _ = try await TestClient.chat(sim, chatBody("alpha"))
            _ = try await TestClient.chat(sim, chatBody("beta", ["sim": ["key": "custom"]]))
            _ = try await TestClient.chat(sim, faultBody("502", key: "custom"))
            _ = try await TestClient.get(sim.baseURL + "/models")
            let stats = sim.stats()
            #expect(stats.byKey == ["alpha": 2, "custom": 2])
            #expect(stats.chatRequests == 4)
            #expect(stats.requestsTotal == 5)
            #expect(stats.byStatus == [200: 4, 502: 1])
            #expect(stats.byFault == ["502": 1])
            #expect(stats.inFlight == 0)
            #expect(stats.maxInFlight == 1)

            let json = try #require(try await TestClient.get(sim.rootURL + "/sim/stats").json)
            #expect(json["requests_total"] as? Int == 5)
            #expect(json["chat_requests"] as? Int == 4)
            #expect(json[object: "by_key"]?["alpha"] as? Int == 2)
            #expect(json[object: "by_status"]?["502"] as? Int == 1)
            #expect(json[object: "by_fault"]?["502"] as? Int == 1)
            #expect(json["in_flight"] as? Int == 0)
            #expect(json["max_in_flight"] as? Int == 1)

            #expect(try await TestClient.send(sim.rootURL + "/sim/reset").status == 200)
            #expect(sim.stats() == SimulatorStats())
        }
    }
}
