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
    public var own: (Origin, Attribution)?
    public var minted: Origin?
    public var key: Int64
    public var caller: Caller
    public var callerHash: Int64

    public init(_ framed: __owned FramedRecord) {
        key = EventKey.hash(framed.key)
        let own = IdentityRules.ownAttribution(framed.record)
        self.own = own
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
        if var value {
            value.withUTF8 { buffer in
                if let base = buffer.baseAddress {
                    _ = sqlite3_bind_text(statement, index, UnsafeRawPointer(base).assumingMemoryBound(to: CChar.self),
                                          Int32(buffer.count), sqliteTransient)
                } else {
                    _ = sqlite3_bind_text(statement, index, "", 0, sqliteTransient)
                }
            }
        } else {
            sqlite3_bind_null(statement, index)
        }
        index += 1
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
        let callerColumns = Caller.columns.joined(separator: ", ")
        findCallers = try db.cachedStatement(sql: "SELECT id, \(callerColumns) FROM callers WHERE hash = ?")
        insertCaller = try db.cachedStatement(sql: """
            INSERT INTO callers (hash, \(callerColumns))
            VALUES (?, \(Array(repeating: "?", count: Caller.columns.count).joined(separator: ", ")))
            """)
    }

    private let existing: Statement
    private let findCallers: Statement
    private let insertCaller: Statement
    /// The callers met lately and their ids, by their stored hash. Bounded: a session's calls come close
    /// together, and a miss costs one indexed look-up.
    private var callers: [Int64: (caller: Caller, id: Int64)] = [:]
    static let callerCacheSize = 8192

    /// Forgets the cached caller ids: after a rollback some may be gone from the store.
    func forgetCallers() {
        callers.removeAll(keepingCapacity: true)
    }

    private func callerID(_ p: borrowing ParsedRecord) throws -> Int64 {
        if let cached = callers[p.callerHash], cached.caller == p.caller { return cached.id }
        // Raw statements both ways: GRDB's text binding and reading stop at a NUL, which a field may hold.
        let find = findCallers.sqliteStatement
        sqlite3_bind_int64(find, 1, p.callerHash)
        var found: Int64?
        while found == nil, sqlite3_step(find) == SQLITE_ROW {
            if Caller(statement: find, from: 1) == p.caller { found = sqlite3_column_int64(find, 0) }
        }
        sqlite3_reset(find)
        let id: Int64
        if let found {
            id = found
        } else {
            let statement = insertCaller.sqliteStatement
            var b = Binder(statement)
            let c = p.caller
            b.int(p.callerHash)
            b.text(c.uiType); b.text(c.principalId); b.text(c.arn); b.text(c.accessKeyId); b.text(c.userName)
            b.text(c.invokedBy); b.text(c.onBehalfOf); b.text(c.credentialId); b.text(c.issuerArn)
            b.text(c.federatedProvider); b.int(c.sessionCreated); b.int(c.mfaAuthenticated); b.text(c.sourceIdentity)
            b.text(c.ownIdentity); b.text(c.ownKind); b.text(c.ownAttribution)
            let status = sqlite3_step(statement)
            sqlite3_reset(statement)
            guard status == SQLITE_DONE else {
                throw DatabaseError(resultCode: ResultCode(rawValue: status), message: String(cString: sqlite3_errmsg(db.sqliteConnection)))
            }
            id = sqlite3_last_insert_rowid(db.sqliteConnection)
        }
        if callers.count >= EventWriter.callerCacheSize { callers.removeAll(keepingCapacity: true) }
        callers[p.callerHash] = (p.caller, id)
        return id
    }

    /// Stores one record; true if it was new.
    func write(_ p: borrowing ParsedRecord, fileID: Int64) throws -> Bool {
        let r = p.framed.record
        let m = r.mint
        let callerID = try callerID(p)
        let statement = insert.sqliteStatement
        var b = Binder(statement)
        b.int(p.key)
        b.text(p.framed.key)
        b.int(r.eventTime)
        b.text(r.recipientAccountId ?? r.userIdentity.accountId)
        b.text(r.awsRegion)
        b.text(r.eventSource)
        b.text(r.eventName)
        b.text(r.eventType)
        b.text(r.errorCode)
        b.text(r.sourceIPAddress)
        b.text(r.userAgent)
        b.text(r.resource)
        b.bool(r.readOnly)
        b.text(r.sharedEventID)
        b.int(callerID)
        b.text(m.roleArn)
        let roleName = m.roleArn.flatMap(ARN.roleName)
        b.text(roleName)
        b.text(roleName.flatMap(ARN.permissionSet))
        b.text(m.roleSessionName ?? m.federationName)
        b.text(m.accessKeyId)
        b.int(m.expiration)
        b.text(m.assumedRoleId)
        b.text(m.assumedRoleArn ?? m.federatedUserArn)
        b.text(m.federatedUserArn)
        b.text(m.responseSourceIdentity ?? m.sourceIdentity)
        b.text(p.minted?.identity)
        b.text(p.minted?.kind.rawValue)
        b.text(r.mfaUsed)
        b.text(r.consoleLoginResult)
        b.text(r.ssoRoleName)
        b.text(r.ssoAccountId)
        b.int(fileID)
        b.int(Int64(p.framed.offset))
        b.int(Int64(p.framed.length))
        b.int(Int64(p.framed.index))
        b.bool(p.framed.embedded)
        var key = p.key
        for _ in 0..<64 {
            // An upsert that updates leaves the last rowid alone: zero before means "not inserted" after.
            sqlite3_set_last_insert_rowid(db.sqliteConnection, 0)
            let status = sqlite3_step(statement)
            sqlite3_reset(statement)
            guard status == SQLITE_DONE else {
                throw DatabaseError(resultCode: ResultCode(rawValue: status), message: String(cString: sqlite3_errmsg(db.sqliteConnection)))
            }
            if bulk || sqlite3_last_insert_rowid(db.sqliteConnection) != 0 { return true }
            // Stored already, or another id with the same hash: then try the next key.
            let stored = try String.fetchOne(existing, arguments: [key])
            if stored == nil || stored == p.framed.key { return false }
            key = EventKey.probe(key)
            sqlite3_bind_int64(statement, 1, key)
        }
        throw DatabaseError(message: "too many event key collisions for \(p.framed.key)")
    }
}
