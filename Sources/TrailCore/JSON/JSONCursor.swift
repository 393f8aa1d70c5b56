// The byte-level JSON scanner: a validating cursor over a contiguous buffer, no Foundation, no allocation for skipped values.

import CTrailSupport

/// Why the cursor stopped.
public enum JSONScanError: Error, Equatable {
    /// The buffer ended inside a value and more bytes may follow: refill and retry from a checkpoint.
    case needMore
    /// The bytes are not JSON (or nest too deep); `offset` is relative to the buffer start.
    case invalid(offset: Int, message: String)
}

/// A string value as it sits in the buffer, between its quotes.
public struct JSONStringSlice: Equatable, Sendable {
    public var start: Int
    public var end: Int
    public var hasEscapes: Bool
    @inlinable public var count: Int { end - start }
}

/// A validating cursor over `base[0..<count]`. `isFinal` says whether more bytes can follow;
/// when it is false, running out of bytes throws `.needMore` instead of an error.
public struct JSONCursor {
    public let base: UnsafePointer<UInt8>
    public let count: Int
    public var pos: Int
    public var depth = 0
    public let maxDepth: Int
    public let isFinal: Bool
    /// Where strings are interned, if anywhere (`string(_:)`). Unowned, so that the cursor is plain data:
    /// a copy or a destruction of it costs no retain or release (callgrind counted 2.8 million of each for
    /// 155,000 records). The table must outlive the cursor, as the reader that sets it does.
    public var strings: StringTable? {
        get { table?.takeUnretainedValue() }
        set { table = newValue.map { Unmanaged.passUnretained($0) } }
    }
    private var table: Unmanaged<StringTable>?
    /// The importer's reading: the text of the fields that are only stored (`EventRecord.InPlace`) is
    /// left where it is in the buffer rather than made into strings.
    public var keepsStoredTextInPlace = false

    public init(base: UnsafePointer<UInt8>, count: Int, pos: Int = 0, isFinal: Bool, maxDepth: Int = 512) {
        self.base = base
        self.count = count
        self.pos = pos
        self.isFinal = isFinal
        self.maxDepth = maxDepth
    }

    // MARK: Errors

    @usableFromInline
    func fail(_ message: String, at offset: Int? = nil) -> JSONScanError {
        .invalid(offset: offset ?? pos, message: message)
    }

    @usableFromInline
    func endOfInput() -> JSONScanError {
        isFinal ? .invalid(offset: pos, message: "unexpected end of input") : .needMore
    }

    // MARK: Bytes

    @inline(__always)
    public mutating func skipWhitespace() {
        while pos < count {
            let b = base[pos]
            if b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09 { pos += 1 } else { return }
        }
    }

    /// The next non-whitespace byte, not consumed.
    @inline(__always)
    public mutating func peek() throws -> UInt8 {
        skipWhitespace()
        guard pos < count else { throw endOfInput() }
        return base[pos]
    }

    @inline(__always)
    public mutating func expect(_ byte: UInt8, _ what: String) throws {
        let b = try peek()
        guard b == byte else { throw fail("expected \(what)") }
        pos += 1
    }

    // MARK: Containers

    /// Consumes `{`.
    public mutating func beginObject() throws {
        try expect(UInt8(ascii: "{"), "'{'")
        depth += 1
        if depth > maxDepth { throw fail("nesting deeper than \(maxDepth) levels") }
    }

    /// Consumes `[`.
    public mutating func beginArray() throws {
        try expect(UInt8(ascii: "["), "'['")
        depth += 1
        if depth > maxDepth { throw fail("nesting deeper than \(maxDepth) levels") }
    }

    /// The next key of an object (after its `:`), or nil at `}`. `first` is true before the first member.
    @inline(__always)
    public mutating func nextKey(first: inout Bool) throws -> JSONStringSlice? {
        // Fast path: compact JSON as CloudTrail writes it, `,"key":` (or `"key":` first) with a plain ASCII
        // key, sixteen bytes at a time; anything else (spaces, escapes, the end of the object or of the
        // buffer) goes the general way below, from the same place.
        let quote = first ? pos : pos + 1
        if quote < count, first || base[pos] == UInt8(ascii: ","), base[quote] == UInt8(ascii: "\"") {
            let (q, stopped) = skipPlain16(from: quote + 1)
            if stopped, base[q] == UInt8(ascii: "\""), q + 1 < count, base[q + 1] == UInt8(ascii: ":") {
                first = false
                pos = q + 2
                return JSONStringSlice(start: quote + 1, end: q, hasEscapes: false)
            }
        }
        var b = try peek()
        if b == UInt8(ascii: "}") {
            pos += 1
            depth -= 1
            return nil
        }
        if first {
            first = false
        } else {
            guard b == UInt8(ascii: ",") else { throw fail("expected ',' or '}' in object") }
            pos += 1
            b = try peek()
        }
        guard b == UInt8(ascii: "\"") else { throw fail("expected a string key") }
        let key = try readString()
        try expect(UInt8(ascii: ":"), "':' after key")
        return key
    }

    /// True when another element follows in an array; false at `]` (consumed).
    @inline(__always)
    public mutating func nextElement(first: inout Bool) throws -> Bool {
        let b = try peek()
        if b == UInt8(ascii: "]") {
            pos += 1
            depth -= 1
            return false
        }
        if first {
            first = false
            return true
        }
        guard b == UInt8(ascii: ",") else { throw fail("expected ',' or ']' in array") }
        pos += 1
        _ = try peek()
        return true
    }

    // MARK: Values

    /// Skips one value of any kind, validating it.
    public mutating func skipValue() throws {
        let b = try peek()
        switch b {
        case UInt8(ascii: "{"):
            try beginObject()
            var first = true
            while try nextKey(first: &first) != nil { try skipValue() }
        case UInt8(ascii: "["):
            try beginArray()
            var first = true
            while try nextElement(first: &first) { try skipValue() }
        case UInt8(ascii: "\""):
            _ = try readString()
        case UInt8(ascii: "t"): try readLiteral("true")
        case UInt8(ascii: "f"): try readLiteral("false")
        case UInt8(ascii: "n"): try readLiteral("null")
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            _ = try readNumber()
        default:
            throw fail("unexpected character")
        }
    }

    @inline(__always)
    mutating func readLiteral(_ literal: StaticString) throws {
        let n = literal.utf8CodeUnitCount
        let p = literal.utf8Start
        for i in 0..<n {
            guard pos + i < count else { throw endOfInput() }
            guard base[pos + i] == p[i] else { throw fail("invalid literal", at: pos + i) }
        }
        pos += n
        try checkDelimiter()
    }

    /// After a number or literal: the value must end here (or the input may continue).
    @inline(__always)
    mutating func checkDelimiter() throws {
        guard pos < count else {
            if isFinal { return }
            throw JSONScanError.needMore
        }
        switch base[pos] {
        case 0x20, 0x0A, 0x0D, 0x09, UInt8(ascii: ","), UInt8(ascii: "]"), UInt8(ascii: "}"):
            return
        default:
            throw fail("unexpected character after value")
        }
    }

    /// True if the value is `null` (consumed).
    @inline(__always)
    public mutating func consumeNull() throws -> Bool {
        if try peek() == UInt8(ascii: "n") {
            try readLiteral("null")
            return true
        }
        return false
    }

    /// Reads a number, returning its byte range.
    public mutating func readNumber() throws -> Range<Int> {
        let start = pos
        @inline(__always) func byte() throws -> UInt8 {
            guard pos < count else {
                if isFinal { return 0 }
                throw JSONScanError.needMore
            }
            return base[pos]
        }
        @inline(__always) func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }
        var b = try byte()
        if b == UInt8(ascii: "-") { pos += 1; b = try byte() }
        if b == UInt8(ascii: "0") {
            pos += 1
            b = try byte()
        } else if isDigit(b) {
            while isDigit(b) { pos += 1; b = try byte() }
        } else {
            throw fail("invalid number")
        }
        if b == UInt8(ascii: ".") {
            pos += 1
            b = try byte()
            guard isDigit(b) else { throw fail("invalid number: digit expected after '.'") }
            while isDigit(b) { pos += 1; b = try byte() }
        }
        if b == UInt8(ascii: "e") || b == UInt8(ascii: "E") {
            pos += 1
            b = try byte()
            if b == UInt8(ascii: "+") || b == UInt8(ascii: "-") { pos += 1; b = try byte() }
            guard isDigit(b) else { throw fail("invalid number: digit expected in exponent") }
            while isDigit(b) { pos += 1; b = try byte() }
        }
        try checkDelimiter()
        return start..<pos
    }

    /// Reads a string at the cursor (which must be at its opening quote), validating escapes and UTF-8.
    @inline(__always)
    public mutating func readString() throws -> JSONStringSlice {
        guard pos < count else { throw endOfInput() }
        guard base[pos] == UInt8(ascii: "\"") else { throw fail("expected a string") }
        pos += 1
        let start = pos
        var escapes = false
        var p = pos
        let n = count
        while true {
            // Fast path: plain printable ASCII, sixteen bytes at a time (SSE2 in line, `trail_string_stops16`)
            // while none is a quote, a backslash, a control character or non-ASCII; near the end of the
            // buffer eight at a time, then one.
            let stopped: Bool
            (p, stopped) = skipPlain16(from: p)
            if !stopped {
                // The borrow tricks below can flag more bytes than those, but only after (above, in a
                // little-endian word) a byte that is one: the lowest flagged byte is the first that matters.
                let ones: UInt64 = 0x0101_0101_0101_0101
                let high: UInt64 = 0x8080_8080_8080_8080
                while p + 8 <= n {
                    let w = UInt64(littleEndian: UnsafeRawPointer(base + p).loadUnaligned(as: UInt64.self))
                    let quote = w ^ (ones &* 0x22)
                    let backslash = w ^ (ones &* 0x5C)
                    let special = (((w &- ones &* 0x20) & ~w) | ((quote &- ones) & ~quote) | ((backslash &- ones) & ~backslash) | w) & high
                    if special != 0 {
                        p += special.trailingZeroBitCount >> 3
                        break
                    }
                    p += 8
                }
                while p < n {
                    let b = base[p]
                    if b >= 0x20 && b != 0x22 && b != 0x5C && b < 0x80 { p += 1 } else { break }
                }
            }
            guard p < n else { pos = p; throw endOfInput() }
            let b = base[p]
            if b == 0x22 {
                pos = p + 1
                return JSONStringSlice(start: start, end: p, hasEscapes: escapes)
            } else if b == 0x5C {
                escapes = true
                p = try validateEscape(at: p)
            } else if b < 0x20 {
                pos = p
                throw fail("control character in string")
            } else {
                p = try validateUTF8(at: p)
            }
        }
    }

    /// Skips plain string bytes sixteen at a time from `p` (SSE2 in line, `trail_string_stops16`): the
    /// offset of the first quote, backslash, control character or non-ASCII byte and true; or, with fewer
    /// than sixteen bytes left before one, where the scan got to and false.
    @inline(__always)
    func skipPlain16(from p: Int) -> (at: Int, stopped: Bool) {
        var p = p
        while p + 16 <= count {
            let stops = trail_string_stops16(base + p)
            if stops != 0 { return (p + stops.trailingZeroBitCount, true) }
            p += 16
        }
        return (p, false)
    }

    /// Validates the escape at `p` (a backslash); returns the offset after it.
    @usableFromInline
    mutating func validateEscape(at p: Int) throws -> Int {
        guard p + 1 < count else { pos = p; throw endOfInput() }
        switch base[p + 1] {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"),
             UInt8(ascii: "f"), UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
            return p + 2
        case UInt8(ascii: "u"):
            guard p + 6 <= count else { pos = p; throw endOfInput() }
            for i in 2..<6 where JSONCursor.hexValue(base[p + i]) < 0 {
                throw fail("invalid \\u escape", at: p)
            }
            return p + 6
        default:
            throw fail("invalid escape in string", at: p)
        }
    }

    /// Validates one UTF-8 sequence starting at `p` (a byte >= 0x80); returns the offset after it.
    @usableFromInline
    mutating func validateUTF8(at p: Int) throws -> Int {
        let b0 = base[p]
        let length: Int
        var minimum: UInt32
        var scalar: UInt32
        switch b0 {
        case 0xC2...0xDF: length = 2; scalar = UInt32(b0 & 0x1F); minimum = 0x80
        case 0xE0...0xEF: length = 3; scalar = UInt32(b0 & 0x0F); minimum = 0x800
        case 0xF0...0xF4: length = 4; scalar = UInt32(b0 & 0x07); minimum = 0x10000
        default: throw fail("invalid UTF-8 in string", at: p)
        }
        guard p + length <= count else {
            // A sequence cut by the end of the buffer may complete with more input.
            for i in 1..<(count - p) where base[p + i] & 0xC0 != 0x80 {
                throw fail("invalid UTF-8 in string", at: p)
            }
            pos = p
            throw endOfInput()
        }
        for i in 1..<length {
            let b = base[p + i]
            guard b & 0xC0 == 0x80 else { throw fail("invalid UTF-8 in string", at: p) }
            scalar = scalar << 6 | UInt32(b & 0x3F)
        }
        guard scalar >= minimum, scalar <= 0x10FFFF, !(0xD800...0xDFFF).contains(scalar) else {
            throw fail("invalid UTF-8 in string", at: p)
        }
        return p + length
    }

    @inline(__always)
    static func hexValue(_ b: UInt8) -> Int {
        switch b {
        case 0x30...0x39: return Int(b - 0x30)
        case 0x41...0x46: return Int(b - 0x41 + 10)
        case 0x61...0x66: return Int(b - 0x61 + 10)
        default: return -1
        }
    }

    // MARK: Decoding strings

    /// Compares a string slice (without escapes) to a literal.
    @inline(__always)
    public func matches(_ slice: JSONStringSlice, _ literal: StaticString) -> Bool {
        let n = literal.utf8CodeUnitCount
        guard slice.count == n, !slice.hasEscapes else { return false }
        return memcmp(base + slice.start, literal.utf8Start, n) == 0
    }

    /// The string's value, escapes decoded. Lone surrogates become U+FFFD.
    public func string(_ slice: JSONStringSlice, intern: Bool = true) -> String {
        if !slice.hasEscapes {
            let bytes = UnsafeBufferPointer(start: base + slice.start, count: slice.count)
            if intern, let table { return table._withUnsafeGuaranteedRef { $0.string(bytes) } }
            return String(decoding: bytes, as: UTF8.self)
        }
        return String(decoding: unescapedBytes(slice), as: UTF8.self)
    }

    /// The string's value as bytes, escapes decoded.
    public func unescapedBytes(_ slice: JSONStringSlice) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(slice.count)
        var p = slice.start
        func hex4(_ at: Int) -> UInt32 {
            var v: UInt32 = 0
            for i in 0..<4 { v = v << 4 | UInt32(JSONCursor.hexValue(base[at + i])) }
            return v
        }
        func append(_ scalar: UInt32) {
            let s = Unicode.Scalar(scalar) ?? "\u{FFFD}"
            out.append(contentsOf: Array(String(Character(s)).utf8))
        }
        while p < slice.end {
            let b = base[p]
            if b != 0x5C { out.append(b); p += 1; continue }
            let e = base[p + 1]
            p += 2
            switch e {
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                let unit = hex4(p)
                p += 4
                if (0xD800...0xDBFF).contains(unit), p + 6 <= slice.end, base[p] == 0x5C, base[p + 1] == UInt8(ascii: "u") {
                    let low = hex4(p + 2)
                    if (0xDC00...0xDFFF).contains(low) {
                        p += 6
                        append(0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00))
                        continue
                    }
                }
                append(unit)
            default: out.append(e)
            }
        }
        return out
    }

    /// Parses a whole document: exactly one value and trailing whitespace.
    public static func validateDocument(_ bytes: UnsafeRawBufferPointer, maxDepth: Int = 512) throws {
        guard let base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) else {
            throw JSONScanError.invalid(offset: 0, message: "empty document")
        }
        var cursor = JSONCursor(base: base, count: bytes.count, isFinal: true, maxDepth: maxDepth)
        try cursor.skipValue()
        cursor.skipWhitespace()
        guard cursor.pos == cursor.count else { throw cursor.fail("unexpected data after the value") }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
