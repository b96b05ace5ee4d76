import Foundation
import Testing

@testable import OpenRouter

/// `/models` entries: prices come per token as strings and are kept per 1M tokens as exact decimals.
@Suite("ModelInfo")
struct ModelInfoTests {
    static func decimal(_ text: String) -> Decimal { Decimal(string: text)! }

    @Test func aPricePerTokenBecomesAnExactPricePerMillion() throws {
        let pricing = try #require(ModelInfo.Pricing(wire: ["prompt": "0.00000015", "completion": "0.0000006"]))
        #expect(pricing.prompt == Self.decimal("0.15"))
        #expect(pricing.completion == Self.decimal("0.6"))
        #expect(pricing.prompt.plainString == "0.15")
        #expect(pricing.request == nil)
        #expect(pricing.inputCacheRead == nil)
    }

    @Test func pricesThatABinaryDoubleGetsWrongStayExact() throws {
        let pricing = try #require(ModelInfo.Pricing(wire: ["prompt": "0.0000001", "completion": "0.0000003", "request": "0.005", "input_cache_read": "0.00000001"]))
        #expect(pricing.prompt + pricing.prompt + pricing.prompt == pricing.completion)
        #expect(pricing.request == Self.decimal("0.005"))
        #expect(pricing.inputCacheRead == Self.decimal("0.01"))
        #expect(pricing.cost(promptTokens: 1_000_000, completionTokens: 2_000_000) == Self.decimal("0.705"))
    }

    @Test func aPriceMayAlsoComeAsANumber() throws {
        let pricing = try #require(ModelInfo.Pricing(wire: try JSONValue(parsing: #"{"prompt":0.000003,"completion":"0.000015"}"#)))
        #expect(pricing.prompt == 3)
        #expect(pricing.completion == 15)
    }

    @Test func aFreeModelCostsNothing() throws {
        let pricing = try #require(ModelInfo.Pricing(wire: ["prompt": "0", "completion": "0", "request": "0"]))
        #expect(pricing.prompt == 0 && pricing.completion == 0 && pricing.request == nil)
        #expect(pricing.cost(promptTokens: 1000, completionTokens: 1000) == 0)
    }

    @Test(arguments: [
        JSONValue.object(["prompt": "abc", "completion": "0.000001"]),
        ["prompt": "-0.000001", "completion": "0.000001"],
        ["completion": "0.000001"],
        ["prompt": true, "completion": "0.000001"],
        nil,
    ])
    func anUnreadablePriceGivesNoPricing(wire: JSONValue) {
        #expect(ModelInfo.Pricing(wire: wire) == nil)
    }

    @Test func aModelEntryIsRead() throws {
        let entry = try JSONValue(parsing: #"""
            {"id":"openai/gpt-4o-mini","name":"OpenAI: GPT-4o-mini","description":"Small and cheap","context_length":128000,
             "pricing":{"prompt":"0.00000015","completion":"0.0000006","request":"0","image":"0.000217","web_search":"0","internal_reasoning":"0"},
             "top_provider":{"context_length":128000,"max_completion_tokens":16384,"is_moderated":true},
             "supported_parameters":["tools","response_format"],"expiration_date":null}
            """#)
        let model = try #require(ModelInfo(wire: entry))
        #expect(model.id == "openai/gpt-4o-mini")
        #expect(model.name == "OpenAI: GPT-4o-mini")
        #expect(model.description == "Small and cheap")
        #expect(model.contextLength == 128_000)
        #expect(model.maxCompletionTokens == 16384)
        #expect(model.pricing?.prompt == Self.decimal("0.15"))
        #expect(model.pricing?.completion == Self.decimal("0.6"))
    }

    @Test func anEntryWithoutAnIDIsSkipped() {
        #expect(ModelInfo(wire: ["name": "nameless"]) == nil)
        #expect(ModelInfo(wire: ["id": "a/b"])?.name == "a/b")
    }
}
