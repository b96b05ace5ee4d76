import Foundation

/// One row of the results table: a figure, the limit or reference it is measured against in
/// the same run, and their ratio.
struct Measurement: Codable, Sendable {
    var section: String
    var name: String
    var value: Double
    var unit: String
    /// What the value is compared with (C/L, sqlite3's time, the 10k-job RSS…), when anything.
    var reference: Double?
    var referenceName: String?
    /// value ÷ reference, or for times reference-relative cost (our time ÷ theirs).
    var ratio: Double?
    /// The issue's target for the ratio or value, as text, and whether it was met.
    var target: String?
    var met: Bool?
    /// Runner and simulator CPU seconds during the measurement, where a server was involved.
    var runnerCPUSeconds: Double?
    var simulatorCPUSeconds: Double?
    var peakRSSMB: Double?
    var wallSeconds: Double?
    var note: String?
}

struct BenchReport: Codable, Sendable {
    var startedAt: String
    var machine: String
    var command: String
    var measurements: [Measurement] = []

    /// The table as GitHub-flavoured Markdown.
    var markdown: String {
        var out = "| section | measurement | value | reference | ratio | target | runner CPU s | sim CPU s | peak RSS MB | wall s |\n"
        out += "|---|---|---|---|---|---|---|---|---|---|\n"
        for m in measurements {
            var reference = ""
            if let value = m.reference { reference = "\(Self.format(value)) (\(m.referenceName ?? ""))" }
            var ratio = ""
            if let value = m.ratio { ratio = String(format: "%.3f", value) }
            var target = ""
            if let text = m.target { target = text + (m.met == true ? " ✓" : m.met == false ? " ✗" : "") }
            var cells: [String] = [m.section, m.name, "\(Self.format(m.value)) \(m.unit)", reference, ratio, target]
            cells.append(Self.cell(m.runnerCPUSeconds, "%.2f"))
            cells.append(Self.cell(m.simulatorCPUSeconds, "%.2f"))
            cells.append(Self.cell(m.peakRSSMB, "%.1f"))
            cells.append(Self.cell(m.wallSeconds, "%.2f"))
            out += "| " + cells.joined(separator: " | ") + " |\n"
        }
        return out
    }

    private static func cell(_ value: Double?, _ format: String) -> String {
        guard let value else { return "" }
        return String(format: format, value)
    }

    static func format(_ value: Double) -> String {
        if value >= 1000 { return String(format: "%.0f", value) }
        if value >= 10 { return String(format: "%.1f", value) }
        return String(format: "%.3f", value)
    }
}

enum Machine {
    /// CPU model, core count, memory and load, read from /proc.
    static var description: String {
        let cpuinfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        let model = cpuinfo.split(separator: "\n").first { $0.hasPrefix("model name") }
            .map { $0.split(separator: ":", maxSplits: 1)[1].trimmingCharacters(in: .whitespaces) } ?? "unknown CPU"
        var memory = "?"
        let meminfo = (try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8)) ?? ""
        if let first = meminfo.split(separator: "\n").first,
            let kilobytes = first.split(separator: " ").dropFirst().first.flatMap({ Double($0) })
        {
            memory = String(format: "%.0f GiB", kilobytes / 1_048_576)
        }
        let load = ((try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8)) ?? "").split(separator: " ").prefix(3).joined(separator: " ")
        return "\(model), \(ProcessInfo.processInfo.activeProcessorCount) cores, \(memory), load average at start \(load)"
    }
}
