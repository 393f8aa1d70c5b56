// The streaming gzip reader: members, plain input, and every way a gzip file can be broken.

import Foundation
import Testing
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

    @Test func aBadChecksumIsAnError() throws {
        let folder = TemporaryFolder()
        var bytes = try gzip(sample(1000))
        bytes[bytes.count - 6] ^= 0xFF  // inside the CRC32 trailer
        let path = try folder.write("crc.gz", bytes)
        #expect(throws: InputError.self) { _ = try readAll(path) }
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
