import Testing

@testable import OpenRouter

@Suite("OpenRouterError")
struct OpenRouterErrorTests {
    @Test(arguments: [
        (400, OpenRouterError.Category.badRequest),
        (422, .badRequest),
        (401, .auth),
        (402, .payment),
        (403, .forbidden),
        (408, .timeout),
        (504, .timeout),
        (429, .rateLimited),
        (500, .server),
        (502, .server),
        (503, .server),
        (501, .server),
        (520, .server),
        (599, .server),
    ])
    func aStatusCodeMapsToItsCategory(status: Int, category: OpenRouterError.Category) {
        #expect(OpenRouterError.Category(statusCode: status) == category)
    }

    @Test func theCategoriesAreSpelledExactly() {
        #expect(OpenRouterError.Category.all.map(\.rawValue) == [
            "config", "validation", "bad_request", "auth", "payment", "forbidden", "rate_limited", "timeout",
            "server", "network", "invalid_response", "schema_violation", "content_filter", "cancelled",
        ])
        #expect(OpenRouterError.Category.config.rawValue == "config")
        #expect(OpenRouterError.Category.validation.rawValue == "validation")
        #expect(OpenRouterError.Category.badRequest.rawValue == "bad_request")
        #expect(OpenRouterError.Category.auth.rawValue == "auth")
        #expect(OpenRouterError.Category.payment.rawValue == "payment")
        #expect(OpenRouterError.Category.forbidden.rawValue == "forbidden")
        #expect(OpenRouterError.Category.rateLimited.rawValue == "rate_limited")
        #expect(OpenRouterError.Category.timeout.rawValue == "timeout")
        #expect(OpenRouterError.Category.server.rawValue == "server")
        #expect(OpenRouterError.Category.network.rawValue == "network")
        #expect(OpenRouterError.Category.invalidResponse.rawValue == "invalid_response")
        #expect(OpenRouterError.Category.schemaViolation.rawValue == "schema_violation")
        #expect(OpenRouterError.Category.contentFilter.rawValue == "content_filter")
        #expect(OpenRouterError.Category.cancelled.rawValue == "cancelled")
        #expect(Set(OpenRouterError.Category.all).count == 14)
        #expect(OpenRouterError.Category.all.allSatisfy { "\($0)" == $0.rawValue })
    }

    @Test func theDescriptionCarriesTheContextAUserNeeds() {
        var error = OpenRouterError(.schemaViolation, "the content does not match schema 'a'", statusCode: 200, generationID: "gen-1")
        error.path = "$.items[2].name"
        #expect(error.description == "schema_violation: the content does not match schema 'a' (HTTP 200) at $.items[2].name")
        #expect(error.localizedDescription == error.description)
        #expect(OpenRouterError(.network, "network error: refused").description == "network: network error: refused")
    }

    @Test func aCarriedErrorBodyKeepsTheProvidersWords() {
        let body: JSONValue = ["code": 502, "message": "Provider returned error", "metadata": ["provider_name": "Together", "raw": ["detail": "overloaded"]]]
        let error = OpenRouterError(carried: body, statusCode: 502, generationID: "gen-2", retryAfter: .seconds(4))
        #expect(error.category == .server)
        #expect(error.providerName == "Together")
        #expect(error.providerRaw == #"{"detail":"overloaded"}"#)
        #expect(error.retryAfter == .seconds(4))
        #expect(error.description.contains("[provider: Together]"))
        #expect(error.description.contains(#"provider said: {"detail":"overloaded"}"#))
    }

    @Test func aHugeServerMessageIsCut() {
        let error = OpenRouterError(carried: ["code": 400, "message": .string(String(repeating: "x", count: 10_000))], statusCode: 400, generationID: nil)
        #expect(error.message.count == 2001)
        #expect(error.message.hasSuffix("…"))
    }

    @Test func theHTTPStatusDecidesTheCategoryOverTheBodysCode() {
        let error = OpenRouterError(carried: ["code": 500, "message": "m"], statusCode: 429, generationID: nil)
        #expect(error.category == .rateLimited)
        #expect(error.errorCode == 500)
    }

    @Test func theDescriptionNeverContainsTheKey() throws {
        let key = "sk-or-v1-feedfacecafebeef0123456789"
        let client = try OpenRouterClient(apiKey: key)
        var error = OpenRouterError(carried: ["code": 401, "message": .string("No auth credentials found for Bearer \(key)"), "metadata": ["raw": .string("key=\(key)")]], statusCode: 401, generationID: nil)
        error.partialContent = "echo \(key)"
        let redacted = client.redacted(error)
        for text in [redacted.description, redacted.message, redacted.providerRaw ?? "", redacted.partialContent ?? "", "\(redacted)", String(reflecting: redacted)] {
            #expect(!text.contains(key), "\(text)")
            #expect(!text.contains("feedfacecafebeef"), "\(text)")
        }
        #expect(redacted.message == "No auth credentials found for Bearer …6789")
    }
}
