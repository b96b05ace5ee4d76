import Hummingbird
import NIOCore

/// Request context that keeps the connection's channel, so the `reset` fault can close
/// the connection before Hummingbird writes any response byte.
struct SimulatorRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    let channel: any Channel

    init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.channel = source.channel
    }

    /// Chat requests may carry long prompts; Hummingbird's 2 MB default is too small.
    var maxUploadSize: Int { 64 * 1024 * 1024 }
}
