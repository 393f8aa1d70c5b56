// The importer's hot path into SQLite: one cached prepared statement, values bound in place.

import Foundation
import GRDB
import GRDBSQLite

/// The store's key of an event id: a 64-bit FNV-1a hash. Two ids of one hash are told apart by probing
/// (`probe`), so a collision never merges two records.
public enum EventKey {
    public static func hash(_ id: String) -> Int64 {
        var id = id
        return id.withUTF8(hash)
    }

    /// The same hash over bytes in place (a loop over a string's UTF-8 view cost ten times more).
    public static func hash(_ bytes: UnsafeBufferPointer<UInt8>) -> Int64 {
        var h: UInt64 = 0xcbf29ce484222325
        for byte in bytes { h = (h ^ UInt64(byte)) &* 0x100000001b3 }
        return Int64(bitPattern: h)
    }

    /// The next key to try after a collision.
    public static func probe(_ key: Int64) -> Int64 {
        Int64(bitPattern: UInt64(bitPattern: key) &+ 0x9E3779B97F4A7C15)
    }
}

final class EventWriter {
    private let db: Database
    private let insert: Statement
    /// Bulk imports only: statements of 32 and of 8 records. A statement's run has a cost of its own (a
    /// cursor opened and closed per index, the halt and reset): one run per record cost about a fifth of
    /// the writer. (A file's records are stored together, and files hold a few hundred.)
    private let insertMany: [(size: Int, statement: Statement, nulls: NullParameters)]
    private let insertNulls: NullParameters

    static let columns = [
        "event_key", "event_id", "time", "account", "region", "service", "action", "event_type", "error_code", "source_ip",
        "user_agent_id", "resource", "read_only", "shared_event_id", "caller_id", "req_role_arn", "req_role_name",
        "req_permission_set", "req_session_name", "minted_key", "minted_expires", "assumed_role_id", "assumed_role_arn",
        "federated_user_arn", "mint_source_identity", "minted_identity", "minted_kind", "mfa_used", "console_result",
        "sso_role", "sso_account", "file_id", "offset", "length", "record_index", "embedded",
    ]

    /// In a bulk import the unique key is dropped: every record is inserted, duplicates removed at the end.
    let bulk: Bool

    init(db: Database, bulk: Bool = false, pendingCallsLimit: Int = 16_384) throws {
        self.db = db
        self.bulk = bulk
        self.pendingCallsLimit = pendingCallsLimit
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
        // `OR FAIL`: a statement that stores several rows and may abort on a constraint (every NOT NULL
        // column can) makes SQLite copy each page it touches to a statement journal first, to undo only
        // that statement: 2.4 GB of temporary-file writes over the 1 GB benchmark. A failure here (none
        // is expected: no value bound is NULL where NULL is refused) fails the whole import anyway.
        insertMany = try (bulk ? [32, 8] : []).map { size in
            let statement = try db.cachedStatement(sql: "INSERT OR FAIL INTO event_rows (\(names)) VALUES "
                                                   + Array(repeating: "(\(marks))", count: size).joined(separator: ", "))
            sqlite3_clear_bindings(statement.sqliteStatement)
            return (size, statement, NullParameters(statement.sqliteStatement))
        }
        sqlite3_clear_bindings(insert.sqliteStatement)
        insertNulls = NullParameters(insert.sqliteStatement)
        existing = try db.cachedStatement(sql: "SELECT event_id FROM event_rows WHERE event_key = ?")
        let callerColumns = Caller.columns.joined(separator: ", ")
        findCallers = try db.cachedStatement(sql: "SELECT id, \(callerColumns) FROM callers WHERE hash = ?")
        insertedHashes = try Bool.fetchOne(db, sql: "SELECT NOT EXISTS (SELECT 1 FROM callers)") == true ? [] : nil
        insertCaller = try db.cachedStatement(sql: """
            INSERT INTO callers (hash, \(callerColumns))
            VALUES (?, \(Array(repeating: "?", count: Caller.columns.count).joined(separator: ", ")))
            """)
        findUserAgent = try db.cachedStatement(sql: "SELECT id FROM user_agents WHERE user_agent = ?")
        insertUserAgent = try db.cachedStatement(sql: "INSERT INTO user_agents (user_agent) VALUES (?)")
    }

    private let existing: Statement
    /// The pending calls on their way to `pending_calls`.
    private var callRows = FeedRows(columns: 6)
    private let findCallers: Statement
    private let insertCaller: Statement
    /// The callers met lately and their ids, by their stored hash, with their canonical bytes to compare
    /// (a crafted hash collision never merges two callers). Bounded: a session's calls come close
    /// together, and a miss costs one indexed look-up.
    private var callers: [Int64: (bytes: [UInt8], id: Int64)] = [:]
    static let callerCacheSize = 8192
    /// Into a store with no callers yet (a first import), the hashes of the callers this writer stored:
    /// a caller whose hash is not among them is new, and is stored without looking it up first (the
    /// look-ups found nothing for 63,824 callers at 772,645 events). Nil once the store had callers
    /// before, or past `insertedHashesLimit` (memory stays bounded; the look-ups then come back).
    private var insertedHashes: Set<Int64>?
    static let insertedHashesLimit = 1 << 18

    private let findUserAgent: Statement
    private let insertUserAgent: Statement
    /// The user agents met lately and their ids, by the hash of their bytes the readers took
    /// (`PackedRow.userAgentHash`), with the bytes to compare: a table of fixed size, where a newcomer
    /// takes its slot. A trail holds few distinct user agents: stored once each, they took a fifth of
    /// the events' bytes off (1 GB benchmark: 63 bytes of 281 a row).
    private var userAgents = [(hash: UInt64, bytes: [UInt8], id: Int64)](repeating: (0, [], 0), count: EventWriter.userAgentSlots)
    static let userAgentSlots = 1024

    /// The id in `user_agents` of the row's user agent, stored now if it is new; nil for none.
    private func userAgentID(_ row: PackedRow, _ bytes: UnsafeBufferPointer<UInt8>, _ spans: UnsafeBufferPointer<Span>) throws -> Int64? {
        let span = spans[Int(row.spans) + TextSlot.userAgent.rawValue]
        guard span.count >= 0 else { return nil }
        let text = UnsafeBufferPointer(rebasing: bytes[Int(span.start)..<Int(span.start + span.count)])
        let slot = Int(truncatingIfNeeded: row.userAgentHash) & (EventWriter.userAgentSlots - 1)
        if userAgents[slot].hash == row.userAgentHash, userAgents[slot].id != 0,
           userAgents[slot].bytes.withUnsafeBufferPointer({ bytesEqual($0, text) }) {
            return userAgents[slot].id
        }
        let find = findUserAgent.sqliteStatement
        var b = Binder(find)
        b.span(span, in: bytes)
        var id: Int64?
        if sqlite3_step(find) == SQLITE_ROW { id = sqlite3_column_int64(find, 0) }
        sqlite3_reset(find)
        sqlite3_clear_bindings(find)
        if id == nil {
            let insert = insertUserAgent.sqliteStatement
            var b = Binder(insert)
            b.span(span, in: bytes)
            defer { sqlite3_clear_bindings(insert) }
            try run(insert)
            id = sqlite3_last_insert_rowid(db.sqliteConnection)
        }
        userAgents[slot] = (row.userAgentHash, Array(text), id!)
        return id
    }

    /// Steps a raw statement that returns no rows, then resets it.
    private func run(_ statement: OpaquePointer) throws {
        let status = sqlite3_step(statement)
        sqlite3_reset(statement)
        guard status == SQLITE_DONE else {
            throw DatabaseError(resultCode: ResultCode(rawValue: status), message: String(cString: sqlite3_errmsg(db.sqliteConnection)))
        }
    }

    /// Forgets the cached caller and user agent ids: after a rollback some may be gone from the store.
    func forgetCallers() {
        callers.removeAll(keepingCapacity: true)
        for slot in userAgents.indices { userAgents[slot].id = 0 }
    }

    /// The canonical bytes of the caller on the current row of a raw statement (`Caller.columns` from `start`).
    private static func callerBytes(_ statement: OpaquePointer, from start: Int32) -> PackedBytes {
        let out = PackedBytes(capacity: 512)
        for offset in Caller.columns.indices {
            let i = start + Int32(offset)
            let null = sqlite3_column_type(statement, i) == SQLITE_NULL
            if offset == Caller.sessionCreatedColumn || offset == Caller.sessionCreatedColumn + 1 {
                CallerBytes.int(null ? nil : sqlite3_column_int64(statement, i), into: out)
            } else if null {
                CallerBytes.text(nil, into: out)
            } else {
                // Read as text (what the importer stored), whatever its length: a NUL included.
                let text = sqlite3_column_text(statement, i)
                let count = Int(sqlite3_column_bytes(statement, i))
                CallerBytes.text(UnsafeBufferPointer(start: text, count: text == nil ? 0 : count), into: out)
            }
        }
        return out
    }

    private func callerID(_ row: PackedRow, _ bytes: UnsafeBufferPointer<UInt8>, _ spans: UnsafeBufferPointer<Span>) throws -> Int64 {
        let caller = UnsafeBufferPointer(rebasing: bytes[Int(row.callerStart)..<Int(row.callerEnd)])
        if let cached = callers[row.callerHash], cached.bytes.withUnsafeBufferPointer({ bytesEqual($0, caller) }) { return cached.id }
        // Raw statements both ways: GRDB's text binding and reading stop at a NUL, which a field may hold.
        var found: Int64?
        if insertedHashes.map({ $0.contains(row.callerHash) }) ?? true {
            let find = findCallers.sqliteStatement
            sqlite3_bind_int64(find, 1, row.callerHash)
            while found == nil, sqlite3_step(find) == SQLITE_ROW {
                let stored = EventWriter.callerBytes(find, from: 1)
                if withExtendedLifetime(stored, { bytesEqual(stored.buffer, caller) }) { found = sqlite3_column_int64(find, 0) }
            }
            sqlite3_reset(find)
        }
        let id: Int64
        if let found {
            id = found
        } else {
            let statement = insertCaller.sqliteStatement
            var b = Binder(statement)
            b.int(row.callerHash)
            let first = Int(row.spans) + TextSlot.uiType.rawValue
            for slot in 0..<10 { b.span(spans[first + slot], in: bytes) }
            b.int(row.sessionCreated); b.int(row.mfaAuthenticated)
            for slot in 10..<14 { b.span(spans[first + slot], in: bytes) }
            try run(statement)
            id = sqlite3_last_insert_rowid(db.sqliteConnection)
            insertedHashes?.insert(row.callerHash)
            if (insertedHashes?.count ?? 0) > EventWriter.insertedHashesLimit { insertedHashes = nil }
        }
        if callers.count >= EventWriter.callerCacheSize { callers.removeAll(keepingCapacity: true) }
        callers[row.callerHash] = (Array(caller), id)
        return id
    }

    // MARK: Running totals of the calls, for the resolver

    /// The calls of the records written since the last flush, by caller and address. Counted straight
    /// in, not file by file then merged (the merge cost some 800 instructions a record): a file rolled back
    /// after some of its records were counted marks the counts stale instead (`fileFailed`).
    private var pendingCalls: [CallKey: CallTotals] = [:]
    /// Pending calls past this many are written (`ImportOptions.pendingCallsLimit`).
    let pendingCallsLimit: Int
    /// Whether the file being written has had records counted.
    private var fileCounted = false
    /// Whether a file rolled back after some of its records were counted: the counts in memory then
    /// hold calls no longer stored, and the next flush counts the pending calls again from the events.
    private var pendingStale = false

    private func count(_ row: PackedRow, callerID: Int64, _ bytes: UnsafeBufferPointer<UInt8>, _ spans: UnsafeBufferPointer<Span>) {
        // A target-account copy may turn out to be a twin: the resolver counts those itself.
        guard !row.accountCopy else { return }
        fileCounted = true
        func text(_ slot: TextSlot) -> ShortText { ShortText(spans[Int(row.spans) + slot.rawValue], in: bytes) }
        pendingCalls[CallKey(caller: callerID, ip: text(.sourceIP)), default: CallTotals()].add(time: row.time, account: text(.account))
    }

    /// The file was stored whole.
    func fileEnded() throws {
        fileCounted = false
        if pendingCalls.count >= pendingCallsLimit { try flushCalls() }
    }

    /// The file was rolled back: the callers it added are forgotten, and the counts if it had any.
    func fileFailed() {
        if fileCounted {
            pendingStale = true
            pendingCalls.removeAll(keepingCapacity: true)
        }
        fileCounted = false
        forgetCallers()
    }

    /// Writes the pending calls to `pending_calls`; before every commit, so they agree with the events.
    func flushCalls() throws {
        if pendingStale {
            pendingCalls.removeAll(keepingCapacity: true)
            try Schema.recountPendingCalls(db)
            pendingStale = false
            return
        }
        guard !pendingCalls.isEmpty else { return }
        // In key order, as a run the resolver merges with the other flushes' (`PendingCalls`), in one statement.
        callRows.reserve(rows: pendingCalls.count)
        for (key, totals) in pendingCalls.sorted(by: { $0.key < $1.key }) {
            callRows.add(key.caller)
            callRows.add(key.ip)
            callRows.add(totals.calls)
            callRows.add(totals.first)
            callRows.add(totals.last)
            callRows.add(totals.account)
        }
        try callRows.run(db, "INSERT INTO pending_calls (caller_id, ip, calls, first, last, account) SELECT c0, c1, c2, c3, c4, c5 FROM trail_feed(?)")
        // Not kept for the next flush: 1.5 MB held through the import's end, where its memory peaks.
        callRows = FeedRows(columns: 6)
        pendingCalls.removeAll(keepingCapacity: true)
    }

    /// Stores one record; true if it was new.
    func write(_ p: ParsedRecord, fileID: Int64) throws -> Bool {
        try write(p.batch, fileID: fileID) == 1
    }

    /// Stores a batch of records; returns how many were new.
    func write(_ batch: RowBatch, fileID: Int64) throws -> Int {
        var new = 0
        defer {
            // The text was bound in place: no binding may outlive the batch, whatever happened.
            insertNulls.clear(insert.sqliteStatement)
            for (_, many, nulls) in insertMany { nulls.clear(many.sqliteStatement) }
        }
        try withExtendedLifetime(batch.bytes) {
            let bytes = batch.bytes.buffer
            try batch.rows.withUnsafeBufferPointer { rows in
                try batch.spans.withUnsafeBufferPointer { spans in
                    var i = 0
                    // A bulk import stores every record: many at a time, in one statement.
                    for (size, many, nulls) in insertMany {
                        let statement = many.sqliteStatement
                        while i + size <= rows.count {
                            var b = Binder(statement, nulls: nulls)
                            for row in rows[i..<(i + size)] {
                                let callerID = try callerID(row, bytes, spans)
                                bind(row, callerID: callerID, userAgentID: try userAgentID(row, bytes, spans), to: &b, bytes, spans, fileID: fileID)
                                count(row, callerID: callerID, bytes, spans)
                            }
                            try run(statement)
                            i += size
                            new += size
                        }
                    }
                    for row in rows[i...] where try write(row, bytes, spans, fileID: fileID) { new += 1 }
                }
            }
        }
        return new
    }

    /// Binds a record's columns, in `columns` order.
    private func bind(_ row: PackedRow, callerID: Int64, userAgentID: Int64?, to b: inout Binder, _ bytes: UnsafeBufferPointer<UInt8>,
                      _ spans: UnsafeBufferPointer<Span>, fileID: Int64) {
        let first = Int(row.spans)
        @inline(__always) func slot(_ s: TextSlot) -> Span { spans[first + s.rawValue] }
        b.int(row.key)
        b.span(slot(.eventID), in: bytes)
        b.int(row.time)
        for s in TextSlot.account.rawValue...TextSlot.sourceIP.rawValue { b.span(spans[first + s], in: bytes) }
        b.int(userAgentID)
        b.span(slot(.resource), in: bytes)
        b.bool(row.readOnly)
        b.span(slot(.sharedEventID), in: bytes)
        b.int(callerID)
        for s in TextSlot.reqRoleArn.rawValue...TextSlot.mintedKey.rawValue { b.span(spans[first + s], in: bytes) }
        b.int(row.mintedExpires)
        for s in TextSlot.assumedRoleId.rawValue...TextSlot.ssoAccount.rawValue { b.span(spans[first + s], in: bytes) }
        b.int(fileID)
        b.int(row.offset)
        b.int(row.length)
        b.int(row.index)
        b.bool(row.embedded)
    }

    private func write(_ row: PackedRow, _ bytes: UnsafeBufferPointer<UInt8>, _ spans: UnsafeBufferPointer<Span>, fileID: Int64) throws -> Bool {
        let callerID = try callerID(row, bytes, spans)
        let userAgentID = try userAgentID(row, bytes, spans)
        let statement = insert.sqliteStatement
        var b = Binder(statement, nulls: insertNulls)
        bind(row, callerID: callerID, userAgentID: userAgentID, to: &b, bytes, spans, fileID: fileID)
        let id = spans[Int(row.spans) + TextSlot.eventID.rawValue]
        let eventID = UnsafeBufferPointer(rebasing: bytes[Int(id.start)..<Int(id.start + id.count)])
        var key = row.key
        for _ in 0..<64 {
            // An upsert that updates leaves the last rowid alone: zero before means "not inserted" after.
            sqlite3_set_last_insert_rowid(db.sqliteConnection, 0)
            try run(statement)
            if bulk || sqlite3_last_insert_rowid(db.sqliteConnection) != 0 {
                count(row, callerID: callerID, bytes, spans)
                return true
            }
            // Stored already, or another id with the same hash: then try the next key.
            let find = existing.sqliteStatement
            sqlite3_bind_int64(find, 1, key)
            var same: Bool?
            if sqlite3_step(find) == SQLITE_ROW {
                let text = sqlite3_column_text(find, 0)
                let count = Int(sqlite3_column_bytes(find, 0))
                same = bytesEqual(UnsafeBufferPointer(start: text, count: text == nil ? 0 : count), eventID)
            }
            sqlite3_reset(find)
            if same ?? true { return false }
            key = EventKey.probe(key)
            sqlite3_bind_int64(statement, 1, key)
        }
        throw DatabaseError(message: "too many event key collisions for \(String(decoding: eventID, as: UTF8.self))")
    }
}
