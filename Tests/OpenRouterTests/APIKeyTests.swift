import Testing

@testable import OpenRouter

@Suite("APIKey")
struct APIKeyTests {
    static let secret = "sk-or-v1-8c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f"

    @Test func itsTextualFormsNeverContainTheKey() throws {
        let key = try APIKey(Self.secret)
        for text in [key.description, key.debugDescription, key.masked, "\(key)", String(describing: key), String(reflecting: key), "\([key])", "\(Optional(key) as Any)"] {
            #expect(!text.contains(Self.secret), "\(text)")
            #expect(!text.contains("8c1d2e3f"), "\(text)")
        }
    }

    @Test func reflectionDoesNotRevealTheKeyEither() throws {
        let key = try APIKey(Self.secret)
        var dumped = ""
        dump(key, to: &dumped)
        #expect(!dumped.contains(Self.secret), "\(dumped)")
        let client = try OpenRouterClient(apiKey: Self.secret)
        var dumpedClient = ""
        dump(client, to: &dumpedClient, maxDepth: 3)
        #expect(!dumpedClient.contains(Self.secret))
        #expect(Mirror(reflecting: key).children.allSatisfy { !"\($0.value)".contains(Self.secret) })
    }

    @Test func itShowsOnlyTheLastFourCharacters() throws {
        let key = try APIKey(Self.secret)
        #expect(key.masked == "…4e5f")
        #expect(key.description == "…4e5f")
        #expect(key.debugDescription == "APIKey(…4e5f)")
    }

    @Test(arguments: ["abc", "12345678"])
    func aShortKeyShowsNothingAtAll(secret: String) throws {
        let key = try APIKey(secret)
        #expect(key.masked == "…")
        #expect(!key.debugDescription.contains(secret))
    }

    @Test func theKeyIsKeptTrimmedForTheHeader() throws {
        #expect(try APIKey("  \(Self.secret)\n").secret == Self.secret)
    }

    @Test func aBlankKeyIsAConfigError() {
        let error = #expect(throws: OpenRouterError.self) { try APIKey(" ") }
        #expect(error?.category == .config)
    }
}
