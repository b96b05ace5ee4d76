import Synchronization

/// A counting semaphore for async code: at most `limit` holders at once, waiters served in
/// arrival order, and a cancelled waiter leaves the queue at once. The limit can change while
/// permits are held (adaptive concurrency): a lower one takes effect as holders release.
final class ConcurrencyLimiter: Sendable {
    private struct State {
        var limit: Int
        var held = 0
        var waiters: [(id: UInt64, continuation: CheckedContinuation<Void, any Error>)] = []
        var nextID: UInt64 = 0

        var available: Int { limit - held }
    }

    private let state: Mutex<State>

    init(limit: Int) {
        state = Mutex(State(limit: max(limit, 1)))
    }

    /// Permits held right now.
    var held: Int { state.withLock { $0.held } }

    /// Changes the limit; waiters get the permits a higher one frees.
    func setLimit(_ limit: Int) {
        let woken = state.withLock { state in
            state.limit = max(limit, 1)
            var woken: [CheckedContinuation<Void, any Error>] = []
            while state.available > 0, !state.waiters.isEmpty {
                state.held += 1
                woken.append(state.waiters.removeFirst().continuation)
            }
            return woken
        }
        woken.forEach { $0.resume() }
    }

    /// Runs `body` holding one permit.
    func withPermit<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        try await acquire()
        defer { release() }
        return try await body()
    }

    func acquire() async throws {
        let id: UInt64? = state.withLock { state in
            if state.available > 0 {
                state.held += 1
                return nil
            }
            state.nextID += 1
            return state.nextID
        }
        guard let id else { return }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                // Re-check under the lock: a permit may have been released since the first look.
                enum Decision { case wait, acquired, cancelled }
                let decision: Decision = state.withLock { state in
                    if Task.isCancelled { return .cancelled }
                    if state.available > 0 {
                        state.held += 1
                        return .acquired
                    }
                    state.waiters.append((id, continuation))
                    return .wait
                }
                switch decision {
                case .wait: break
                case .acquired: continuation.resume()
                case .cancelled: continuation.resume(throwing: CancellationError())
                }
            }
        } onCancel: {
            let continuation = state.withLock { state in
                state.waiters.firstIndex { $0.id == id }.map { state.waiters.remove(at: $0).continuation }
            }
            continuation?.resume(throwing: CancellationError())
        }
    }

    func release() {
        let next = state.withLock { state in
            state.held -= 1
            guard state.available > 0, !state.waiters.isEmpty else { return nil as CheckedContinuation<Void, any Error>? }
            state.held += 1
            return state.waiters.removeFirst().continuation
        }
        next?.resume()
    }
}
