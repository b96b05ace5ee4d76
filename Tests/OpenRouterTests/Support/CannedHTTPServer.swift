import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A loopback HTTP/1.1 server on an ephemeral port that answers every request with exactly
/// the bytes a test chose: bodies no well-behaved server (the simulator included) would send,
/// such as invalid UTF-8, a million open brackets, or a usage block with 2^70 tokens.
///
/// Plain POSIX sockets on a thread of its own, one connection at a time, each closed after
/// its answer: the blocking `accept`/`recv` never run on the cooperative pool.
final class CannedHTTPServer: Sendable {
    /// What the server read of one request.
    struct Request: Sendable {
        /// The request line and headers, as sent.
        var head: String
        var body: [UInt8]

        /// The value of the first header with this name (case-insensitive).
        func header(_ name: String) -> String? {
            for line in head.split(separator: "\r\n").dropFirst() {
                guard let colon = line.firstIndex(of: ":") else { continue }
                if line[..<colon].lowercased() == name.lowercased() {
                    return line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                }
            }
            return nil
        }
    }

    /// One answer: a status, a `Content-Type`, a body. `Content-Length` and `Connection: close`
    /// are added.
    struct Response: Sendable {
        var status: Int = 200
        var contentType: String = "application/json"
        var body: [UInt8]
        /// More header lines (`Name: value`), sent as they are.
        var headers: [String] = []

        init(status: Int = 200, contentType: String = "application/json", body: [UInt8]) {
            self.status = status
            self.contentType = contentType
            self.body = body
        }

        init(status: Int = 200, contentType: String = "application/json", _ text: String) {
            self.init(status: status, contentType: contentType, body: Array(text.utf8))
        }

        /// An event stream made of these lines, each ended by `\n`.
        static func eventStream(_ lines: [String]) -> Response {
            Response(contentType: "text/event-stream", body: Array(lines.map { $0 + "\n" }.joined().utf8))
        }
    }

    let port: Int
    private let listener: Int32
    private let requests = Mutex<[Request]>([])
    private let isStopped = Mutex(false)
    /// Signalled when the serving thread has returned.
    private let served = DispatchSemaphore(value: 0)

    /// `http://127.0.0.1:<port>/api/v1`, for `OpenRouterConfiguration.baseURL`.
    var baseURL: String { "http://127.0.0.1:\(port)/api/v1" }

    /// Every request answered so far.
    var received: [Request] { requests.withLock { $0 } }

    private init(listener: Int32, port: Int) {
        self.listener = listener
        self.port = port
    }

    /// Runs `body` with a server answering each request with `respond(request)`, then stops it.
    static func withRunning<T>(
        _ respond: @escaping @Sendable (Request) -> Response,
        _ body: (CannedHTTPServer) async throws -> T
    ) async throws -> T {
        let server = try CannedHTTPServer.start(respond)
        defer { server.stop() }
        return try await body(server)
    }

    /// Runs `body` with a server that gives every request the same answer.
    static func withRunning<T>(answering response: Response, _ body: (CannedHTTPServer) async throws -> T) async throws -> T {
        try await withRunning({ _ in response }, body)
    }

    private static func start(_ respond: @escaping @Sendable (Request) -> Response) throws -> CannedHTTPServer {
        #if canImport(Glibc)
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
        let descriptor = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard descriptor >= 0 else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) }
        }
        guard bound == 0, listen(descriptor, 16) == 0 else {
            let code = errno
            close(descriptor)
            throw POSIXError(.init(rawValue: code) ?? .EIO)
        }
        var actual = sockaddr_in()
        var actualLength = length
        _ = withUnsafeMutablePointer(to: &actual) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &actualLength) }
        }
        let server = CannedHTTPServer(listener: descriptor, port: Int(UInt16(bigEndian: actual.sin_port)))
        let thread = Thread {
            server.serve(respond)
            server.served.signal()
        }
        thread.name = "CannedHTTPServer"
        thread.start()
        return server
    }

    /// Shutting the listener down makes the blocked `accept` return, which ends the thread; the
    /// descriptor is closed only once the thread is gone. Closed first, its number could go to
    /// the next test's listener before this thread called `accept` again, and this thread
    /// would answer that test's request with this test's response.
    private func stop() {
        isStopped.withLock { $0 = true }
        shutdown(listener, Int32(SHUT_RDWR))
        _ = served.wait(timeout: .now() + 10)
        close(listener)
    }

    private func serve(_ respond: @Sendable (Request) -> Response) {
        while !isStopped.withLock({ $0 }) {
            let connection = accept(listener, nil, nil)
            guard connection >= 0 else {
                if errno == EINTR { continue }
                return
            }
            if let request = Self.readRequest(connection) {
                requests.withLock { $0.append(request) }
                let response = respond(request)
                let head = "HTTP/1.1 \(response.status) Canned\r\nContent-Type: \(response.contentType)\r\n"
                    + response.headers.map { $0 + "\r\n" }.joined()
                    + "Content-Length: \(response.body.count)\r\nConnection: close\r\n\r\n"
                Self.write(Array(head.utf8) + response.body, to: connection)
            }
            close(connection)
        }
    }

    /// Reads the head up to the blank line, then `Content-Length` bytes of body.
    private static func readRequest(_ connection: Int32) -> Request? {
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        let separator: [UInt8] = Array("\r\n\r\n".utf8)
        var bodyStart: Int?
        var contentLength = 0
        while true {
            if let start = bodyStart, bytes.count >= start + contentLength {
                let head = String(decoding: bytes[..<(start - separator.count)], as: UTF8.self)
                return Request(head: head, body: Array(bytes[start..<(start + contentLength)]))
            }
            let count = chunk.withUnsafeMutableBytes { recv(connection, $0.baseAddress, $0.count, 0) }
            guard count > 0 else { return nil }
            bytes.append(contentsOf: chunk[..<count])
            if bodyStart == nil, let range = bytes.firstRange(of: separator) {
                bodyStart = range.upperBound
                let head = String(decoding: bytes[..<range.lowerBound], as: UTF8.self)
                contentLength = Request(head: head, body: []).header("content-length").flatMap { Int($0) } ?? 0
            }
        }
    }

    private static func write(_ bytes: [UInt8], to connection: Int32) {
        #if canImport(Glibc)
        let flags = Int32(MSG_NOSIGNAL)
        #else
        let flags: Int32 = 0
        #endif
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { send(connection, $0.baseAddress, $0.count, flags) }
            if sent < 0, errno == EINTR { continue }
            guard sent > 0 else { return }
            offset += sent
        }
    }
}
