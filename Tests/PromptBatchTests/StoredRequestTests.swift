import Foundation
import OpenRouter
@testable import PromptBatchKit
import Testing

/// A job that is not streamed sends its stored request as it is (`chat(encodedBody:model:responseFormat:)`): that
/// is exact only if encoding the decoded request again gives the same bytes, for every form a
/// job line can take.
@Suite
struct StoredRequestTests {
    static let jobsFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("jobs").path

    static let extraLines = [
        #"{"model":"openai/gpt-4o-mini","messages":[{"role":"user","content":"Hi"}],"seed":7,"stop":["\n\n"],"top_p":0.5,"frequency_penalty":-1.5,"presence_penalty":0.25}"#,
        #"{"model":"openai/gpt-4o-mini","models":["anthropic/claude-3.5-haiku"],"provider":{"order":["openai"],"allow_fallbacks":false},"messages":[{"role":"system","content":"Be brief."},{"role":"user","content":[{"type":"text","text":"Describe"},{"type":"image_url","image_url":{"url":"https://example.com/a.png"}}]}]}"#,
        #"{"custom_id":"b","method":"POST","url":"/v1/chat/completions","body":{"model":"openai/gpt-4o","messages":[{"role":"user","content":"ünïcödé \u2028 and \"quotes\""}],"max_tokens":5,"temperature":1.25}}"#,
    ]

    static func lines() throws -> [String] {
        let files = try FileManager.default.contentsOfDirectory(atPath: jobsFolder).filter { $0.hasSuffix(".jsonl") }.sorted()
        var lines: [String] = []
        for file in files {
            let text = try String(contentsOfFile: jobsFolder + "/" + file, encoding: .utf8)
            lines += text.split(whereSeparator: \.isNewline).map(String.init).filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
        }
        return lines + extraLines
    }

    @Test func reencodingAStoredRequestGivesItsBytes() throws {
        let parser = JobLineParser(defaultModel: "openai/gpt-4o-mini")
        var checked = 0
        for (index, line) in try Self.lines().enumerated() {
            var bytes = Array(line.utf8)
            let job = try bytes.withUnsafeMutableBytes { try parser.parse(UnsafeRawBufferPointer($0), fallbackCustomID: "line-\(index)") }
            guard !job.isStream else { continue }
            guard case .object(let body) = try JSONValue(parsing: job.requestBody) else {
                Issue.record("line \(index): stored request is not an object")
                continue
            }
            var request = try ChatRequest(wire: body)
            // What `chat(_:)` would send for it.
            try request.validate()
            request.stream = false
            #expect(request.wireBody().serialized == job.requestBody, "line \(index): \(line)")
            checked += 1
        }
        #expect(checked >= 20)
    }

    /// `submit` estimates a line from its typed request; `estimate` on a database from before
    /// version 2 estimates it from the stored body. Both must count the same.
    @Test func estimateFromTheTypedRequestMatchesTheWireBody() throws {
        let parser = JobLineParser(defaultModel: "openai/gpt-4o-mini")
        let lines = try Self.lines() + [
            #"{"model":"m/x","messages":[{"role":"user","content":"Hi","name":"ann"},{"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function","function":{"name":"lookup","arguments":"{\"q\":\"weather in Paris\"}"}}]},{"role":"tool","tool_call_id":"c1","content":"sunny"}],"max_tokens":10,"max_completion_tokens":30}"#,
            #"{"model":"m/x","messages":[{"role":"user","content":[{"type":"text","text":"Describe this"},{"type":"text","text":"and this"}]}],"max_completion_tokens":7}"#,
        ]
        var withLimit = 0
        for (index, line) in lines.enumerated() {
            var bytes = Array(line.utf8)
            let job = try bytes.withUnsafeMutableBytes { try parser.parse(UnsafeRawBufferPointer($0), fallbackCustomID: "line-\(index)") }
            let fromBody = JobEstimate(requestBody: job.requestBody)
            #expect(job.estimate == fromBody, "line \(index): \(line)")
            if fromBody.maxCompletionTokens != nil { withLimit += 1 }
        }
        let mixed = try Array(lines[lines.count - 2].utf8).withUnsafeBytes { try parser.parse($0, fallbackCustomID: "x") }
        #expect(mixed.estimate.maxCompletionTokens == 30)
        #expect(mixed.estimate.promptTokens > 3 * JobEstimate.tokensPerMessage)
        #expect(withLimit >= 5)
    }

    /// The handler decodes a stored body that is not streamed only when its bytes name a
    /// response_format: for every form a job line can take, a request with one must be found.
    @Test func everyStoredResponseFormatIsFound() throws {
        let parser = JobLineParser(defaultModel: "openai/gpt-4o-mini")
        var withFormat = 0
        var withoutFormat = 0
        let lines = try Self.lines() + [
            #"{"model":"m/x","messages":[{"role":"user","content":"say \"response_format\" twice"}]}"#,
            #"{"model":"m/x","messages":[{"role":"user","content":"Hi"}],"response_format":{"type":"json_object"}}"#,
        ]
        for (index, line) in lines.enumerated() {
            var bytes = Array(line.utf8)
            let job = try bytes.withUnsafeMutableBytes { try parser.parse(UnsafeRawBufferPointer($0), fallbackCustomID: "line-\(index)") }
            let mentioned = OpenRouterJobHandler.mentionsResponseFormat(job.requestBody)
            if job.request.responseFormat != nil {
                #expect(mentioned, "line \(index): \(job.requestBody)")
                withFormat += 1
            } else {
                withoutFormat += 1
            }
            if mentioned {
                // Found when there is none only if the text says it; decoding then finds none.
                #expect(try OpenRouterJobHandler.storedRequest(job.requestBody).responseFormat == job.request.responseFormat)
            }
        }
        #expect(withFormat >= 3)
        #expect(withoutFormat >= 10)
        #expect(!OpenRouterJobHandler.mentionsResponseFormat(#"{"model":"m/x","messages":[]}"#))
        #expect(!OpenRouterJobHandler.mentionsResponseFormat(#""response_forma"#))
        // Found by each `_` (memchr) and a compare around it: at either end, after other `_`s.
        #expect(!OpenRouterJobHandler.mentionsResponseFormat(""))
        #expect(!OpenRouterJobHandler.mentionsResponseFormat("_"))
        #expect(OpenRouterJobHandler.mentionsResponseFormat(#""response_format""#))
        #expect(OpenRouterJobHandler.mentionsResponseFormat(#"{"max_tokens":1,"a_b":"x_y_z","response_format":{}}"#))
        #expect(OpenRouterJobHandler.mentionsResponseFormat(#"{"response_format":{},"max_tokens":1}"#))
        #expect(!OpenRouterJobHandler.mentionsResponseFormat(#"{"response_format_x":1,"response_formats":2,"_response_format":3}"#))
        #expect(!OpenRouterJobHandler.mentionsResponseFormat(#"{"response-format":1,"response_format"#))
    }
}
