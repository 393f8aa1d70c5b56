// The streaming gzip reader: members, plain input, and every way a gzip file can be broken.

import Foundation
import Testing
import CZlib
import CTrailSupport
@testable import TrailCore

@Suite struct GzipReaderTests {
    func readAll(_ path: String, chunk: Int = 7919) throws -> [UInt8] {
        let reader = try GzipReader(path: path, inputSize: 4096)
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: chunk)
        while true {
            let n = try buffer.withUnsafeMutableBytes { try reader.read(into: $0) }
            if n == 0 { break }
            out += buffer[0..<n]
        }
        return out
    }

    func sample(_ size: Int) -> [UInt8] {
        var x: UInt32 = 12345
        return (0..<size).map { _ in
            x = x &* 1103515245 &+ 12345
            return UInt8(ascii: "a") + UInt8((x >> 16) % 26)
        }
    }

    @Test func aGzipFileInflatesToItsContent() throws {
        let folder = TemporaryFolder()
        let data = sample(300_000)
        let path = try folder.write("a.gz", try gzip(data))
        #expect(try readAll(path) == data)
    }

    @Test func concatenatedMembersAreReadInOrder() throws {
        let folder = TemporaryFolder()
        let a = sample(70_000), b = Array("second member".utf8), c = sample(5)
        let path = try folder.write("m.gz", try gzip(a) + gzip(b) + gzip(c))
        #expect(try readAll(path) == a + b + c)
    }

    @Test func plainInputPassesThroughWhateverItsName() throws {
        let folder = TemporaryFolder()
        let data = sample(10_000)
        let path = try folder.write("plain.json.gz", data)
        let reader = try GzipReader(path: path)
        #expect(!reader.isGzip)
        #expect(try readAll(path) == data)
    }

    @Test func anEmptyFileReadsAsNothing() throws {
        let folder = TemporaryFolder()
        let path = try folder.write("empty.gz", [UInt8]())
        #expect(try readAll(path).isEmpty)
    }

    @Test func aTruncatedFileIsAnErrorWithTheCompressedOffset() throws {
        let folder = TemporaryFolder()
        let full = try gzip(sample(100_000))
        let path = try folder.write("t.gz", Array(full.prefix(full.count / 2)))
        do {
            _ = try readAll(path)
            Issue.record("no error")
        } catch let error as InputError {
            #expect(error.code == .truncated)
            #expect(error.location?.space == .compressed)
            #expect(error.description.contains("t.gz"))
        }
    }

    @Test func aBadChecksumOrLengthIsAnErrorAtTheTrailerInEveryMember() throws {
        let folder = TemporaryFolder()
        let first = try gzip(sample(70_000))
        for (member, position) in [(0, 6), (0, 2), (1, 6), (1, 2)] {
            // Byte 6 from the end is in the CRC-32, byte 2 in the length; in the first member or the second.
            var members = [first, try gzip(sample(1000))]
            members[member][members[member].count - position] ^= 0x01
            let path = try folder.write("crc-\(member)-\(position).gz", members[0] + members[1])
            for chunk in [1, 7919, 1 << 20] {
                do {
                    _ = try readAll(path, chunk: chunk)
                    Issue.record("no error: member \(member), byte -\(position)")
                } catch let error as InputError {
                    #expect(error.code == .corruptGzip)
                    #expect(error.description.contains(position == 6 ? "incorrect data check" : "incorrect length check"))
                    let trailer = (member == 0 ? first.count : members[0].count + members[1].count) - 8
                    #expect(error.location?.offset == trailer + (position == 6 ? 0 : 4))
                }
            }
        }
    }

    @Test func theCRCFoldsWhereTheProcessorCan() throws {
        // On Linux x86-64 the kernel lists the instructions the folding needs.
        guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let flags = info.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) else { return }
        let words = Set(flags.split(separator: " ").map(String.init))
        #if arch(x86_64)
        #expect(trail_crc32_folds() == (words.contains("pclmulqdq") && words.contains("sse4_1") ? 1 : 0))
        #else
        #expect(trail_crc32_folds() == 0)
        #endif
    }

    @Test func theCRCMatchesZlibsForEveryLengthAndAlignment() {
        let data = sample(1 << 20)
        data.withUnsafeBufferPointer { b in
            var lengths = Array(0...300) + [1023, 1024, 1025, 4096 + 13, 65_536, 65_536 + 63]
            lengths.append(b.count - 15)
            for length in lengths {
                for offset in [0, 1, 7, 8, 15] where offset + length <= b.count {
                    let p = b.baseAddress! + offset
                    let zlib = UInt32(crc32(0, p, UInt32(length)))
                    #expect(trail_crc32(0, p, length) == zlib, "length \(length) offset \(offset)")
                    // Continued from a previous value, as over a member read in pieces.
                    let half = length / 3
                    #expect(trail_crc32(trail_crc32(0, p, half), p + half, length - half) == zlib, "split \(length)")
                }
            }
        }
    }

    @Test func corruptDeflateDataIsAnErrorNotACrash() throws {
        let folder = TemporaryFolder()
        var bytes = try gzip(sample(50_000))
        for i in stride(from: 20, to: bytes.count - 8, by: 97) { bytes[i] ^= 0x5A }
        let path = try folder.write("bad.gz", bytes)
        #expect(throws: InputError.self) { _ = try readAll(path) }
    }

    @Test func garbageAfterAMemberIsAnError() throws {
        let folder = TemporaryFolder()
        let path = try folder.write("g.gz", try gzip(sample(100)) + Array("garbage".utf8))
        #expect(throws: InputError.self) { _ = try readAll(path) }
    }

    @Test func aMissingFileIsAnIOError() {
        #expect(throws: InputError.self) { _ = try GzipReader(path: "/nonexistent/file.gz") }
    }
}
