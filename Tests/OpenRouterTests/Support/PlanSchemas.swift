import OpenRouter

/// Schemas from the service plan, shared by the tests that use them.
enum PlanSchemas {
    /// §4.3's `answer_schema`.
    static let answer: JSONValue = [
        "type": "object",
        "properties": [
            "answer": ["type": "string"],
            "confidence": ["type": "number"],
        ],
        "required": ["answer", "confidence"],
        "additionalProperties": false,
    ]
}
