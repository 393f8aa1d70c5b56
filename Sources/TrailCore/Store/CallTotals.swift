// The importer's running totals of calls by caller and source address (`pending_calls`), kept without a
// string per record.

extension EventWriter {
    /// A text value of a packed row kept in place when short (addresses, account ids): a key and a
    /// maximum without making a string per record (two per record cost 6% of the writer). Longer values
    /// (a service's name as the source address, IPv6) are strings.
    struct ShortText: Hashable {
        /// Up to 16 bytes, zero-padded, in memory order.
        var words: (UInt64, UInt64) = (0, 0)
        /// The length; -1 for SQL NULL, `ShortText.long` when `long` holds the value.
        var count: Int8 = -1
        var long: String?
        static let long: Int8 = 17

        init(_ span: Span, in bytes: UnsafeBufferPointer<UInt8>) {
            guard span.count >= 0 else { return }
            let n = Int(span.count)
            if n <= 16 {
                withUnsafeMutableBytes(of: &words) { $0.baseAddress!.copyMemory(from: bytes.baseAddress! + Int(span.start), byteCount: n) }
                count = Int8(n)
            } else {
                count = ShortText.long
                long = String(decoding: UnsafeBufferPointer(rebasing: bytes[Int(span.start)..<Int(span.start) + n]), as: UTF8.self)
            }
        }

        var isNull: Bool { count < 0 }

        var string: String? {
            if count < 0 { return nil }
            if count == ShortText.long { return long }
            var copy = words
            return withUnsafeBytes(of: &copy) { String(decoding: $0.prefix(Int(count)), as: UTF8.self) }
        }

        static func == (x: ShortText, y: ShortText) -> Bool {
            x.count == y.count && x.words == y.words && x.long == y.long
        }

        func hash(into hasher: inout Hasher) {
            hasher.combine(words.0)
            hasher.combine(words.1)
            hasher.combine(count)
            if let long { hasher.combine(long) }
        }

        /// Before `other` in byte order (SQLite's order of text), both not NULL.
        func precedes(_ other: ShortText) -> Bool {
            if count == ShortText.long || other.count == ShortText.long {
                return string!.utf8.lexicographicallyPrecedes(other.string!.utf8)
            }
            // Big-endian words compare as the bytes do; zero padding, then the length, settles a prefix.
            let (x0, x1) = (UInt64(bigEndian: words.0), UInt64(bigEndian: words.1))
            let (y0, y1) = (UInt64(bigEndian: other.words.0), UInt64(bigEndian: other.words.1))
            if x0 != y0 { return x0 < y0 }
            if x1 != y1 { return x1 < y1 }
            return count < other.count
        }
    }

    /// A caller and a source address, ordered as SQLite orders them: by caller, then address, NULL first.
    struct CallKey: Hashable, Comparable {
        var caller: Int64
        var ip: ShortText

        static func < (a: CallKey, b: CallKey) -> Bool {
            if a.caller != b.caller { return a.caller < b.caller }
            if a.ip.isNull || b.ip.isNull { return a.ip.isNull && !b.ip.isNull }
            return a.ip.precedes(b.ip)
        }
    }

    struct CallTotals {
        var calls: Int64 = 0
        var first: Int64?
        var last: Int64?
        var account = ShortText(.null, in: UnsafeBufferPointer(start: nil, count: 0))

        /// One more call, at `time`, to `account`: the count, the extremes of time and SQLite's MAX of
        /// the accounts (byte order, NULL ignored), as the resolver would take them.
        mutating func add(time: Int64?, account: ShortText) {
            calls += 1
            if let t = time, first.map({ t < $0 }) ?? true { first = t }
            if let t = time, last.map({ t > $0 }) ?? true { last = t }
            if !account.isNull, self.account.isNull || self.account.precedes(account) { self.account = account }
        }
    }
}

extension FeedRows {
    mutating func add(_ value: EventWriter.ShortText) {
        if value.count == EventWriter.ShortText.long { return add(value.long) }
        guard !value.isNull else { return add(nil as Int64?) }
        var words = value.words
        withUnsafeBytes(of: &words) { add(text: UnsafeBufferPointer(start: $0.baseAddress!.assumingMemoryBound(to: UInt8.self), count: Int(value.count))) }
    }
}
