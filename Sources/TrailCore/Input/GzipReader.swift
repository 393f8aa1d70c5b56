// Streaming reader of a file's bytes: gzip (one or more members) inflated through zlib, anything else passed through.

import CZlib
import CTrailSupport
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads a file as a stream of decompressed bytes with fixed-size buffers.
///
/// Whether the file is gzip is decided by its first two bytes, not its name. Concatenated gzip
/// members are read in order. Errors carry the offset in the compressed file.
public final class GzipReader {
    public let path: String
    public private(set) var isGzip = false
    /// Bytes of the file consumed so far (compressed offset).
    public private(set) var compressedOffset = 0
    /// Decompressed bytes produced so far.
    public private(set) var decompressedOffset = 0

    private let fd: Int32
    private let input: UnsafeMutableRawBufferPointer
    private var inputStart = 0
    private var inputEnd = 0
    private var fileEOF = false
    private var stream = z_stream()
    private var streamOpen = false
    private var memberDone = false
    private var finished = false
    /// The member's CRC-32 and length so far, checked here against its trailer (zlib's own check is
    /// turned off: its CRC cost more than a fifth of the inflating).
    private var memberCRC: UInt32 = 0
    private var memberSize: UInt32 = 0
    /// The last 8 compressed bytes consumed, the latest in the top byte: at a member's end, its trailer.
    private var lastBytes: UInt64 = 0

    public static let defaultInputSize = 256 * 1024

    public init(path: String, inputSize: Int = GzipReader.defaultInputSize) throws {
        self.path = path
        fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 {
            throw InputError(.io, path: path, String(cString: strerror(errno)))
        }
        input = .allocate(byteCount: max(inputSize, 16), alignment: 16)
        try fill()
        if inputEnd - inputStart >= 2,
           input[inputStart] == 0x1f, input[inputStart + 1] == 0x8b {
            isGzip = true
            try startMember()
        }
    }

    deinit {
        if streamOpen { inflateEnd(&stream) }
        close(fd)
        input.deallocate()
    }

    /// Reads up to `buffer.count` decompressed bytes; returns 0 at the end of the file.
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard buffer.count > 0, !finished else { return 0 }
        if !isGzip { return try readPlain(into: buffer) }
        var produced = 0
        while produced == 0 {
            if memberDone {
                // Another member follows only if non-padding bytes remain.
                if inputStart == inputEnd { try fill() }
                if inputStart == inputEnd { finished = true; return 0 }
                try startMember()
            }
            if inputStart == inputEnd && !fileEOF { try fill() }
            let available = inputEnd - inputStart
            stream.next_in = input.baseAddress!.advanced(by: inputStart).assumingMemoryBound(to: Bytef.self)
            stream.avail_in = uInt(available)
            stream.next_out = buffer.baseAddress!.advanced(by: produced).assumingMemoryBound(to: Bytef.self)
            stream.avail_out = uInt(buffer.count - produced)
            let status = inflate(&stream, Z_NO_FLUSH)
            let consumed = available - Int(stream.avail_in)
            let made = buffer.count - produced - Int(stream.avail_out)
            if made > 0 {
                memberCRC = trail_crc32(memberCRC, buffer.baseAddress!.advanced(by: produced).assumingMemoryBound(to: UInt8.self), made)
                memberSize &+= UInt32(truncatingIfNeeded: made)
            }
            keepLastBytes(from: inputStart, count: consumed)
            inputStart += consumed
            compressedOffset += consumed
            produced += made
            decompressedOffset += made
            switch status {
            case Z_OK:
                break
            case Z_STREAM_END:
                memberDone = true
                inflateEnd(&stream)
                streamOpen = false
                // The trailer: CRC-32 and length (mod 2^32), little-endian, as RFC 1952 has them.
                if UInt32(truncatingIfNeeded: lastBytes) != memberCRC {
                    throw InputError(.corruptGzip, path: path,
                                     location: InputLocation(offset: compressedOffset - 8, space: .compressed),
                                     "corrupt gzip data: incorrect data check")
                }
                if UInt32(truncatingIfNeeded: lastBytes >> 32) != memberSize {
                    throw InputError(.corruptGzip, path: path,
                                     location: InputLocation(offset: compressedOffset - 4, space: .compressed),
                                     "corrupt gzip data: incorrect length check")
                }
            case Z_BUF_ERROR:
                // No progress possible: more input needed, and the file has ended.
                if fileEOF && inputStart == inputEnd {
                    throw InputError(.truncated, path: path,
                                     location: InputLocation(offset: compressedOffset, space: .compressed),
                                     "truncated gzip data (unexpected end of file)")
                }
            case Z_DATA_ERROR:
                let reason = stream.msg.map { String(cString: $0) } ?? "invalid data"
                throw InputError(.corruptGzip, path: path,
                                 location: InputLocation(offset: compressedOffset, space: .compressed),
                                 "corrupt gzip data: \(reason)")
            case Z_MEM_ERROR:
                throw InputError(.io, path: path, "zlib is out of memory")
            default:
                throw InputError(.corruptGzip, path: path,
                                 location: InputLocation(offset: compressedOffset, space: .compressed),
                                 "zlib error \(status)")
            }
            if made == 0 && consumed == 0 && status == Z_OK && fileEOF && inputStart == inputEnd {
                throw InputError(.truncated, path: path,
                                 location: InputLocation(offset: compressedOffset, space: .compressed),
                                 "truncated gzip data (unexpected end of file)")
            }
        }
        return produced
    }

    private func startMember() throws {
        // Trailing zero padding after the last member is tolerated (some writers pad blocks).
        while true {
            while inputStart < inputEnd && input[inputStart] == 0 { inputStart += 1; compressedOffset += 1 }
            if inputStart < inputEnd { break }
            try fill()
            if inputStart == inputEnd { finished = true; memberDone = false; return }
        }
        if inputEnd - inputStart < 2 { try fill() }
        guard inputEnd - inputStart >= 2 || !fileEOF else {
            throw InputError(.truncated, path: path,
                             location: InputLocation(offset: compressedOffset, space: .compressed),
                             "trailing garbage after gzip member")
        }
        if input[inputStart] != 0x1f || input[inputStart + 1] != 0x8b {
            throw InputError(.notGzip, path: path,
                             location: InputLocation(offset: compressedOffset, space: .compressed),
                             "trailing garbage after gzip member")
        }
        stream = z_stream()
        // 15 window bits + 16: zlib reads the gzip header and consumes the trailer; the trailer's CRC and
        // length are checked here, with a faster CRC (`trail_crc32`).
        let status = trail_inflateInit2(&stream, 15 + 16)
        guard status == Z_OK else { throw InputError(.io, path: path, "zlib init failed (\(status))") }
        inflateValidate(&stream, 0)
        streamOpen = true
        memberDone = false
        memberCRC = 0
        memberSize = 0
        lastBytes = 0
    }

    private func keepLastBytes(from start: Int, count: Int) {
        let base = input.baseAddress!.advanced(by: start)
        if count >= 8 {
            lastBytes = base.loadUnaligned(fromByteOffset: count - 8, as: UInt64.self).littleEndian
        } else {
            for i in 0..<count { lastBytes = lastBytes >> 8 | UInt64(base.load(fromByteOffset: i, as: UInt8.self)) << 56 }
        }
    }

    private func readPlain(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        if inputStart < inputEnd {
            let count = min(buffer.count, inputEnd - inputStart)
            buffer.baseAddress!.copyMemory(from: input.baseAddress!.advanced(by: inputStart), byteCount: count)
            inputStart += count
            compressedOffset += count
            decompressedOffset += count
            return count
        }
        if fileEOF { finished = true; return 0 }
        let count = try readFile(into: buffer.baseAddress!, count: buffer.count)
        if count == 0 { fileEOF = true; finished = true }
        compressedOffset += count
        decompressedOffset += count
        return count
    }

    /// Moves unread input to the front and reads more from the file.
    private func fill() throws {
        guard !fileEOF else { return }
        if inputStart > 0 {
            let remaining = inputEnd - inputStart
            if remaining > 0 {
                input.baseAddress!.copyMemory(from: input.baseAddress!.advanced(by: inputStart), byteCount: remaining)
            }
            inputStart = 0
            inputEnd = remaining
        }
        let space = input.count - inputEnd
        guard space > 0 else { return }
        let count = try readFile(into: input.baseAddress!.advanced(by: inputEnd), count: space)
        if count == 0 { fileEOF = true }
        inputEnd += count
    }

    private func readFile(into pointer: UnsafeMutableRawPointer, count: Int) throws -> Int {
        while true {
            let n = Glibc.read(fd, pointer, count)
            if n >= 0 { return n }
            if errno == EINTR { continue }
            throw InputError(.io, path: path,
                             location: InputLocation(offset: compressedOffset, space: .compressed),
                             String(cString: strerror(errno)))
        }
    }
}
