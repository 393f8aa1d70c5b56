// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "trail",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "trail", targets: ["trail"]),
        .library(name: "TrailCore", targets: ["TrailCore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CZlib",
            path: "Sources/CZlib",
            providers: [.apt(["zlib1g-dev"])]),
        .target(
            name: "TrailCore",
            dependencies: [
                "CZlib",
                "CTrailSupport",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
            ],
            swiftSettings: [.unsafeFlags(["-Ounchecked"], .when(configuration: .release))]),
        .target(
            name: "CTrailSupport",
            path: "Sources/CTrailSupport",
            linkerSettings: [.linkedLibrary("sqlite3"), .linkedLibrary("z")]),
        .executableTarget(
            name: "trail",
            dependencies: [
                "TrailCore",
                "CTrailSupport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "GRDB", package: "GRDB.swift"),
            ]),
        .target(
            name: "TrailFixtures",
            dependencies: ["TrailCore", "CZlib"]),
        .executableTarget(
            name: "trail-bench",
            dependencies: ["TrailCore", "TrailFixtures"],
            path: "Benchmarks/trail-bench"),
        .executableTarget(
            name: "trail-samplegen",
            dependencies: ["TrailCore", "TrailFixtures"],
            path: "Benchmarks/trail-samplegen"),
        .testTarget(
            name: "TrailCoreTests",
            dependencies: ["TrailCore", "TrailFixtures", .product(name: "GRDB", package: "GRDB.swift")],
            exclude: ["Fixtures"]),
        .testTarget(
            name: "TrailEndToEndTests",
            dependencies: ["TrailCore", "TrailFixtures"]),
    ],
    swiftLanguageModes: [.v5]
)
