import ArgumentParser
import Foundation
import OpenRouter
import PromptBatchKit

struct Models: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List models with prices per 1M tokens (cached in the database).")

    @OptionGroup var options: GlobalOptions

    @Flag(help: "Fetch the list again instead of using the cache.")
    var refresh = false

    func run() async throws {
        try await reportingFailures {
            let logger = options.makeLogger()
            let store = try options.openStore()
            var models = try store.cachedModels()
            if refresh || models.isEmpty {
                let client = try options.makeClient(options.clientConfiguration(), logger: logger)
                do {
                    try store.saveModels(try await client.models(refresh: true))
                } catch let error as OpenRouterError {
                    throw Failure(error.isFatal ? .halted : .other, "cannot fetch models: \(error)")
                }
                models = try store.cachedModels()
            }
            var output = "model\tprompt_usd_per_1m\tcompletion_usd_per_1m\tcontext_length\n"
            for model in models {
                output += "\(model.id)\t\(model.promptPerMillion?.plainString ?? "?")\t\(model.completionPerMillion?.plainString ?? "?")\t\(model.contextLength.map(String.init) ?? "?")\n"
            }
            Terminal.output(output)
        }
    }
}
