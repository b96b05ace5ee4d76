import AsyncHTTPClient
import Foundation
import NIOCore
import NIOPosix
import OpenRouterSimulator
import Testing

@testable import OpenRouter

/// `preferredTaskExecutor()` runs tasks on the client's own event loops, each in turn, and a
/// chat made there is answered as anywhere else.
@Suite struct PreferredTaskExecutorTests {
    @Test func tasksRunOnTheHTTPClientsEventLoopsInTurnAndChatThere() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        let httpClient = HTTPClient(eventLoopGroupProvider: .shared(group))
        do {
            try await OpenRouterSimulator.withRunning(SimulatorConfiguration()) { sim in
                var configuration = OpenRouterConfiguration()
                configuration.baseURL = sim.baseURL
                configuration.timeout = .seconds(60)
                let client = try OpenRouterClient(apiKey: Harness.apiKey, configuration: configuration, httpClient: httpClient)
                let loops = Array(group.makeIterator())
                var used: [Int] = []
                for _ in 0..<4 {
                    let executor = try #require(client.preferredTaskExecutor())
                    let (loop, content) = try await Task(executorPreference: executor) {
                        let before = loops.firstIndex { $0.inEventLoop }
                        let answer = try await client.chat(ChatRequest(messages: [.user("Hi")], model: Harness.model))
                        // Resumed where it awaited: on the same event loop.
                        #expect(loops.firstIndex { $0.inEventLoop } == before)
                        return (before, answer.content)
                    }.value
                    used.append(try #require(loop, "the task ran off the client's event loops"))
                    #expect(content?.isEmpty == false)
                }
                #expect(used == [0, 1, 0, 1])
            }
        } catch {
            try await httpClient.shutdown()
            try await group.shutdownGracefully()
            throw error
        }
        try await httpClient.shutdown()
        try await group.shutdownGracefully()
    }
}
