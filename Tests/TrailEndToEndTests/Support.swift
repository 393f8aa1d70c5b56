// Running the built `trail` binary on fixture trees, as a user would.

import Foundation
@testable import TrailCore

enum Binary {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    /// The `trail` built beside the tests (`swift test` builds every product of the package).
    static let trail: URL = {
        // Beside the test executable first (whatever --scratch-path or sanitizer build made it), then the usual places.
        let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("trail")
        let candidates = [beside] + [".build/debug/trail", ".build/release/trail"].map { packageRoot.appendingPathComponent($0) }
        if let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0.path) }) { return found }
        // Built by another path (a custom --scratch-path): build it here once.
        let build = Process()
        build.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        build.arguments = ["swift", "build", "--product", "trail"]
        build.currentDirectoryURL = packageRoot
        try? build.run()
        build.waitUntilExit()
        return candidates[0]
    }()
}

struct RunResult {
    var status: Int32
    var stdout: String
    var stderr: String
    var stdoutBytes: [UInt8]
}

/// Runs `trail` with arguments in a folder, with an environment of our own (no TRAIL_DB unless given).
@discardableResult
func trail(_ arguments: [String], in folder: URL, environment: [String: String] = [:], stdin: String? = nil) throws -> RunResult {
    let process = Process()
    process.executableURL = Binary.trail
    process.arguments = arguments
    process.currentDirectoryURL = folder
    var env = ProcessInfo.processInfo.environment
    env["TRAIL_DB"] = nil
    env["TRAIL_QUERIES"] = nil
    for (k, v) in environment { env[k] = v }
    process.environment = env
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    process.standardInput = FileHandle.nullDevice
    try process.run()
    // Read both pipes while the process runs, so a large output cannot block it. Each reader fills its
    // own box; the group's wait orders those writes before the reads below.
    let outData = Received(), errData = Received()
    let group = DispatchGroup()
    group.enter()
    DispatchQueue.global().async { outData.data = out.fileHandleForReading.readDataToEndOfFile(); group.leave() }
    group.enter()
    DispatchQueue.global().async { errData.data = err.fileHandleForReading.readDataToEndOfFile(); group.leave() }
    process.waitUntilExit()
    group.wait()
    return RunResult(status: process.terminationStatus, stdout: String(decoding: outData.data, as: UTF8.self),
                     stderr: String(decoding: errData.data, as: UTF8.self), stdoutBytes: Array(outData.data))
}

/// What one pipe delivered.
private final class Received: @unchecked Sendable {
    var data = Data()
}

/// A folder removed when the test ends.
final class Workspace {
    let url: URL
    init() {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("trail-e2e-\(UUID().uuidString)")
        try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(at: url) }

    @discardableResult
    func write(_ name: String, _ bytes: [UInt8]) throws -> URL {
        let file = url.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(bytes).write(to: file)
        return file
    }

    @discardableResult
    func write(_ name: String, _ text: String) throws -> URL { try write(name, Array(text.utf8)) }
}

/// NDJSON output as dictionaries.
func parseLines(_ text: String) throws -> [[String: Any]] {
    try text.split(separator: "\n").map { line in
        try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
    }
}


/// True when this test process runs under AddressSanitizer or ThreadSanitizer (`swift test --sanitize=…`).
let underSanitizer: Bool = {
    let handle = dlopen(nil, RTLD_NOW)
    defer { if let handle { dlclose(handle) } }
    return dlsym(handle, "__asan_init") != nil || dlsym(handle, "__tsan_init") != nil
}()
