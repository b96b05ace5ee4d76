extension JSONValue {
    /// One spelling of this value for hashing: compact, object keys sorted by their UTF-8
    /// bytes at every level, numbers in ``JSONNumber/canonicalLiteral`` form, strings byte
    /// for byte as given (escaped as ``serializedBytes`` escapes them). Two documents that
    /// differ only in key order, whitespace or how a number is written (`0`, `0.0`, `0e3`)
    /// have the same canonical bytes.
    public var canonicalBytes: [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(256)
        writeCanonical(to: &output)
        return output
    }

    /// Appends ``canonicalBytes`` to `output`.
    public func writeCanonical(to output: inout [UInt8]) {
        switch self {
        case .null, .bool, .string: write(to: &output)
        case .number(let number): output.append(contentsOf: number.canonicalLiteral.utf8)
        case .array(let array):
            output.append(UInt8(ascii: "["))
            for (index, element) in array.enumerated() {
                if index > 0 { output.append(UInt8(ascii: ",")) }
                element.writeCanonical(to: &output)
            }
            output.append(UInt8(ascii: "]"))
        case .object(let object):
            output.append(UInt8(ascii: "{"))
            // Byte order, not String's `<`: that treats canonically equivalent keys as equal,
            // which would leave their order to chance.
            let keys = object.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
            for (index, key) in keys.enumerated() {
                if index > 0 { output.append(UInt8(ascii: ",")) }
                Self.writeString(key, to: &output)
                output.append(UInt8(ascii: ":"))
                object[key]!.writeCanonical(to: &output)
            }
            output.append(UInt8(ascii: "}"))
        }
    }
}
