extension JSONObject {
    /// Compact JSON text of the object, keys in insertion order.
    public var serialized: String { JSONValue.object(self).serialized }

    /// The serialised text as UTF-8 bytes.
    public var serializedBytes: [UInt8] { JSONValue.object(self).serializedBytes }
}
