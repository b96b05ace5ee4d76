/// One message of a conversation.
public struct Message: Sendable, Hashable {
    /// Who speaks. Raw values are the wire's.
    public enum Role: String, Sendable, Hashable, CaseIterable {
        case system, developer, user, assistant, tool
    }

    /// Text, or an array of content parts (`{"type":"text",…}`, `{"type":"image_url",…}`) passed through as given.
    public enum Content: Sendable, Hashable {
        case text(String)
        case parts([JSONValue])
    }

    public var role: Role
    /// Nil only for an assistant message that carries tool calls.
    public var content: Content?
    public var name: String?
    /// For `tool` messages: the id of the call being answered.
    public var toolCallID: String?
    /// For `assistant` messages in a history: the calls it made.
    public var toolCalls: [ToolCall]?

    public init(role: Role, content: Content?, name: String? = nil, toolCallID: String? = nil, toolCalls: [ToolCall]? = nil) {
        self.role = role
        self.content = content
        self.name = name
        self.toolCallID = toolCallID
        self.toolCalls = toolCalls
    }

    /// The plan's `createSystemMessage`.
    public static func system(_ text: String) -> Message { Message(role: .system, content: .text(text)) }
    /// The plan's `createUserMessage`.
    public static func user(_ text: String) -> Message { Message(role: .user, content: .text(text)) }
    /// The plan's `createAssistantMessage`.
    public static func assistant(_ text: String) -> Message { Message(role: .assistant, content: .text(text)) }
    /// An assistant turn that called tools.
    public static func assistant(toolCalls: [ToolCall]) -> Message {
        Message(role: .assistant, content: nil, toolCalls: toolCalls)
    }
    /// The answer to a tool call.
    public static func tool(callID: String, content: String, name: String? = nil) -> Message {
        Message(role: .tool, content: .text(content), name: name, toolCallID: callID)
    }

    /// The text of the message: the string, or its text parts joined.
    public var text: String {
        switch content {
        case .text(let text): text
        case .parts(let parts): parts.compactMap { $0["text"]?.stringValue }.joined()
        case nil: ""
        }
    }
}

/// A function call the model asked for.
public struct ToolCall: Sendable, Hashable {
    public var id: String
    public var name: String
    /// The arguments as the JSON text the model produced (not guaranteed to parse).
    public var arguments: String

    public init(id: String, name: String, arguments: String) {
        self.id = id
        self.name = name
        self.arguments = arguments
    }
}
