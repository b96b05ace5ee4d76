// Fuzz target `job-line`: JobLineParser.parse(_:fallbackCustomID:), with and without a
// default model.
//
// The input is one line of a job file. Invariants, for every accepted line:
// - what is enqueued is what the runner can send: the stored body parses, is an object, reads
//   back (`ChatRequest(wire:)`, as OpenRouterJobHandler does) to the same request, and that
//   request passes validation;
// - the stored body is the request's own wire form, so storing is a fixed point;
// - the model, custom id and stream flag stored beside it agree with it.
// A refused line has a message to print after `FILE:LINE: `, on one line, free of control
// characters.

import OpenRouter
import PromptBatchKit

let fallbackCustomID = "fuzz.jsonl:1"

func fuzz(_ input: UnsafeRawBufferPointer) {
    for defaultModel in [nil, "openai/gpt-4o-mini"] {
        let parser = JobLineParser(defaultModel: defaultModel)
        let job: JobLine
        do {
            job = try parser.parse(input, fallbackCustomID: fallbackCustomID)
        } catch {
            expect(!error.message.isEmpty, "a refusal without a message")
            // It is printed after `FILE:LINE: `: one line, and nothing the terminal would act on.
            expect(!error.message.unicodeScalars.contains { $0.properties.generalCategory == .control },
                   "a refusal message holds a control character: \(error.message.debugDescription)")
            continue
        }

        expect(!job.customID.isEmpty, "an empty custom_id was accepted")
        expect(job.customID == fallbackCustomID || job.customID.utf8.count <= parser.maximumCustomIDBytes,
               "custom_id longer than \(parser.maximumCustomIDBytes) bytes was accepted")

        let stored: JSONValue
        do {
            stored = try JSONValue(parsing: job.requestBody)
        } catch {
            expect(false, "the stored body does not parse: \(error) in \(job.requestBody)")
            return
        }
        guard case .object(let body) = stored else {
            expect(false, "the stored body is not an object: \(job.requestBody)")
            return
        }
        let request: ChatRequest
        do {
            request = try ChatRequest(wire: body)
        } catch {
            expect(false, "the runner cannot read the stored body: \(error) in \(job.requestBody)")
            return
        }
        expect(request == job.request, "the stored body reads back as another request: \(job.requestBody)\n  stored: \(request)\n  parsed: \(job.request)")
        do {
            try request.validate()
        } catch {
            expect(false, "the stored request fails validation: \(error) in \(job.requestBody)")
        }
        expect(request.wireBody().serialized == job.requestBody, "storing is not a fixed point: \(job.requestBody) then \(request.wireBody().serialized)")
        expect(job.model == request.model && !job.model.isEmpty, "stored model \(job.model.debugDescription) is not the request's \(String(describing: request.model))")
        expect(job.isStream == request.stream, "stored stream flag \(job.isStream) is not the request's")
        if defaultModel == nil {
            expect(body["model"] != nil, "a line without a model was accepted with no default model")
        }
    }
}
