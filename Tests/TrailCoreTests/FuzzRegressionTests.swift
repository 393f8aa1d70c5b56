// Replays the inputs kept in Fuzz/regressions/ (fuzzer findings once fixed, and hand-made edge cases)
// through the code each fuzz target drives: none may crash or hang.

import Foundation
import Testing
@testable import TrailCore

@Suite struct FuzzRegressionTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fuzz/regressions")

    static func inputs(_ target: String) -> [String] {
        let folder = root.appendingPathComponent(target)
        return ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).sorted()
            .map { folder.appendingPathComponent($0).path }
    }

    @Test func everyTargetHasRegressions() {
        for target in ["gzip", "json", "framer", "decoder"] { #expect(!Self.inputs(target).isEmpty, "\(target)") }
    }

    @Test(arguments: inputs("gzip"))
    func gzipInputs(_ path: String) throws {
        guard let reader = try? GzipReader(path: path, inputSize: 64) else { return }
        var buffer = [UInt8](repeating: 0, count: 1000)
        var total = 0
        while let n = try? buffer.withUnsafeMutableBytes({ try reader.read(into: $0) }), n > 0, total < 64 << 20 { total += n }
    }

    @Test(arguments: inputs("json"))
    func jsonInputs(_ path: String) throws {
        let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
        _ = try? bytes.withUnsafeBytes { try JSONCursor.validateDocument($0) }
    }

    @Test(arguments: inputs("framer"))
    func framerInputs(_ path: String) throws {
        let data = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
        guard let first = data.first else { return }
        let reader = RecordReader(source: MemorySource(Array(data.dropFirst()), chunkSize: Int(first % 64) + 1),
                                  path: path, maxRecordSize: 1 << 16, chunkSize: 64)
        var count = 0
        while (try? reader.next()) != nil, count < 100_000 { count += 1 }
    }

    @Test(arguments: inputs("decoder"))
    func decoderInputs(_ path: String) throws {
        var bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
        bytes.withUnsafeMutableBufferPointer { b in
            guard let base = b.baseAddress else { return }
            var c = JSONCursor(base: UnsafePointer(base), count: b.count, isFinal: true)
            if let decoded = try? RecordDecoder.decode(&c), let arn = decoded.userIdentity.arn {
                _ = (ARN.account(arn), ARN.roleName(arn), ARN.sessionName(arn), IdentityRules.ownAttribution(decoded))
            }
        }
    }
}
