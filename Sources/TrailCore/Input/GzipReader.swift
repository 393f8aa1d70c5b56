// Streaming reader of a file's bytes: gzip (one or more members) inflated through zlib, anything else passed through.

import CZlib
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
        // 15 window bits + 16: gzip header and trailer (CRC, length) are checked by zlib.
        let status = trail_inflateInit2(&stream, 15 + 16)
        guard status == Z_OK else { throw InputError(.io, path: path, "zlib init failed (\(status))") }
        streamOpen = true
        memberDone = false
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
