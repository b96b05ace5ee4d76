/// The chunks of a streamed completion, as they arrive.
///
/// Iterate it with `for try await chunk in stream`; errors are `OpenRouterError`s, and a
/// mid-stream error carries the content received before it in ``OpenRouterError/partialContent``.
/// Stopping the iteration (or cancelling its task) closes the connection.
public struct ChatStream: AsyncSequence, Sendable {
    public typealias Element = ChatStreamChunk

    /// `X-Generation-Id`, known as soon as the response headers arrived.
    public let generationID: String?
    let chunks: AsyncThrowingStream<ChatStreamChunk, any Error>
    let finalCheck: @Sendable (ChatResponse) throws(OpenRouterError) -> Void

    public struct AsyncIterator: AsyncIteratorProtocol {
        var base: AsyncThrowingStream<ChatStreamChunk, any Error>.AsyncIterator

        public mutating func next() async throws -> ChatStreamChunk? {
            try await base.next()
        }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(base: chunks.makeAsyncIterator())
    }

    /// Consumes the stream and folds it into the response `chat` would have returned,
    /// with the same checks (errors carried in the stream, finish reasons, requested schema).
    public func collect() async throws(OpenRouterError) -> ChatResponse {
        var accumulator = ChatStreamAccumulator()
        do {
            for try await chunk in self {
                accumulator.add(chunk)
            }
        } catch {
            var failure = OpenRouterClient.transportError(error)
            if failure.partialContent == nil, !accumulator.content.isEmpty { failure.partialContent = accumulator.content }
            if failure.usage == nil { failure.usage = accumulator.usage }
            throw failure
        }
        let response = try ChatResponse(json: accumulator.response.json, generationID: generationID)
        try finalCheck(response)
        return response
    }
}
