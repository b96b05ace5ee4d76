import OpenRouter

/// One job read from a line of a job file, validated and ready to enqueue.
public struct JobLine: Sendable, Hashable {
    public var customID: String
    /// The requested model (the line's, or the default).
    public var model: String
    public var request: ChatRequest
    /// The request as it will be sent: the wire body, compact JSON.
    public var requestBody: String
    public var isStream: Bool
    /// Estimated prompt tokens and completion limit of one attempt.
    public var estimate: JobEstimate
}

/// Reads the two line forms promptbatch accepts:
///
/// - OpenAI's Batch form: `{"custom_id", "method": "POST", "url": "/v1/chat/completions", "body": {…}}`
/// - the flat form: `{"custom_id"?, "model"?, "messages", …any chat-completion wire field…}`
///
/// Every line goes through the client's own validation, so what is enqueued would be sent.
public struct JobLineParser: Sendable {
    /// Model for lines that name none. Default none.
    public var defaultModel: String?
    /// Longest `custom_id` accepted, in bytes.
    public var maximumCustomIDBytes = 512

    public init(defaultModel: String? = nil) {
        self.defaultModel = defaultModel
    }

    /// Parses one line (without its line ending).
    /// - Parameter fallbackCustomID: used when the line has no `custom_id` (`<file base name>:<line>`).
    /// - Throws: ``JobLineError`` with a message fit to print after `FILE:LINE: `.
    public func parse(_ bytes: UnsafeRawBufferPointer, fallbackCustomID: String) throws(JobLineError) -> JobLine {
        let value: JSONValue
        do {
            value = try JSONValue(parsing: bytes)
        } catch {
            throw JobLineError("not valid JSON: \(error)\(Self.invisibleByteNote(at: error.byteOffset, in: bytes))")
        }
        guard case .object(let object) = value else {
            throw JobLineError("expected a JSON object, got \(value.typeName)")
        }
        // Read in place: removing a member from the line's object would copy it.
        let customID: String
        switch object["custom_id"] {
        case nil, .null?:
            customID = fallbackCustomID
        case .string(let id)?:
            guard !id.isEmpty else { throw JobLineError("custom_id: must not be empty") }
            guard id.utf8.count <= maximumCustomIDBytes else {
                throw JobLineError("custom_id: longer than \(maximumCustomIDBytes) bytes")
            }
            customID = id
        case let other?:
            throw JobLineError("custom_id: expected a string, got \(other.typeName)")
        }

        let isBatchForm = object["body"] != nil || object["url"] != nil || object["method"] != nil
        let body = isBatchForm ? try Self.batchFormBody(object) : object
        let request: ChatRequest
        do {
            var parsed = try ChatRequest(wire: body)
            // A flat line's custom_id is promptbatch's, not a field to send.
            if !isBatchForm { parsed.extraFields.removeValue(forKey: "custom_id") }
            if parsed.model == nil { parsed.model = defaultModel }
            try parsed.validate()
            request = parsed
        } catch {
            if error.message.hasPrefix("model: missing") {
                throw JobLineError("model: missing (add \"model\" to the line or pass --model)")
            }
            throw JobLineError(error.message)
        }
        return JobLine(
            customID: customID,
            model: request.model ?? "",
            request: request,
            requestBody: String(decoding: request.wireBodyBytes(), as: UTF8.self),
            isStream: request.stream,
            estimate: JobEstimate(request: request)
        )
    }

    /// Names the byte a JSON error points at when an editor would not show it: a NUL (a file
    /// padded after a crash, or UTF-16 text) or another control byte.
    static func invisibleByteNote(at offset: Int, in bytes: UnsafeRawBufferPointer) -> String {
        guard offset < bytes.count else { return "" }
        let byte = bytes[offset]
        guard byte < 0x20 || byte == 0x7F else { return "" }
        if byte == 0 { return " (a NUL byte)" }
        let hex = String(byte, radix: 16, uppercase: true)
        return " (control byte 0x\(byte < 0x10 ? "0" : "")\(hex))"
    }

    /// The `body` of an OpenAI Batch line, after checking `method` and `url`.
    static func batchFormBody(_ object: JSONObject) throws(JobLineError) -> JSONObject {
        for key in object.keys where !["custom_id", "method", "url", "body"].contains(key) {
            throw JobLineError("unexpected field \(key.debugDescription) beside \"body\" (a Batch-format line has custom_id, method, url and body)")
        }
        if let method = object["method"], method.stringValue?.uppercased() != "POST" {
            throw JobLineError("method: expected \"POST\", got \(method.stringValue.map { $0.debugDescription } ?? method.typeName)")
        }
        if let url = object["url"] {
            guard let path = url.stringValue, ["/v1/chat/completions", "/chat/completions", "/api/v1/chat/completions"].contains(path) else {
                throw JobLineError("url: only \"/v1/chat/completions\" is supported, got \(url.stringValue.map { String($0.prefix(80)).debugDescription } ?? url.typeName)")
            }
        }
        guard let body = object["body"] else { throw JobLineError("body: missing") }
        guard case .object(let bodyObject) = body else {
            throw JobLineError("body: expected an object, got \(body.typeName)")
        }
        return bodyObject
    }
}

/// Why a job line was refused.
public struct JobLineError: Error, Sendable, Hashable, CustomStringConvertible {
    /// One line of text, printed after `FILE:LINE: `.
    public var message: String

    /// Messages quote parts of the line (a role, a model id, a schema key), so control characters
    /// and line separators are escaped: one problem stays one line of output, and a job file
    /// cannot forge other lines or send escape sequences to the terminal.
    public init(_ message: String) {
        self.message = Self.escapingControlCharacters(message)
    }

    public var description: String { message }

    static func escapingControlCharacters(_ text: String) -> String {
        func isControl(_ scalar: Unicode.Scalar) -> Bool {
            switch scalar.properties.generalCategory {
            case .control, .lineSeparator, .paragraphSeparator: true
            default: false
            }
        }
        guard text.unicodeScalars.contains(where: isControl) else { return text }
        var escaped = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            if isControl(scalar) {
                escaped.append(contentsOf: scalar.escaped(asASCII: true).unicodeScalars)
            } else {
                escaped.append(scalar)
            }
        }
        return String(escaped)
    }
}
