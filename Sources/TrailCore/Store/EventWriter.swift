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

    public init(_ framed: FramedRecord) {
        self.framed = framed
        key = EventKey.hash(framed.key)
        own = IdentityRules.ownAttribution(framed.record)
        let r = framed.record
        minted = r.errorCode == nil && r.mint.accessKeyId != nil ? IdentityRules.mintedOrigin(r) : nil
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
        "user_agent", "resource", "read_only", "shared_event_id", "ui_type", "principal_id", "arn", "access_key_id",
        "user_name", "invoked_by", "on_behalf_of", "credential_id", "issuer_arn", "federated_provider",
        "session_created", "mfa_authenticated", "source_identity", "req_role_arn", "req_role_name", "req_permission_set", "req_session_name", "minted_key",
        "minted_expires", "assumed_role_id", "assumed_role_arn", "federated_user_arn", "mint_source_identity",
        "minted_identity", "minted_kind", "mfa_used", "console_result", "sso_role", "sso_account", "own_identity",
        "own_kind", "own_attribution", "file_id", "offset", "length", "record_index", "embedded",
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
        insert = try db.cachedStatement(sql: bulk ? "INSERT INTO events (\(names)) VALUES (\(marks))" : """
            INSERT INTO events (\(names)) VALUES (\(marks))
            ON CONFLICT(event_key) DO UPDATE SET
                offset = excluded.offset, length = excluded.length,
                record_index = excluded.record_index, embedded = excluded.embedded
            WHERE events.file_id = excluded.file_id AND events.event_id = excluded.event_id
            """)
        existing = try db.cachedStatement(sql: "SELECT event_id FROM events WHERE event_key = ?")
    }

    private let existing: Statement

    /// Stores one record; true if it was new.
    func write(_ p: ParsedRecord, fileID: Int64) throws -> Bool {
        let r = p.framed.record
        let u = r.userIdentity
        let m = r.mint
        let statement = insert.sqliteStatement
        var b = Binder(statement)
        b.int(p.key)
        b.text(p.framed.key)
        b.int(r.eventTime)
        b.text(r.recipientAccountId ?? u.accountId)
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
        b.text(u.type)
        b.text(u.principalId)
        b.text(u.arn)
        b.text(u.accessKeyId)
        b.text(u.userName)
        b.text(u.invokedBy)
        b.text(u.onBehalfOfUserId)
        b.text(u.credentialId)
        b.text(u.issuerArn)
        b.text(u.federatedProvider)
        b.int(u.creationDate)
        b.bool(u.mfaAuthenticated)
        b.text(u.sourceIdentity)
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
        b.text(p.own?.0.identity)
        b.text(p.own?.0.kind.rawValue)
        b.text(p.own?.1.rawValue)
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
