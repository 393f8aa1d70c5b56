// The saved queries: built into the binary, plus the user's own folder (`--queries DIR`, `TRAIL_QUERIES`).

import Foundation

public struct SavedQuery: Sendable, Equatable {
    public var name: String
    public var description: String
    public var parameters: String
    public var sql: String
    /// Where it came from: `built-in` or the file's path.
    public var origin: String

    public init(name: String, sql: String, origin: String) {
        self.name = name
        self.sql = sql
        self.origin = origin
        var description = ""
        var parameters = ""
        for line in sql.split(separator: "\n", omittingEmptySubsequences: false) {
            guard line.hasPrefix("--") else { break }
            let text = line.dropFirst(2).trimmingCharacters(in: .whitespaces)
            if text.hasPrefix("description:") {
                description = text.dropFirst("description:".count).trimmingCharacters(in: .whitespaces)
            } else if text.hasPrefix("params:") {
                parameters = text.dropFirst("params:".count).trimmingCharacters(in: .whitespaces)
            }
        }
        self.description = description
        self.parameters = parameters
    }
}

public enum SavedQueries {
    /// The built-in queries, then the user's: a user's query of the same name wins.
    public static func all(userFolder: String?) throws -> [String: SavedQuery] {
        var queries: [String: SavedQuery] = [:]
        for (name, sql) in BuiltinQueries.all {
            queries[name] = SavedQuery(name: name, sql: sql, origin: "built-in")
        }
        if let userFolder, !userFolder.isEmpty {
            let names: [String]
            do {
                names = try FileManager.default.contentsOfDirectory(atPath: userFolder)
            } catch {
                throw QueryError("cannot read the queries folder \(userFolder)")
            }
            for file in names where file.hasSuffix(".sql") {
                let path = (userFolder as NSString).appendingPathComponent(file)
                guard let sql = try? String(contentsOfFile: path, encoding: .utf8) else {
                    throw QueryError("cannot read \(path)")
                }
                let name = String(file.dropLast(4))
                queries[name] = SavedQuery(name: name, sql: sql, origin: path)
            }
        }
        return queries
    }

    public static func builtin(_ name: String) -> SavedQuery {
        SavedQuery(name: name, sql: BuiltinQueries.all[name]!, origin: "built-in")
    }
}
