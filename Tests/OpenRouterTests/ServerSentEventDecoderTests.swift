import OpenRouter
import Testing

// Only the public API is used, so these also run under `swift test -c release`,
// where the throughput figure printed by the last suite means something.

@Suite("ServerSentEventDecoder")
struct ServerSentEventDecoderTests {

    // MARK: OpenRouter traffic, any split

    @Test("An OpenRouter stream decodes to the same events whatever byte it is split at", arguments: ["\n", "\r\n", "\r"])
    func openRouterStreamSplitAtEveryByteBoundary(lineEnding: String) throws {
        let stream = Fixtures.openRouterStream(lineEnding: lineEnding)
        let expected = Fixtures.openRouterEvents
        for split in 0...stream.count {
            var decoder = ServerSentEventDecoder()
            var events = try decoder.decode(stream[..<split])
            events += try decoder.decode(stream[split...])
            events += decoder.finish()
            #expect(events == expected, "split at byte \(split)")
            #expect(decoder.commentCount == 2, "split at byte \(split)")
            #expect(!decoder.hasPartialEvent, "split at byte \(split)")
        }
    }

    @Test("An OpenRouter stream fed one byte at a time yields the same events", arguments: ["\n", "\r\n", "\r"])
    func openRouterStreamOneByteAtATime(lineEnding: String) throws {
        var decoder = ServerSentEventDecoder()
        var events: [ServerSentEvent] = []
        for byte in Fixtures.openRouterStream(lineEnding: lineEnding) {
            events += try decoder.decode(CollectionOfOne(byte))
        }
        events += decoder.finish()
        #expect(events == Fixtures.openRouterEvents)
        #expect(events.last?.data == "[DONE]")
        #expect(decoder.commentCount == 2)
        #expect(!decoder.hasPartialEvent)
    }

    @Test("Random chunkings of a stream with mixed line endings all agree")
    func randomChunkingsAgree() throws {
        let stream = Array(
            ("\u{FEFF}: hi\r\nevent: a\rdata: 1\r\ndata: é😀\n\r"
                + "id: 9\nretry: 10\r\ndata\r\n\r\n:\r\r\ndata: [DONE]\n\n").utf8
        )
        let expected = try decodeWhole(stream)
        #expect(expected.count == 3)
        var random = SeededGenerator(seed: 0x5EED)
        for _ in 0..<500 {
            var decoder = ServerSentEventDecoder()
            var events: [ServerSentEvent] = []
            var start = 0
            while start < stream.count {
                let end = min(stream.count, start + Int.random(in: 0...12, using: &random))
                events += try decoder.decode(stream[start..<end])
                start = end
            }
            events += decoder.finish()
            #expect(events == expected)
        }
    }

    // MARK: Line endings

    @Test("CRLF line endings end lines")
    func crlfLineEndings() throws {
        #expect(try decodeWhole("data: a\r\ndata: b\r\n\r\n") == [event("a\nb")])
    }

    @Test("CR-only line endings end lines")
    func crOnlyLineEndings() throws {
        #expect(try decodeWhole("data: a\rdata: b\r\rdata: c\r\r") == [event("a\nb"), event("c")])
    }

    @Test("Mixed line endings: LF then CR is two endings, CR then LF is one")
    func mixedLineEndings() throws {
        let events = try decodeWhole("data: a\r\ndata: b\rdata: c\n\r\ndata: d\n\rdata: e\r\n\n")
        #expect(events == [event("a\nb\nc"), event("d"), event("e")])
    }

    @Test("A CR ending one chunk and an LF starting the next are one line ending")
    func crAndLFSplitAcrossChunksAreOneLineEnding() throws {
        // Were the LF a second ending, "a" would be dispatched on its own.
        #expect(try decodeChunks(["data: a\r", "\ndata: b\r", "\n\r", "\n"]) == [event("a\nb")])
        // An empty chunk between them changes nothing.
        #expect(try decodeChunks(["data: a\r", "", "\n", "\n"]) == [event("a")])
    }

    @Test("A CR ending a chunk followed by another byte is still a line ending")
    func crAtChunkEndFollowedByOtherByte() throws {
        #expect(try decodeChunks(["data: a\r", "data: b\r", "\r"]) == [event("a\nb")])
    }

    @Test("A CR-terminated empty line dispatches at once, without waiting for a possible LF")
    func crDispatchesImmediately() throws {
        var decoder = ServerSentEventDecoder()
        #expect(try decoder.decode(Array("data: a\r\r".utf8)) == [event("a")])
        #expect(try decoder.decode(Array("\ndata: b\n\n".utf8)) == [event("b")])
    }

    // MARK: Fields

    @Test("Several data lines are joined with LF")
    func multiLineData() throws {
        let events = try decodeWhole("data: {\ndata:   \"a\": 1\ndata: }\n\n")
        #expect(events == [event("{\n  \"a\": 1\n}")])
    }

    @Test("An empty data line still makes an event, with empty data")
    func emptyDataLines() throws {
        #expect(try decodeWhole("data:\n\n") == [event("")])
        #expect(try decodeWhole("data\ndata\n\n") == [event("\n")])
        #expect(try decodeWhole("data: \n\n") == [event("")])
    }

    @Test("Comment-only blocks are counted and produce no event")
    func commentOnlyBlocksProduceNoEvent() throws {
        var decoder = ServerSentEventDecoder()
        let events = try decoder.decode(Array(": OPENROUTER PROCESSING\n\n:\n: x\n\n\n".utf8))
        #expect(events.isEmpty)
        #expect(decoder.commentCount == 3)
        #expect(!decoder.hasPartialEvent)
    }

    @Test("A comment inside an event is skipped without splitting it")
    func commentInsideEvent() throws {
        #expect(try decodeWhole("data: a\n: keep-alive\ndata: b\n\n") == [event("a\nb")])
    }

    @Test("event, id and retry fields are reported on their event only")
    func eventIDAndRetryFields() throws {
        var decoder = ServerSentEventDecoder()
        let events = try decoder.decode(
            Array("event: delta\nid: 7\nretry: 1500\ndata: x\n\ndata: y\n\n".utf8)
        )
        #expect(events == [
            ServerSentEvent(event: "delta", data: "x", id: "7", retry: 1500),
            ServerSentEvent(data: "y"),
        ])
        // The spec keeps these for the connection, beyond the event.
        #expect(decoder.lastEventID == "7")
        #expect(decoder.reconnectionTime == 1500)
    }

    @Test("A block with event but no data dispatches nothing and its type does not leak")
    func eventWithoutDataIsNotDispatched() throws {
        var decoder = ServerSentEventDecoder()
        let events = try decoder.decode(Array("event: ping\nid: 3\nretry: 20\n\ndata: x\n\n".utf8))
        #expect(events == [event("x")])
        #expect(decoder.lastEventID == "3")
        #expect(decoder.reconnectionTime == 20)
    }

    @Test("An empty event field means the default type")
    func emptyEventField() throws {
        #expect(try decodeWhole("event:\ndata: x\n\n") == [event("x")])
    }

    @Test("An id containing NUL is ignored; an empty id resets the last event ID")
    func idRules() throws {
        var decoder = ServerSentEventDecoder()
        var events = try decoder.decode(Array("id: 1\ndata: a\n\nid: 2\u{0}x\ndata: b\n\n".utf8))
        #expect(events == [ServerSentEvent(data: "a", id: "1"), event("b")])
        #expect(decoder.lastEventID == "1")
        events = try decoder.decode(Array("id\ndata: c\n\n".utf8))
        #expect(events == [ServerSentEvent(data: "c", id: "")])
        #expect(decoder.lastEventID == "")
    }

    @Test("retry is used only when it is all ASCII digits", arguments: ["12a", "-5", "", "  5", "1.5", "99999999999999999999999"])
    func invalidRetryIsIgnored(value: String) throws {
        var decoder = ServerSentEventDecoder()
        let events = try decoder.decode(Array("retry:\(value)\ndata: x\n\n".utf8))
        #expect(events == [event("x")])
        #expect(decoder.reconnectionTime == nil)
    }

    @Test("Only one space after the colon is stripped, and none is required")
    func spaceAfterColon() throws {
        #expect(try decodeWhole("data:x\n\n") == [event("x")])
        #expect(try decodeWhole("data:  x\n\n") == [event(" x")])
        #expect(try decodeWhole("data: x \n\n") == [event("x ")])
        #expect(try decodeWhole("data: a:b: c\n\n") == [event("a:b: c")])
        #expect(try decodeWhole("event:delta\ndata:x\n\n") == [ServerSentEvent(event: "delta", data: "x")])
    }

    @Test("A line without a colon is a field with an empty value")
    func lineWithoutColon() throws {
        #expect(try decodeWhole("data\n\n") == [event("")])
        #expect(try decodeWhole("event\ndata: x\n\n") == [event("x")])
    }

    @Test("Unknown and differently-cased fields are ignored")
    func unknownFieldsAreIgnored() throws {
        #expect(try decodeWhole("foo: bar\nDATA: no\nData: no\ndata: x\nx\n\n") == [event("x")])
        #expect(try decodeWhole("Data: no\n\n").isEmpty)
    }

    // MARK: Byte order mark

    @Test("A UTF-8 BOM at the very start is skipped, even when split")
    func byteOrderMarkIsSkipped() throws {
        #expect(try decodeWhole("\u{FEFF}data: x\n\n") == [event("x")])
        #expect(try decodeChunks(["\u{FEFF}".utf8.prefix(1), "\u{FEFF}".utf8.dropFirst(1).prefix(1), "\u{FEFF}".utf8.suffix(1), Substring("data: x\n\n").utf8[...]].map { Array($0) }) == [event("x")])
    }

    @Test("Only one BOM, and only at the start, is skipped")
    func onlyLeadingByteOrderMarkIsSkipped() throws {
        // The second BOM becomes part of the field name, an unknown field.
        #expect(try decodeWhole("\u{FEFF}\u{FEFF}data: x\n\n").isEmpty)
        #expect(try decodeWhole("data: \u{FEFF}x\n\n") == [event("\u{FEFF}x")])
    }

    // MARK: End of stream

    @Test("An unterminated final event is discarded and reported as partial")
    func unterminatedFinalEvent() throws {
        var decoder = ServerSentEventDecoder()
        #expect(try decoder.decode(Array("data: a\n\ndata: [DONE]".utf8)) == [event("a")])
        #expect(decoder.hasPartialEvent)
        #expect(decoder.finish().isEmpty)
        #expect(decoder.hasPartialEvent)
    }

    @Test("A final event missing only its empty line is discarded and reported as partial")
    func finalEventWithoutEmptyLine() throws {
        var decoder = ServerSentEventDecoder()
        #expect(try decoder.decode(Array("data: a\n\ndata: [DONE]\n".utf8)) == [event("a")])
        #expect(decoder.finish().isEmpty)
        #expect(decoder.hasPartialEvent)
    }

    @Test("A stream ending after whole events, comments or empty blocks is not partial", arguments: [
        "data: a\n\n", "data: a\n\n: keep-alive\n", "event: x\n\n", "\n\n", "data: a\r\r", "",
    ])
    func completeStreamIsNotPartial(stream: String) throws {
        var decoder = ServerSentEventDecoder()
        _ = try decoder.decode(Array(stream.utf8))
        #expect(decoder.finish().isEmpty)
        #expect(!decoder.hasPartialEvent)
    }

    @Test("After finish the decoder starts a new stream")
    func decoderIsReusableAfterFinish() throws {
        var decoder = ServerSentEventDecoder()
        _ = try decoder.decode(Array("id: 5\ndata: trunc".utf8))
        _ = decoder.finish()
        #expect(decoder.hasPartialEvent)
        // The discarded "trunc" must not leak, and a new BOM is accepted.
        #expect(try decoder.decode(Array("\u{FEFF}data: b\n\n".utf8)) == [event("b")])
        #expect(!decoder.hasPartialEvent)
        #expect(decoder.lastEventID == "5")
    }

    // MARK: Limits and errors

    @Test("An event larger than the limit throws, whether its line is complete or not")
    func sizeLimitThrows() throws {
        let big = String(repeating: "x", count: 100)
        var decoder = ServerSentEventDecoder(maximumEventBytes: 64)
        let error = #expect(throws: ServerSentEventDecoder.Error.self) {
            _ = try decoder.decode(Array("data: ok\n\ndata: \(big)\n\n".utf8))
        }
        #expect(error?.code == .eventTooLarge)
        #expect(error?.limit == 64)
        #expect(error?.byteOffset == 10)
        // The decoder stays failed rather than resuming mid-event.
        let failure = try #require(error)
        #expect(throws: failure) { _ = try decoder.decode([0x0A]) }

        // Byte by byte, it throws as soon as the limit is crossed, not at the LF.
        var trickled = ServerSentEventDecoder(maximumEventBytes: 64)
        var accepted = 0
        #expect(throws: ServerSentEventDecoder.Error.self) {
            for byte in "data: \(big)".utf8 {
                _ = try trickled.decode(CollectionOfOne(byte))
                accepted += 1
            }
        }
        #expect(accepted == 64)
    }

    @Test("A comment longer than the limit throws, whether its line ending comes in the same chunk or later")
    func sizeLimitCountsCommentLines() throws {
        // Found by the sse-decoder fuzzer: fed byte by byte, the unterminated keep-alive outgrew
        // the limit and threw, while the same stream in one piece passed.
        let stream = Array(": OPENROUTER PROCESSING\ndata: x\n\n".utf8)
        var whole = ServerSentEventDecoder(maximumEventBytes: 11)
        let inOnePiece = #expect(throws: ServerSentEventDecoder.Error.self) { _ = try whole.decode(stream) }
        var trickled = ServerSentEventDecoder(maximumEventBytes: 11)
        let byteByByte = #expect(throws: ServerSentEventDecoder.Error.self) {
            for byte in stream { _ = try trickled.decode(CollectionOfOne(byte)) }
        }
        #expect(inOnePiece == .eventTooLarge(limit: 11, byteOffset: 0))
        #expect(byteByByte == inOnePiece)

        // A comment inside an event counts on top of the event's field lines, as it did while
        // unterminated.
        var inside = ServerSentEventDecoder(maximumEventBytes: 12)
        let error = #expect(throws: ServerSentEventDecoder.Error.self) {
            _ = try inside.decode(Array("data: 12345\n: 123\n\n".utf8))
        }
        #expect(error == .eventTooLarge(limit: 12, byteOffset: 12))
    }

    @Test("Many small data lines count toward the limit of their event")
    func sizeLimitCountsWholeEvent() throws {
        var decoder = ServerSentEventDecoder(maximumEventBytes: 64)
        let error = #expect(throws: ServerSentEventDecoder.Error.self) {
            _ = try decoder.decode(Array(String(repeating: "data: 0123456789\n", count: 5).utf8))
        }
        #expect(error?.code == .eventTooLarge)
    }

    @Test("An event of exactly the limit, and endless comments, are accepted")
    func sizeLimitBoundary() throws {
        var decoder = ServerSentEventDecoder(maximumEventBytes: 16)
        let payload = String(repeating: "y", count: 10)
        #expect(try decoder.decode(Array("data: \(payload)\n\n".utf8)) == [event(payload)])
        for _ in 0..<1_000 {
            #expect(try decoder.decode(Array(": 0123456789\n".utf8)).isEmpty)
        }
        #expect(decoder.commentCount == 1_000)
    }

    @Test("After a size error, finish makes the decoder usable again")
    func finishClearsFailure() throws {
        var decoder = ServerSentEventDecoder(maximumEventBytes: 8)
        #expect(throws: ServerSentEventDecoder.Error.self) {
            _ = try decoder.decode(Array("data: 0123456789\n\n".utf8))
        }
        _ = decoder.finish()
        #expect(try decoder.decode(Array("data: ok\n\n".utf8)) == [event("ok")])
    }

    @Test("A completed line that is not valid UTF-8 throws; an incomplete one waits")
    func invalidUTF8Throws() throws {
        var decoder = ServerSentEventDecoder()
        #expect(try decoder.decode(Array("data: ok\n\n".utf8) + [0x64, 0x61, 0x74, 0x61, 0x3A, 0xFF]).count == 1)
        let error = #expect(throws: ServerSentEventDecoder.Error.self) {
            _ = try decoder.decode([0x0A])
        }
        #expect(error == .invalidUTF8(byteOffset: 10))

        for line: [UInt8] in [[0x3A, 0xC0, 0x80], [0x69, 0x64, 0x3A, 0xED, 0xA0, 0x80], [0x78, 0xFE]] {
            var other = ServerSentEventDecoder()
            #expect(throws: ServerSentEventDecoder.Error.self, "\(line)") {
                _ = try other.decode(line + [0x0A])
            }
        }
    }

    @Test("UTF-8 validation agrees with the standard library on random bytes")
    func utf8ValidationMatchesStandardLibrary() throws {
        let interesting: [UInt8] = [
            0x00, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC1, 0xC2, 0xDF,
            0xE0, 0xE1, 0xEC, 0xED, 0xEE, 0xEF, 0xF0, 0xF1, 0xF3, 0xF4, 0xF5, 0xF8, 0xFF,
        ]
        var random = SeededGenerator(seed: 42)
        var valid = 0
        for round in 0..<20_000 {
            let length = Int.random(in: 1...12, using: &random)
            let payload = (0..<length).map { _ in interesting.randomElement(using: &random)! }
            // Decoding repairs invalid input, so only valid input survives the round trip.
            let decoded = String(decoding: payload, as: UTF8.self)
            let isValid = Array(decoded.utf8) == payload
            var decoder = ServerSentEventDecoder()
            let input = Array("data: ".utf8) + payload + [0x0A, 0x0A]
            if isValid {
                valid += 1
                #expect(try decoder.decode(input) == [event(decoded)], "round \(round): \(payload)")
            } else {
                #expect(throws: ServerSentEventDecoder.Error.invalidUTF8(byteOffset: 0), "round \(round): \(payload)") {
                    _ = try decoder.decode(input)
                }
            }
        }
        #expect(valid > 100)
    }

    // MARK: Volume

    @Test("A single large event fed one byte at a time decodes in linear time")
    func largeEventByteByByte() throws {
        // Quadratic rescanning would make this take minutes, not milliseconds.
        let payload = String(repeating: "abcdefgh", count: 32 * 1024)
        var decoder = ServerSentEventDecoder()
        var events: [ServerSentEvent] = []
        for byte in "data: \(payload)\n\n".utf8 {
            events += try decoder.decode(CollectionOfOne(byte))
        }
        #expect(events == [event(payload)])
    }

    @Test("10,000 OpenRouter-shaped events decode correctly (prints MB/s)")
    func bigStreamThroughput() throws {
        let stream = Fixtures.bigStream(events: 10_000)
        let chunkSize = 16 * 1024
        let clock = ContinuousClock()
        var best = Duration.seconds(1_000)
        for _ in 0..<5 {
            var decoder = ServerSentEventDecoder()
            var count = 0
            var last: ServerSentEvent?
            var digest = 0
            let elapsed = try clock.measure {
                var start = 0
                while start < stream.count {
                    let end = min(stream.count, start + chunkSize)
                    for event in try decoder.decode(stream[start..<end]) {
                        count += 1
                        digest &+= event.data.utf8.count
                        last = event
                    }
                    start = end
                }
                _ = decoder.finish()
            }
            best = min(best, elapsed)
            #expect(count == 10_001)
            #expect(last == event("[DONE]"))
            #expect(decoder.commentCount == 100)
            #expect(!decoder.hasPartialEvent)
            #expect(digest > stream.count / 2)
        }
        let seconds = Double(best.components.seconds) + Double(best.components.attoseconds) / 1e18
        let megabytesPerSecond = Double(stream.count) / seconds / 1_000_000
        print("ServerSentEventDecoder: \(stream.count) bytes, 10,001 events in \(best) → \(Int(megabytesPerSecond)) MB/s (16 KiB chunks)")
    }
}

// MARK: - Helpers

private func event(_ data: String) -> ServerSentEvent { ServerSentEvent(data: data) }

private func decodeWhole(_ stream: String) throws -> [ServerSentEvent] {
    try decodeWhole(Array(stream.utf8))
}

private func decodeWhole(_ stream: [UInt8]) throws -> [ServerSentEvent] {
    var decoder = ServerSentEventDecoder()
    return try decoder.decode(stream) + decoder.finish()
}

private func decodeChunks(_ chunks: [String]) throws -> [ServerSentEvent] {
    try decodeChunks(chunks.map { Array($0.utf8) })
}

private func decodeChunks(_ chunks: [[UInt8]]) throws -> [ServerSentEvent] {
    var decoder = ServerSentEventDecoder()
    var events: [ServerSentEvent] = []
    for chunk in chunks { events += try decoder.decode(chunk) }
    return events + decoder.finish()
}


private enum Fixtures {
    static func chunk(_ index: Int, content: String, finishReason: String = "null") -> String {
        #"{"id":"gen-1712345678-abcdef","provider":"OpenAI","model":"openai/gpt-4o-mini","object":"chat.completion.chunk","created":1712345678,"choices":[{"index":0,"delta":{"role":"assistant","content":"\#(content)"},"finish_reason":\#(finishReason),"native_finish_reason":\#(finishReason),"logprobs":null}],"system_fingerprint":"fp_\#(index)"}"#
    }

    static let usage = #"{"id":"gen-1712345678-abcdef","provider":"OpenAI","model":"openai/gpt-4o-mini","object":"chat.completion.chunk","created":1712345678,"choices":[],"usage":{"prompt_tokens":12,"completion_tokens":5,"total_tokens":17,"cost":0.0000123}}"#

    /// Multi-byte characters put UTF-8 sequences across many split points.
    static let contents = ["Bon", "jour, ", "café ", "😀", " — fin"]

    static var openRouterEvents: [ServerSentEvent] {
        var events = contents.enumerated().map { ServerSentEvent(data: chunk($0.offset, content: $0.element)) }
        events.append(ServerSentEvent(data: chunk(9, content: "", finishReason: #""stop""#)))
        events.append(ServerSentEvent(data: usage))
        events.append(ServerSentEvent(data: "[DONE]"))
        return events
    }

    static func openRouterStream(lineEnding eol: String) -> [UInt8] {
        var text = ": OPENROUTER PROCESSING\(eol)\(eol)"
        for (index, event) in openRouterEvents.enumerated() {
            if index == 2 { text += ": OPENROUTER PROCESSING\(eol)\(eol)" }
            text += "data: \(event.data)\(eol)\(eol)"
        }
        return Array(text.utf8)
    }

    /// 10,000 content chunks (a comment every 100), then `[DONE]`.
    static func bigStream(events: Int) -> [UInt8] {
        var text = ""
        let words = ["The ", "quick ", "brown ", "fox ", "jumps ", "over ", "the ", "lazy ", "dog. ", "Ça ", "va ", "très ", "bien ", "😀 "]
        for index in 0..<events {
            if index % 100 == 0 { text += ": OPENROUTER PROCESSING\n\n" }
            let content = String(repeating: words[index % words.count], count: 1 + index % 7)
            text += "data: \(chunk(index, content: content))\n\n"
        }
        text += "data: [DONE]\n\n"
        return Array(text.utf8)
    }
}
