// Fuzz target `sse-decoder`: ServerSentEventDecoder.
//
// The input is a raw event stream. It is decoded in one piece, one byte at a time and in
// chunks of input-derived sizes, each with the default limit and with a tiny one, and:
// - every split gives the same events, the same error and the same decoder state
//   (a failing split may lose the events completed in the call that threw, as documented);
// - a decoder reused after `finish()` decodes the stream the same way again;
// - with the default limit, the result equals a plain reading of the WHATWG algorithm
//   written out below, which works on whole lines and shares no code with the decoder.

import OpenRouter

struct DecodeOutcome: Equatable, CustomStringConvertible {
    var events: [ServerSentEvent] = []
    var error: ServerSentEventDecoder.Error?
    var lastEventID: String?
    var reconnectionTime: Int?
    var commentCount = 0
    var hasPartialEvent = false

    var description: String {
        "events: \(events), error: \(error.map(String.init(describing:)) ?? "none"), lastEventID: \(lastEventID ?? "nil"), "
            + "reconnectionTime: \(reconnectionTime.map(String.init) ?? "nil"), comments: \(commentCount), partial: \(hasPartialEvent)"
    }
}

func decode(_ input: UnsafeRawBufferPointer, chunks: [Range<Int>], into decoder: inout ServerSentEventDecoder) -> DecodeOutcome {
    var outcome = DecodeOutcome()
    do {
        for chunk in chunks {
            outcome.events += try decoder.decode(input[chunk])
        }
        _ = decoder.finish()
    } catch {
        outcome.error = error
        // A failed decoder keeps failing with the same error until finish().
        do {
            _ = try decoder.decode([0x0A])
            expect(false, "decode after a failure did not throw")
        } catch let again {
            expect(again == error, "decode after a failure threw \(again), not \(error)")
        }
        _ = decoder.finish()
    }
    outcome.lastEventID = decoder.lastEventID
    outcome.reconnectionTime = decoder.reconnectionTime
    outcome.commentCount = decoder.commentCount
    outcome.hasPartialEvent = decoder.hasPartialEvent
    return outcome
}

func fuzz(_ input: UnsafeRawBufferPointer) {
    var random = InputDerivedGenerator(seededBy: input)
    let whole = [0..<input.count]
    let bytewise = (0..<input.count).map { $0..<($0 + 1) }
    let limits = [16 * 1024 * 1024, Int.random(in: 1...48, using: &random)]

    for limit in limits {
        var decoder = ServerSentEventDecoder(maximumEventBytes: limit)
        // One byte at a time is the reference: a call then completes at most one line, so
        // no event is lost to a throw.
        let reference = decode(input, chunks: bytewise, into: &decoder)
        check(reference, limit: limit)

        var wholeDecoder = ServerSentEventDecoder(maximumEventBytes: limit)
        let inOnePiece = decode(input, chunks: whole, into: &wholeDecoder)
        compare(inOnePiece, to: reference, how: "in one piece", limit: limit)

        // Short chunks meet line endings and the BOM at their edges, long ones hold several
        // lines; one chunking per input keeps the target fast, the fuzzer varies the rest.
        var chunkDecoder = ServerSentEventDecoder(maximumEventBytes: limit)
        let chunks = random.chunks(of: input.count, maximumLength: [2, 7, 64].randomElement(using: &random)!)
        let chunked = decode(input, chunks: chunks, into: &chunkDecoder)
        compare(chunked, to: reference, how: "in chunks \(chunks)", limit: limit)

        // After finish() the decoder starts a new stream; the connection's state carries over.
        let again = decode(input, chunks: whole, into: &wholeDecoder)
        expect(again.error == inOnePiece.error, "a reused decoder failed differently: \(again) vs \(inOnePiece)")
        if inOnePiece.error == nil {
            expect(again.events == inOnePiece.events, "a reused decoder decoded differently: \(again) vs \(inOnePiece)")
            expect(again.commentCount == 2 * inOnePiece.commentCount, "comment count does not accumulate: \(again)")
            expect(again.lastEventID == inOnePiece.lastEventID, "last event id differs on reuse: \(again)")
            expect(again.reconnectionTime == inOnePiece.reconnectionTime, "reconnection time differs on reuse: \(again)")
        }

        if limit == limits[0] {
            let expected = referenceDecode(input)
            expect(reference == expected, "decoder and specification disagree\n  decoder: \(reference)\n  spec:    \(expected)")
        }
    }
}

/// What every outcome must satisfy on its own.
func check(_ outcome: DecodeOutcome, limit: Int) {
    for event in outcome.events {
        expect(!event.data.utf8.contains(0x0D), "a CR inside data: \(event)")
        expect(!(event.event ?? "").utf8.contains(where: { $0 == 0x0A || $0 == 0x0D }), "a line break inside event: \(event)")
        expect(!(event.id ?? "").utf8.contains(where: { $0 == 0x0A || $0 == 0x0D || $0 == 0 }), "a line break or NUL inside id: \(event)")
        expect(event.event != "", "an empty event type is reported as \"\" rather than nil")
        expect(event.data.utf8.count <= limit, "an event larger than the limit \(limit): \(event)")
    }
    if let error = outcome.error, error.code == .eventTooLarge {
        expect(error.limit == limit, "eventTooLarge names limit \(error.limit.map(String.init) ?? "nil"), not \(limit)")
    }
}

func compare(_ outcome: DecodeOutcome, to reference: DecodeOutcome, how: String, limit: Int) {
    check(outcome, limit: limit)
    let context = "decoding \(how) with limit \(limit)\n  got:      \(outcome)\n  expected: \(reference)"
    expect(outcome.error == reference.error, "a different error " + context)
    if reference.error == nil {
        expect(outcome == reference, "a different result " + context)
    } else {
        // Events completed in the call that threw are lost with the throw.
        expect(reference.events.starts(with: outcome.events), "events that the reference did not produce " + context)
    }
}

// MARK: - The specification, plainly

/// HTML §9.2.6 "Interpreting an event stream", line by line, plus the decoder's documented
/// additions: strict UTF-8 per completed line, `id` on the event only when its block had one,
/// `retry` on the event, comments counted, `hasPartialEvent`. No size limit.
func referenceDecode(_ input: UnsafeRawBufferPointer) -> DecodeOutcome {
    let bytes = Array(input)
    var start = 0
    if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { start = 3 }

    var outcome = DecodeOutcome()
    var data: String?
    var eventType = ""
    var blockID: String?
    var blockRetry: Int?
    var blockHasFields = false

    var lineStart = start
    var index = start
    while index < bytes.count {
        let byte = bytes[index]
        guard byte == 0x0A || byte == 0x0D else {
            index += 1
            continue
        }
        let lineBytes = bytes[lineStart..<index]
        index += 1
        if byte == 0x0D, index < bytes.count, bytes[index] == 0x0A { index += 1 }
        defer { lineStart = index }

        guard let line = String(validating: lineBytes, as: UTF8.self) else {
            outcome.error = .invalidUTF8(byteOffset: lineStart)
            outcome.hasPartialEvent = true
            return outcome
        }
        let utf8 = Array(line.utf8)
        if utf8.isEmpty {
            if let data {
                outcome.events.append(ServerSentEvent(event: eventType.isEmpty ? nil : eventType, data: data, id: blockID, retry: blockRetry))
            }
            data = nil
            eventType = ""
            blockID = nil
            blockRetry = nil
            blockHasFields = false
            continue
        }
        if utf8[0] == 0x3A {
            outcome.commentCount += 1
            continue
        }
        blockHasFields = true
        let field: [UInt8]
        var value: [UInt8]
        if let colon = utf8.firstIndex(of: 0x3A) {
            field = Array(utf8[..<colon])
            value = Array(utf8[(colon + 1)...])
            if value.first == 0x20 { value.removeFirst() }
        } else {
            field = utf8
            value = []
        }
        let text = String(decoding: value, as: UTF8.self)
        switch field {
        case Array("data".utf8):
            data = data.map { $0 + "\n" + text } ?? text
        case Array("event".utf8):
            eventType = text
        case Array("id".utf8) where !value.contains(0):
            blockID = text
            outcome.lastEventID = text
        case Array("retry".utf8) where !value.isEmpty && value.allSatisfy({ (0x30...0x39).contains($0) }):
            if let milliseconds = Int(text) {
                blockRetry = milliseconds
                outcome.reconnectionTime = milliseconds
            }
        default:
            break
        }
    }
    outcome.hasPartialEvent = blockHasFields || lineStart < bytes.count
    return outcome
}
