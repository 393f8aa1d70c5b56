// Frames the records of one file, whatever its form (SPEC §1), from a stream of decompressed bytes.

/// Anything that yields bytes in chunks: a gzip reader, or memory in tests.
public protocol ByteSource: AnyObject {
    /// Fills up to `buffer.count` bytes; 0 means the end.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int
}

extension GzipReader: ByteSource {}

/// A record and where its bytes sit in the decompressed stream.
public struct FramedRecord {
    public var record: EventRecord
    /// Offset of the record's first byte (of its `Events` element for lookup-events output).
    public var offset: Int
    public var length: Int
    /// Index of the record in its file, from 0.
    public var index: Int
    /// True when the record came as a `CloudTrailEvent` string of `lookup-events` output.
    public var embedded: Bool
    /// The record's key in the store: its `eventID`, else a hash of its bytes. Empty when the eventID was
    /// left in the reader's buffer (`record.inPlace.eventID`).
    public var key: String
    /// The bytes `record.inPlace` points into: the reader's buffer, valid until the reader reads again.
    public var inPlaceBase: UnsafePointer<UInt8>?

    public init(record: EventRecord = EventRecord(), offset: Int = 0, length: Int = 0, index: Int = 0, embedded: Bool = false,
                key: String = "") {
        self.record = record
        self.offset = offset
        self.length = length
        self.index = index
        self.embedded = embedded
        self.key = key
    }
}

/// A 128-bit FNV-1a digest (two 64-bit lanes with different offsets), in hex.
public func contentHash(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
    var a: UInt64 = 0xcbf29ce484222325
    var b: UInt64 = 0x84222325cbf29ce4
    for byte in bytes {
        a = (a ^ UInt64(byte)) &* 0x100000001b3
        b = (b ^ UInt64(byte)) &* 0x100000001b3
        b = b &+ (b >> 29)
    }
    func hex(_ v: UInt64) -> String {
        let s = String(v, radix: 16)
        return String(repeating: "0", count: 16 - s.count) + s
    }
    return hex(a) + hex(b)
}

/// Reads the records of one file in order, with memory bounded by the largest record.
public final class RecordReader {
    public let path: String
    public let maxRecordSize: Int
    public private(set) var recordCount = 0
    public private(set) var digestCount = 0
    public private(set) var valueCount = 0

    private let source: ByteSource
    private var buffer: UnsafeMutableRawPointer
    private var capacity: Int
    private var base = 0          // absolute offset of buffer[0]
    private var pos = 0           // index into buffer
    private var end = 0           // bytes in buffer
    private var eof = false
    private var started = false

    private enum ArrayKind { case bare, records, events }
    private var arrayKind: ArrayKind?
    private var arrayFirst = true
    private var inObject = false
    private var objectFirst = true

    public static let defaultChunk = 1 << 20

    /// Strings repeated from record to record, shared: pass a reader thread's table to each of its readers.
    let strings: StringTable

    /// `storedTextInPlace`: the importer's reading, whose records' stored-only fields stay in the buffer
    /// (`EventRecord.InPlace`), to be copied before the next read.
    let storedTextInPlace: Bool

    public init(source: ByteSource, path: String, maxRecordSize: Int = 16 << 20, chunkSize: Int = RecordReader.defaultChunk,
                strings: StringTable = StringTable(slots: 256), storedTextInPlace: Bool = false) {
        self.strings = strings
        self.storedTextInPlace = storedTextInPlace
        self.source = source
        self.path = path
        self.maxRecordSize = maxRecordSize
        capacity = max(chunkSize, 64)
        buffer = .allocate(byteCount: capacity, alignment: 16)
    }

    deinit { buffer.deallocate() }

    private func error(_ code: InputError.Code, at index: Int, _ message: String) -> InputError {
        InputError(code, path: path,
                   location: InputLocation(offset: base + index, space: .decompressed, recordIndex: recordCount),
                   message)
    }

    /// Reads more bytes, keeping everything from `keep` (an index) on. False at the end of input.
    private func refill(keeping keep: Int) throws {
        if keep > 0 {
            let live = end - keep
            if live > 0 { buffer.copyMemory(from: buffer + keep, byteCount: live) }
            base += keep
            pos -= keep
            end = live
        }
        // Everything kept belongs to the value being read, which has not ended yet.
        if end > maxRecordSize {
            throw error(.tooLarge, at: 0, "a record or value is larger than the maximum of \(maxRecordSize) bytes")
        }
        if end == capacity {
            let bigger = UnsafeMutableRawPointer.allocate(byteCount: capacity * 2, alignment: 16)
            bigger.copyMemory(from: buffer, byteCount: end)
            buffer.deallocate()
            buffer = bigger
            capacity *= 2
        }
        let n = try source.read(into: UnsafeMutableRawBufferPointer(start: buffer + end, count: capacity - end))
        if n == 0 { eof = true }
        end += n
    }

    /// The next record, or nil at the end of the file.
    public func next() throws -> FramedRecord? {
        var framed = FramedRecord()
        return try next(into: &framed) ? framed : nil
    }

    /// Reads the next record into `framed`, which the caller keeps from record to record: the importer's
    /// path, where a record (a struct of some sixty fields) is decoded in place rather than copied out
    /// of the reader four times. False at the end of the file.
    public func next(into framed: inout FramedRecord) throws -> Bool {
        if !started {
            started = true
            while end < 3 && !eof { try refill(keeping: 0) }
            let p = buffer.assumingMemoryBound(to: UInt8.self)
            if end >= 3 && p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF { pos = 3 }
        }
        while true {
            let checkpoint = pos
            do {
                switch try step(&framed) {
                case .record: return true
                case .finished: return false
                case .progress: continue
                }
            } catch JSONScanError.needMore {
                pos = checkpoint
                if eof {
                    throw error(.invalidJSON, at: end, "unexpected end of input")
                }
                // A record or single object being read must stay in the buffer; the rest may go.
                try refill(keeping: checkpoint)
            } catch JSONScanError.invalid(let offset, let message) {
                let code: InputError.Code = message.hasPrefix("nesting") ? .tooDeep : .invalidJSON
                throw error(code, at: offset, message)
            }
        }
    }

    private enum StepResult { case record, progress, finished }

    private func cursor() -> JSONCursor {
        var c = JSONCursor(base: UnsafePointer(buffer.assumingMemoryBound(to: UInt8.self)), count: end, pos: pos, isFinal: eof)
        c.strings = strings
        c.keepsStoredTextInPlace = storedTextInPlace
        return c
    }

    /// One atomic step of framing: on `.needMore` nothing of the state has changed but `pos`.
    private func step(_ framed: inout FramedRecord) throws -> StepResult {
        var c = cursor()
        if let kind = arrayKind {
            var first = arrayFirst
            guard try c.nextElement(first: &first) else {
                pos = c.pos
                arrayKind = nil
                return .progress
            }
            let start = c.pos
            guard try c.peek() == UInt8(ascii: "{") else {
                throw error(.notCloudTrail, at: start, "array element is not a CloudTrail record (not an object)")
            }
            if kind == .events {
                let (record, key) = try decodeLookupEvent(&c)
                framed.record = record
                framed.key = key
                framed.embedded = true
            } else {
                c.depth = 0
                framed.record = EventRecord()
                _ = try RecordDecoder.decode(&c, into: &framed.record)
                framed.key = key(framed.record, start, c.pos)
                framed.embedded = false
            }
            place(&framed, from: start, to: c.pos, in: c.base)
            arrayFirst = first
            pos = c.pos
            return .record
        }
        if inObject {
            var first = objectFirst
            guard let key = try c.nextKey(first: &first) else {
                pos = c.pos
                inObject = false
                return .progress
            }
            let isRecords = c.matches(key, "Records")
            if (isRecords || c.matches(key, "Events")), try c.peek() == UInt8(ascii: "[") {
                try c.beginArray()
                arrayKind = isRecords ? .records : .events
                arrayFirst = true
            } else {
                try c.skipValue()
            }
            objectFirst = first
            pos = c.pos
            return .progress
        }
        // Between top-level values.
        c.skipWhitespace()
        if c.pos == c.count {
            pos = c.pos
            if !eof { throw JSONScanError.needMore }
            if valueCount == 0 { throw error(.notCloudTrail, at: c.pos, "empty file: no JSON value") }
            return .finished
        }
        let start = c.pos
        switch c.base[start] {
        case UInt8(ascii: "["):
            try c.beginArray()
            arrayKind = .bare
            arrayFirst = true
            valueCount += 1
            pos = c.pos
            return .progress
        case UInt8(ascii: "{"):
            // A log file object streams its array; anything else must fit in memory whole.
            var probe = c
            try probe.beginObject()
            var first = true
            if let key = try probe.nextKey(first: &first), probe.matches(key, "Records") || probe.matches(key, "Events") {
                return try enterWrapper(at: start)
            }
            framed.record = EventRecord()
            let decoded = try RecordDecoder.decode(&c, into: &framed.record)
            if decoded.isWrapper { return try enterWrapper(at: start) }
            valueCount += 1
            if decoded.isRecord {
                pos = c.pos
                framed.key = key(framed.record, start, c.pos)
                framed.embedded = false
                place(&framed, from: start, to: c.pos, in: c.base)
                return .record
            }
            if decoded.isDigest {
                pos = c.pos
                digestCount += 1
                return .progress
            }
            throw error(.notCloudTrail, at: start, "JSON object is not a CloudTrail record, log file or digest")
        default:
            throw error(.notCloudTrail, at: start,
                        c.base[start] == UInt8(ascii: "\"") || c.base[start] == UInt8(ascii: "-") || (0x30...0x39).contains(c.base[start])
                            || c.base[start] == UInt8(ascii: "t") || c.base[start] == UInt8(ascii: "f") || c.base[start] == UInt8(ascii: "n")
                            ? "JSON value is not a CloudTrail record, log file or array of records"
                            : "not JSON (unexpected byte \(c.base[start]))")
        }
    }

    /// Where a record just read sits (`start..<end` in the buffer at `bytes`), and its index; counts it.
    private func place(_ framed: inout FramedRecord, from start: Int, to end: Int, in bytes: UnsafePointer<UInt8>) {
        framed.offset = base + start
        framed.length = end - start
        framed.index = recordCount
        framed.inPlaceBase = bytes
        recordCount += 1
    }

    private func key(_ record: EventRecord, _ start: Int, _ end: Int) -> String {
        if let id = record.eventID, !id.isEmpty { return id }
        if let id = record.inPlace.eventID, id.count > 0 { return "" }
        let bytes = UnsafeBufferPointer(start: buffer.assumingMemoryBound(to: UInt8.self) + start, count: end - start)
        return "hash:" + contentHash(bytes)
    }

    private func enterWrapper(at start: Int) throws -> StepResult {
        var c = cursor()
        c.pos = start
        try c.beginObject()
        inObject = true
        objectFirst = true
        valueCount += 1
        pos = c.pos
        return .progress
    }

    /// An element of `lookup-events` output: its `CloudTrailEvent` string holds the record.
    private func decodeLookupEvent(_ c: inout JSONCursor) throws -> (EventRecord, String) {
        let elementStart = c.pos
        try c.beginObject()
        var first = true
        var record: EventRecord?
        var recordKey = ""
        while let key = try c.nextKey(first: &first) {
            guard c.matches(key, "CloudTrailEvent"), try c.peek() == UInt8(ascii: "\"") else {
                try c.skipValue()
                continue
            }
            let slice = try c.readString()
            let bytes = c.unescapedBytes(slice)
            record = try bytes.withUnsafeBufferPointer { b -> EventRecord in
                var inner = JSONCursor(base: b.baseAddress ?? UnsafePointer(bitPattern: 1)!, count: b.count, isFinal: true)
                inner.strings = strings
                do {
                    var record = EventRecord()
                    _ = try RecordDecoder.decode(&inner, into: &record)
                    inner.skipWhitespace()
                    guard inner.pos == inner.count else { throw inner.fail("unexpected data after the record") }
                    recordKey = record.eventID.flatMap { $0.isEmpty ? nil : $0 } ?? "hash:" + contentHash(b)
                    return record
                } catch JSONScanError.invalid(let offset, let message) {
                    throw self.error(.invalidJSON, at: slice.start, "in CloudTrailEvent at its byte \(offset): \(message)")
                }
            }
        }
        guard let record else {
            throw error(.notCloudTrail, at: elementStart, "Events element has no CloudTrailEvent string")
        }
        return (record, recordKey)
    }
}

/// A byte source over memory, handing out at most `chunkSize` bytes per read (for tests and `show`).
public final class MemorySource: ByteSource {
    private let bytes: [UInt8]
    private var offset = 0
    private let chunkSize: Int

    public init(_ bytes: [UInt8], chunkSize: Int = 1 << 20) {
        self.bytes = bytes
        self.chunkSize = max(1, chunkSize)
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let n = min(buffer.count, chunkSize, bytes.count - offset)
        guard n > 0 else { return 0 }
        bytes.withUnsafeBytes { src in
            buffer.baseAddress!.copyMemory(from: src.baseAddress! + offset, byteCount: n)
        }
        offset += n
        return n
    }
}
