// Strings met again and again (services, actions, regions, accounts, callers' ARNs and keys) made once.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A small table of recent strings by their bytes, owned by one reader thread. A hit hands back the
/// string already made (a retain), where a miss checks and copies the bytes into a new allocation;
/// records that share strings also compare them by identity and are freed with fewer releases.
/// A full slot is simply replaced: the table never grows.
public final class StringTable {
    private var hashes: [UInt64]
    private var strings: [String]
    private let mask: Int
    /// Longer strings are rarely repeated byte for byte; they are made directly.
    static let maxLength = 192

    public init(slots: Int = 4096) {
        let size = max(16, slots).nextPowerOf2
        hashes = Array(repeating: 0, count: size)
        strings = Array(repeating: "", count: size)
        mask = size - 1
    }

    /// The string of these UTF-8 bytes (already validated by the scanner).
    public func string(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
        guard bytes.count <= StringTable.maxLength, let base = bytes.baseAddress else {
            return String(decoding: bytes, as: UTF8.self)
        }
        let h = bytesHash(bytes)
        let slot = Int(truncatingIfNeeded: h) & mask
        if hashes[slot] == h {
            let hit = strings[slot].utf8.withContiguousStorageIfAvailable { stored in
                stored.count == bytes.count && memcmp(stored.baseAddress!, base, bytes.count) == 0
            }
            if hit == true { return strings[slot] }
        }
        let made = String(decoding: bytes, as: UTF8.self)
        hashes[slot] = h
        strings[slot] = made
        return made
    }
}

/// A 64-bit hash of some bytes, for tables in memory (not stored: `StoreHasher` is the stored one).
@inline(__always)
func bytesHash(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt64 {
    var h: UInt64 = 0x9E3779B97F4A7C15 ^ UInt64(bytes.count)
    let tail = forEachWord(bytes) { word in
        h = (h ^ word) &* 0xff51afd7ed558ccd
        h ^= h >> 32
    }
    h = (h ^ tail) &* 0xc4ceb9fe1a85ec53
    return h ^ (h >> 29)
}

/// Whether two byte strings are the same bytes.
@inline(__always)
func bytesEqual(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Bool {
    a.count == b.count && (a.count == 0 || memcmp(a.baseAddress!, b.baseAddress!, a.count) == 0)
}

/// Byte order, as SQLite's BINARY collation has it: -1, 0 or 1.
@inline(__always)
func bytesOrder(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Int {
    let common = min(a.count, b.count)
    let order = common == 0 ? 0 : memcmp(a.baseAddress!, b.baseAddress!, common)
    if order != 0 { return order < 0 ? -1 : 1 }
    return a.count == b.count ? 0 : (a.count < b.count ? -1 : 1)
}

/// Hands `body` the bytes eight at a time (little-endian words) and returns the last 0 to 7 bytes as
/// one word: how the hashes of the store and of the string tables read bytes.
@inline(__always)
func forEachWord(_ bytes: UnsafeBufferPointer<UInt8>, _ body: (UInt64) -> Void) -> UInt64 {
    guard let base = bytes.baseAddress else { return 0 }
    let raw = UnsafeRawPointer(base)
    var i = 0
    while i + 8 <= bytes.count {
        body(UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)))
        i += 8
    }
    let rest = bytes.count - i
    guard rest > 0 else { return 0 }
    if bytes.count >= 8 {
        // The last word again, overlapping: its top `rest` bytes are the tail, in the same order.
        return UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: bytes.count - 8, as: UInt64.self)) >> UInt64(8 * (8 - rest))
    }
    var tail: UInt64 = 0
    var shift: UInt64 = 0
    while i < bytes.count {
        tail |= UInt64(base[i]) << shift
        shift += 8
        i += 1
    }
    return tail
}

private extension Int {
    var nextPowerOf2: Int {
        var n = 1
        while n < self { n <<= 1 }
        return n
    }
}
