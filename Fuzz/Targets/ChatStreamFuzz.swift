// Fuzz target `chat-stream`: a streamed completion as the client reads it — SSE events,
// each `data` parsed as JSON into a ChatStreamChunk, folded by ChatStreamAccumulator.
//
// The input is an event stream. Unlike the client, a bad event is skipped rather than ending
// the stream, so one input reaches further. Invariants:
// - nothing traps, whatever the chunks hold (errors carried in a chunk included);
// - the folded response's JSON serialises and parses back to an equal value;
// - `ChatResponse(json:)` on the folded JSON — what `ChatStream.collect()` returns — gives the
//   fold's own response, or fails only as the whole-response path would: no choices, or a
//   choice that finished with `error`;
// - the fold's content is the first (lowest-index) choice's content deltas joined.

@testable import OpenRouter

func fuzz(_ input: UnsafeRawBufferPointer) {
    var decoder = ServerSentEventDecoder(maximumEventBytes: 1 << 20)
    let events: [ServerSentEvent]
    do {
        events = try decoder.decode(input)
    } catch {
        return
    }

    var accumulator = ChatStreamAccumulator()
    var contentByChoice: [Int: String] = [:]
    for event in events where event.data != "[DONE]" {
        guard let json = try? JSONValue(parsing: event.data) else { continue }
        let chunk: ChatStreamChunk
        do {
            chunk = try ChatStreamChunk(json: json)
        } catch {
            expect(!error.description.isEmpty, "an error without a description")
            continue
        }
        accumulator.add(chunk)
        for choice in chunk.choices {
            contentByChoice[choice.index, default: ""] += choice.delta.content ?? ""
        }
    }

    let response = accumulator.response
    // "First choice" is the lowest index, as in the folded response's `choices`.
    let expectedContent = contentByChoice.min { $0.key < $1.key }?.value ?? ""
    expect(accumulator.content == expectedContent, "content \(accumulator.content.debugDescription) is not the first choice's deltas joined, \(expectedContent.debugDescription)")

    let text = response.json.serialized
    let reparsed: JSONValue
    do {
        reparsed = try JSONValue(parsing: text)
    } catch {
        expect(false, "the folded JSON does not parse: \(error) in \(text)")
        return
    }
    expect(reparsed == response.json, "the folded JSON changed in a round trip: \(text)")

    do {
        let decoded = try ChatResponse(json: reparsed)
        expect(decoded == response, "decoding the folded JSON gives another response\n  decoded: \(decoded)\n  folded:  \(response)")
    } catch {
        let isExpected = response.choices.isEmpty || response.choices.contains { $0.finishReason == .error }
        expect(isExpected, "the folded JSON does not decode: \(error) in \(text)")
    }
}
