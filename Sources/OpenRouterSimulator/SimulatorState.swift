import Foundation

/// Everything mutable a simulator keeps, behind one lock. Each critical section is a
/// few dictionary operations, so one lock is cheaper than finer-grained schemes.
final class SimulatorState: Sendable {
    private struct Storage {
        var stats = SimulatorStats()
        var rng: SplitMix64
        var generations: [String: GenerationRecord] = [:]
        /// Insertion order of `generations`, consumed from `evictionHead` when over the limit.
        var generationOrder: [String] = []
        var evictionHead = 0
        var totalCost: Decimal = 0
        var nextGeneration = 0
        var nextCall = 0
    }

    private let storage: LockedBox<Storage>
    private let idPrefix: String
    let historyLimit: Int

    init(seed: UInt64, historyLimit: Int) {
        storage = LockedBox(Storage(rng: SplitMix64(seed: seed)))
        // Distinguishes ids of simulators in one process (tests run many side by side).
        idPrefix = "gen-" + String(UInt32.random(in: 0x1000_0000...UInt32.max), radix: 16) + "-"
        self.historyLimit = max(1, historyLimit)
    }

    func makeGenerationID() -> String {
        let number = storage.withLock { storage in
            storage.nextGeneration += 1
            return storage.nextGeneration
        }
        return idPrefix + String(number)
    }

    func makeCallID() -> String {
        let number = storage.withLock { storage in
            storage.nextCall += 1
            return storage.nextCall
        }
        return "call_" + String(number)
    }

    func countRequest() {
        storage.withLock { $0.stats.requestsTotal += 1 }
    }

    func countStatus(_ status: Int) {
        storage.withLock { $0.stats.byStatus[status, default: 0] += 1 }
    }

    func countFault(_ name: String) {
        storage.withLock { $0.stats.byFault[name, default: 0] += 1 }
    }

    /// Admits a chat request unless `limit` are in flight. The caller must balance a
    /// successful admission with ``leave()``.
    func enter(limit: Int?) -> Bool {
        storage.withLock { storage in
            storage.stats.chatRequests += 1
            if let limit, storage.stats.inFlight >= limit { return false }
            storage.stats.inFlight += 1
            storage.stats.maxInFlight = max(storage.stats.maxInFlight, storage.stats.inFlight)
            return true
        }
    }

    func leave() {
        storage.withLock { $0.stats.inFlight -= 1 }
    }

    /// Counts the request under `key` and returns the new count, plus one PRNG draw in
    /// `0..<1` if `draw` (done under the same lock so the sequence follows arrival order).
    func countKey(_ key: String, draw: Bool) -> (count: Int, random: Double?) {
        storage.withLock { storage in
            storage.stats.byKey[key, default: 0] += 1
            return (storage.stats.byKey[key]!, draw ? storage.rng.nextUnitInterval() : nil)
        }
    }

    func record(_ record: GenerationRecord, id: String) {
        storage.withLock { storage in
            storage.totalCost += record.cost
            if storage.generations.updateValue(record, forKey: id) == nil {
                storage.generationOrder.append(id)
            }
            if storage.generations.count > historyLimit {
                storage.generations[storage.generationOrder[storage.evictionHead]] = nil
                storage.evictionHead += 1
                // Compact now and then so the order array does not grow forever.
                if storage.evictionHead > 4096, storage.evictionHead * 2 > storage.generationOrder.count {
                    storage.generationOrder.removeFirst(storage.evictionHead)
                    storage.evictionHead = 0
                }
            }
        }
    }

    func generation(id: String) -> GenerationRecord? {
        storage.withLock { $0.generations[id] }
    }

    var totalCost: Decimal {
        storage.withLock { $0.totalCost }
    }

    var stats: SimulatorStats {
        storage.withLock { $0.stats }
    }

    /// Clears counters (keys, statuses, faults, totals); in-flight requests stay counted,
    /// generations and the key's usage are kept.
    func reset() {
        storage.withLock { storage in
            let inFlight = storage.stats.inFlight
            storage.stats = SimulatorStats()
            storage.stats.inFlight = inFlight
            storage.stats.maxInFlight = inFlight
        }
    }
}

/// Ends an admitted request's in-flight span when the last reference goes away, which
/// covers normal returns, streamed bodies and connections dropped before the body ran.
final class InFlightToken: Sendable {
    private let state: SimulatorState

    init(state: SimulatorState) {
        self.state = state
    }

    deinit {
        state.leave()
    }
}
