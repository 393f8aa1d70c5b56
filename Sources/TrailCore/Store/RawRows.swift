// Reading raw statements' rows: texts whole, a NUL included, which GRDB's reading would cut short.

import GRDB
import GRDBSQLite

enum RawRows {
    /// Runs `sql` and hands `body` each row, the statement itself, until the rows end.
    static func forEach(_ db: Database, _ sql: String, _ body: (OpaquePointer) throws -> Void) throws {
        let statement = try db.makeStatement(sql: sql)
        try withExtendedLifetime(statement) {
            let s = statement.sqliteStatement
            defer { sqlite3_reset(s) }
            while try step(db, s) { try body(s) }
        }
    }

    /// Steps a statement: true for a row, false at its end.
    static func step(_ db: Database, _ s: OpaquePointer) throws -> Bool {
        switch sqlite3_step(s) {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        case let status: throw DatabaseError(resultCode: ResultCode(rawValue: status), message: String(cString: sqlite3_errmsg(db.sqliteConnection)))
        }
    }

    /// A text column's value; nil for NULL.
    static func text(_ s: OpaquePointer, _ i: Int32) -> String? {
        bytes(s, i).map { String(decoding: $0, as: UTF8.self) }
    }

    /// A text column's bytes, valid until the statement steps again; nil for NULL.
    static func bytes(_ s: OpaquePointer, _ i: Int32) -> UnsafeBufferPointer<UInt8>? {
        guard sqlite3_column_type(s, i) != SQLITE_NULL else { return nil }
        let bytes = sqlite3_column_text(s, i)
        return UnsafeBufferPointer(start: bytes, count: bytes == nil ? 0 : Int(sqlite3_column_bytes(s, i)))
    }

    static func int(_ s: OpaquePointer, _ i: Int32) -> Int64? {
        sqlite3_column_type(s, i) == SQLITE_NULL ? nil : sqlite3_column_int64(s, i)
    }
}
