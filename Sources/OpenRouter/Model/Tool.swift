/// A function the model may call.
public struct Tool: Sendable, Hashable {
    public var name: String
    public var description: String?
    /// JSON Schema of the arguments. Default: an object with no properties.
    public var parameters: JSONValue
    /// Ask for strict argument schemas (OpenAI's `function.strict`). Default nil (not sent).
    public var strict: Bool?

    public init(name: String, description: String? = nil, parameters: JSONValue = ["type": "object", "properties": [:]], strict: Bool? = nil) {
        self.name = name
        self.description = description
        self.parameters = parameters
        self.strict = strict
    }

    /// The plan's `Tool` with `type: 'function'`.
    public static func function(_ name: String, description: String? = nil, parameters: JSONValue = ["type": "object", "properties": [:]]) -> Tool {
        Tool(name: name, description: description, parameters: parameters)
    }
}

/// How the model may use the tools: the four forms of `tool_choice`.
public enum ToolChoice: Sendable, Hashable {
    case none
    case auto
    case required
    case function(String)
}
