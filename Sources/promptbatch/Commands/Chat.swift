import ArgumentParser
import Foundation
import OpenRouter

struct Chat: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Send one prompt and stream the answer to stdout.")

    @OptionGroup var options: GlobalOptions

    @Option(help: "The model (env OPENROUTER_MODEL).")
    var model: String?

    @Option(help: "A system message.")
    var system: String?

    @Option(help: "A file holding a bare JSON Schema the answer must match.")
    var jsonSchema: String?

    @Flag(help: "Wait for the whole answer instead of streaming it.")
    var noStream = false

    @Argument(help: "The prompt.")
    var prompt: String

    func run() async throws {
        try await reportingFailures {
            let logger = options.makeLogger()
            var configuration = options.clientConfiguration()
            configuration.defaultModel = GlobalOptions.environment["OPENROUTER_MODEL"]
            let client = try options.makeClient(configuration, logger: logger)
            var request = ChatRequest(messages: (system.map { [Message.system($0)] } ?? []) + [.user(prompt)], model: model)
            if let jsonSchema {
                guard let data = FileManager.default.contents(atPath: jsonSchema) else {
                    throw Failure(.dataError, "\(jsonSchema): cannot read the schema file")
                }
                do {
                    let schema = try JSONValue(parsing: Array(data))
                    request.responseFormat = try .jsonSchema(name: "answer", schema: schema, strict: true)
                } catch let error as OpenRouterError {
                    throw Failure(.dataError, "\(jsonSchema): \(error.message)")
                } catch {
                    throw Failure(.dataError, "\(jsonSchema): not valid JSON: \(error)")
                }
            }
            do {
                if noStream || request.responseFormat != nil {
                    let response = try await client.chat(request)
                    Terminal.output((response.content ?? response.choices.first?.message.toolCalls.map { "\($0.name)(\($0.arguments))" }.joined(separator: "\n") ?? "") + "\n")
                } else {
                    for try await chunk in try await client.chatStream(request) {
                        if let text = chunk.choices.first?.delta.content, !text.isEmpty { Terminal.output(text) }
                    }
                    Terminal.output("\n")
                }
            } catch let error as OpenRouterError {
                switch error.category {
                case .validation: throw Failure(.dataError, error.description)
                case .config: throw Failure(.configuration, error.description)
                default: throw Failure(error.isFatal ? .halted : .other, error.description)
                }
            }
        }
    }
}
