// TEMPORARY: replaced by the real parser and schema validator.
import Foundation
public struct JSONParseError: Error, Sendable, Hashable, CustomStringConvertible { public var byteOffset: Int; public var message: String; public var description: String { message } }
extension JSONValue {
    public init(parsing text: String, maximumDepth: Int = 512) throws(JSONParseError) { try self.init(parsing: Array(text.utf8)) }
    public init(parsing bytes: some Collection<UInt8>, maximumDepth: Int = 512) throws(JSONParseError) {
        guard let any = try? JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed]) else { throw JSONParseError(byteOffset: 0, message: "bad json") }
        self = Self.convert(any)
    }
    static func convert(_ any: Any) -> JSONValue {
        switch any {
        case let d as [String: Any]: return .object(JSONObject(d.map { ($0.key, convert($0.value)) }))
        case let a as [Any]: return .array(a.map(convert))
        case let s as String: return .string(s)
        case let n as NSNumber:
            if String(cString: n.objCType) == "c" || String(cString: n.objCType) == "B" { return .bool(n.boolValue) }
            return .number(JSONNumber(unchecked: n.stringValue))
        default: return .null
        }
    }
}
