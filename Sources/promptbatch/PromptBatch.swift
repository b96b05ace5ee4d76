import ArgumentParser

@main
struct PromptBatch: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "promptbatch",
        abstract: "Run large batches of chat completions through OpenRouter, resumably, with usage and cost reports.",
        discussion: """
            Exit codes: 0 nothing in scope left failed or pending · 1 some jobs failed · 3 halted on a fatal error \
            (bad key, out of credits) · 64 usage · 65 bad input data · 78 configuration · 130 interrupted.
            """,
        version: "0.1.0",
        subcommands: [Submit.self, Estimate.self, Run.self, Resume.self, Status.self, Reconcile.self, Retry.self, Cancel.self, Report.self, Export.self, Models.self, Chat.self, Demo.self]
    )
}
