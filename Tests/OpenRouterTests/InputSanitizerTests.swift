import Testing

@testable import OpenRouter

/// The plan's `sanitizeUserInput`: every change is reported, none is silent.
@Suite("InputSanitizer")
struct InputSanitizerTests {
    @Test func cleanTextIsLeftAlone() {
        let result = InputSanitizer().sanitize("What is the capital of France?\n\tThanks.")
        #expect(result == InputSanitizer.Result(text: "What is the capital of France?\n\tThanks.", wasTruncated: false, removedControlCharacters: 0))
    }

    @Test func truncationIsReported() {
        let sanitizer = InputSanitizer(maximumLength: 5)
        let result = sanitizer.sanitize("abcdefgh")
        #expect(result.text == "abcde")
        #expect(result.wasTruncated)
    }

    @Test func textAtTheLimitIsNotTruncated() {
        let result = InputSanitizer(maximumLength: 5).sanitize("abcde")
        #expect(result.text == "abcde")
        #expect(!result.wasTruncated)
    }

    @Test func theDefaultLimitIsTenThousandCharacters() {
        #expect(InputSanitizer().maximumLength == 10_000)
        let result = InputSanitizer().sanitize(String(repeating: "é", count: 10_001))
        #expect(result.wasTruncated)
        #expect(result.text.count == 10_000)
    }

    @Test func controlCharactersAreRemovedAndCounted() {
        let result = InputSanitizer().sanitize("a\u{0}b\u{7}c\u{1B}[31md\r\ne")
        #expect(result.text == "abc[31md\ne")
        #expect(result.removedControlCharacters == 4)
        #expect(!result.wasTruncated)
    }

    @Test func surroundingWhitespaceIsTrimmed() {
        #expect(InputSanitizer().sanitize("  \n hello \t\n").text == "hello")
    }

    @Test func charactersAreCountedAsAPersonSeesThem() {
        let result = InputSanitizer(maximumLength: 2).sanitize("👩‍👩‍👧‍👦🇫🇷x")
        #expect(result.text == "👩‍👩‍👧‍👦🇫🇷")
        #expect(result.wasTruncated)
    }
}
