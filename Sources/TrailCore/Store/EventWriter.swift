// The importer's hot path into SQLite: one cached prepared statement, values bound in place.

import GRDB
import GRDBSQLite

/// SQLite's SQLITE_TRANSIENT, which Swift cannot import as a macro.
let sqliteTransient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

/// The store's key of an event id: a 64-bit FNV-1a hash. Two ids of one hash are told apart by probing
/// (`probe`), so a collision never merges two records.
public enum EventKey {
    public static func hash(_ id: String) -> Int64 {
        var h: UInt64 = 0xcbf29ce484222325
        for byte in id.utf8 { h = (h ^ UInt64(byte)) &* 0x100000001b3 }
        return Int64(bitPattern: h)
    }

    /// The next key to try after a collision.
    public static func probe(_ key: Int64) -> Int64 {
        Int64(bitPattern: UInt64(bitPattern: key) &+ 0x9E3779B97F4A7C15)
    }
}

/// A record ready for the store: decoded and attributed on a worker thread.
public struct ParsedRecord {
    public var framed: FramedRecord
    public var minted: Origin?
    public var key: Int64
    public var caller: Caller
    public var callerHash: Int64

    public init(_ framed: __owned FramedRecord) {
        key = EventKey.hash(framed.key)
        let own = IdentityRules.ownAttribution(framed.record)
        minted = framed.record.errorCode == nil && framed.record.mint.accessKeyId != nil
            ? IdentityRules.mintedOrigin(framed.record) : nil
        caller = Caller(framed.record, own: own)
        callerHash = caller.storeHash
        self.framed = framed
    }
}

/// Binds values to a raw statement by position.
struct Binder {
    let statement: OpaquePointer
    var index: Int32 = 1

    init(_ statement: OpaquePointer) {
        self.statement = statement
    }

    mutating func text(_ value: String?) {
        if let value {
            // A native string's bytes in place; a bridged or small one is copied first.
            if value.utf8.withContiguousStorageIfAvailable({ bind($0) }) == nil {
                var copy = value
                copy.withUTF8 { bind($0) }
            }
        } else {
            sqlite3_bind_null(statement, index)
        }
        index += 1
    }

    /// Binds a string that stays alive and unchanged until the statement has been stepped: a field of
    /// the record being written. A long one (a heap string: longer than Swift's 15-byte small strings)
    /// is bound in place, without SQLite copying it; a short one is copied as by `text`.
    mutating func stored(_ value: String?) {
        guard let value, value.utf8.count > 15,
              value.utf8.withContiguousStorageIfAvailable({ buffer in
                  _ = sqlite3_bind_text(statement, index, UnsafeRawPointer(buffer.baseAddress!).assumingMemoryBound(to: CChar.self),
                                        Int32(buffer.count), nil)  // SQLITE_STATIC
              }) != nil else {
            return text(value)
        }
        index += 1
    }

    private func bind(_ buffer: UnsafeBufferPointer<UInt8>) {
        if let base = buffer.baseAddress {
            _ = sqlite3_bind_text(statement, index, UnsafeRawPointer(base).assumingMemoryBound(to: CChar.self),
                                  Int32(buffer.count), sqliteTransient)
        } else {
            _ = sqlite3_bind_text(statement, index, "", 0, sqliteTransient)
        }
    }

    mutating func int(_ value: Int64?) {
        if let value { sqlite3_bind_int64(statement, index, value) } else { sqlite3_bind_null(statement, index) }
        index += 1
    }

    mutating func bool(_ value: Bool?) {
        int(value.map { $0 ? 1 : 0 })
    }
}

final class EventWriter {
    private let db: Database
    private let insert: Statement

    static let columns = [
        "event_key", "event_id", "time", "account", "region", "service", "action", "event_type", "error_code", "source_ip",
        "user_agent", "resource", "read_only", "shared_event_id", "caller_id", "req_role_arn", "req_role_name",
        "req_permission_set", "req_session_name", "minted_key", "minted_expires", "assumed_role_id", "assumed_role_arn",
        "federated_user_arn", "mint_source_identity", "minted_identity", "minted_kind", "mfa_used", "console_result",
        "sso_role", "sso_account", "file_id", "offset", "length", "record_index", "embedded",
    ]

    /// In a bulk import the unique key is dropped: every record is inserted, duplicates removed at the end.
    let bulk: Bool

    init(db: Database, bulk: Bool = false) throws {
        self.db = db
        self.bulk = bulk
        let names = EventWriter.columns.joined(separator: ", ")
        let marks = Array(repeating: "?", count: EventWriter.columns.count).joined(separator: ", ")
        // A record seen again keeps its first row; only where that row came from this same file
        // (the file changed and is read again) is its position refreshed, so `show` finds it.
        insert = try db.cachedStatement(sql: bulk ? "INSERT INTO event_rows (\(names)) VALUES (\(marks))" : """
            INSERT INTO event_rows (\(names)) VALUES (\(marks))
            ON CONFLICT(event_key) DO UPDATE SET
                offset = excluded.offset, length = excluded.length,
                record_index = excluded.record_index, embedded = excluded.embedded
            WHERE event_rows.file_id = excluded.file_id AND event_rows.event_id = excluded.event_id
            """)
        existing = try db.cachedStatement(sql: "SELECT event_id FROM event_rows WHERE event_key = ?")
        insertCalls = try db.cachedStatement(sql: """
            INSERT INTO pending_calls (caller_id, ip, calls, first, last, account) VALUES (?, ?, ?, ?, ?, ?)
            """)
        let callerColumns = Caller.columns.joined(separator: ", ")
        findCallers = try db.cachedStatement(sql: "SELECT id, \(callerColumns) FROM callers WHERE hash = ?")
        insertCaller = try db.cachedStatement(sql: """
            INSERT INTO callers (hash, \(callerColumns))
            VALUES (?, \(Array(repeating: "?", count: Caller.columns.count).joined(separator: ", ")))
            """)
    }

    private let existing: Statement
    private let insertCalls: Statement
    private let findCallers: Statement
    private let insertCaller: Statement
    /// The callers met lately and their ids, by their stored hash. Bounded: a session's calls come close
    /// together, and a miss costs one indexed look-up.
    private var callers: [Int64: (caller: Caller, id: Int64)] = [:]
    static let callerCacheSize = 8192

    /// Steps a raw statement that returns no rows, then resets it.
    private func run(_ statement: OpaquePointer) throws {
        let status = sqlite3_step(statement)
        sqlite3_reset(statement)
        guard status == SQLITE_DONE else {
            throw DatabaseError(resultCode: ResultCode(rawValue: status), message: String(cString: sqlite3_errmsg(db.sqliteConnection)))
        }
    }

    /// Forgets the cached caller ids: after a rollback some may be gone from the store.
    func forgetCallers() {
        callers.removeAll(keepingCapacity: true)
    }

    private func callerID(_ record: UnsafePointer<ParsedRecord>) throws -> Int64 {
        if let cached = callers[record.pointee.callerHash], cached.caller == record.pointee.caller { return cached.id }
        // Raw statements both ways: GRDB's text binding and reading stop at a NUL, which a field may hold.
        let find = findCallers.sqliteStatement
        sqlite3_bind_int64(find, 1, record.pointee.callerHash)
        var found: Int64?
        while found == nil, sqlite3_step(find) == SQLITE_ROW {
            if Caller(statement: find, from: 1) == record.pointee.caller { found = sqlite3_column_int64(find, 0) }
        }
        sqlite3_reset(find)
        let id: Int64
        if let found {
            id = found
        } else {
            let statement = insertCaller.sqliteStatement
            var b = Binder(statement)
            let c = record.pointee.caller
            b.int(record.pointee.callerHash)
            b.text(c.uiType); b.text(c.principalId); b.text(c.arn); b.text(c.accessKeyId); b.text(c.userName)
            b.text(c.invokedBy); b.text(c.onBehalfOf); b.text(c.credentialId); b.text(c.issuerArn)
            b.text(c.federatedProvider); b.int(c.sessionCreated); b.int(c.mfaAuthenticated); b.text(c.sourceIdentity)
            b.text(c.ownIdentity); b.text(c.ownKind); b.text(c.ownAttribution)
            try run(statement)
            id = sqlite3_last_insert_rowid(db.sqliteConnection)
        }
        if callers.count >= EventWriter.callerCacheSize { callers.removeAll(keepingCapacity: true) }
        callers[record.pointee.callerHash] = (record.pointee.caller, id)
        return id
    }

    // MARK: Running totals of the calls, for the resolver

    struct CallKey: Hashable {
        var caller: Int64
        var ip: String?
    }

    struct CallTotals {
        var calls: Int64 = 0
        var first: Int64?
        var last: Int64?
        var account: String?

        mutating func add(time: Int64?, account: String?) {
            merge(CallTotals(calls: 1, first: time, last: time, account: account))
        }

        mutating func merge(_ other: CallTotals) {
            calls += other.calls
            if let t = other.first, first.map({ t < $0 }) ?? true { first = t }
            if let t = other.last, last.map({ t > $0 }) ?? true { last = t }
            add(account: other.account)
        }

        /// SQLite's MAX of text: byte order.
        private mutating func add(account other: String?) {
            guard let other else { return }
            // Mostly the same (interned) string: equal by identity, no byte comparison.
            if let account, account == other || !account.utf8.lexicographicallyPrecedes(other.utf8) { return }
            account = other
        }
    }

    /// The calls of the file being written, and those of the files written since the last flush.
    private var fileCalls: [CallKey: CallTotals] = [:]
    private var pendingCalls: [CallKey: CallTotals] = [:]
    static let pendingCallsLimit = 16_384

    private func count(_ record: UnsafePointer<ParsedRecord>, callerID: Int64) {
        // A target-account copy may turn out to be a twin: the resolver counts those itself.
        guard record.pointee.caller.uiType != "AWSAccount" else { return }
        let r = record.pointer(to: \.framed.record)!
        fileCalls[CallKey(caller: callerID, ip: r.pointee.sourceIPAddress), default: CallTotals()]
            .add(time: r.pointee.eventTime, account: r.pointee.recipientAccountId ?? r.pointee.userIdentity.accountId)
    }

    /// The file was stored whole: its calls join the pending ones.
    func fileEnded() throws {
        // A file's calls are few: its table starts small each time (iterating or clearing a table costs
        // its capacity, not its count).
        for (key, totals) in fileCalls { pendingCalls[key, default: CallTotals()].merge(totals) }
        fileCalls = [:]
        if pendingCalls.count >= EventWriter.pendingCallsLimit { try flushCalls() }
    }

    /// The file was rolled back: its calls and the callers it added are forgotten.
    func fileFailed() {
        fileCalls = [:]
        forgetCallers()
    }

    /// Writes the pending calls to `pending_calls`; before every commit, so they agree with the events.
    func flushCalls() throws {
        guard !pendingCalls.isEmpty else { return }
        let statement = insertCalls.sqliteStatement
        for (key, totals) in pendingCalls {
            var b = Binder(statement)
            b.int(key.caller)
            b.text(key.ip)
            b.int(totals.calls)
            b.int(totals.first)
            b.int(totals.last)
            b.text(totals.account)
            try run(statement)
        }
        pendingCalls = [:]
    }

    /// Stores one record; true if it was new.
    func write(_ p: ParsedRecord, fileID: Int64) throws -> Bool {
        try withUnsafePointer(to: p) { try write($0, fileID: fileID) }
    }

    /// Stores the record at `record` (read in place: a ParsedRecord holds some fifty strings, and a copy
    /// would retain each); true if it was new.
    func write(_ record: UnsafePointer<ParsedRecord>, fileID: Int64) throws -> Bool {
        let callerID = try callerID(record)
        // Fields read through pointers into the record: no copy of it, none of its strings retained.
        let r = record.pointer(to: \.framed.record)!
        let m = record.pointer(to: \.framed.record.mint)!
        let statement = insert.sqliteStatement
        var b = Binder(statement)
        b.int(record.pointee.key)
        b.stored(record.pointee.framed.key)
        b.int(r.pointee.eventTime)
        b.stored(r.pointee.recipientAccountId ?? r.pointee.userIdentity.accountId)
        b.stored(r.pointee.awsRegion)
        b.stored(r.pointee.eventSource)
        b.stored(r.pointee.eventName)
        b.stored(r.pointee.eventType)
        b.stored(r.pointee.errorCode)
        b.stored(r.pointee.sourceIPAddress)
        b.stored(r.pointee.userAgent)
        b.stored(r.pointee.resource)
        b.bool(r.pointee.readOnly)
        b.stored(r.pointee.sharedEventID)
        b.int(callerID)
        b.stored(m.pointee.roleArn)
        let roleName = m.pointee.roleArn.flatMap(ARN.roleName)
        b.text(roleName)
        b.text(roleName.flatMap(ARN.permissionSet))
        b.stored(m.pointee.roleSessionName ?? m.pointee.federationName)
        b.stored(m.pointee.accessKeyId)
        b.int(m.pointee.expiration)
        b.stored(m.pointee.assumedRoleId)
        b.stored(m.pointee.assumedRoleArn ?? m.pointee.federatedUserArn)
        b.stored(m.pointee.federatedUserArn)
        b.stored(m.pointee.responseSourceIdentity ?? m.pointee.sourceIdentity)
        b.stored(record.pointee.minted?.identity)
        b.text(record.pointee.minted?.kind.rawValue)
        b.stored(r.pointee.mfaUsed)
        b.stored(r.pointee.consoleLoginResult)
        b.stored(r.pointee.ssoRoleName)
        b.stored(r.pointee.ssoAccountId)
        b.int(fileID)
        b.int(Int64(record.pointee.framed.offset))
        b.int(Int64(record.pointee.framed.length))
        b.int(Int64(record.pointee.framed.index))
        b.bool(record.pointee.framed.embedded)
        var key = record.pointee.key
        for _ in 0..<64 {
            // An upsert that updates leaves the last rowid alone: zero before means "not inserted" after.
            sqlite3_set_last_insert_rowid(db.sqliteConnection, 0)
            try run(statement)
            if bulk || sqlite3_last_insert_rowid(db.sqliteConnection) != 0 {
                count(record, callerID: callerID)
                return true
            }
            // Stored already, or another id with the same hash: then try the next key.
            let stored = try String.fetchOne(existing, arguments: [key])
            if stored == nil || stored == record.pointee.framed.key { return false }
            key = EventKey.probe(key)
            sqlite3_bind_int64(statement, 1, key)
        }
        throw DatabaseError(message: "too many event key collisions for \(record.pointee.framed.key)")
    }
}
