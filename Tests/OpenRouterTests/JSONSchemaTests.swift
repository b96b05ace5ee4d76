import OpenRouter
import Testing

// Only the public API is used, so these also run under `swift test -c release`.

private enum SchemaFixtures {
    /// The service plan's answer schema.
    static let answer = PlanSchemas.answer

    /// The service plan's recipe schema.
    static let recipe: JSONValue = [
        "type": "object",
        "properties": [
            "name": ["type": "string"],
            "ingredients": [
                "type": "array",
                "items": [
                    "type": "object",
                    "properties": [
                        "item": ["type": "string"],
                        "quantity": ["type": "string"],
                    ],
                    "required": ["item", "quantity"],
                    "additionalProperties": false,
                ],
            ],
            "steps": ["type": "array", "items": ["type": "string"]],
        ],
        "required": ["name", "ingredients", "steps"],
        "additionalProperties": false,
    ]

    static let pancakes: JSONValue = [
        "name": "Pancakes",
        "ingredients": [
            ["item": "flour", "quantity": "200 g"],
            ["item": "milk", "quantity": "300 ml"],
        ],
        "steps": ["Mix.", "Fry."],
    ]

    /// A tree whose nodes refer to their own definition.
    static let tree: JSONValue = [
        "type": "object",
        "properties": ["root": ["$ref": "#/$defs/node"]],
        "required": ["root"],
        "additionalProperties": false,
        "$defs": [
            "node": [
                "type": "object",
                "properties": [
                    "value": ["type": "integer"],
                    "children": ["type": "array", "items": ["$ref": "#/$defs/node"]],
                ],
                "required": ["value", "children"],
                "additionalProperties": false,
            ]
        ],
    ]
}

/// A number with exactly this literal text (float literals would be normalised: `3.0` → `3`).
private func number(_ literal: String) -> JSONValue { .number(JSONNumber(unchecked: literal)) }

private func schema(_ value: JSONValue, strict: Bool = false) throws -> JSONSchema {
    try JSONSchema(value, strict: strict)
}

private func definitionError(
    _ value: JSONValue, strict: Bool = false, maximumBytes: Int = 50_000
) -> SchemaDefinitionError? {
    do {
        _ = try JSONSchema(value, strict: strict, maximumBytes: maximumBytes)
        return nil
    } catch {
        return error
    }
}

private func violation(_ instance: JSONValue, _ schemaValue: JSONValue) throws -> SchemaViolation? {
    try JSONSchema(schemaValue).firstViolation(in: instance)
}

@Suite("JSONSchema validation")
struct JSONSchemaValidationTests {

    // MARK: The service plan's schemas

    @Test("The answer schema passes strict checks and validates answers")
    func answerSchema() throws {
        let schema = try schema(SchemaFixtures.answer, strict: true)
        #expect(schema.value == SchemaFixtures.answer)
        #expect(schema.firstViolation(in: ["answer": "42", "confidence": 0.9]) == nil)
        #expect(schema.firstViolation(in: ["confidence": 1, "answer": "42"]) == nil)
        #expect(
            schema.firstViolation(in: ["answer": "42"])
                == SchemaViolation(path: "$", message: "missing required property \"confidence\""))
        #expect(
            schema.firstViolation(in: ["answer": "42", "confidence": "high"])
                == SchemaViolation(path: "$.confidence", message: "expected number, got string"))
        #expect(
            schema.firstViolation(in: ["answer": "42", "confidence": 1, "extra": true])
                == SchemaViolation(path: "$.extra", message: "unexpected property \"extra\""))
        #expect(
            schema.firstViolation(in: ["42"]) == SchemaViolation(path: "$", message: "expected object, got array"))
        #expect(schema.firstViolation(in: nil) == SchemaViolation(path: "$", message: "expected object, got null"))
    }

    @Test("The recipe schema passes strict checks and reports exact paths")
    func recipeSchema() throws {
        let schema = try schema(SchemaFixtures.recipe, strict: true)
        #expect(schema.firstViolation(in: SchemaFixtures.pancakes) == nil)

        let wrongQuantity: JSONValue = [
            "name": "Pancakes",
            "ingredients": [["item": "flour", "quantity": "200 g"], ["item": "eggs", "quantity": 2]],
            "steps": ["Mix."],
        ]
        let found = schema.firstViolation(in: wrongQuantity)
        #expect(found == SchemaViolation(path: "$.ingredients[1].quantity", message: "expected string, got integer"))
        #expect(found?.description == "$.ingredients[1].quantity: expected string, got integer")

        #expect(
            schema.firstViolation(in: [
                "name": "Pancakes", "ingredients": [["item": "flour"]], "steps": [],
            ]) == SchemaViolation(path: "$.ingredients[0]", message: "missing required property \"quantity\""))
        #expect(
            schema.firstViolation(in: ["name": "Pancakes", "ingredients": [], "steps": ["Mix.", 3, 4.5]])
                == SchemaViolation(path: "$.steps[1]", message: "expected string, got integer"))
        #expect(
            schema.firstViolation(in: [
                "name": "Pancakes", "ingredients": [["item": "flour", "quantity": "1", "unit": "g"]], "steps": [],
            ]) == SchemaViolation(path: "$.ingredients[0].unit", message: "unexpected property \"unit\""))
    }

    // MARK: Types

    @Test("integer matches numbers without a fraction; number matches every number")
    func integerAndNumber() throws {
        let integer: JSONValue = ["type": "integer"]
        #expect(try violation(3, integer) == nil)
        #expect(try violation(number("3.0"), integer) == nil)
        #expect(try violation(number("-0"), integer) == nil)
        #expect(try violation(number("1e2"), integer) == nil)
        #expect(try violation(number("3.5"), integer) == SchemaViolation(path: "$", message: "expected integer, got number"))
        #expect(try violation(number("1.5e-3"), integer) != nil)
        #expect(try violation("3", integer) == SchemaViolation(path: "$", message: "expected integer, got string"))

        let anyNumber: JSONValue = ["type": "number"]
        #expect(try violation(3, anyNumber) == nil)
        #expect(try violation(number("3.5"), anyNumber) == nil)
        #expect(try violation(true, anyNumber) == SchemaViolation(path: "$", message: "expected number, got boolean"))
    }

    @Test("Every type name matches its own kind of value")
    func everyType() throws {
        let values: [(String, JSONValue)] = [
            ("object", [:]), ("array", []), ("string", ""), ("number", number("0.5")),
            ("integer", 7), ("boolean", false), ("null", nil),
        ]
        for (name, value) in values {
            #expect(try violation(value, ["type": .string(name)]) == nil, "\(name)")
            let other = name == "string" ? "null" : "string"
            #expect(try violation(value, ["type": .string(other)]) != nil, "\(name) vs \(other)")
        }
    }

    @Test("Type arrays, including null")
    func typeArrays() throws {
        let nullableString: JSONValue = ["type": ["string", "null"]]
        #expect(try violation("x", nullableString) == nil)
        #expect(try violation(nil, nullableString) == nil)
        #expect(
            try violation(5, nullableString) == SchemaViolation(path: "$", message: "expected string or null, got integer"))

        let strict: JSONValue = [
            "type": "object",
            "properties": ["note": ["type": ["string", "null"]]],
            "required": ["note"],
            "additionalProperties": false,
        ]
        let schema = try schema(strict, strict: true)
        #expect(schema.firstViolation(in: ["note": nil]) == nil)
        #expect(
            schema.firstViolation(in: ["note": 1]) == SchemaViolation(path: "$.note", message: "expected string or null, got integer"))
    }

    // MARK: enum, const, anyOf

    @Test("enum and const compare JSON values")
    func enumAndConst() throws {
        let colour: JSONValue = ["type": "string", "enum": ["red", "green"]]
        #expect(try violation("red", colour) == nil)
        #expect(try violation("blue", colour) == SchemaViolation(path: "$", message: "value not in enum"))

        let mixed: JSONValue = ["enum": [1, "one", nil, ["a": 1, "b": [true]]]]
        #expect(try violation(number("1.0"), mixed) == nil)
        #expect(try violation(nil, mixed) == nil)
        #expect(try violation(["b": [true], "a": 1], mixed) == nil)  // key order does not matter
        #expect(try violation(["a": 1], mixed) == SchemaViolation(path: "$", message: "value not in enum"))

        let version: JSONValue = ["const": ["v": 2]]
        #expect(try violation(["v": 2], version) == nil)
        #expect(try violation(["v": 3], version) == SchemaViolation(path: "$", message: "does not equal const"))
        #expect(try violation(nil, ["const": nil]) == nil)
        #expect(try violation(false, ["const": nil]) == SchemaViolation(path: "$", message: "does not equal const"))
    }

    @Test("anyOf needs one matching branch")
    func anyOf() throws {
        let schemaValue: JSONValue = [
            "type": "object",
            "properties": [
                "id": ["anyOf": [["type": "string"], ["type": "integer"]]]
            ],
        ]
        #expect(try violation(["id": "a"], schemaValue) == nil)
        #expect(try violation(["id": 5], schemaValue) == nil)
        #expect(try violation(["id": number("5.5")], schemaValue) == SchemaViolation(path: "$.id", message: "matches none of anyOf"))

        // Nested anyOf: the innermost failing value is not reported, the anyOf's own value is.
        let nested: JSONValue = [
            "anyOf": [
                ["type": "array", "items": ["anyOf": [["type": "null"], ["type": "boolean"]]]],
                ["type": "null"],
            ]
        ]
        #expect(try violation([nil, true], nested) == nil)
        #expect(try violation([nil, 1], nested) == SchemaViolation(path: "$", message: "matches none of anyOf"))
    }

    // MARK: $defs and $ref

    @Test("$ref into $defs and definitions, with pointer escapes")
    func references() throws {
        let schemaValue: JSONValue = [
            "type": "object",
            "properties": [
                "a": ["$ref": "#/$defs/slash~1name"],
                "b": ["$ref": "#/definitions/tilde~0name"],
                "c": ["$ref": "#/$defs/plain"],
            ],
            "$defs": ["slash/name": ["type": "string"], "plain": ["type": "boolean"]],
            "definitions": ["tilde~name": ["type": "integer"]],
        ]
        let schema = try schema(schemaValue)
        #expect(schema.firstViolation(in: ["a": "x", "b": 1, "c": true]) == nil)
        #expect(schema.firstViolation(in: ["a": 1]) == SchemaViolation(path: "$.a", message: "expected string, got integer"))
        #expect(schema.firstViolation(in: ["b": "x"]) == SchemaViolation(path: "$.b", message: "expected integer, got string"))
        #expect(schema.firstViolation(in: ["c": nil]) == SchemaViolation(path: "$.c", message: "expected boolean, got null"))
    }

    @Test("A recursive tree schema validates finite trees")
    func recursiveTree() throws {
        let schema = try schema(SchemaFixtures.tree, strict: true)
        let leaf: JSONValue = ["value": 3, "children": []]
        let good: JSONValue = ["root": ["value": 1, "children": [leaf, ["value": 2, "children": [leaf, leaf]]]]]
        #expect(schema.firstViolation(in: good) == nil)

        let bad: JSONValue = [
            "root": ["value": 1, "children": [leaf, ["value": 2, "children": [leaf, ["value": "x", "children": []]]]]]
        ]
        #expect(
            schema.firstViolation(in: bad)
                == SchemaViolation(path: "$.root.children[1].children[1].value", message: "expected integer, got string"))
        #expect(
            schema.firstViolation(in: ["root": ["value": 1]])
                == SchemaViolation(path: "$.root", message: "missing required property \"children\""))
    }

    @Test("A schema may recurse through the root with #")
    func rootRecursion() throws {
        let list: JSONValue = [
            "type": "object",
            "properties": [
                "value": ["type": "string"],
                "next": ["anyOf": [["$ref": "#"], ["type": "null"]]],
            ],
            "required": ["value", "next"],
            "additionalProperties": false,
        ]
        let schema = try schema(list, strict: true)
        #expect(schema.firstViolation(in: ["value": "a", "next": ["value": "b", "next": nil]]) == nil)
        // The failure deep inside makes the outer anyOf fail too; the outermost anyOf is reported.
        #expect(
            schema.firstViolation(in: ["value": "a", "next": ["value": "b", "next": 7]])
                == SchemaViolation(path: "$.next", message: "matches none of anyOf"))
        #expect(
            schema.firstViolation(in: ["value": 1, "next": nil])
                == SchemaViolation(path: "$.value", message: "expected string, got integer"))
    }

    @Test("Deep instances of recursive schemas are validated up to a limit")
    func instanceDepthLimit() throws {
        let schema = try schema(["type": "array", "items": ["$ref": "#"]])
        func nested(_ depth: Int) -> JSONValue {
            var value: JSONValue = []
            for _ in 0..<depth { value = [value] }
            return value
        }
        #expect(schema.firstViolation(in: nested(JSONSchema.maximumInstanceDepth)) == nil)
        let found = schema.firstViolation(in: nested(JSONSchema.maximumInstanceDepth + 1))
        #expect(found?.path == "$" + String(repeating: "[0]", count: JSONSchema.maximumInstanceDepth))
        #expect(found?.message == "value nests deeper than \(JSONSchema.maximumInstanceDepth) levels")
    }

    // MARK: Objects

    @Test("additionalProperties: false, a schema, true, or absent")
    func additionalProperties() throws {
        let closed: JSONValue = ["properties": ["a": ["type": "integer"]], "additionalProperties": false]
        #expect(try violation(["a": 1], closed) == nil)
        #expect(try violation(["a": 1, "b": 2], closed) == SchemaViolation(path: "$.b", message: "unexpected property \"b\""))

        let typed: JSONValue = ["properties": ["a": ["type": "integer"]], "additionalProperties": ["type": "string"]]
        #expect(try violation(["a": 1, "b": "x"], typed) == nil)
        #expect(try violation(["a": 1, "b": 2], typed) == SchemaViolation(path: "$.b", message: "expected string, got integer"))

        let open: JSONValue = ["properties": ["a": ["type": "integer"]], "additionalProperties": true]
        #expect(try violation(["a": 1, "b": [1, 2]], open) == nil)
        #expect(try violation(["a": 1, "b": [1, 2]], ["properties": ["a": ["type": "integer"]]]) == nil)
    }

    @Test("Keys that are not identifiers are bracketed and quoted in paths")
    func oddKeys() throws {
        let open: JSONValue = ["additionalProperties": ["type": "string"]]
        #expect(try violation(["odd key": 1], open)?.path == "$[\"odd key\"]")
        #expect(try violation(["1st": 1], open)?.path == "$[\"1st\"]")
        #expect(try violation(["quo\"te": 1], open)?.path == "$[\"quo\\\"te\"]")
        #expect(try violation(["": 1], open)?.path == "$[\"\"]")
        #expect(try violation(["snake_case2": 1], open)?.path == "$.snake_case2")
        #expect(try violation(["_x": [1]], ["additionalProperties": ["items": ["type": "string"]]])?.path == "$._x[0]")
    }

    @Test("Boolean sub-schemas")
    func booleanSchemas() throws {
        let schemaValue: JSONValue = ["properties": ["never": false, "anything": true], "items": false]
        #expect(try violation(["anything": ["x": 1]], schemaValue) == nil)
        #expect(
            try violation(["never": 1], schemaValue)
                == SchemaViolation(path: "$.never", message: "no value is allowed here (schema is false)"))
        #expect(try violation([], schemaValue) == nil)
        #expect(try violation([1], schemaValue)?.path == "$[0]")
    }

    // MARK: Order of violations

    @Test("type is checked before const and enum, const before enum")
    func keywordOrder() throws {
        #expect(try violation(5, ["type": "string", "const": "a", "enum": ["b"]])?.message == "expected string, got integer")
        #expect(try violation("c", ["type": "string", "const": "a", "enum": ["b"]])?.message == "does not equal const")
        #expect(try violation("a", ["type": "string", "const": "a", "enum": ["b"]])?.message == "value not in enum")
    }

    @Test("Present properties are checked in instance order, then missing required ones in required order")
    func objectOrder() throws {
        let schemaValue: JSONValue = [
            "type": "object",
            "properties": ["a": ["type": "string"], "b": ["type": "string"], "c": ["type": "string"]],
            "required": ["c", "a", "b"],
            "additionalProperties": false,
        ]
        let schema = try schema(schemaValue, strict: true)
        #expect(schema.firstViolation(in: ["b": 1, "a": 1])?.path == "$.b")
        #expect(schema.firstViolation(in: ["a": 1, "b": 1])?.path == "$.a")
        #expect(schema.firstViolation(in: ["x": 1, "a": 1])?.path == "$.x")
        // A present bad value wins over a missing property, whatever the required order.
        #expect(schema.firstViolation(in: ["b": 1]) == SchemaViolation(path: "$.b", message: "expected string, got integer"))
        #expect(schema.firstViolation(in: ["b": "x"]) == SchemaViolation(path: "$", message: "missing required property \"c\""))
        #expect(schema.firstViolation(in: ["c": "x"]) == SchemaViolation(path: "$", message: "missing required property \"a\""))
    }

    @Test("Array counts come before items, items in index order, depth-first")
    func arrayOrder() throws {
        let schemaValue: JSONValue = [
            "type": "array", "maxItems": 3,
            "items": ["type": "array", "items": ["type": "integer"]],
        ]
        #expect(try violation([[1, "x"], ["y"]], schemaValue)?.path == "$[0][1]")
        #expect(try violation([[1], ["y", "z"]], schemaValue)?.path == "$[1][0]")
        #expect(try violation([["x"], [], [], []], schemaValue)?.message == "array has 4 items, more than maxItems 3")
    }

    @Test("Own keywords come before $ref, and $ref before anyOf")
    func refAndAnyOfOrder() throws {
        let schemaValue: JSONValue = [
            "$defs": ["short": ["maxLength": 2]],
            "type": "string",
            "$ref": "#/$defs/short",
            "anyOf": [["const": "ab"]],
            "minLength": 1,
        ]
        #expect(try violation("", schemaValue)?.message == "string has 0 characters, fewer than minLength 1")
        #expect(try violation("abc", schemaValue)?.message == "string has 3 characters, more than maxLength 2")
        #expect(try violation("ba", schemaValue)?.message == "matches none of anyOf")
        #expect(try violation("ab", schemaValue) == nil)

        let objectFirst: JSONValue = [
            "properties": ["a": ["type": "string"]],
            "anyOf": [["required": ["z"]]],
        ]
        #expect(try violation(["a": 1], objectFirst)?.path == "$.a")
        #expect(try violation(["a": "x"], objectFirst) == SchemaViolation(path: "$", message: "matches none of anyOf"))
    }

    // MARK: Optional bounds

    @Test("minimum, maximum, minLength, maxLength, minItems and maxItems are applied")
    func bounds() throws {
        let range: JSONValue = ["type": "number", "minimum": 0, "maximum": number("1.5")]
        #expect(try violation(0, range) == nil)
        #expect(try violation(number("1.5"), range) == nil)
        #expect(try violation(-1, range) == SchemaViolation(path: "$", message: "-1 is less than minimum 0"))
        #expect(try violation(number("1.50001"), range) == SchemaViolation(path: "$", message: "1.50001 is greater than maximum 1.5"))
        #expect(try violation("not a number", ["minimum": 5]) == nil)  // bounds only apply to numbers

        // Lengths count Unicode scalars: "é" written as e + combining acute is two.
        let name: JSONValue = ["type": "string", "minLength": 2, "maxLength": number("3.0")]
        #expect(try violation("ab", name) == nil)
        #expect(try violation("e\u{301}", name) == nil)
        #expect(try violation("\u{E9}", name)?.message == "string has 1 characters, fewer than minLength 2")
        #expect(try violation("abcd", name)?.message == "string has 4 characters, more than maxLength 3")

        let pair: JSONValue = ["type": "array", "minItems": 2, "maxItems": 2]
        #expect(try violation([1, 2], pair) == nil)
        #expect(try violation([1], pair)?.message == "array has 1 items, fewer than minItems 2")
    }

    @Test("pattern and format are accepted but not applied")
    func unappliedAnnotations() throws {
        let schemaValue: JSONValue = [
            "type": "string", "pattern": "^[0-9]+$", "format": "date-time",
            "description": "d", "title": "t", "default": "0", "examples": ["1"],
        ]
        #expect(try violation("letters", schemaValue) == nil)
    }

    @Test("Schemas compare by value")
    func hashable() throws {
        let a = try schema(SchemaFixtures.answer)
        let b = try schema(SchemaFixtures.answer, strict: true)
        #expect(a == b)
        #expect(Set([a, b]).count == 1)
        let c = try schema(SchemaFixtures.recipe)
        #expect(a != c)
    }
}

/// A schema that must be rejected, with the pointer and message expected.
struct InvalidSchemaCase: Sendable, CustomTestStringConvertible {
    var name: String
    var schema: JSONValue
    var path: String
    var message: String
    var testDescription: String { name }

    init(_ name: String, _ schema: JSONValue, _ path: String, _ message: String) {
        self.name = name
        self.schema = schema
        self.path = path
        self.message = message
    }
}

@Suite("JSONSchema definition checks")
struct JSONSchemaDefinitionTests {

    static let invalid: [InvalidSchemaCase] = [
        .init("root is a string", "object", "", "schema must be a JSON object, got string"),
        .init("root is a boolean", true, "", "schema must be a JSON object, got boolean"),
        .init("type is a number", ["type": 5], "/type", "type must be a string or an array of strings, got integer"),
        .init("type is misspelt", ["type": "strng"], "/type", "unknown type \"strng\""),
        .init("type array is empty", ["type": []], "/type", "type array must not be empty"),
        .init("type array has a misspelling", ["type": ["string", "nul"]], "/type/1", "unknown type \"nul\""),
        .init("type array has a non-string", ["type": ["string", 1]], "/type/1", "unknown type 1"),
        .init("type array repeats", ["type": ["string", "string"]], "/type/1", "duplicate type \"string\""),
        .init("nested type", ["properties": ["items": ["type": "list"]]], "/properties/items/type", "unknown type \"list\""),
        .init("properties is a number", ["properties": 5], "/properties", "properties must be an object of schemas, got integer"),
        .init("a property is a string", ["properties": ["a": "string"]], "/properties/a", "schema must be an object or a boolean, got string"),
        .init("property names are escaped", ["properties": ["a/b~c": ["type": 1]]], "/properties/a~1b~0c/type",
              "type must be a string or an array of strings, got integer"),
        .init("required is a string", ["required": "a"], "/required", "required must be an array of strings, got string"),
        .init("required has a number", ["required": ["a", 1]], "/required/1", "required entries must be strings, got integer"),
        .init("required repeats", ["required": ["a", "b", "a"]], "/required/2", "duplicate required property \"a\""),
        .init("additionalProperties is a string", ["additionalProperties": "no"], "/additionalProperties",
              "schema must be an object or a boolean, got string"),
        .init("items is an array", ["items": [["type": "string"]]], "/items", "schema must be an object or a boolean, got array"),
        .init("items deep inside", ["items": ["items": ["items": nil]]], "/items/items/items",
              "schema must be an object or a boolean, got null"),
        .init("enum is empty", ["enum": []], "/enum", "enum must not be empty"),
        .init("enum is a string", ["enum": "a"], "/enum", "enum must be an array, got string"),
        .init("anyOf is empty", ["anyOf": []], "/anyOf", "anyOf must not be empty"),
        .init("anyOf is an object", ["anyOf": ["type": "string"]], "/anyOf", "anyOf must be an array, got object"),
        .init("anyOf has a number", ["anyOf": [["type": "string"], 5]], "/anyOf/1", "schema must be an object or a boolean, got integer"),
        .init("anyOf branch is wrong inside", ["anyOf": [["type": "string"], ["required": true]]], "/anyOf/1/required",
              "required must be an array of strings, got boolean"),
        .init("$defs is an array", ["$defs": []], "/$defs", "$defs must be an object of schemas, got array"),
        .init("a definition is a number", ["$defs": ["A": 1]], "/$defs/A", "schema must be an object or a boolean, got integer"),
        .init("definitions entry is wrong inside", ["definitions": ["A": ["enum": []]]], "/definitions/A/enum", "enum must not be empty"),
        .init("$ref is a number", ["$ref": 5], "/$ref", "$ref must be a string, got integer"),
        .init("$ref is unresolvable", ["properties": ["x": ["$ref": "#/$defs/Missing"]], "$defs": [:]], "/properties/x/$ref",
              "unresolvable $ref \"#/$defs/Missing\""),
        .init("$ref without $defs", ["items": ["$ref": "#/definitions/A"]], "/items/$ref", "unresolvable $ref \"#/definitions/A\""),
        .init("$ref is remote", ["$ref": "https://example.com/s.json"], "/$ref",
              "unsupported $ref \"https://example.com/s.json\": only \"#\", \"#/$defs/Name\" and \"#/definitions/Name\" are supported"),
        .init("$ref points into properties", ["properties": ["a": true, "b": ["$ref": "#/properties/a"]]], "/properties/b/$ref",
              "unsupported $ref \"#/properties/a\": only \"#\", \"#/$defs/Name\" and \"#/definitions/Name\" are supported"),
        .init("$ref into a nested definition", ["$defs": ["A": ["$defs": ["B": true]]], "$ref": "#/$defs/A/$defs/B"], "/$ref",
              "unsupported $ref \"#/$defs/A/$defs/B\": only \"#\", \"#/$defs/Name\" and \"#/definitions/Name\" are supported"),
        .init("$ref has a bad escape", ["$defs": ["a~b": true], "$ref": "#/$defs/a~b"], "/$ref",
              "invalid JSON Pointer escape in $ref \"#/$defs/a~b\""),
        .init("$ref target is not a schema", ["$defs": ["A": 3], "$ref": "#/$defs/A"], "/$defs/A",
              "schema must be an object or a boolean, got integer"),
        .init("description is a number", ["description": 5], "/description", "description must be a string, got integer"),
        .init("title is null", ["title": nil], "/title", "title must be a string, got null"),
        .init("pattern is an array", ["pattern": ["a"]], "/pattern", "pattern must be a string, got array"),
        .init("format is a boolean", ["format": true], "/format", "format must be a string, got boolean"),
        .init("minimum is a string", ["minimum": "1"], "/minimum", "minimum must be a number, got string"),
        .init("minLength is negative", ["minLength": -1], "/minLength", "minLength must be a non-negative integer, got -1"),
        .init("maxItems has a fraction", ["maxItems": 1.5], "/maxItems", "maxItems must be a non-negative integer, got 1.5"),
        .init("examples is a string", ["examples": "x"], "/examples", "examples must be an array, got string"),
        .init("the first problem in document order wins", ["properties": ["a": ["type": 1]], "required": 2], "/required",
              "required must be an array of strings, got integer"),
    ]

    @Test("Malformed keywords are rejected with the pointer of the offending keyword", arguments: invalid)
    func malformed(_ invalidCase: InvalidSchemaCase) {
        let error = definitionError(invalidCase.schema)
        #expect(error == SchemaDefinitionError(path: invalidCase.path, message: invalidCase.message))
    }

    @Test("Error descriptions name the pointer")
    func errorDescription() {
        #expect(definitionError(["type": "strng"])?.description == "invalid schema at /type: unknown type \"strng\"")
        #expect(definitionError("x")?.description == "invalid schema: schema must be a JSON object, got string")
    }

    @Test("Unknown keywords, const and default take any value, strict or not")
    func unknownKeywords() throws {
        let schemaValue: JSONValue = [
            "type": "object",
            "properties": ["a": ["type": "string", "x-ui": ["widget": 1], "oneOf": 3, "const": ["any": nil], "default": 4]],
            "required": ["a"],
            "additionalProperties": false,
            "$comment": "kept",
            "strict": true,
        ]
        _ = try schema(schemaValue)
        _ = try schema(schemaValue, strict: true)
    }

    // MARK: Strict mode

    @Test("Strict mode rules, each with its pointer")
    func strictRules() {
        func strictError(_ value: JSONValue) -> SchemaDefinitionError? { definitionError(value, strict: true) }

        #expect(strictError(["properties": [:], "additionalProperties": false])
            == SchemaDefinitionError(path: "", message: "strict mode: the root schema must have type \"object\""))
        #expect(strictError(["type": "array", "items": ["type": "string"]])
            == SchemaDefinitionError(path: "/type", message: "strict mode: the root schema must have type \"object\""))
        #expect(strictError(["type": "object"])
            == SchemaDefinitionError(path: "", message: "strict mode: object schema must set \"additionalProperties\": false"))
        #expect(strictError(["type": "object", "additionalProperties": true])
            == SchemaDefinitionError(path: "/additionalProperties", message: "strict mode: additionalProperties must be false"))
        #expect(strictError(["type": "object", "additionalProperties": ["type": "string"]])
            == SchemaDefinitionError(path: "/additionalProperties", message: "strict mode: additionalProperties must be false"))
        #expect(strictError([
            "type": "object", "properties": ["a": ["type": "string"], "b": ["type": "string"]],
            "required": ["a"], "additionalProperties": false,
        ]) == SchemaDefinitionError(path: "/properties/b", message: "strict mode: property \"b\" must be listed in required"))
        #expect(strictError([
            "type": "object", "properties": ["a": ["type": "string"]],
            "required": ["a", "ghost"], "additionalProperties": false,
        ]) == SchemaDefinitionError(path: "/required/1", message: "strict mode: required property \"ghost\" is not in properties"))
        #expect(strictError([
            "type": "object", "properties": ["a": ["type": "string"]], "additionalProperties": false,
        ]) == SchemaDefinitionError(path: "/properties/a", message: "strict mode: property \"a\" must be listed in required"))

        // Nested objects, array items, nullable objects and definitions are object schemas too.
        var recipe = SchemaFixtures.recipe.objectValue!
        var properties = recipe["properties"]!.objectValue!
        properties["ingredients"] = ["type": "array", "items": ["type": "object", "properties": ["item": ["type": "string"]]]]
        recipe["properties"] = .object(properties)
        #expect(strictError(.object(recipe)) == SchemaDefinitionError(
            path: "/properties/ingredients/items",
            message: "strict mode: object schema must set \"additionalProperties\": false"))
        #expect(strictError([
            "type": "object", "properties": ["p": ["type": ["object", "null"]]], "required": ["p"], "additionalProperties": false,
        ])?.path == "/properties/p")
        #expect(strictError([
            "type": "object", "properties": [:], "additionalProperties": false,
            "$defs": ["D": ["properties": ["x": true], "required": ["x"]]],
        ])?.path == "/$defs/D")

        // The same schemas are fine outside strict mode.
        #expect(definitionError(.object(recipe)) == nil)
        #expect(definitionError(["type": "array"]) == nil)
        #expect(definitionError(["required": ["ghost"]]) == nil)
    }

    @Test("A node's own strict rules are reported before problems in its sub-schemas")
    func strictOrder() {
        let value: JSONValue = ["type": "object", "properties": ["a": ["type": "strng"]], "required": ["a"]]
        #expect(definitionError(value, strict: true)?.path == "")
        #expect(definitionError(value)?.path == "/properties/a/type")
    }

    // MARK: Limits

    @Test("The serialized size is limited")
    func sizeLimit() throws {
        let value: JSONValue = ["type": "string", "description": .string(String(repeating: "x", count: 100))]
        let size = value.serialized.utf8.count
        _ = try JSONSchema(value, maximumBytes: size)
        #expect(definitionError(value, maximumBytes: size - 1)
            == SchemaDefinitionError(path: "", message: "schema is \(size) bytes, more than the limit of \(size - 1)"))

        let big: JSONValue = ["type": "string", "description": .string(String(repeating: "é", count: 25_000))]
        #expect(definitionError(big)?.message == "schema is 50034 bytes, more than the limit of 50000")
        #expect(definitionError(SchemaFixtures.recipe, strict: true, maximumBytes: 50_000) == nil)
    }

    @Test("Schemas may nest 64 levels, not 65")
    func depthLimit() throws {
        func nested(_ levels: Int, keyword: String) -> JSONValue {
            var value: JSONValue = ["type": "string"]
            for _ in 1..<levels {
                value = keyword == "items" ? ["type": "array", "items": value] : ["anyOf": [value]]
            }
            return value
        }
        _ = try JSONSchema(nested(64, keyword: "items"))
        #expect(definitionError(nested(65, keyword: "items"))
            == SchemaDefinitionError(path: String(repeating: "/items", count: 64), message: "schema nests deeper than 64 levels"))
        _ = try JSONSchema(nested(64, keyword: "anyOf"))
        #expect(definitionError(nested(65, keyword: "anyOf"))?.path == String(repeating: "/anyOf/0", count: 64))
        #expect(definitionError(nested(1_000, keyword: "items"))?.path == String(repeating: "/items", count: 64))
    }

    // MARK: Cycles

    @Test("$ref cycles that never descend into the instance are rejected")
    func cycles() {
        #expect(definitionError([
            "$defs": ["A": ["$ref": "#/$defs/B"], "B": ["$ref": "#/$defs/A"]],
            "$ref": "#/$defs/A",
        ]) == SchemaDefinitionError(
            path: "/$defs/B/$ref",
            message: "$ref cycle that never descends into the instance: #/$defs/A → #/$defs/B → #/$defs/A"))
        #expect(definitionError(["$ref": "#"])
            == SchemaDefinitionError(path: "/$ref", message: "$ref cycle that never descends into the instance: # → #"))
        #expect(definitionError(["anyOf": [["type": "null"], ["$ref": "#"]]])
            == SchemaDefinitionError(
                path: "/anyOf/1/$ref",
                message: "$ref cycle that never descends into the instance: # → #/anyOf/1 → #"))
        // An unused self-referencing definition is still an error: it would loop if ever used.
        #expect(definitionError(["type": "object", "$defs": ["Loop": ["anyOf": [["$ref": "#/definitions/L2"]]]],
                                 "definitions": ["L2": ["$ref": "#/$defs/Loop"]]])?.path == "/definitions/L2/$ref")
        // A long acyclic chain is fine; closing it is not.
        var defs = JSONObject()
        for index in 0..<500 { defs["D\(index)"] = ["$ref": .string("#/$defs/D\(index + 1)")] }
        defs["D500"] = ["type": "string"]
        #expect(definitionError(["$defs": .object(defs), "$ref": "#/$defs/D0"]) == nil)
        defs["D500"] = ["$ref": "#/$defs/D0"]
        #expect(definitionError(["$defs": .object(defs), "$ref": "#/$defs/D0"])?.path == "/$defs/D500/$ref")
    }

    @Test("Recursion through properties or items makes progress and is allowed")
    func progressingRecursion() throws {
        _ = try JSONSchema(SchemaFixtures.tree, strict: true)
        _ = try JSONSchema(["properties": ["self": ["$ref": "#"]]])
        _ = try JSONSchema(["additionalProperties": ["$ref": "#"]])
        _ = try JSONSchema(["$defs": ["A": ["items": ["$ref": "#/$defs/A"]]], "$ref": "#/$defs/A"])
        // A diamond of references reaches the same definition twice without a cycle.
        _ = try JSONSchema([
            "$defs": ["Leaf": ["type": "string"], "L": ["$ref": "#/$defs/Leaf"], "R": ["$ref": "#/$defs/Leaf"]],
            "anyOf": [["$ref": "#/$defs/L"], ["$ref": "#/$defs/R"]],
        ])
    }
}
