import Foundation

/// A value guarded by a lock, shared between request handlers.
///
/// `Synchronization.Mutex` would be the natural choice but needs macOS 15 while the
/// package still targets macOS 14, so this wraps `NSLock`.
// @unchecked Sendable is sound: `value` is private and only ever touched inside
// `withLock`, which holds `lock` for the whole access, so no two threads can race on it.
final class LockedBox<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value

    init(_ value: Value) {
        self.value = value
    }

    func withLock<R>(_ body: (inout Value) throws -> R) rethrows -> R {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}
