/// A snapshot of a simulator's counters (also served as JSON by `GET /sim/stats`).
public struct SimulatorStats: Sendable, Hashable, Codable {
    /// Requests under `/api/v1` (all endpoints).
    public var requestsTotal = 0
    /// `POST /api/v1/chat/completions` requests.
    public var chatRequests = 0
    /// Chat requests currently being answered (streams and hangs included).
    public var inFlight = 0
    /// Highest ``inFlight`` seen since start or the last reset.
    public var maxInFlight = 0
    /// Chat requests per counter key (`sim.key`, else the last user message's text).
    public var byKey: [String: Int] = [:]
    /// Responses per HTTP status (dropped connections and hangs are not counted).
    public var byStatus: [Int: Int] = [:]
    /// Applied faults per ``SimulatedFault`` raw value, plus `max_in_flight` for admission rejections.
    public var byFault: [String: Int] = [:]

    public init() {}

    enum CodingKeys: String, CodingKey {
        case requestsTotal = "requests_total"
        case chatRequests = "chat_requests"
        case inFlight = "in_flight"
        case maxInFlight = "max_in_flight"
        case byKey = "by_key"
        case byStatus = "by_status"
        case byFault = "by_fault"
    }

    /// The `/sim/stats` JSON.
    var jsonText: String {
        var out = "{\"requests_total\":\(requestsTotal),\"chat_requests\":\(chatRequests)"
        out += ",\"in_flight\":\(inFlight),\"max_in_flight\":\(maxInFlight),\"by_key\":{"
        for (index, key) in byKey.keys.sorted().enumerated() {
            if index > 0 { out += "," }
            JSONText.appendString(key, to: &out)
            out += ":\(byKey[key]!)"
        }
        out += "},\"by_status\":{"
        for (index, status) in byStatus.keys.sorted().enumerated() {
            if index > 0 { out += "," }
            out += "\"\(status)\":\(byStatus[status]!)"
        }
        out += "},\"by_fault\":{"
        for (index, fault) in byFault.keys.sorted().enumerated() {
            if index > 0 { out += "," }
            JSONText.appendString(fault, to: &out)
            out += ":\(byFault[fault]!)"
        }
        return out + "}}"
    }
}
