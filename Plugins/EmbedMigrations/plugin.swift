import Foundation
import PackagePlugin

/// Runs MigrationsEmbedder over `<package root>/migrations/*.sql`, producing
/// `EmbeddedMigrations.swift` in the target being built.
///
/// The SQL is compiled into the binary (no `Bundle.module`), so a copied `promptbatch`
/// works from any directory. Every `.sql` file is an input, so editing one rebuilds.
@main
struct EmbedMigrations: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) async throws -> [Command] {
        let migrationsDirectory = context.package.directoryURL.appending(path: "migrations")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: migrationsDirectory.path)) ?? []
        let inputs = names
            .filter { $0.hasSuffix(".sql") }
            .sorted()
            .map { migrationsDirectory.appending(path: $0) }
        let output = context.pluginWorkDirectoryURL.appending(path: "EmbeddedMigrations.swift")
        return [
            .buildCommand(
                displayName: "Embedding \(inputs.count) SQL migration(s)",
                executable: try context.tool(named: "MigrationsEmbedder").url,
                arguments: [output.path] + inputs.map(\.path),
                inputFiles: inputs,
                outputFiles: [output]
            )
        ]
    }
}
