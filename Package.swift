// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "promptbatch",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "OpenRouter", targets: ["OpenRouter"]),
        .library(name: "OpenRouterSimulator", targets: ["OpenRouterSimulator"]),
        .library(name: "PromptBatchKit", targets: ["PromptBatchKit"]),
        .executable(name: "promptbatch", targets: ["promptbatch"]),
        .executable(name: "openrouter-sim", targets: ["openrouter-sim"]),
        .executable(name: "promptbatch-bench", targets: ["promptbatch-bench"]),
        .executable(name: "promptbatch-torture", targets: ["promptbatch-torture"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", exact: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", exact: "1.16.2"),
        .package(url: "https://github.com/swift-server/async-http-client", exact: "1.37.0"),
        .package(url: "https://github.com/groue/GRDB.swift", exact: "7.10.0"),
        // Both already built for async-http-client; named here for the client's own HTTP/1.1
        // connections (HTTP1ConnectionPool), which would otherwise import them unnamed.
        .package(url: "https://github.com/apple/swift-nio", exact: "2.101.3"),
        .package(url: "https://github.com/apple/swift-nio-ssl", exact: "2.37.6"),
        // Already built for async-http-client's TLS (via swift-certificates); named here for SHA-256.
        .package(url: "https://github.com/apple/swift-crypto", exact: "4.5.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", exact: "2.28.1"),
        .package(url: "https://github.com/apple/swift-metrics", exact: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", exact: "2.4.1"),
    ],
    targets: [
        // The OpenRouter client: knows HTTP and JSON, nothing of SQLite.
        .target(
            name: "OpenRouter",
            dependencies: [
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]
        ),
        // A local OpenRouter for tests, the demo and the benchmarks.
        .target(
            name: "OpenRouterSimulator",
            dependencies: [
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "openrouter-sim",
            dependencies: [
                "OpenRouterSimulator",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // Turns migrations/*.sql into Swift source at build time.
        .executableTarget(name: "MigrationsEmbedder"),
        .plugin(
            name: "EmbedMigrations",
            capability: .buildTool(),
            dependencies: ["MigrationsEmbedder"]
        ),
        // The queue, ingestion, runner and reports. Runs any JobHandler.
        // sqlite3_config, which is variadic and so out of Swift's reach.
        .target(
            name: "CSQLiteSettings",
            linkerSettings: [.linkedLibrary("sqlite3")]
        ),
        .target(
            name: "PromptBatchKit",
            dependencies: [
                "OpenRouter",
                "CSQLiteSettings",
                .product(name: "GRDB", package: "GRDB.swift"),
                // SQLite's C API, for the one statement a submit runs a million times.
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            plugins: ["EmbedMigrations"]
        ),
        .executableTarget(
            name: "promptbatch",
            dependencies: [
                "PromptBatchKit",
                "OpenRouter",
                "OpenRouterSimulator",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        // scripts/bench: drives the release promptbatch against openrouter-sim as child processes.
        .executableTarget(
            name: "promptbatch-bench",
            dependencies: [
                "OpenRouter",
                "OpenRouterSimulator",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),
        // Crash torture: real runner processes interrupted against a faulty simulator, checked
        // from outside with plain SQL (it does not use PromptBatchKit, the code it checks).
        .target(
            name: "PromptBatchTorture",
            dependencies: [
                "OpenRouterSimulator",
                .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),
        // scripts/torture
        .executableTarget(
            name: "promptbatch-torture",
            dependencies: [
                "PromptBatchTorture",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(
            name: "OpenRouterTests",
            dependencies: [
                "OpenRouter", "OpenRouterSimulator",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]
        ),
        .testTarget(
            name: "OpenRouterSimulatorTests",
            dependencies: [
                "OpenRouterSimulator",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ]
        ),
        .testTarget(
            name: "PromptBatchTests",
            dependencies: [
                "PromptBatchKit", "OpenRouter", "OpenRouterSimulator", "PromptBatchTorture",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
