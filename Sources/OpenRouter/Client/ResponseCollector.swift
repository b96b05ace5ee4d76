import AsyncHTTPClient
import NIOCore
import NIOHTTP1
import Synchronization

/// A whole response: status, headers and at most a limit of body bytes.
struct CollectedResponse: Sendable {
    var status: HTTPResponseStatus
    var headers: HTTPHeaders
    var body: ByteBuffer
}

/// Collects a response on the event loop, refusing a body over `maxBytes` (announced or
/// received) with the status and generation id it came with. Of an error status's body only
/// the first MiB is kept: enough for the error, and the status still decides the retry.
final class ResponseCollector: HTTPClientResponseDelegate {
    typealias Response = CollectedResponse

    private struct State {
        var head: HTTPResponseHead?
        var body = ByteBuffer()
    }

    private let maxBytes: Int
    /// How much of an error status's body is read (the message comes from it).
    static let errorBodyBytes = 1 << 20
    private let state = Mutex(State())

    init(maxBytes: Int) {
        self.maxBytes = maxBytes
    }

    func didReceiveHead(task: HTTPClient.Task<CollectedResponse>, _ head: HTTPResponseHead) -> EventLoopFuture<Void> {
        state.withLock { $0.head = head }
        if (200..<300).contains(head.status.code),
           let announced = head.headers.first(name: "content-length").flatMap(Int.init), announced > maxBytes {
            return task.eventLoop.makeFailedFuture(tooLarge(head))
        }
        return task.eventLoop.makeSucceededVoidFuture()
    }

    func didReceiveBodyPart(task: HTTPClient.Task<CollectedResponse>, _ buffer: ByteBuffer) -> EventLoopFuture<Void> {
        let refused = state.withLock { state -> HTTPResponseHead? in
            if let head = state.head, !(200..<300).contains(head.status.code) {
                let room = Self.errorBodyBytes - state.body.readableBytes
                if room > 0, let part = buffer.getSlice(at: buffer.readerIndex, length: min(room, buffer.readableBytes)) {
                    var part = part
                    state.body.writeBuffer(&part)
                }
                return nil
            }
            guard state.body.readableBytes + buffer.readableBytes <= maxBytes else { return state.head }
            if state.body.readableBytes == 0 {
                state.body = buffer
            } else {
                var buffer = buffer
                state.body.writeBuffer(&buffer)
            }
            return nil
        }
        if let refused { return task.eventLoop.makeFailedFuture(tooLarge(refused)) }
        return task.eventLoop.makeSucceededVoidFuture()
    }

    func didReceiveError(task: HTTPClient.Task<CollectedResponse>, _ error: any Error) {}

    func didFinishRequest(task: HTTPClient.Task<CollectedResponse>) throws -> CollectedResponse {
        try state.withLock { state in
            guard let head = state.head else {
                throw OpenRouterError(.invalidResponse, "the connection ended before a response head")
            }
            return CollectedResponse(status: head.status, headers: head.headers, body: state.body)
        }
    }

    private func tooLarge(_ head: HTTPResponseHead?) -> OpenRouterError {
        OpenRouterError(
            .invalidResponse, "response body larger than \(maxBytes) bytes",
            statusCode: head.map { Int($0.status.code) }, generationID: head?.headers.first(name: "x-generation-id"))
    }
}
