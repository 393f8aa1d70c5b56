// Helpers shared by the suites: fixture paths, temporary folders, gzip of test data.

import Foundation
import Testing
import TrailFixtures
@testable import TrailCore

enum Fixtures {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
    static var realLogs: URL { root.appendingPathComponent("real-logs") }
    static var jsonTestSuite: URL { root.appendingPathComponent("JSONTestSuite/test_parsing") }

    static func bytes(_ path: String) throws -> [UInt8] {
        Array(try Data(contentsOf: root.appendingPathComponent(path)))
    }
}

/// A folder removed when the test ends.
final class TemporaryFolder {
    let url: URL
    var path: String { url.path }

    init() {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("trail-test-\(UUID().uuidString)")
        try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    @discardableResult
    func write(_ name: String, _ bytes: [UInt8]) throws -> String {
        let file = url.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(bytes).write(to: file)
        return file.path
    }

    @discardableResult
    func write(_ name: String, _ text: String) throws -> String {
        try write(name, Array(text.utf8))
    }
}

/// Gzip through the system's gzip, so the reader is tested against a writer it did not make.
func gzip(_ bytes: [UInt8]) throws -> [UInt8] {
    let folder = TemporaryFolder()
    let path = try folder.write("data", bytes)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/gzip")
    process.arguments = ["-n", "-f", path]
    try process.run()
    process.waitUntilExit()
    return Array(try Data(contentsOf: URL(fileURLWithPath: path + ".gz")))
}

/// All the records of a byte stream, read with chunks of the given size.
func readRecords(_ bytes: [UInt8], chunkSize: Int = 1 << 20, maxRecordSize: Int = 16 << 20,
                 readerChunk: Int = RecordReader.defaultChunk) throws -> (records: [FramedRecord], digests: Int) {
    let reader = RecordReader(source: MemorySource(bytes, chunkSize: chunkSize), path: "test.json",
                              maxRecordSize: maxRecordSize, chunkSize: readerChunk)
    var out: [FramedRecord] = []
    while let r = try reader.next() { out.append(r) }
    return (out, reader.digestCount)
}

/// Every record of a file on disk (gzip or plain).
func readFile(_ path: String) throws -> [FramedRecord] {
    let reader = RecordReader(source: try GzipReader(path: path), path: path)
    var out: [FramedRecord] = []
    while let r = try reader.next() { out.append(r) }
    return out
}

/// A fresh store in a temporary folder, with helpers to import and to ask the saved queries.
final class TestStore {
    let folder = TemporaryFolder()
    let store: Store

    /// `prepare` may write the store file first, e.g. in an older schema.
    init(prepare: ((String) throws -> Void)? = nil) throws {
        let path = folder.url.appendingPathComponent("test.db").path
        try prepare?(path)
        store = try Store(path: path)
    }

    @discardableResult
    func importPaths(_ paths: [String]) throws -> ImportSummary {
        var errors: [InputError] = []
        let summary = try Importer(store: store).run(paths: paths, report: { errors.append($0) })
        return summary
    }

    func realLogs(_ names: String...) throws {
        try importPaths(names.map { Fixtures.realLogs.appendingPathComponent($0).path })
    }

    func query(_ name: String, _ filters: Filters = Filters()) throws -> [[String: Cell]] {
        let sink = CollectingSink()
        try QueryRunner(store: store).run(sql: SavedQueries.builtin(name).sql, parameters: filters.parameters, into: sink)
        return sink.records
    }

    func timeline(_ filters: Filters = Filters()) throws -> [[String: Cell]] { try query("timeline", filters) }

    /// The timeline row of one event.
    func event(_ id: String) throws -> [String: Cell] {
        try timeline().first { $0["event_id"] == .text(id) }!
    }
}

extension Cell {
    var string: String? { if case .text(let s) = self { return s } else { return nil } }
    var integer: Int64? { if case .int(let v) = self { return v } else { return nil } }
    var strings: [String] { if case .list(let v) = self { return v } else { return [] } }
}

/// Expects two lists of lines (two ways of computing the same rows) to hold the same lines, naming a few
/// that differ.
func expectSameLines(_ a: [String], _ b: [String], sourceLocation: SourceLocation = #_sourceLocation) {
    let differing = Set(a).symmetricDifference(Set(b)).sorted()
    #expect(a.count == b.count && differing.isEmpty, "\(a.count) and \(b.count) lines, \(differing.count) differ: \(differing.prefix(4))",
            sourceLocation: sourceLocation)
}

/// Two crafted minting records, each minting the other's session (a cycle no real trail holds): the
/// sessions `a` and `c`, written by `builder`.
func mintingCycle(_ builder: TrailBuilder, _ a: Credentials, _ c: Credentials) -> [String] {
    [(a, c), (c, a)].map { minter, minted in
        builder.assumeRole(time: 1_800_000_000, caller: .session(minter), roleArn: minted.roleArn, sessionName: minted.sessionName, ip: "x")
        return builder.removeLastRecord().text.replacingOccurrences(
            of: #""accessKeyId":"ASIA[A-Z2-7]{16}","sessionToken""#, with: "\"accessKeyId\":\"\(minted.key)\",\"sessionToken\"",
            options: .regularExpression)
    }
}
