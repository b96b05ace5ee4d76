/// `response_format`: plain text, any JSON object, or JSON matching a schema.
public enum ResponseFormat: Sendable, Hashable {
    case text
    case jsonObject
    case jsonSchema(JSONSchemaFormat)

    /// The plan's `createJsonSchemaFormat`.
    /// - Parameters:
    ///   - strict: default true.
    /// - Throws: `OpenRouterError` (`validation`) when the schema is malformed or too large.
    public static func jsonSchema(
        name: String, schema: JSONValue, description: String? = nil, strict: Bool = true
    ) throws(OpenRouterError) -> ResponseFormat {
        let format = JSONSchemaFormat(name: name, description: description, strict: strict, schema: schema)
        try format.validate()
        return .jsonSchema(format)
    }
}

/// The `json_schema` member of a `json_schema` response format.
public struct JSONSchemaFormat: Sendable, Hashable {
    public var name: String
    public var description: String?
    /// Default true, as in the plan.
    public var strict: Bool
    public var schema: JSONValue

    public init(name: String, description: String? = nil, strict: Bool = true, schema: JSONValue) {
        self.name = name
        self.description = description
        self.strict = strict
        self.schema = schema
    }
}
