// Hundreds of corrupted variants of real files, each imported beside a good file: never a crash or a
// hang, a clear error naming the bad file, the good file always stored.

import Foundation
import Testing
import TrailFixtures
@testable import TrailCore

@Suite struct MutationTests {
    /// The real files the variants start from: gzip, compact, pretty, JSON Lines and bare arrays.
    static let sources = [
        "cloud-snitch/222222222222_CloudTrail_us-east-1_20250306T0230Z_QF6qcgyiaVnSueXa.json.gz",
        "trailscraper/111111111111_CloudTrail_eu-central-1_20171211T1505Z_A6kvhMoVeCsc7v8U.json.gz",
        "criblpacks/650992545562_CloudTrail_us-west-2_20220103T1925Z_zZkLYsSYAKTE1wX9.json",
        "stratus-red-team/aws.persistence.sts-federation-token.json",
        "cloud-snitch/aws_cloudtrail_test.go.inline-records.json",
    ]

    struct Variant {
        var name: String
        var bytes: [UInt8]
    }

    static func variants() throws -> [Variant] {
        var rng = SeededRandom(seed: 2026)
        var out: [Variant] = []
        for (s, source) in sources.enumerated() {
            let original = try Fixtures.bytes("real-logs/" + source)
            let isGzip = original.starts(with: [0x1f, 0x8b])
            let plain: [UInt8]
            if isGzip {
                let reader = try GzipReader(path: Fixtures.realLogs.appendingPathComponent(source).path)
                var all: [UInt8] = []
                var chunk = [UInt8](repeating: 0, count: 65536)
                while true {
                    let n = try chunk.withUnsafeMutableBytes { try reader.read(into: $0) }
                    if n == 0 { break }
                    all += chunk[0..<n]
                }
                plain = all
            } else {
                plain = original
            }
            // Bit flips in the compressed bytes.
            let compressed = isGzip ? original : GzipWriter.compress(plain)
            for i in 0..<30 {
                var b = compressed
                for _ in 0...rng.int(0...3) {
                    let at = rng.int(0...(b.count - 1))
                    b[at] ^= UInt8(1 << rng.int(0...7))
                }
                out.append(Variant(name: "s\(s)-gzflip\(i).json.gz", bytes: b))
            }
            // Truncations, of the gzip and of the JSON.
            for i in 0..<10 {
                out.append(Variant(name: "s\(s)-gzcut\(i).json.gz", bytes: Array(compressed.prefix(rng.int(0...(compressed.count - 1))))))
                out.append(Variant(name: "s\(s)-cut\(i).json", bytes: Array(plain.prefix(rng.int(0...(plain.count - 1))))))
            }
            // Flipped, inserted and deleted bytes in the JSON.
            for i in 0..<20 {
                var b = plain
                let at = rng.int(0...(b.count - 1))
                switch i % 3 {
                case 0: b[at] ^= UInt8(1 << rng.int(0...7))
                case 1: b.insert(rng.pick([0x22, 0x5C, 0x7B, 0x7D, 0x5B, 0x5D, 0x2C, 0x3A, 0x00, 0xFF]), at: at)
                default: b.remove(at: at)
                }
                out.append(Variant(name: "s\(s)-byte\(i).json", bytes: b))
            }
            // Invalid UTF-8 and NUL bytes inside strings.
            for (i, junk) in [[0xC3, 0x28], [0xED, 0xA0, 0x80], [0xF8, 0x88, 0x80, 0x80], [0x00], [0xFF, 0xFE]].enumerated() {
                var b = plain
                if let quote = b.indices.dropFirst(b.count / 2).first(where: { b[$0] == 0x22 }) {
                    b.insert(contentsOf: junk.map(UInt8.init), at: quote + 1)
                }
                out.append(Variant(name: "s\(s)-utf8\(i).json", bytes: b))
            }
        }
        // A 20 MB string, nesting 100,000 deep, and other shapes.
        out.append(Variant(name: "huge-string.json", bytes: Array(#"{"Records":[{"eventID":"h","userAgent":""#.utf8)
                           + [UInt8](repeating: 0x61, count: 20 << 20) + Array(#""}]}"#.utf8)))
        out.append(Variant(name: "deep.json", bytes: Array(#"{"Records":[{"eventID":"d","requestParameters":"#.utf8)
                           + [UInt8](repeating: 0x5B, count: 100_000) + [UInt8](repeating: 0x5D, count: 100_000) + Array("}]}".utf8)))
        out.append(Variant(name: "deep-objects.json", bytes: Array(String(repeating: #"{"a":"#, count: 100_000).utf8)))
        out.append(Variant(name: "nul.json", bytes: [UInt8](repeating: 0, count: 4096)))
        out.append(Variant(name: "binary.gz", bytes: (0..<65536).map { _ in UInt8(truncatingIfNeeded: rng.next()) }))
        return out
    }

    @Test func corruptedFilesNeverCrashHangOrLoseTheGoodFile() throws {
        let t = try TestStore()
        let all = try Self.variants()
        #expect(all.count == 380)
        var failures = 0
        for (i, variant) in all.enumerated() {
            let folder = TemporaryFolder()
            let good = #"{"Records":[{"eventVersion":"1.08","eventID":"good-\#(i)","eventTime":"2026-11-01T00:00:00Z","eventName":"ListBuckets"}]}"#
            try folder.write("good-\(i).json", good)
            let bad = try folder.write(variant.name, variant.bytes)
            var errors: [InputError] = []
            let started = Date()
            let summary = try Importer(store: t.store).run(paths: [folder.path], report: { errors.append($0) })
            #expect(Date().timeIntervalSince(started) < 30, "\(variant.name) took too long")
            #expect(summary.failed == errors.count)
            #expect(summary.failed <= 1, "\(variant.name)")
            for error in errors {
                failures += 1
                #expect(error.path == bad, "\(variant.name): \(error)")
                #expect(error.description.hasPrefix(bad + ": "), "\(error)")
                #expect(!error.description.contains("\n"))
            }
            let stored = try t.timeline().contains { $0["event_id"]?.string == "good-\(i)" }
            #expect(stored, "the good file beside \(variant.name) was not stored")
        }
        // Most variants are broken; a few flips land in places that leave the JSON valid.
        #expect(failures > all.count / 2)
        // The store is still consistent: every session and query answers.
        for name in BuiltinQueries.all.keys.sorted() where name != "who" && name != "what" {
            _ = try t.query(name)
        }
    }
}
