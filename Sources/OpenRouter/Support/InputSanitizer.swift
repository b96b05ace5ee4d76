/// The plan's `sanitizeUserInput` (§6.2), opt-in: nothing in the client calls it, so no
/// prompt is ever shortened behind the caller's back.
public struct InputSanitizer: Sendable {
    /// Longest text kept, in characters. Default 10,000, as in the plan.
    public var maximumLength: Int = 10_000

    public init(maximumLength: Int = 10_000) {
        self.maximumLength = maximumLength
    }

    /// What sanitising did, so a caller can tell the user.
    public struct Result: Sendable, Hashable {
        public var text: String
        public var wasTruncated: Bool
        public var removedControlCharacters: Int
    }

    /// Trims surrounding whitespace, drops control characters other than newline and tab,
    /// and cuts the text to ``maximumLength`` characters — reporting each change.
    public func sanitize(_ input: String) -> Result {
        var removed = 0
        var scalars = String.UnicodeScalarView()
        for scalar in input.unicodeScalars {
            let isControl = scalar.properties.generalCategory == .control && scalar != "\n" && scalar != "\t"
            if isControl { removed += 1 } else { scalars.append(scalar) }
        }
        let cleaned = String(scalars).trimmingCharacters(in: .whitespacesAndNewlines)
        let wasTruncated = cleaned.count > maximumLength
        return Result(text: wasTruncated ? String(cleaned.prefix(maximumLength)) : cleaned, wasTruncated: wasTruncated, removedControlCharacters: removed)
    }
}

import Foundation
