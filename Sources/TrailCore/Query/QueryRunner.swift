// Runs SQL against the store with named parameters bound, never pasted, and streams rows to a sink.

import GRDB
import GRDBSQLite

public struct QueryError: Error, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// A value for a named parameter.
public enum Parameter: Equatable, Sendable {
    case null
    case int(Int64)
    case text(String)
}

public struct QueryRunner {
    let store: Store

    public init(store: Store) {
        self.store = store
    }

    /// Parameters every query may use; unset, they are NULL (no filter).
    public static let filterParameters: Set<String> = ["since", "until", "account", "role", "who", "who_repo", "session"]

    /// The values sorted, each once (sorting first: no hashing of what is mostly distinct already).
    static func sortedSet(_ values: [String]) -> [String] {
        var sorted = values.sorted()
        var kept = 0
        for i in sorted.indices where i == 0 || sorted[i] != sorted[kept - 1] {
            sorted.swapAt(i, kept)
            kept += 1
        }
        sorted.removeLast(sorted.count - kept)
        return sorted
    }

    /// How a column's text is read: `x:list` is a JSON array returned as the sorted set `x` (nulls
    /// dropped); `x:array` is a JSON array returned in order.
    enum ColumnKind { case scalar, set, array }

    /// Runs a read-only SQL text with its named parameters (`:name`), streaming rows to `sink`.
    public func run(sql: String, parameters: [String: Parameter], limit: Int? = nil, into sink: RowSink) throws {
        try store.dbQueue.read { db in
            let statement = try db.makeStatement(sql: sql)
            let stmt = statement.sqliteStatement
            guard sqlite3_stmt_readonly(stmt) != 0 else { throw QueryError("a query may only read the store") }
            let count = sqlite3_bind_parameter_count(stmt)
            if count > 0 {
                for index in 1...count {
                    guard let cName = sqlite3_bind_parameter_name(stmt, index) else {
                        throw QueryError("positional parameters (?) are not supported; use :name")
                    }
                    let name = String(String(cString: cName).dropFirst())
                    switch parameters[name] {
                    case .int(let v)?: sqlite3_bind_int64(stmt, index, v)
                    case .text(let v)?: _ = sqlite3_bind_text(stmt, index, v, -1, sqliteTransient)
                    case .null?: sqlite3_bind_null(stmt, index)
                    case nil:
                        guard QueryRunner.filterParameters.contains(name) else {
                            throw QueryError("missing parameter '\(name)': give it with --param \(name)=VALUE")
                        }
                        sqlite3_bind_null(stmt, index)
                    }
                }
            }
            let columnCount = Int(sqlite3_column_count(stmt))
            var names: [String] = []
            var kinds: [ColumnKind] = []
            for i in 0..<columnCount {
                let name = String(cString: sqlite3_column_name(stmt, Int32(i)))
                if name.hasSuffix(":list") {
                    names.append(String(name.dropLast(5)))
                    kinds.append(.set)
                } else if name.hasSuffix(":array") {
                    names.append(String(name.dropLast(6)))
                    kinds.append(.array)
                } else {
                    names.append(name)
                    kinds.append(.scalar)
                }
            }
            try sink.begin(columns: names)
            var produced = 0
            while true {
                if let limit, produced >= limit { break }
                let status = sqlite3_step(stmt)
                if status == SQLITE_DONE { break }
                guard status == SQLITE_ROW else {
                    throw QueryError(String(cString: sqlite3_errmsg(db.sqliteConnection)))
                }
                var cells: [Cell] = []
                cells.reserveCapacity(columnCount)
                for i in 0..<columnCount {
                    let column = Int32(i)
                    switch sqlite3_column_type(stmt, column) {
                    case SQLITE_NULL:
                        cells.append(kinds[i] == .scalar ? .null : .list([]))
                    case SQLITE_INTEGER:
                        cells.append(.int(sqlite3_column_int64(stmt, column)))
                    case SQLITE_FLOAT:
                        cells.append(.real(sqlite3_column_double(stmt, column)))
                    default:
                        let bytes = sqlite3_column_bytes(stmt, column)
                        let text: String
                        if let p = sqlite3_column_text(stmt, column) {
                            text = String(decoding: UnsafeBufferPointer(start: p, count: Int(bytes)), as: UTF8.self)
                        } else {
                            text = ""
                        }
                        switch kinds[i] {
                        case .scalar: cells.append(.text(text))
                        case .set: cells.append(.list(QueryRunner.sortedSet(JSONText.parseArray(text))))
                        case .array: cells.append(.list(JSONText.parseArray(text)))
                        }
                    }
                }
                try sink.row(cells)
                produced += 1
            }
            sqlite3_reset(stmt)
            try sink.finish()
        }
    }
}
