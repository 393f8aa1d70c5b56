// Opens the SQLite store: location, permissions, pragmas and migrations.

import Foundation
import GRDB
import CTrailSupport
import GRDBSQLite

public final class Store {
    public let path: String
    public let dbQueue: DatabaseQueue

    /// The store path: `--db` wins over `TRAIL_DB`, which wins over `./trail.db`.
    public static func resolvePath(option: String?, environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let option, !option.isEmpty { return option }
        if let env = environment["TRAIL_DB"], !env.isEmpty { return env }
        return "trail.db"
    }

    /// `arn_account(arn)`: the account of an ARN, for the saved queries and the resolver (once per minted
    /// session). Answered from SQLite's own bytes: no Swift string made, none returned (`ARN.account`'s
    /// rules, on the same bytes).
    static func addARNAccount(_ db: Database) {
        let function: @convention(c) (OpaquePointer?, Int32, UnsafeMutablePointer<OpaquePointer?>?) -> Void = { context, _, arguments in
            guard let value = arguments?[0], sqlite3_value_type(value) == SQLITE_TEXT, let text = sqlite3_value_text(value) else {
                sqlite3_result_null(context)
                return
            }
            let bytes = UnsafeBufferPointer(start: text, count: Int(sqlite3_value_bytes(value)))
            guard let (fourth, fifth) = ARN.accountColons(bytes), fifth > fourth + 1 else {
                sqlite3_result_null(context)
                return
            }
            text.advanced(by: fourth + 1).withMemoryRebound(to: CChar.self, capacity: fifth - fourth - 1) {
                sqlite3_result_text(context, $0, Int32(fifth - fourth - 1), sqliteTransient)
            }
        }
        sqlite3_create_function_v2(db.sqliteConnection, "arn_account", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC, nil,
                                   function, nil, nil, nil)
    }

    /// `github_repo(subject)`: the repository a GitHub Actions subject names (custom templates included).
    /// Queries call it per row, so the usual `repo:OWNER/NAME:…` is answered from SQLite's own bytes,
    /// without the allocations of a Swift function wrapper.
    static func addGitHubRepository(_ db: Database) {
        let function: @convention(c) (OpaquePointer?, Int32, UnsafeMutablePointer<OpaquePointer?>?) -> Void = { context, _, arguments in
            guard let value = arguments?[0], sqlite3_value_type(value) == SQLITE_TEXT, let text = sqlite3_value_text(value) else {
                sqlite3_result_null(context)
                return
            }
            let count = Int(sqlite3_value_bytes(value))
            let bytes = UnsafeBufferPointer(start: text, count: count)
            if count > 5, bytes.starts(with: "repo:".utf8) {
                let end = bytes[5...].firstIndex(of: UInt8(ascii: ":")) ?? count
                if end > 5 {
                    text.advanced(by: 5).withMemoryRebound(to: CChar.self, capacity: end - 5) {
                        sqlite3_result_text(context, $0, Int32(end - 5), sqliteTransient)
                    }
                } else {
                    sqlite3_result_null(context)
                }
                return
            }
            // An orphan's assumed-role ARN names no repository: no need to parse it as claims.
            guard !bytes.starts(with: "arn:".utf8),
                  let repository = GitHubSubject(String(decoding: bytes, as: UTF8.self))?.repository else {
                sqlite3_result_null(context)
                return
            }
            sqlite3_result_text(context, repository, -1, sqliteTransient)
        }
        sqlite3_create_function_v2(db.sqliteConnection, "github_repo", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC, nil,
                                   function, nil, nil, nil)
    }

    /// `github_context(subject)`: the rest of the subject: ref, environment, pull_request, custom claims.
    static let githubContext = DatabaseFunction("github_context", argumentCount: 1, pure: true) { values in
        guard let subject = String.fromDatabaseValue(values[0]) else { return nil }
        return GitHubSubject(subject)?.context
    }

    /// Runs `body` (a large import) with the store in rollback-journal mode when `on`. In WAL mode every
    /// page is written twice, to the log and then back into the database; a rollback journal keeps only
    /// the old content of pages that existed before, and a large import writes mostly new ones (1 GB
    /// benchmark: 5.3-5.7 s -> 4.8-4.9 s). `synchronous = FULL` meanwhile keeps each commit as safe as WAL's;
    /// a process killed midway leaves a hot journal that the next opening rolls back. If another
    /// connection holds the store, the mode cannot change, and the import runs in WAL mode as usual.
    func bulkJournal<T>(_ on: Bool, _ body: () throws -> T) throws -> T {
        guard on else { return try body() }
        let switched = try dbQueue.writeWithoutTransaction { db -> Bool in
            // Without waiting: another connection's lock just means staying in WAL mode.
            sqlite3_busy_timeout(db.sqliteConnection, 0)
            defer { sqlite3_busy_timeout(db.sqliteConnection, Store.busyTimeoutMilliseconds) }
            guard (try? String.fetchOne(db, sql: "PRAGMA journal_mode = DELETE")) == "delete" else { return false }
            try db.execute(sql: "PRAGMA synchronous = FULL")
            return true
        }
        guard switched else { return try body() }
        defer {
            try? dbQueue.writeWithoutTransaction { db in
                try db.execute(sql: "PRAGMA journal_mode = WAL")
                try db.execute(sql: "PRAGMA synchronous = NORMAL")
            }
        }
        return try body()
    }

    static let busyTimeoutMilliseconds: Int32 = 30_000

    /// Starts writing the store's dirty pages to disk, on another thread, without waiting: a bulk import
    /// calls it before the single-threaded work at its end, so that its commit finds the pages written
    /// (1 GB benchmark: commit 0.13 -> 0.02 s). Only a start: the commit still syncs everything.
    func startWriteback() {
        let path = self.path
        DispatchQueue.global(qos: .utility).async { trail_start_writeback(path) }
    }

    public init(path: String) throws {
        self.path = path
        // The store holds who did what: readable by its owner only, created so from the start.
        if !FileManager.default.fileExists(atPath: path) {
            let fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0o600)
            if fd >= 0 { close(fd) }
        }
        var config = Configuration()
        config.busyMode = .timeout(Double(Store.busyTimeoutMilliseconds) / 1000)
        config.prepareDatabase { db in
            // Larger pages: fewer B-tree pages per row and fewer page writes (only takes on a new store).
            try db.execute(sql: "PRAGMA page_size = 16384")
            try db.execute(sql: "PRAGMA journal_mode = WAL")
            // NORMAL in WAL mode is crash-safe for the database; a power loss may drop the last commits,
            // which the next import simply redoes (files are only marked imported with their records).
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
            // Sorts (index builds, GROUP BY) spill to temporary files rather than grow memory.
            try db.execute(sql: "PRAGMA temp_store = FILE")
            try db.execute(sql: "PRAGMA cache_size = -24576")
            Store.addARNAccount(db)
            Store.addGitHubRepository(db)
            db.add(function: Store.githubContext)
            Caller.addSQLHash(db)
            guard trail_feed_register(UnsafeMutableRawPointer(db.sqliteConnection)) == SQLITE_OK else {
                throw DatabaseError(message: "cannot register trail_feed")
            }
        }
        dbQueue = try DatabaseQueue(path: path, configuration: config)
        try Schema.migrator().migrate(dbQueue)
        try dbQueue.write { db in try Schema.restoreEventIndexes(db) }
        for suffix in ["-wal", "-shm"] {
            chmod(path + suffix, 0o600)
        }
    }
}
