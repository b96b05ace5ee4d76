import NIOCore
import Synchronization

/// Runs tasks on one NIO event loop.
///
/// A task that awaits the client's answers on the event loop that reads them is resumed on
/// that thread: no hop to Swift's cooperative pool and back per request. AsyncHTTPClient then
/// also picks a connection on that event loop (its `.indifferent` preference means the
/// current one). Measured in `scripts/bench` at C = 256, L = 20 ms: the runner's CPU per job
/// fell 8% with its jobs and their scheduling on the event loop.
final class EventLoopTaskExecutor: TaskExecutor {
    let eventLoop: any EventLoop

    init(eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        eventLoop.execute {
            job.runSynchronously(on: self.asUnownedTaskExecutor())
        }
    }
}

/// One ``EventLoopTaskExecutor`` per event loop of a group, handed out in turn.
final class EventLoopTaskExecutors: Sendable {
    private let executors: [EventLoopTaskExecutor]
    private let nextIndex = Atomic<Int>(0)

    init(_ group: any EventLoopGroup) {
        executors = group.makeIterator().map { EventLoopTaskExecutor(eventLoop: $0) }
    }

    func next() -> EventLoopTaskExecutor? {
        guard !executors.isEmpty else { return nil }
        if executors.count == 1 { return executors[0] }
        let index = nextIndex.wrappingAdd(1, ordering: .relaxed).oldValue
        return executors[Int(UInt(bitPattern: index) % UInt(executors.count))]
    }
}

extension OpenRouterClient {
    /// An executor on one of the HTTP client's event loops (each in turn), for a task that
    /// spends its time awaiting this client — a batch job, say. Don't run blocking work there:
    /// it would hold up every connection of that event loop.
    ///
    /// ```swift
    /// let answer = await Task(executorPreference: client.preferredTaskExecutor()) {
    ///     try await client.chat(request)
    /// }.value
    /// ```
    public func preferredTaskExecutor() -> (any TaskExecutor)? {
        taskExecutors.next()
    }
}
