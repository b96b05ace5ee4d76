/// A simulator that is serving, as handed to ``OpenRouterSimulator/withRunning(_:_:)``.
public struct RunningSimulator: Sendable {
    /// The bound TCP port.
    public let port: Int
    /// The bound host, e.g. `127.0.0.1`.
    public let host: String
    let simulator: OpenRouterSimulator

    /// The base URL clients use: `http://<host>:<port>/api/v1`.
    public var baseURL: String { "http://\(host):\(port)/api/v1" }

    /// The root URL (for `/sim/stats`): `http://<host>:<port>`.
    public var rootURL: String { "http://\(host):\(port)" }

    public var configuration: SimulatorConfiguration { simulator.configuration }

    /// A snapshot of the counters.
    public func stats() -> SimulatorStats { simulator.stats() }

    /// Clears the counters.
    public func reset() { simulator.reset() }
}
