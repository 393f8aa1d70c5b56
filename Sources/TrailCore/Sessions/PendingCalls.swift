// The calls stored since the last resolution, added up by caller and source address: the importer's
// flushes merged rather than sorted again.

import GRDB
import GRDBSQLite

/// `pending_calls` holds one run per flush of the importer, each in (caller, address) order
/// (`EventWriter.flushCalls`). Merged run against run, they come out added up and in that order, as
/// SQL's GROUP BY gives them, without its sort of every row (1 GB: 0.12-0.14 s for 104,858 rows).
enum PendingCalls {
    /// More runs than this (rows written in another order) are left to SQL's GROUP BY.
    static let maxRuns = 64

    /// Appends the pending calls, added up by caller and address and in that order, to `temp.new_calls`
    /// (caller_id, ip, calls, first, last, account). False, and nothing written, if they are not in a few runs.
    static func merge(into db: Database) throws -> Bool {
        guard let runs = try runStarts(db), runs.count <= maxRuns else { return false }
        guard !runs.isEmpty else { return true }
        let statements = try runs.indices.map { _ in
            try db.makeStatement(sql: """
                SELECT caller_id, ip, calls, first, last, account FROM pending_calls WHERE rowid >= ? AND rowid < ? ORDER BY rowid
                """)
        }
        return try withExtendedLifetime(statements) {
            var cursors: [OpaquePointer] = []
            for (i, statement) in statements.enumerated() {
                let s = statement.sqliteStatement
                sqlite3_bind_int64(s, 1, runs[i])
                sqlite3_bind_int64(s, 2, i + 1 < runs.count ? runs[i + 1] : Int64.max)
                if try RawRows.step(db, s) { cursors.append(s) } else { sqlite3_reset(s) }
            }
            defer { for statement in statements { sqlite3_reset(statement.sqliteStatement) } }
            let insert = "INSERT INTO temp.new_calls (caller_id, ip, calls, first, last, account) SELECT c0, c1, c2, c3, c4, c5 FROM trail_feed(?)"
            var rows = FeedRows(columns: 6)
            // The group's address and account, copied: their rows' bytes go as the cursors step.
            var ip = Bytes()
            var account = Bytes()
            while !cursors.isEmpty {
                var low = 0
                for i in 1..<cursors.count where order(cursors[i], cursors[low]) < 0 { low = i }
                let caller = sqlite3_column_int64(cursors[low], 0)
                ip.set(RawRows.bytes(cursors[low], 1))
                var calls: Int64 = 0
                var first: Int64?
                var last: Int64?
                account.set(nil)
                // Every run's row of this caller and address (at most one each: a flush holds a key once).
                var i = 0
                while i < cursors.count {
                    let c = cursors[i]
                    guard sqlite3_column_int64(c, 0) == caller, ip.compare(RawRows.bytes(c, 1)) == 0 else { i += 1; continue }
                    calls += sqlite3_column_int64(c, 2)
                    if let t = RawRows.int(c, 3), first.map({ t < $0 }) ?? true { first = t }
                    if let t = RawRows.int(c, 4), last.map({ t > $0 }) ?? true { last = t }
                    // MAX of the accounts, as SQL's: byte order, NULL ignored.
                    if let a = RawRows.bytes(c, 5), account.isNull || account.compare(a) < 0 { account.set(a) }
                    if try RawRows.step(db, c) { i += 1 } else {
                        sqlite3_reset(c)
                        cursors.remove(at: i)
                    }
                }
                rows.add(caller)
                ip.add(to: &rows)
                rows.add(calls)
                rows.add(first)
                rows.add(last)
                account.add(to: &rows)
                try rows.flush(db, insert)
            }
            try rows.flush(db, insert, atLeast: 1)
            return true
        }
    }

    /// The first rowid of each run of rows in strictly increasing (caller, address) order, or nil if
    /// there are more than `maxRuns`.
    private static func runStarts(_ db: Database) throws -> [Int64]? {
        let statement = try db.makeStatement(sql: "SELECT rowid, caller_id, ip FROM pending_calls ORDER BY rowid")
        return try withExtendedLifetime(statement) {
            let s = statement.sqliteStatement
            defer { sqlite3_reset(s) }
            var starts: [Int64] = []
            var caller: Int64 = 0
            var ip = Bytes()
            while try RawRows.step(db, s) {
                let c = sqlite3_column_int64(s, 1)
                let address = RawRows.bytes(s, 2)
                // Not after the row before: a run starts here.
                if starts.isEmpty || c < caller || (c == caller && ip.compare(address) >= 0) {
                    starts.append(sqlite3_column_int64(s, 0))
                    if starts.count > maxRuns { return nil }
                }
                caller = c
                ip.set(address)
            }
            return starts
        }
    }

    // MARK: Rows of raw statements

    /// The row's caller and address against another row's, as SQLite orders them.
    private static func order(_ a: OpaquePointer, _ b: OpaquePointer) -> Int {
        let x = sqlite3_column_int64(a, 0), y = sqlite3_column_int64(b, 0)
        if x != y { return x < y ? -1 : 1 }
        guard let p = RawRows.bytes(a, 1) else { return RawRows.bytes(b, 1) == nil ? 0 : -1 }
        guard let q = RawRows.bytes(b, 1) else { return 1 }
        return bytesOrder(p, q)
    }


    /// A text value kept (or NULL), its buffer reused.
    private struct Bytes {
        var isNull = true
        var bytes: [UInt8] = []

        mutating func set(_ value: UnsafeBufferPointer<UInt8>?) {
            isNull = value == nil
            bytes.removeAll(keepingCapacity: true)
            if let value { bytes.append(contentsOf: value) }
        }

        /// Against another value, as SQLite orders them: NULL first, then bytes.
        func compare(_ other: UnsafeBufferPointer<UInt8>?) -> Int {
            guard let other else { return isNull ? 0 : 1 }
            if isNull { return -1 }
            return bytes.withUnsafeBufferPointer { bytesOrder($0, other) }
        }

        func add(to rows: inout FeedRows) {
            if isNull { rows.add(nil as Int64?) } else { bytes.withUnsafeBufferPointer { rows.add(text: $0) } }
        }
    }
}
