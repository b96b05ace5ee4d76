import Foundation

extension Date {
    /// Unix epoch milliseconds, the unit of every time column.
    var millisecondsSince1970: Int64 {
        Int64((timeIntervalSince1970 * 1000).rounded())
    }
}

extension Duration {
    /// Whole milliseconds, the unit of every `*_ms` column.
    var milliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}
