import ArgumentParser
import Dispatch
import Foundation
import Logging
import OpenRouter
import PromptBatchKit

/// Drains the queue with the OpenRouter handler: the wiring shared by `run` and `demo`.
struct BatchRun {
    var store: JobStore
    var client: OpenRouterClient
    var configuration: RunnerConfiguration
    var logger: Logger
    /// `run --budget`, in pico-USD; nil for none.
    var budgetPicoUSD: Int64?
    /// Attempts per job the client may make (1 + retries): each is reserved under a budget.
    var attemptsPerJob = 4
    /// Whether to reconcile earlier attempts' lost costs beside the run (see ``reconcileBound``).
    var reconcilesAtStart = true
    /// `run --metrics-port`: serve Prometheus metrics on 127.0.0.1 during the run; nil for none.
    var metricsPort: Int?

    /// The reconciliation at the start of a run runs beside it, one look-up at a time, so the
    /// first request waits for none of it; it looks up at most 100 attempts and starts none
    /// after 10 s. The run's summary waits for it to end (at most those 10 s plus a look-up).
    static let reconcileBound = (limit: 100, seconds: 10)

    /// Runs until the queue is drained, a fatal error halts it, or the user interrupts;
    /// prints the summary to stdout and returns the exit code the run deserves.
    func execute() async throws -> ExitCode {
        var configuration = self.configuration
        if let budgetPicoUSD {
            configuration.budget = RunBudget(limitPicoUSD: budgetPicoUSD, attemptsPerJob: attemptsPerJob, prices: try await budgetPrices())
        }
        if configuration.cache != nil {
            let hashed = try store.computeMissingSourceHashes()
            if hashed > 0 { logger.notice("hashed the requests of earlier results for the cache", metadata: ["jobs": "\(hashed)"]) }
        }
        let reconciliation: Task<Reconciler.Outcome?, Never>? = reconcilesAtStart ? Task { [store, client, logger] in
            let deadline = ContinuousClock.now + .seconds(Self.reconcileBound.seconds)
            do {
                return try await Reconciler(store: store, client: client, logger: logger)
                    .run(batchID: nil, limit: Self.reconcileBound.limit, deadline: deadline)
            } catch {
                logger.warning("reconciliation failed", metadata: ["error": "\(error)"])
                return nil
            }
        } : nil
        // Before the runner: its metrics bind to the backend that exists when it is made.
        let metricsEndpoint = metricsPort.map { _ in MetricsEndpoint(store: store, batchID: configuration.batchID, client: self.client) }
        let prices = (try? store.cachedPrices()) ?? [:]
        let handler = OpenRouterJobHandler(client: client, prices: prices)
        let runner = JobRunner(store: store, handler: handler, configuration: configuration, logger: logger)
        let interrupts = InterruptHandler(grace: configuration.grace) { runner.requestStop() }
        let client = self.client
        let progress = Task { await ProgressDisplay().show { (runner.progress, client.concurrencyLimit) } }
        let metrics = metricsEndpoint.map { endpoint in
            Task { [logger, port = metricsPort ?? 0] in
                do {
                    try await endpoint.serve(port: port, logger: logger) { bound in
                        Terminal.error("promptbatch: metrics on http://127.0.0.1:\(bound)/metrics")
                    }
                } catch is CancellationError {
                } catch {
                    Terminal.error("promptbatch: metrics not served: \(error)")
                }
            }
        }
        defer { metrics?.cancel() }
        let summary: RunSummary
        do {
            summary = try await runner.run()
        } catch {
            progress.cancel()
            reconciliation?.cancel()
            _ = await progress.value
            if let cause = JobStore.storageFailureDescription(error, path: store.path) {
                throw Failure(.configuration, "the run stopped: \(cause); jobs it had in flight go back to pending when the next run starts")
            }
            throw Failure(.other, "the run failed: \(error)")
        }
        progress.cancel()
        _ = await progress.value
        if summary.wasInterrupted { reconciliation?.cancel() }
        let reconciled = await reconciliation?.value
        interrupts.cancel()

        let cached = runner.progress.cached
        Terminal.output(
            "run: \(summary.succeeded) succeeded\(cached > 0 ? " (\(cached) from the cache)" : ""), \(summary.failed) failed, \(summary.attempts) attempts, "
                + "\(summary.tokens.prompt + summary.tokens.completion) tokens, $\(Money.usdString(picoUSD: summary.costPicoUSD))\n"
        )
        if let reconciled, reconciled.reconciled > 0 {
            Terminal.output("reconciled \(reconciled.reconciled) earlier attempt\(reconciled.reconciled == 1 ? "" : "s") whose cost was lost: $\(Money.usdString(picoUSD: reconciled.costPicoUSD))\n")
        }
        if let budget = summary.budget {
            Terminal.output("budget $\(Money.usdString(picoUSD: budget.limitPicoUSD)): spent $\(Money.usdString(picoUSD: budget.spentPicoUSD)), $\(Money.usdString(picoUSD: budget.leftPicoUSD)) left\n")
        }
        if let halt = summary.haltReason {
            Terminal.error("promptbatch: halted: \(halt.message); the remaining jobs are still pending")
            return Exit.halted
        }
        if summary.wasInterrupted {
            Terminal.error("promptbatch: interrupted; \(summary.released) unfinished job\(summary.released == 1 ? "" : "s") back to pending — `promptbatch run` resumes")
            return Exit.interrupted
        }
        let counts = try store.counts(batchID: configuration.batchID)
        // Jobs still running belong to another live runner: they are not left behind.
        return counts.failed > 0 || counts.pending > 0 ? Exit.jobsFailed : Exit.success
    }
}

extension BatchRun {
    /// The prices a budget needs: the cached `/models` list, fetched first if there is none.
    /// - Throws: A `halted` failure when the list cannot be fetched, or when a pending job in
    ///   scope has no price or no completion limit (the budget could not bound it).
    func budgetPrices() async throws -> PriceTable {
        let prices: PriceTable
        do {
            prices = try await store.priceTable(fetchingIfEmptyWith: client)
        } catch let error as OpenRouterError {
            throw Failure(.halted, "halted: --budget needs prices, and /models could not be fetched: \(error); nothing was sent")
        }
        var unpriced: [String: Int] = [:]
        var unbounded: [String: Int] = [:]
        try store.forEachEstimate(batchID: configuration.batchID, pendingOnly: true) { job in
            switch prices.attemptCost(model: job.model, estimate: job.estimate) {
            case .unpriced: unpriced[job.model, default: 0] += 1
            case .priced(_, nil, _): unbounded[job.model, default: 0] += 1
            case .priced: break
            }
        }
        func list(_ counts: [String: Int]) -> String {
            counts.sorted { $0.key < $1.key }.map { "\($0.key) (\($0.value) job\($0.value == 1 ? "" : "s"))" }.joined(separator: ", ")
        }
        var problems: [String] = []
        if !unpriced.isEmpty { problems.append("no known price for \(list(unpriced)) — `promptbatch models --refresh`") }
        if !unbounded.isEmpty { problems.append("no max_tokens and no known completion limit for \(list(unbounded))") }
        if !problems.isEmpty {
            throw Failure(.halted, "halted: --budget cannot bound every pending job: \(problems.joined(separator: "; ")); nothing was sent, the jobs are still pending")
        }
        return prices
    }
}

/// SIGINT/SIGTERM: the first asks the run to stop (in-flight requests get the grace
/// period); a second quits at once. Jobs left running are recovered by the next run.
final class InterruptHandler {
    private let sources: [DispatchSourceSignal]

    init(grace: Duration, onFirst: @escaping @Sendable () -> Void) {
        let count = Mutex(0)
        sources = [SIGINT, SIGTERM].map { signalNumber in
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler {
                let seen = count.withLock { count in
                    count += 1
                    return count
                }
                if seen == 1 {
                    Terminal.error("\npromptbatch: stopping — waiting up to \(grace.components.seconds) s for requests in flight (press Ctrl-C again to quit now)")
                    onFirst()
                } else {
                    Terminal.error("promptbatch: quitting now; unfinished jobs return to pending on the next run")
                    _exit(130)
                }
            }
            source.resume()
            return source
        }
    }

    func cancel() {
        for source in sources { source.cancel() }
    }
}

/// The live progress line on stderr: redrawn on a terminal, a plain line every 10 s otherwise.
/// Nothing goes to stdout.
struct ProgressDisplay {
    /// - Parameter read: the run's progress and the client's in-flight limit now.
    func show(_ read: @Sendable () -> (RunProgress, Int)) async {
        let isTerminal = Terminal.isStandardErrorATerminal
        let interval: Duration = isTerminal ? .milliseconds(250) : .seconds(10)
        let start = ContinuousClock.now
        while !Task.isCancelled {
            try? await Task.sleep(for: interval)
            if Task.isCancelled { break }
            let (progress, limit) = read()
            let line = Self.render(progress, limit: limit, elapsed: ContinuousClock.now - start)
            if isTerminal {
                FileHandle.standardError.write(Data("\r\u{1B}[K\(line)".utf8))
            } else {
                Terminal.error(line)
            }
        }
        if isTerminal { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
    }

    static func render(_ progress: RunProgress, limit: Int, elapsed: Duration) -> String {
        let seconds = max(Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18, 0.001)
        let rate = Double(progress.done) / seconds
        let remaining = max(progress.total - progress.done, 0)
        let eta = rate > 0 ? Self.duration(Double(remaining) / rate) : "—"
        let tokens = progress.tokens.prompt + progress.tokens.completion
        let budget = progress.budgetPicoUSD.map { " of $\(Money.usdString(picoUSD: $0)) budget" } ?? ""
        return "\(progress.done)/\(progress.total) done (\(progress.failed) failed), \(progress.inFlight) in flight (limit \(limit)), "
            + String(format: "%.1f jobs/s", rate) + ", \(tokens) tokens, $\(Money.usdString(picoUSD: progress.costPicoUSD))\(budget), ETA \(eta)"
    }

    static func duration(_ seconds: Double) -> String {
        let total = Int(seconds.rounded())
        return total >= 3600 ? "\(total / 3600)h\(total % 3600 / 60)m" : total >= 60 ? "\(total / 60)m\(total % 60)s" : "\(total)s"
    }
}

import Synchronization
