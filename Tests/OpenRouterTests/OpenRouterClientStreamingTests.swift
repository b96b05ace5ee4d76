import Foundation
import OpenRouterSimulator
import Testing

@testable import OpenRouter

/// `chatStream` and `chatStreamCollected` against the simulator's SSE.
@Suite("OpenRouterClient streaming against the simulator")
struct OpenRouterClientStreamingTests {
    static let question = "What is the capital of France?"
    static let reply = TokenCounting.replyText(lastUserMessage: question)

    @Test func chunksArriveAndFoldIntoTheNonStreamedAnswer() async throws {
        try await Harness.run { h in
            let stream = try await h.client.chatStream(Harness.request(Self.question))
            var chunks: [ChatStreamChunk] = []
            for try await chunk in stream { chunks.append(chunk) }
            #expect(chunks.count >= 4)
            let text = chunks.compactMap { $0.choices.first?.delta.content }.joined()
            #expect(text == Self.reply)
            #expect(chunks.last?.choices.isEmpty == true)
            #expect(chunks.last?.usage != nil)
            #expect(chunks.allSatisfy { $0.id == stream.generationID })

            var accumulator = ChatStreamAccumulator()
            chunks.forEach { accumulator.add($0) }
            let folded = accumulator.response
            let whole = try await h.chat(Harness.request(Self.question))
            #expect(folded.content == whole.content)
            #expect(folded.choices.map(\.finishReason) == whole.choices.map(\.finishReason))
            #expect(folded.usage == whole.usage)
            #expect(folded.model == whole.model)
            #expect(folded.provider == whole.provider)
        }
    }

    @Test func theGenerationIDIsKnownBeforeTheFirstChunk() async throws {
        try await Harness.run { h in
            let stream = try await h.client.chatStream(Harness.request(Self.question))
            let generationID = try #require(stream.generationID)
            #expect(generationID.hasPrefix("gen-"))
            var iterator = stream.makeAsyncIterator()
            let first = try await iterator.next()
            #expect(first?.id == generationID)
            while try await iterator.next() != nil {}
        }
        // A stream that dies before its first chunk still told us its id: it came with the headers.
        try await Harness.run(configure: {
            $0.streamIdleTimeout = .milliseconds(300)
            $0.maxRetries = 0
        }) { h in
            let stream = try await h.client.chatStream(Harness.request(Self.question, fault: "trickle", trickleMs: 5000))
            let generationID = try #require(stream.generationID)
            var chunks = 0
            do {
                for try await _ in stream { chunks += 1 }
                Issue.record("expected the stream to time out")
            } catch let error as OpenRouterError {
                #expect(error.category == .timeout)
                #expect(error.generationID == generationID)
            } catch {
                Issue.record("expected an OpenRouterError, got \(error)")
            }
            #expect(chunks == 0)
            let generation = try await h.client.generation(id: generationID)
            #expect(generation.id == generationID)
            #expect(generation.totalCost != nil)
        }
    }

    @Test func chatStreamCollectedEqualsTheNonStreamedResponse() async throws {
        try await Harness.run { h in
            let collected = try await h.client.chatStreamCollected(Harness.request(Self.question))
            let whole = try await h.chat(Harness.request(Self.question))
            #expect(collected.content == Self.reply)
            #expect(collected.content == whole.content)
            #expect(collected.usage == whole.usage)
            #expect(collected.choices.first?.finishReason == .stop)
            #expect(collected.id.hasPrefix("gen-"))
            #expect(collected.json["object"] == "chat.completion")
            #expect(collected.json["choices"]?[0]?["message"]?["content"]?.stringValue == Self.reply)
        }
    }

    @Test func streamCollectReturnsTheSameAsChatStreamCollected() async throws {
        try await Harness.run { h in
            let stream = try await h.client.chatStream(Harness.request(Self.question))
            let collected = try await stream.collect()
            #expect(collected.content == Self.reply)
            #expect(collected.id == stream.generationID)
        }
    }

    @Test func streamingWorksWithCRLFLineEndings() async throws {
        var simulator = SimulatorConfiguration()
        simulator.crlfLineEndings = true
        try await Harness.run(simulator: simulator) { h in
            let collected = try await h.client.chatStreamCollected(Harness.request(Self.question))
            #expect(collected.content == Self.reply)
        }
    }

    @Test func aStreamedStructuredAnswerIsCheckedAgainstTheSchema() async throws {
        try await Harness.run { h in
            var request = Harness.request(Self.question)
            request.responseFormat = try .jsonSchema(name: "answer_schema", schema: ChatRequestTests.answerSchema)
            let collected = try await h.client.chatStreamCollected(request)
            #expect(collected.content == TokenCounting.minimalInstance(ofSchemaJSON: ChatRequestTests.answerSchema.serialized))
            request.extraFields = Harness.directive(fault: "schema_violation", key: "v")
            do throws(OpenRouterError) {
                let response = try await h.client.chatStreamCollected(request)
                Issue.record("expected a schema violation, got \(String(describing: response.content))")
            } catch {
                #expect(error.category == .schemaViolation)
                #expect(error.path == "$")
                #expect(h.count("v") == 1)
            }
        }
    }

    // MARK: Errors in a stream

    @Test func aMidStreamErrorEventIsATypedErrorCarryingThePartialContent() async throws {
        try await Harness.run { h in
            let stream = try await h.client.chatStream(Harness.request(Self.question, fault: "stream_error"))
            var received = ""
            do {
                for try await chunk in stream { received += chunk.choices.first?.delta.content ?? "" }
                Issue.record("expected the stream to fail")
            } catch let error as OpenRouterError {
                #expect(error.category == .server)
                #expect(error.statusCode == 200)
                #expect(error.errorCode == 502)
                #expect(error.message == "Provider disconnected")
                #expect(error.errorType == "provider_unavailable")
                #expect(error.generationID == stream.generationID)
                let partial = try #require(error.partialContent)
                #expect(partial == received)
                #expect(!partial.isEmpty)
                #expect(Self.reply.hasPrefix(partial) && partial != Self.reply)
            } catch {
                Issue.record("expected an OpenRouterError, got \(error)")
            }
        }
    }

    @Test func aMidStreamErrorIsRetriedByChatStreamCollected() async throws {
        try await Harness.run { h in
            let collected = try await h.client.chatStreamCollected(Harness.request(Self.question, fault: "stream_error", times: 1))
            #expect(collected.content == Self.reply)
            #expect(h.count() == 2)
            #expect(h.sleeps.items.count == 1)
        }
        try await Harness.run(configure: { $0.maxRetries = 0 }) { h in
            do throws(OpenRouterError) {
                let response = try await h.client.chatStreamCollected(Harness.request(Self.question, fault: "stream_error"))
                Issue.record("expected an error, got \(String(describing: response.content))")
            } catch {
                #expect(error.category == .server)
                #expect(error.partialContent.map { Self.reply.hasPrefix($0) && !$0.isEmpty } == true)
            }
        }
    }

    @Test func aStreamWithoutDoneIsAnInvalidResponse() async throws {
        try await Harness.run { h in
            do throws(OpenRouterError) {
                let response = try await h.client.chatStreamCollected(Harness.request(Self.question, fault: "no_done"))
                Issue.record("expected an error, got \(String(describing: response.content))")
            } catch {
                #expect(error.category == .invalidResponse)
                #expect(error.message == "the stream ended without [DONE]")
                #expect(error.partialContent == Self.reply)
                #expect(error.usage != nil)
                #expect(h.count() == 1)
            }
        }
    }

    @Test func aMalformedStreamEventIsAnInvalidResponse() async throws {
        try await Harness.run { h in
            do throws(OpenRouterError) {
                let response = try await h.client.chatStreamCollected(Harness.request(Self.question, fault: "malformed"))
                Issue.record("expected an error, got \(String(describing: response.content))")
            } catch {
                #expect(error.category == .invalidResponse)
                #expect(error.message.hasPrefix("malformed JSON in stream event") == true)
            }
        }
    }

    @Test(arguments: [("empty_choices", "the response's choices array is empty"), ("missing_choices", "the response's choices array is empty")])
    func aStreamWithoutChoicesIsAnInvalidResponse(fault: String, message: String) async throws {
        try await Harness.run { h in
            do throws(OpenRouterError) {
                let response = try await h.client.chatStreamCollected(Harness.request(Self.question, fault: fault))
                Issue.record("expected an error, got \(String(describing: response.content))")
            } catch {
                #expect(error.category == .invalidResponse)
                #expect(error.message == message)
            }
        }
    }

    @Test func anErrorEventInPlaceOfTheStreamIsTheCarriedError() async throws {
        try await Harness.run(configure: { $0.maxRetries = 0 }) { h in
            do throws(OpenRouterError) {
                let response = try await h.client.chatStreamCollected(Harness.request(Self.question, fault: "error_body"))
                Issue.record("expected an error, got \(String(describing: response.content))")
            } catch {
                #expect(error.category == .server)
                #expect(error.message == "Provider returned error")
                #expect(error.providerName == "SimProvider")
            }
        }
    }

    @Test func aStreamWithTheWrongContentTypeIsAnInvalidResponse() async throws {
        try await Harness.run { h in
            do throws(OpenRouterError) {
                let stream = try await h.client.chatStream(Harness.request(Self.question, fault: "wrong_content_type"))
                Issue.record("expected an error, got a stream \(String(describing: stream.generationID))")
            } catch {
                #expect(error.category == .invalidResponse)
                #expect(error.message == "expected an event stream, got Content-Type text/html; charset=utf-8")
            }
        }
    }

    @Test func aStreamOverTheSizeLimitIsAnInvalidResponse() async throws {
        try await Harness.run(configure: { $0.maxResponseBytes = 1 << 20 }) { h in
            do throws(OpenRouterError) {
                let response = try await h.client.chatStreamCollected(Harness.request(Self.question, fault: "huge_body"))
                Issue.record("expected an error, got \(response.content?.count ?? 0) characters")
            } catch {
                #expect(error.category == .invalidResponse)
                #expect(error.message.contains("larger than 1048576 bytes"))
            }
        }
    }

    @Test func statusErrorsBeforeTheStreamAreRetried() async throws {
        try await Harness.run { h in
            let stream = try await h.client.chatStream(Harness.request(Self.question, fault: "429", times: 2, retryAfter: "4"))
            let collected = try await stream.collect()
            #expect(collected.content == Self.reply)
            #expect(h.count() == 3)
            #expect(h.sleeps.items == [.seconds(4), .seconds(4)])
        }
    }

    @Test func aStatusErrorBeforeTheStreamIsThrownByChatStream() async throws {
        try await Harness.run { h in
            do throws(OpenRouterError) {
                let stream = try await h.client.chatStream(Harness.request(Self.question, fault: "401"))
                Issue.record("expected an error, got a stream \(String(describing: stream.generationID))")
            } catch {
                #expect(error.category == .auth)
                #expect(h.count() == 1)
            }
        }
    }

    @Test func aHangingStreamTimesOut() async throws {
        try await Harness.run(configure: {
            $0.timeout = .seconds(1)
            $0.maxRetries = 0
        }) { h in
            do throws(OpenRouterError) {
                let stream = try await h.client.chatStream(Harness.request(Self.question, fault: "hang"))
                Issue.record("expected a timeout, got a stream \(String(describing: stream.generationID))")
            } catch {
                #expect(error.category == .timeout)
            }
        }
    }

    @Test func aTricklingStreamHitsTheIdleTimeout() async throws {
        try await Harness.run(configure: {
            $0.streamIdleTimeout = .milliseconds(300)
            $0.maxRetries = 0
        }) { h in
            let start = ContinuousClock.now
            do throws(OpenRouterError) {
                let response = try await h.client.chatStreamCollected(Harness.request(Self.question, fault: "trickle", trickleMs: 2000))
                Issue.record("expected a timeout, got \(String(describing: response.content))")
            } catch {
                #expect(error.category == .timeout)
                #expect(error.message == "no data for 300 ms")
                #expect(error.generationID?.hasPrefix("gen-") == true)
            }
            // The whole trickled stream would take half an hour.
            #expect(ContinuousClock.now - start < .seconds(60))
        }
    }

    @Test func aStreamThatKeepsTricklingIsCutOffByTheWholeRequestDeadline() async throws {
        // A byte every 20 ms never trips the 10 s idle timeout; only the whole-request
        // deadline (which async-http-client's own timeout does not cover once headers came) can.
        // The stream is over 500 bytes (10 s at that pace); the deadline leaves its headers 5 s
        // to arrive, which a loaded machine needed (600 ms was sometimes too short).
        try await Harness.run(configure: {
            $0.timeout = .seconds(5)
            $0.streamIdleTimeout = .seconds(10)
            $0.maxRetries = 0
        }) { h in
            let start = ContinuousClock.now
            do throws(OpenRouterError) {
                let response = try await h.client.chatStreamCollected(Harness.request(Self.question, fault: "trickle", trickleMs: 20))
                Issue.record("expected a timeout, got \(String(describing: response.content))")
            } catch {
                #expect(error.category == .timeout)
                #expect(error.message == "no complete response within 5000 ms")
                #expect(error.generationID?.hasPrefix("gen-") == true)
            }
            #expect(ContinuousClock.now - start < .seconds(60))
        }
    }

    // MARK: Tools

    @Test func aStreamedToolCallIsAssembled() async throws {
        try await Harness.run { h in
            var request = Harness.request("Weather in Paris?")
            request.tools = [ChatRequestTests.weatherTool]
            request.toolChoice = .required
            let collected = try await h.client.chatStreamCollected(request)
            let whole = try await h.chat(request)
            let call = try #require(collected.choices.first?.message.toolCalls.first)
            #expect(call.name == "get_weather")
            #expect(call.arguments == TokenCounting.minimalInstance(ofSchemaJSON: ChatRequestTests.weatherTool.parameters.serialized))
            #expect(collected.choices.first?.finishReason == .toolCalls)
            #expect(collected.choices.first?.message.content == nil)
            #expect(collected.choices.first?.message.toolCalls.map(\.arguments) == whole.choices.first?.message.toolCalls.map(\.arguments))
            #expect(collected.choices.first?.message.toolCalls.map(\.name) == whole.choices.first?.message.toolCalls.map(\.name))
        }
    }

    // MARK: Reports and cancellation

    @Test func aStreamReportsItsAttemptsWhenItEnds() async throws {
        try await Harness.run { h in
            let attempts = h.attempts
            let stream = try await h.client.chatStream(Harness.request(Self.question, fault: "503", times: 1)) { attempts.append($0) }
            let collected = try await stream.collect()
            var reports = attempts.items
            for _ in 0..<100 where reports.count < 2 {
                try await Task.sleep(for: .milliseconds(10))
                reports = attempts.items
            }
            try #require(reports.count == 2)
            #expect(reports[0].attempt == 1)
            #expect(reports[0].statusCode == 503)
            #expect(reports[0].category == .server)
            #expect(reports[0].willRetry)
            #expect(reports[1].attempt == 2)
            #expect(reports[1].statusCode == 200)
            #expect(reports[1].error == nil)
            #expect(reports[1].generationID == stream.generationID)
            #expect(reports[1].usage == collected.usage)
            #expect(reports[1].usage != nil)
        }
    }

    @Test func aFailedStreamReportsItsError() async throws {
        try await Harness.run { h in
            let attempts = h.attempts
            let stream = try await h.client.chatStream(Harness.request(Self.question, fault: "no_done")) { attempts.append($0) }
            _ = try? await stream.collect()
            var reports = attempts.items
            for _ in 0..<100 where reports.isEmpty {
                try await Task.sleep(for: .milliseconds(10))
                reports = attempts.items
            }
            let report = try #require(reports.first)
            #expect(report.category == .invalidResponse)
            #expect(report.usage != nil)
            #expect(report.generationID == stream.generationID)
        }
    }

    @Test func cancellingAStreamingConsumerClosesTheConnection() async throws {
        try await Harness.run { h in
            // One byte every 5 ms: the first chunk comes after about 250 bytes, the end of the
            // stream after about 1,700, so the server would stay busy for 7 s or more after it.
            let stream = try await h.client.chatStream(Harness.request(Self.question, fault: "trickle", trickleMs: 5))
            #expect(h.sim.stats().inFlight == 1)
            let (chunkSignals, signal) = AsyncStream.makeStream(of: Void.self)
            let consumer = Task {
                defer { signal.finish() }
                for try await _ in stream { signal.yield() }
            }
            var signals = chunkSignals.makeAsyncIterator()
            guard await signals.next() != nil else {
                Issue.record("the stream ended before its first chunk: \(await consumer.result)")
                return
            }
            consumer.cancel()
            let cancelledAt = ContinuousClock.now
            while h.sim.stats().inFlight > 0, ContinuousClock.now - cancelledAt < .seconds(4) {
                try await Task.sleep(for: .milliseconds(10))
            }
            #expect(h.sim.stats().inFlight == 0)
            #expect(ContinuousClock.now - cancelledAt < .seconds(4))
            _ = await consumer.result
        }
    }

    @Test func aStreamHoldsOneOfTheClientsRequestSlotsUntilItEnds() async throws {
        try await Harness.run(configure: { $0.maxConcurrentRequests = 1 }) { h in
            let stream = try await h.client.chatStream(Harness.request(Self.question))
            _ = try await stream.collect()
            // The slot was released: a second request gets through.
            let response = try await h.chat(Harness.request(Self.question))
            #expect(response.content == Self.reply)
        }
    }
}
