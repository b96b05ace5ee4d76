import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import OpenRouterSimulator

/// A decoded HTTP answer from the simulator.
struct Reply: Sendable {
    var status: Int
    var headers: HTTPHeaders
    var text: String

    /// The body as a JSON object, or `nil`.
    var json: [String: Any]? {
        (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any]
    }

    /// `data:` payloads of an SSE body, in order.
    var events: [String] {
        text.components(separatedBy: "\n\n").compactMap { block in
            let line = block.trimmingCharacters(in: .whitespacesAndNewlines)
            return line.hasPrefix("data: ") ? String(line.dropFirst(6)) : nil
        }
    }
}

enum TestClient {
    static func send(
        _ url: String, method: HTTPMethod = .POST, body: String? = nil, key: String? = "sk-or-test",
        timeout: TimeAmount = .seconds(30)
    ) async throws -> Reply {
        var request = HTTPClientRequest(url: url)
        request.method = method
        if let key { request.headers.add(name: "Authorization", value: "Bearer \(key)") }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: body))
        }
        let response = try await HTTPClient.shared.execute(request, timeout: timeout)
        let buffer = try await response.body.collect(upTo: 64 * 1024 * 1024)
        return Reply(status: Int(response.status.code), headers: response.headers, text: String(buffer: buffer))
    }

    /// POSTs a chat completion with `body` (a JSON object) to `sim`.
    static func chat(
        _ sim: RunningSimulator, _ body: [String: Any], key: String? = "sk-or-test", timeout: TimeAmount = .seconds(30)
    ) async throws -> Reply {
        let data = try JSONSerialization.data(withJSONObject: body)
        return try await send(
            sim.baseURL + "/chat/completions", body: String(decoding: data, as: UTF8.self), key: key, timeout: timeout)
    }

    static func get(_ url: String) async throws -> Reply {
        try await send(url, method: .GET)
    }
}

/// A minimal chat body: one user message, plus `extra` fields.
func chatBody(_ text: String, model: String = "openai/gpt-4o-mini", _ extra: [String: Any] = [:]) -> [String: Any] {
    var body: [String: Any] = ["model": model, "messages": [["role": "user", "content": text]]]
    body.merge(extra) { _, new in new }
    return body
}

/// `{"sim": {"fault": name, "key": unique, …}}` merged into a chat body.
func faultBody(_ fault: String, key: String = UUID().uuidString, stream: Bool = false, _ more: [String: Any] = [:]) -> [String: Any] {
    var sim: [String: Any] = ["fault": fault, "key": key]
    sim.merge(more) { _, new in new }
    return chatBody("Fault please", ["sim": sim, "stream": stream])
}

extension Dictionary where Key == String, Value == Any {
    subscript(object key: String) -> [String: Any]? { self[key] as? [String: Any] }
    subscript(array key: String) -> [[String: Any]]? { self[key] as? [[String: Any]] }
}
