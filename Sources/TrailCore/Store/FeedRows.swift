// Rows made in memory and stored by one SQL statement that reads them as a table (`trail_feed`, in
// CTrailSupport), rather than by a statement run per row.

import CTrailSupport
import GRDB
import GRDBSQLite

/// Rows of up to 32 values each (NULL, integers, texts with any bytes, a NUL included) for a statement
/// that reads them as `trail_feed(?)`, columns `c0`, `c1`...: `INSERT INTO t (a, b) SELECT c0, c1 FROM
/// trail_feed(?)`. Values are added row after row, column after column.
struct FeedRows {
    let columns: Int
    private var cells: [trail_feed_cell] = []
    /// The texts, back to back. Never empty: an empty text must point somewhere, or SQLite makes it NULL.
    private var bytes: [UInt8] = [0]

    init(columns: Int) {
        precondition(columns > 0 && columns <= 32, "trail_feed has 32 columns")
        self.columns = columns
    }

    var count: Int { cells.count / columns }
    var isEmpty: Bool { cells.isEmpty }

    mutating func reserve(rows: Int) { cells.reserveCapacity(rows * columns) }

    mutating func add(_ value: Int64?) {
        cells.append(value.map { trail_feed_cell(integer: $0, length: 0, type: Int32(TRAIL_FEED_INTEGER)) }
                     ?? trail_feed_cell(integer: 0, length: 0, type: Int32(TRAIL_FEED_NULL)))
    }

    mutating func add(_ value: String?) {
        guard let value else { return add(nil as Int64?) }
        ARN.withBytes(value) { add(text: $0) }
    }

    mutating func add(text: UnsafeBufferPointer<UInt8>) {
        cells.append(trail_feed_cell(integer: Int64(bytes.count), length: Int32(text.count), type: Int32(TRAIL_FEED_TEXT)))
        bytes.append(contentsOf: text)
    }

    /// A copy of a value already added (`row`, `column`): a repeated text is stored once.
    mutating func add(copyOf row: Int, _ column: Int) {
        cells.append(cells[row * columns + column])
    }

    mutating func removeAll() {
        cells.removeAll(keepingCapacity: true)
        bytes.removeAll(keepingCapacity: true)
        bytes.append(0)
    }

    /// Runs `sql` for the rows held once they are `rows` or more, and starts again: what bounds their memory.
    mutating func flush(_ db: Database, _ sql: String, atLeast rows: Int = FeedRows.batch) throws {
        guard count >= rows, !isEmpty else { return }
        try run(db, sql)
        removeAll()
    }

    static let batch = 8_192

    /// Runs `sql` with the rows bound to its first parameter, to the end; returns the changes it made.
    @discardableResult
    func run(_ db: Database, _ sql: String) throws -> Int {
        precondition(cells.count % columns == 0, "a row is missing values")
        let statement = try db.cachedStatement(sql: sql)
        let raw = statement.sqliteStatement
        return try cells.withUnsafeBufferPointer { cells in
            try bytes.withUnsafeBufferPointer { bytes in
                var rows = trail_feed_rows(bytes: UnsafeRawPointer(bytes.baseAddress!).assumingMemoryBound(to: CChar.self),
                                           cells: cells.baseAddress, count: Int64(cells.count / columns), columns: Int32(columns))
                return try withUnsafePointer(to: &rows) { rows in
                    // The rows live only in this scope: no binding of them outlives it.
                    defer {
                        sqlite3_reset(raw)
                        sqlite3_clear_bindings(raw)
                    }
                    _ = trail_feed_bind(UnsafeMutableRawPointer(raw), 1, rows)
                    while try RawRows.step(db, raw) {}
                    return Int(sqlite3_changes(db.sqliteConnection))
                }
            }
        }
    }
}
