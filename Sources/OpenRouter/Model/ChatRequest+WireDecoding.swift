extension ChatRequest {
    /// Reads a request from its wire form, as found in a job file: typed fields are checked
    /// for type, everything else is kept in ``extraFields``.
    ///
    /// - Throws: `OpenRouterError` (`validation`) naming the field, e.g.
    ///   `messages[1].role: unknown role "bot"`.
    public init(wire body: JSONObject) throws(OpenRouterError) {
        var reader = WireReader(object: body, path: "")
        guard let messageValues = try reader.array("messages") else {
            throw OpenRouterError(.validation, "messages: missing (a non-empty array of messages is required)")
        }
        var messages: [Message] = []
        messages.reserveCapacity(messageValues.count)
        for (index, value) in messageValues.enumerated() {
            messages.append(try Message(wire: value, path: "messages[\(index)]"))
        }
        self.init(messages: messages)
        model = try reader.string("model")
        if let format = try reader.object("response_format") {
            responseFormat = try ResponseFormat(wire: format, path: "response_format")
        }
        parameters.temperature = try reader.double("temperature")
        parameters.maxTokens = try reader.int("max_tokens")
        parameters.topP = try reader.double("top_p")
        parameters.frequencyPenalty = try reader.double("frequency_penalty")
        parameters.presencePenalty = try reader.double("presence_penalty")
        parameters.seed = try reader.int("seed")
        switch reader.take("stop") {
        case nil, .null?: break
        case .string(let stop)?: parameters.stop = [stop]
        case .array(let stops)?:
            parameters.stop = try stops.enumerated().map { (index, value) throws(OpenRouterError) in
                guard let stop = value.stringValue else {
                    throw OpenRouterError(.validation, "stop[\(index)]: expected a string, got \(value.typeName)")
                }
                return stop
            }
        case let other?:
            throw OpenRouterError(.validation, "stop: expected a string or an array of strings, got \(other.typeName)")
        }
        stream = try reader.bool("stream") ?? false
        if let toolValues = try reader.array("tools") {
            tools = try toolValues.enumerated().map { (index, value) throws(OpenRouterError) in
                try Tool(wire: value, path: "tools[\(index)]")
            }
        }
        if let choice = reader.take("tool_choice"), !choice.isNull {
            toolChoice = try ToolChoice(wire: choice)
        }
        if let n = try reader.int("n"), n != 1 {
            throw OpenRouterError(.validation, "n: \(n) completions per job are not supported (only 1)")
        }
        if let value = try reader.int("max_completion_tokens") {
            guard value >= 1 else { throw OpenRouterError(.validation, "max_completion_tokens: must be at least 1, got \(value)") }
            reader.keep("max_completion_tokens", .number(JSONNumber(value)))
        }
        if let models = try reader.array("models") {
            for (index, model) in models.enumerated() where model.stringValue?.isEmpty ?? true {
                throw OpenRouterError(.validation, "models[\(index)]: expected a model id string")
            }
            reader.keep("models", .array(models))
        }
        if let provider = try reader.object("provider") { reader.keep("provider", .object(provider)) }
        extraFields = reader.remaining
    }
}

extension Message {
    init(wire value: JSONValue, path: String) throws(OpenRouterError) {
        guard case .object(let object) = value else {
            throw OpenRouterError(.validation, "\(path): expected a message object, got \(value.typeName)")
        }
        var reader = WireReader(object: object, path: path + ".")
        guard let roleName = try reader.string("role") else {
            throw OpenRouterError(.validation, "\(path).role: missing")
        }
        guard let role = Role(rawValue: roleName) else {
            let known = Role.allCases.map(\.rawValue).joined(separator: ", ")
            throw OpenRouterError(.validation, "\(path).role: unknown role \(quoted(roleName)) (expected one of \(known))")
        }
        let content: Content?
        switch reader.take("content") {
        case .string(let text)?: content = .text(text)
        case .array(let parts)?:
            for (index, part) in parts.enumerated() where part["type"]?.stringValue == nil {
                throw OpenRouterError(.validation, "\(path).content[\(index)]: expected a content part object with a \"type\"")
            }
            content = .parts(parts)
        case nil, .null?: content = nil
        case let other?:
            throw OpenRouterError(.validation, "\(path).content: expected a string or an array of parts, got \(other.typeName)")
        }
        self.init(role: role, content: content)
        name = try reader.string("name")
        toolCallID = try reader.string("tool_call_id")
        if let calls = try reader.array("tool_calls") {
            toolCalls = try calls.enumerated().map { (index, call) throws(OpenRouterError) in
                let callPath = "\(path).tool_calls[\(index)]"
                guard let id = call["id"]?.stringValue, let function = call["function"],
                    let name = function["name"]?.stringValue
                else {
                    throw OpenRouterError(.validation, "\(callPath): expected {id, type: \"function\", function: {name, arguments}}")
                }
                return ToolCall(id: id, name: name, arguments: function["arguments"]?.stringValue ?? "{}")
            }
        }
    }
}

extension Tool {
    init(wire value: JSONValue, path: String) throws(OpenRouterError) {
        guard case .object = value else {
            throw OpenRouterError(.validation, "\(path): expected a tool object, got \(value.typeName)")
        }
        guard value["type"]?.stringValue == "function" else {
            throw OpenRouterError(.validation, "\(path).type: expected \"function\"")
        }
        guard case .object(let function)? = value["function"] else {
            throw OpenRouterError(.validation, "\(path).function: missing or not an object")
        }
        var reader = WireReader(object: function, path: path + ".function.")
        guard let name = try reader.string("name") else {
            throw OpenRouterError(.validation, "\(path).function.name: missing")
        }
        self.init(name: name, description: try reader.string("description"))
        if let parameters = reader.take("parameters") { self.parameters = parameters }
        strict = try reader.bool("strict")
    }
}

extension ToolChoice {
    init(wire value: JSONValue) throws(OpenRouterError) {
        switch value {
        case "none": self = .none
        case "auto": self = .auto
        case "required": self = .required
        case .object:
            guard value["type"]?.stringValue == "function", let name = value["function"]?["name"]?.stringValue else {
                throw OpenRouterError(.validation, "tool_choice: expected {\"type\": \"function\", \"function\": {\"name\": …}}")
            }
            self = .function(name)
        default:
            throw OpenRouterError(.validation, "tool_choice: expected \"none\", \"auto\", \"required\" or a function object")
        }
    }
}

extension ResponseFormat {
    init(wire object: JSONObject, path: String) throws(OpenRouterError) {
        switch object["type"]?.stringValue {
        case "text": self = .text
        case "json_object": self = .jsonObject
        case "json_schema":
            guard case .object(let spec)? = object["json_schema"] else {
                throw OpenRouterError(.validation, "\(path).json_schema: missing or not an object")
            }
            var reader = WireReader(object: spec, path: path + ".json_schema.")
            guard let name = try reader.string("name") else {
                throw OpenRouterError(.validation, "\(path).json_schema.name: missing")
            }
            guard let schema = reader.take("schema") else {
                throw OpenRouterError(.validation, "\(path).json_schema.schema: missing")
            }
            self = .jsonSchema(
                JSONSchemaFormat(name: name, description: try reader.string("description"), strict: try reader.bool("strict") ?? true, schema: schema)
            )
        case let other:
            throw OpenRouterError(.validation, "\(path).type: expected \"text\", \"json_object\" or \"json_schema\", got \(other.map(quoted) ?? "nothing")")
        }
    }
}

/// Takes typed fields out of a wire object, so what is left over is the pass-through part.
///
/// Taking marks a member rather than removing it: the object is read in place, never copied
/// or shifted, and ``remaining`` is built once at the end (usually empty, or the object as it
/// was). Submitting a million lines takes some fifteen fields from every request.
struct WireReader {
    private let object: JSONObject
    let path: String
    /// Members taken, for the first 64 positions; `takenBeyond` for the rest (rare).
    private var taken: UInt64 = 0
    private var takenBeyond: Set<Int> = []
    private var takenCount = 0
    /// Checked fields put back, in the order they were, after the untaken ones.
    private var kept: [(String, JSONValue)] = []

    init(object: JSONObject, path: String) {
        self.object = object
        self.path = path
    }

    /// The members not taken, in their order, then those put back with ``keep(_:_:)``.
    var remaining: JSONObject {
        if takenCount == 0 && kept.isEmpty { return object }
        var rest = JSONObject()
        rest.reserveCapacity(object.count - takenCount + kept.count)
        for position in 0..<object.count where !isTaken(position) {
            rest[object.keys[position]] = object.value(at: position)
        }
        for (key, value) in kept { rest[key] = value }
        return rest
    }

    private func isTaken(_ position: Int) -> Bool {
        position < 64 ? taken & (1 << UInt64(position)) != 0 : takenBeyond.contains(position)
    }

    mutating func take(_ key: String) -> JSONValue? {
        guard let position = object.position(ofFieldName: key), !isTaken(position) else { return nil }
        if position < 64 { taken |= 1 << UInt64(position) } else { takenBeyond.insert(position) }
        takenCount += 1
        return object.value(at: position)
    }

    /// Puts a checked field back among the pass-through ones.
    mutating func keep(_ key: String, _ value: JSONValue) {
        kept.append((key, value))
    }

    private func mismatch(_ key: String, _ expected: String, _ value: JSONValue) -> OpenRouterError {
        OpenRouterError(.validation, "\(path)\(key): expected \(expected), got \(value.typeName)")
    }

    mutating func string(_ key: String) throws(OpenRouterError) -> String? {
        switch take(key) {
        case nil, .null?: return nil
        case .string(let value)?: return value
        case let other?: throw mismatch(key, "a string", other)
        }
    }

    mutating func bool(_ key: String) throws(OpenRouterError) -> Bool? {
        switch take(key) {
        case nil, .null?: return nil
        case .bool(let value)?: return value
        case let other?: throw mismatch(key, "true or false", other)
        }
    }

    mutating func double(_ key: String) throws(OpenRouterError) -> Double? {
        switch take(key) {
        case nil, .null?: return nil
        case .number(let number)?:
            guard let value = number.doubleValue, value.isFinite else {
                throw OpenRouterError(.validation, "\(path)\(key): number \(number.literal.prefix(40)) is out of range")
            }
            return value
        case let other?: throw mismatch(key, "a number", other)
        }
    }

    mutating func int(_ key: String) throws(OpenRouterError) -> Int? {
        switch take(key) {
        case nil, .null?: return nil
        case .number(let number)?:
            if let value = number.intValue { return value }
            if number.isInteger, let value = number.doubleValue, abs(value) < 1e15 { return Int(value) }
            if number.isInteger {
                throw OpenRouterError(.validation, "\(path)\(key): \(number.literal.prefix(40)) is out of range")
            }
            throw OpenRouterError(.validation, "\(path)\(key): expected an integer, got \(number.literal.prefix(40))")
        case let other?: throw mismatch(key, "an integer", other)
        }
    }

    mutating func array(_ key: String) throws(OpenRouterError) -> [JSONValue]? {
        switch take(key) {
        case nil, .null?: return nil
        case .array(let value)?: return value
        case let other?: throw mismatch(key, "an array", other)
        }
    }

    mutating func object(_ key: String) throws(OpenRouterError) -> JSONObject? {
        switch take(key) {
        case nil, .null?: return nil
        case .object(let value)?: return value
        case let other?: throw mismatch(key, "an object", other)
        }
    }
}

/// A user-supplied string for an error message: quoted, and cut so a huge value cannot flood the terminal.
func quoted(_ text: String) -> String {
    let cut = text.count > 64 ? text.prefix(64) + "…" : Substring(text)
    return "\"\(cut)\""
}
