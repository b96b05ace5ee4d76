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
        if Self.announcesTooMuch(head, maxBytes: maxBytes) {
            return task.eventLoop.makeFailedFuture(Self.tooLarge(head, maxBytes: maxBytes))
        }
        return task.eventLoop.makeSucceededVoidFuture()
    }

    func didReceiveBodyPart(task: HTTPClient.Task<CollectedResponse>, _ buffer: ByteBuffer) -> EventLoopFuture<Void> {
        let refused = state.withLock { state -> HTTPResponseHead? in
            guard let head = state.head else { return nil }
            return state.body.append(buffer, status: head.status, maxBytes: maxBytes) ? nil : head
        }
        if let refused { return task.eventLoop.makeFailedFuture(Self.tooLarge(refused, maxBytes: maxBytes)) }
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

    /// Whether a response with `head` announces a body over `maxBytes`: refused before it is read.
    static func announcesTooMuch(_ head: HTTPResponseHead, maxBytes: Int) -> Bool {
        guard (200..<300).contains(head.status.code),
            let announced = head.headers.first(name: "content-length").flatMap(Int.init)
        else { return false }
        return announced > maxBytes
    }

    static func tooLarge(_ head: HTTPResponseHead?, maxBytes: Int) -> OpenRouterError {
        OpenRouterError(
            .invalidResponse, "response body larger than \(maxBytes) bytes",
            statusCode: head.map { Int($0.status.code) }, generationID: head?.headers.first(name: "x-generation-id"))
    }
}

extension ByteBuffer {
    /// Appends a part of a body answered with `status`; false, appending nothing, when a 2xx
    /// body would grow past `maxBytes`. Of an error status's body only the first
    /// ``ResponseCollector/errorBodyBytes`` are kept: enough for the error, and the status
    /// still decides the retry.
    mutating func append(_ part: ByteBuffer, status: HTTPResponseStatus, maxBytes: Int) -> Bool {
        if !(200..<300).contains(status.code) {
            let room = ResponseCollector.errorBodyBytes - readableBytes
            if room > 0, var kept = part.getSlice(at: part.readerIndex, length: min(room, part.readableBytes)) {
                writeBuffer(&kept)
            }
            return true
        }
        guard readableBytes + part.readableBytes <= maxBytes else { return false }
        if readableBytes == 0 {
            self = part
        } else {
            var part = part
            writeBuffer(&part)
        }
        return true
    }
}
