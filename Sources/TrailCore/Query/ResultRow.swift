// The values a query returns, and the sinks that print them.

/// One cell of a result.
public enum Cell: Equatable, Sendable {
    case null
    case int(Int64)
    case real(Double)
    case text(String)
    case list([String])

    public var text: String? {
        switch self {
        case .null: return nil
        case .int(let v): return String(v)
        case .real(let v): return String(v)
        case .text(let v): return v
        case .list(let v): return v.joined(separator: ";")
        }
    }
}

/// Receives a result row by row; `finish` ends it.
public protocol RowSink: AnyObject {
    func begin(columns: [String]) throws
    func row(_ cells: [Cell]) throws
    func finish() throws
}

/// Keeps every row in memory (tests and small results).
public final class CollectingSink: RowSink {
    public private(set) var columns: [String] = []
    public private(set) var rows: [[Cell]] = []
    public init() {}
    public func begin(columns: [String]) { self.columns = columns }
    public func row(_ cells: [Cell]) { rows.append(cells) }
    public func finish() {}

    /// Rows as dictionaries keyed by column name.
    public var records: [[String: Cell]] {
        rows.map { Dictionary(uniqueKeysWithValues: zip(columns, $0)) }
    }
}
