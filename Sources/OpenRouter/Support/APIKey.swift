/// An API key that never prints itself.
///
/// Its `description` (and so any log line or error built from it) shows the last four
/// characters at most.
public struct APIKey: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible {
    let secret: String

    /// - Throws: `OpenRouterError` with category `config` when the key is empty or holds
    ///   characters that cannot appear in an HTTP header.
    public init(_ secret: String) throws(OpenRouterError) {
        let trimmed = secret.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else {
            throw OpenRouterError(.config, "an API key is required (set OPENROUTER_API_KEY)")
        }
        guard trimmed.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F }) else {
            throw OpenRouterError(.config, "the API key contains characters not allowed in an HTTP header")
        }
        self.secret = trimmed
    }

    /// `…abcd`: enough to tell keys apart, never enough to use one.
    public var masked: String {
        secret.count > 8 ? "…" + secret.suffix(4) : "…"
    }

    public var description: String { masked }
    public var debugDescription: String { "APIKey(\(masked))" }
}

extension APIKey: CustomReflectable {
    /// No children: `dump`, debuggers and test failure messages read stored properties
    /// through the mirror, which would otherwise show the secret.
    public var customMirror: Mirror { Mirror(self, children: [], displayStyle: .struct) }
}

import Foundation
