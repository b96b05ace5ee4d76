import NIOCore

/// Fires `closed` when the client half-closes or drops the connection.
///
/// Hummingbird allows remote half-closure, so a client that gives up only produces an
/// `inputClosed` event, not a channel close; `RequestBody.consumeWithCancellationOnInboundClose`
/// cannot be used once the body has been read (it traps), hence this handler.
final class InboundCloseDetector: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer

    /// Completing a completed promise is a no-op in NIO, so every path may succeed it.
    let closed: EventLoopPromise<Void>

    init(closed: EventLoopPromise<Void>) {
        self.closed = closed
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, event == .inputClosed {
            closed.succeed()
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        closed.succeed()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        closed.succeed()
    }

    /// Waits until the client goes away or `limit` passes, then closes the connection
    /// without writing anything. Task cancellation (server shutdown) closes it at once.
    static func hang(on channel: any Channel, limit: TimeAmount) async {
        let closed = channel.eventLoop.makePromise(of: Void.self)
        do {
            try await channel.pipeline.addHandler(InboundCloseDetector(closed: closed), position: .first).get()
        } catch {
            closed.succeed()
        }
        // The timer closes the channel, which fires channelInactive and so `closed`.
        let timer = channel.eventLoop.scheduleTask(in: limit) { channel.close(promise: nil) }
        await withTaskCancellationHandler {
            try? await closed.futureResult.get()
        } onCancel: {
            channel.close(promise: nil)
        }
        timer.cancel()
        channel.close(promise: nil)
    }
}
