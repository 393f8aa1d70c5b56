// Records made ready for the store on the reader threads, packed: what crosses to the writer is three
// arrays per batch, not some hundred strings per record.
//
// Measured with callgrind on the 200 MB corpus: a record as a struct of strings cost the writer a
// retain and a release per field (130 per record, nil ones included) and a copy into SQLite for every
// short string; packed, the writer binds every text value in place and frees a batch with three frees.

/// Where a text value sits in its batch's bytes; a `count` of -1 is SQL NULL.
struct Span {
    var start: Int32
    var count: Int32
    static let null = Span(start: 0, count: -1)
}

/// One record's values besides its text, and where its text spans start.
struct PackedRow {
    var key: Int64
    var callerHash: Int64 = 0
    /// `bytesHash` of the user agent's text, for the writer's table of them (0 without one).
    var userAgentHash: UInt64 = 0
    var time: Int64?
    var readOnly: Bool?
    var mintedExpires: Int64?
    var sessionCreated: Int64?
    var mfaAuthenticated: Int64?
    var offset: Int64
    var length: Int64
    var index: Int64
    var embedded: Bool
    /// `userIdentity.type` is AWSAccount: a target-account copy, whose calls the resolver counts.
    var accountCopy = false
    /// The first of the row's `TextSlot.count` spans.
    var spans: Int32 = 0
    /// The caller block's canonical bytes (`CallerBytes`): equal bytes, equal callers.
    var callerStart: Int32 = 0
    var callerEnd: Int32 = 0
}

/// The text values of a row, in order: the event's, then the caller's (in `Caller.columns` order, its
/// two integers aside).
enum TextSlot: Int {
    case eventID, account, region, service, action, eventType, errorCode, sourceIP, userAgent, resource,
         sharedEventID, reqRoleArn, reqRoleName, reqPermissionSet, reqSessionName, mintedKey, assumedRoleId,
         assumedRoleArn, federatedUserArn, mintSourceIdentity, mintedIdentity, mintedKind, mfaUsed,
         consoleResult, ssoRole, ssoAccount,
         uiType, principalId, arn, accessKeyId, userName, invokedBy, onBehalfOf, credentialId, issuerArn,
         federatedProvider, sourceIdentity, ownIdentity, ownKind, ownAttribution
    static let count = 40
}

/// The bytes of a batch's text: one growing allocation, appended to by memcpy (an array's generic
/// append cost more than the copy).
final class PackedBytes {
    private(set) var base: UnsafeMutablePointer<UInt8>
    private(set) var count = 0
    private var capacity: Int

    init(capacity: Int = 32 << 10) {
        self.capacity = capacity
        base = .allocate(capacity: capacity)
    }

    deinit { base.deallocate() }

    var buffer: UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(start: base, count: count) }

    @inline(__always)
    func append(_ bytes: UnsafeRawPointer?, _ n: Int) {
        if count + n > capacity { grow(count + n) }
        if n > 0 { Self.copy(UnsafeMutableRawPointer(base + count), bytes!, n) }
        count += n
    }

    /// Copies `n` bytes; up to 32 with two overlapping loads and stores each, in line: most values are
    /// that short, and a call to `memmove` cost more than the copy (4 million calls per 100 MB of logs).
    @inline(__always)
    static func copy(_ to: UnsafeMutableRawPointer, _ from: UnsafeRawPointer, _ n: Int) {
        switch n {
        case 16...32:
            let head = from.loadUnaligned(as: SIMD16<UInt8>.self)
            let tail = from.loadUnaligned(fromByteOffset: n - 16, as: SIMD16<UInt8>.self)
            to.storeBytes(of: head, as: SIMD16<UInt8>.self)
            to.storeBytes(of: tail, toByteOffset: n - 16, as: SIMD16<UInt8>.self)
        case 8..<16:
            let head = from.loadUnaligned(as: UInt64.self)
            let tail = from.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self)
            to.storeBytes(of: head, as: UInt64.self)
            to.storeBytes(of: tail, toByteOffset: n - 8, as: UInt64.self)
        case 4..<8:
            let head = from.loadUnaligned(as: UInt32.self)
            let tail = from.loadUnaligned(fromByteOffset: n - 4, as: UInt32.self)
            to.storeBytes(of: head, as: UInt32.self)
            to.storeBytes(of: tail, toByteOffset: n - 4, as: UInt32.self)
        case 1..<4:
            for i in 0..<n { to.storeBytes(of: from.load(fromByteOffset: i, as: UInt8.self), toByteOffset: i, as: UInt8.self) }
        case 0:
            break
        default:
            to.copyMemory(from: from, byteCount: n)
        }
    }

    @inline(__always)
    func append(_ byte: UInt8) {
        if count == capacity { grow(count + 1) }
        base[count] = byte
        count += 1
    }

    private func grow(_ needed: Int) {
        var size = capacity * 2
        while size < needed { size *= 2 }
        let bigger = UnsafeMutablePointer<UInt8>.allocate(capacity: size)
        bigger.update(from: base, count: count)
        base.deallocate()
        base = bigger
        capacity = size
    }
}

/// The canonical bytes of a caller block: each value tagged with its type and length, so that two
/// blocks are equal exactly when their bytes are. Made alike from a record and from a `callers` row.
enum CallerBytes {
    static func text(_ value: UnsafeBufferPointer<UInt8>?, into out: PackedBytes) {
        guard let value else { return out.append(0) }
        out.append(2)
        withUnsafeBytes(of: UInt32(value.count).littleEndian) { out.append($0.baseAddress, 4) }
        out.append(value.baseAddress, value.count)
    }

    static func int(_ value: Int64?, into out: PackedBytes) {
        guard let value else { return out.append(0) }
        out.append(1)
        withUnsafeBytes(of: value.littleEndian) { out.append($0.baseAddress, 8) }
    }
}

/// A batch of records for the writer.
public struct RowBatch {
    let bytes: PackedBytes
    var spans: [Span] = []
    var rows: [PackedRow] = []

    /// A batch is handed over at this many bytes of text whatever its count: what keeps the spans'
    /// 32-bit offsets valid and memory bounded with large records.
    static let maxBytes = 1 << 20

    /// `expected`: the records it will likely hold, reserved at once.
    public init(expected: Int = 1) {
        // About 700 bytes of text per record in CloudTrail's usual mix.
        bytes = PackedBytes(capacity: max(1024, expected * 768))
        spans.reserveCapacity(expected * TextSlot.count)
        rows.reserveCapacity(expected)
    }

    public var count: Int { rows.count }
    var byteCount: Int { bytes.count }

    /// A string's bytes in place, without retaining it where it can be helped. Static: as a method it
    /// borrowed the batch while the closure appended to its spans, and a debug build copied the spans for
    /// every value (appending 5,000 records to one batch took 5 s).
    @inline(__always)
    private static func withBytes<R>(_ value: String, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        if let r = value.utf8.withContiguousStorageIfAvailable(body) { return r }
        var copy = value
        return copy.withUTF8(body)
    }

    /// Writes a row's spans in place, slot after slot (they start as NULL), and its text into `out`, the
    /// batch's bytes handed down (read from the batch in each call, they were retained and released
    /// around every value, and appending each span to the array checked its capacity and uniqueness).
    struct SpanWriter {
        let spans: UnsafeMutablePointer<Span>
        let out: PackedBytes
        var slot = 0

        mutating func text(_ value: String?) {
            defer { slot += 1 }
            guard let value else { return }
            let span = spans + slot
            let out = out
            RowBatch.withBytes(value) { b in
                span.pointee = Span(start: Int32(out.count), count: Int32(b.count))
                out.append(b.baseAddress, b.count)
            }
        }

        /// A stored-only field: its string, or its text where the reader left it (`EventRecord.InPlace`).
        mutating func text(_ value: String?, inPlace: JSONStringSlice?, in base: UnsafePointer<UInt8>?) {
            guard let inPlace, let base else { return text(value) }
            defer { slot += 1 }
            spans[slot] = Span(start: Int32(out.count), count: Int32(inPlace.count))
            out.append(base + inPlace.start, inPlace.count)
        }

        /// `value ?? fallback` without the copy (a retain and a release) that `??` makes.
        mutating func text(_ value: String?, or fallback: String?) {
            if value != nil { text(value) } else { text(fallback) }
        }

        /// A caller's text value: into its canonical bytes and the hash, its span on the value itself.
        mutating func callerText(_ value: String?, _ hasher: inout StoreHasher) {
            defer { slot += 1 }
            guard let value else {
                hasher.feed(nil as String?)
                CallerBytes.text(nil, into: out)
                return
            }
            let span = spans + slot
            let out = out
            RowBatch.withBytes(value) { b in
                hasher.feed(b)
                CallerBytes.text(b, into: out)
                span.pointee = Span(start: Int32(out.count - b.count), count: Int32(b.count))
            }
        }

        func callerInt(_ value: Int64?, _ hasher: inout StoreHasher) {
            hasher.feed(value)
            CallerBytes.int(value, into: out)
        }
    }

    /// Adds a record: its columns as the store keeps them, its own attribution and, for a minting
    /// record, the origin of the session it minted (SPEC §3).
    public mutating func append(_ framed: FramedRecord) {
        let r = framed.record
        let m = r.mint
        let u = r.userIdentity
        // The key: the eventID where the reader left it (then `framed.key` is empty), or the string.
        var keyInPlace: UnsafeBufferPointer<UInt8>?
        if framed.key.isEmpty, let id = r.inPlace.eventID, let base = framed.inPlaceBase {
            keyInPlace = UnsafeBufferPointer(start: base + id.start, count: id.count)
        }
        let key = keyInPlace.map(EventKey.hash) ?? EventKey.hash(framed.key)
        var row = PackedRow(key: key, time: r.eventTime, readOnly: r.readOnly, mintedExpires: m.expiration,
                            sessionCreated: u.creationDate, mfaAuthenticated: u.mfaAuthenticated.map { $0 ? 1 : 0 },
                            offset: Int64(framed.offset), length: Int64(framed.length), index: Int64(framed.index),
                            embedded: framed.embedded)
        row.accountCopy = u.type == "AWSAccount"
        row.spans = Int32(spans.count)
        let first = spans.count
        spans.append(contentsOf: repeatElement(Span.null, count: TextSlot.count))
        let minted = r.errorCode == nil && m.accessKeyId != nil ? IdentityRules.mintedOrigin(r) : nil
        let roleName = m.roleArn.flatMap(ARN.roleName)
        var h = StoreHasher()
        spans.withUnsafeMutableBufferPointer { s in
            var w = SpanWriter(spans: s.baseAddress! + first, out: bytes)
            w.text(framed.key, inPlace: keyInPlace == nil ? nil : r.inPlace.eventID, in: framed.inPlaceBase)
            w.text(r.recipientAccountId, or: u.accountId)
            w.text(r.awsRegion, inPlace: r.inPlace.awsRegion, in: framed.inPlaceBase)
            w.text(r.eventSource)
            w.text(r.eventName)
            w.text(r.eventType, inPlace: r.inPlace.eventType, in: framed.inPlaceBase)
            w.text(r.errorCode)
            w.text(r.sourceIPAddress)
            w.text(r.userAgent, inPlace: r.inPlace.userAgent, in: framed.inPlaceBase)
            w.text(r.resource)
            w.text(r.sharedEventID)
            w.text(m.roleArn)
            w.text(roleName)
            w.text(roleName.flatMap(ARN.permissionSet))
            w.text(m.roleSessionName, or: m.federationName)
            w.text(m.accessKeyId)
            w.text(m.assumedRoleId)
            w.text(m.assumedRoleArn, or: m.federatedUserArn)
            w.text(m.federatedUserArn)
            w.text(m.responseSourceIdentity, or: m.sourceIdentity)
            w.text(minted?.identity)
            w.text(minted?.kind.rawValue)
            w.text(r.mfaUsed)
            w.text(r.consoleLoginResult)
            w.text(r.ssoRoleName)
            w.text(r.ssoAccountId)
            // The caller block, in `Caller.columns` order: hashed as `Caller.storeHash` (and SQL's caller_hash).
            let own = IdentityRules.ownAttribution(r)
            row.callerStart = Int32(bytes.count)
            w.callerText(u.type, &h)
            w.callerText(u.principalId, &h)
            w.callerText(u.arn, &h)
            w.callerText(u.accessKeyId, &h)
            w.callerText(u.userName, &h)
            w.callerText(u.invokedBy, &h)
            w.callerText(u.onBehalfOfUserId, &h)
            w.callerText(u.credentialId, &h)
            w.callerText(u.issuerArn, &h)
            w.callerText(u.federatedProvider, &h)
            w.callerInt(row.sessionCreated, &h)
            w.callerInt(row.mfaAuthenticated, &h)
            w.callerText(u.sourceIdentity, &h)
            w.callerText(own?.0.identity, &h)
            w.callerText(own?.0.kind.rawValue, &h)
            w.callerText(own?.1.rawValue, &h)
            row.callerEnd = Int32(bytes.count)
            assert(w.slot == TextSlot.count, "a text slot was skipped or added")
        }
        row.callerHash = h.value
        let agent = spans[first + TextSlot.userAgent.rawValue]
        if agent.count >= 0 { row.userAgentHash = bytesHash(UnsafeBufferPointer(start: bytes.base + Int(agent.start), count: Int(agent.count))) }
        rows.append(row)
    }
}

/// A record ready for the store, alone in its batch: what the tests hand the writer.
public struct ParsedRecord {
    var batch = RowBatch()

    public init(_ framed: FramedRecord) {
        batch.append(framed)
    }

    public var key: Int64 {
        get { batch.rows[0].key }
        set { batch.rows[0].key = newValue }
    }
}
