import AsyncHTTPClient
import Foundation
import NIOCore
import OpenRouterSimulator

/// `openrouter-sim` as a separate process, so its CPU is its own and can be reported apart.
struct SimulatorProcess: Sendable {
    let child: ChildProcess
    /// `http://127.0.0.1:PORT/api/v1`
    let baseURL: String
    let rootURL: String
    let latencyMilliseconds: Int

    static func start(products: Products, workDirectory: String, latencyMilliseconds: Int, arguments: [String] = []) async throws -> SimulatorProcess {
        let output = workDirectory + "/sim-\(latencyMilliseconds)ms-\(UUID().uuidString.prefix(6)).out"
        let child = try ChildProcess.spawn(
            products.simulator, ["--latency-ms", String(latencyMilliseconds)] + arguments,
            stdoutPath: output, stderrPath: output + ".log")
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            if let text = try? String(contentsOfFile: output, encoding: .utf8),
                let line = text.split(separator: "\n").first(where: { $0.hasPrefix("listening on ") })
            {
                let baseURL = String(line.dropFirst("listening on ".count))
                let rootURL = String(baseURL.dropLast("/api/v1".count))
                return SimulatorProcess(child: child, baseURL: baseURL, rootURL: rootURL, latencyMilliseconds: latencyMilliseconds)
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        child.signal(SIGKILL)
        _ = await child.wait()
        throw BenchError("openrouter-sim did not start within 30 s; see \(output).log")
    }

    /// CPU seconds the simulator has used so far.
    var cpuSeconds: Double { ChildProcess.cpuSeconds(pid: child.pid) }

    func stats(_ httpClient: HTTPClient) async throws -> SimulatorStats {
        let response = try await httpClient.execute(HTTPClientRequest(url: rootURL + "/sim/stats"), timeout: .seconds(30))
        let body = try await response.body.collect(upTo: 512 * 1024 * 1024)
        return try JSONDecoder().decode(SimulatorStats.self, from: Data(buffer: body))
    }

    func stop() async {
        child.signal(SIGTERM)
        _ = await child.wait()
    }
}

/// Where the release products are.
struct Products: Sendable {
    var directory: String
    var promptbatch: String { directory + "/promptbatch" }
    var simulator: String { directory + "/openrouter-sim" }

    static func beside(_ executable: String) -> Products {
        Products(directory: URL(fileURLWithPath: executable).resolvingSymlinksInPath().deletingLastPathComponent().path)
    }
}
