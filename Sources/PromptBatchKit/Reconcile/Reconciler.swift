import Foundation
import Logging
import OpenRouter

/// Looks up attempts that have a generation id but no cost through `/generation` and records
/// what they cost (`promptbatch reconcile`, and at the start of `run`).
///
/// One look-up at a time, so a reconcile running beside a run takes at most one of the
/// client's request slots. A 404 (not known yet; OpenRouter needs a moment after a generation
/// ends) or any other failure leaves the attempt for a later pass; an attempt is priced at most
/// once (see ``JobStore/recordReconciliation(attemptID:_:)``).
public struct Reconciler: Sendable {
    /// What a pass did.
    public struct Outcome: Sendable, Hashable {
        /// Attempts priced by this pass.
        public var reconciled = 0
        /// Their cost, in pico-USD.
        public var costPicoUSD: Int64 = 0
        /// Look-ups that answered 404: left for later.
        public var notFound = 0
        /// Look-ups that failed otherwise (network, 5xx after the client's retries, no cost in
        /// the answer): left for later.
        public var failed = 0
        /// Attempts not looked up because the pass hit its limit or deadline.
        public var skipped = 0

        public init() {}
    }

    public let store: JobStore
    /// `GET /generation?id=`; the client's ``OpenRouterClient/generation(id:)`` in production.
    public let lookUp: @Sendable (String) async throws -> GenerationInfo
    private let logger: Logger

    public init(store: JobStore, lookUp: @escaping @Sendable (String) async throws -> GenerationInfo, logger: Logger = Logger(label: "promptbatch.reconcile")) {
        self.store = store
        self.lookUp = lookUp
        self.logger = logger
    }

    public init(store: JobStore, client: OpenRouterClient, logger: Logger = Logger(label: "promptbatch.reconcile")) {
        self.init(store: store, lookUp: { id in try await client.generation(id: id) }, logger: logger)
    }

    /// One pass over the attempts to reconcile.
    /// - Parameters:
    ///   - batchID: Only this batch's attempts; nil (the default) for all.
    ///   - limit: Look up at most this many; nil (the default) for all.
    ///   - deadline: Start no look-up after this; nil (the default) for none.
    /// - Throws: A database error.
    public func run(batchID: Int64? = nil, limit: Int? = nil, deadline: ContinuousClock.Instant? = nil) async throws -> Outcome {
        let candidates = try store.unpricedAttempts(batchID: batchID)
        var outcome = Outcome()
        for (index, attempt) in candidates.enumerated() {
            if Task.isCancelled || limit.map({ index >= $0 }) == true || deadline.map({ ContinuousClock.now >= $0 }) == true {
                outcome.skipped = candidates.count - index
                break
            }
            let info: GenerationInfo
            do {
                info = try await lookUp(attempt.generationID)
            } catch let error as OpenRouterError where error.statusCode == 404 {
                outcome.notFound += 1
                try store.recordReconciliationMiss(attemptID: attempt.id)
                continue
            } catch {
                outcome.failed += 1
                logger.info("generation look-up failed", metadata: ["generation_id": "\(attempt.generationID)", "error": "\(error)"])
                continue
            }
            guard let cost = info.totalCost else {
                outcome.failed += 1
                continue
            }
            let reconciled = ReconciledCost(promptTokens: info.promptTokens, completionTokens: info.completionTokens, costPicoUSD: Money.picoUSD(cost))
            if try store.recordReconciliation(attemptID: attempt.id, reconciled) {
                outcome.reconciled += 1
                outcome.costPicoUSD = Money.adding(outcome.costPicoUSD, reconciled.costPicoUSD)
            }
        }
        return outcome
    }
}
