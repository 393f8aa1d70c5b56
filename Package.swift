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
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
            ],
            swiftSettings: [.unsafeFlags(["-Ounchecked"], .when(configuration: .release))]),
        .executableTarget(
            name: "trail",
            dependencies: [
                "TrailCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        .executableTarget(
            name: "trail-bench",
            dependencies: ["TrailCore"],
            path: "Benchmarks/trail-bench"),
        .executableTarget(
            name: "trail-samplegen",
            dependencies: ["TrailCore"],
            path: "Benchmarks/trail-samplegen"),
        .testTarget(
            name: "TrailCoreTests",
            dependencies: ["TrailCore"],
            exclude: ["Fixtures"]),
        .testTarget(
            name: "TrailEndToEndTests",
            dependencies: ["TrailCore"],
            exclude: ["Fixtures"]),
    ],
    swiftLanguageModes: [.v5]
)
