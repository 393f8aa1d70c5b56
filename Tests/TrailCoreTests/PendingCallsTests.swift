// The importer's flushed call totals merged run against run, against SQL's GROUP BY of the same rows.

import Foundation
import GRDB
import GRDBSQLite
import Testing
import TrailFixtures
@testable import TrailCore

@Suite struct PendingCallsTests {
    /// Fills `pending_calls` with `runs` flushes, each in (caller, address) order with no key twice, as the
    /// importer writes them; keys recur across flushes. Addresses and accounts include NULL, a NUL byte,
    /// texts that are prefixes of others and non-ASCII.
    static func fill(_ db: Database, runs: Int, seed: UInt64) throws {
        var rng = SeededRandom(seed: seed)
        let addresses: [String?] = [nil, "", "10.0.0.1", "10.0.0.10", "10.0.0.1\u{0}x", "caf\u{E9}.example", "AWS Internal", "::1"]
        let accounts: [String?] = [nil, "111111111111", "222222222222", "2222", "\u{0}"]
        for _ in 0..<runs {
            var keys = Set<String>()
            var rows: [(Int64, String?)] = []
            for _ in 0..<rng.int(1...60) {
                let key = (Int64(rng.int(1...40)), addresses[rng.int(0...addresses.count - 1)])
                if keys.insert("\(key.0) \(key.1.map { "t" + $0 } ?? "n")").inserted { rows.append(key) }
            }
            rows.sort { a, b in
                if a.0 != b.0 { return a.0 < b.0 }
                guard let x = a.1 else { return b.1 != nil }
                guard let y = b.1 else { return false }
                return Array(x.utf8).lexicographicallyPrecedes(Array(y.utf8))
            }
            // Bound raw: GRDB's binding of a text stops at a NUL.
            let insert = try db.makeStatement(sql: "INSERT INTO pending_calls (caller_id, ip, calls, first, last, account) VALUES (?, ?, ?, ?, ?, ?)")
            for (caller, ip) in rows {
                let first = Int64(rng.int(1_000...2_000))
                var b = Binder(insert.sqliteStatement)
                b.int(caller); b.text(ip); b.int(Int64(rng.int(1...9))); b.int(rng.int(0...4) == 0 ? nil : first)
                b.int(rng.int(0...4) == 0 ? nil : first + Int64(rng.int(0...500))); b.text(accounts[rng.int(0...accounts.count - 1)])
                #expect(sqlite3_step(insert.sqliteStatement) == SQLITE_DONE)
                sqlite3_reset(insert.sqliteStatement)
            }
        }
    }

    /// The merged rows, in the order written, and SQL's GROUP BY of the same, in its order.
    static func mergedAndGrouped(_ db: Database) throws -> (merged: [String]?, grouped: [String]) {
        let line = "caller_id || ' ' || quote(hex(ip)) || ' ' || quote(ip IS NULL) || ' ' || calls || ' ' || quote(first) || ' ' || quote(last) || ' ' || quote(hex(account)) || ' ' || quote(account IS NULL)"
        let grouped = try String.fetchAll(db, sql: """
            SELECT \(line) FROM (SELECT caller_id, ip, SUM(calls) AS calls, MIN(first) AS first, MAX(last) AS last, MAX(account) AS account
                                 FROM pending_calls GROUP BY caller_id, ip ORDER BY caller_id, ip)
            """)
        try db.execute(sql: "DROP TABLE IF EXISTS temp.new_calls; CREATE TEMP TABLE new_calls (caller_id INTEGER, ip TEXT, calls INTEGER, first INTEGER, last INTEGER, account TEXT)")
        guard try PendingCalls.merge(into: db) else { return (nil, grouped) }
        return (try String.fetchAll(db, sql: "SELECT \(line) FROM temp.new_calls ORDER BY rowid"), grouped)
    }

    @Test(arguments: [1, 2, 7, 64])
    func mergingTheFlushesGivesTheTotalsOfSQLsGroupByInItsOrder(_ runs: Int) throws {
        let t = try TestStore()
        let (merged, grouped) = try t.store.dbQueue.write { db in
            try Self.fill(db, runs: runs, seed: UInt64(runs))
            return try Self.mergedAndGrouped(db)
        }
        #expect(grouped.count > runs)
        #expect(merged == grouped)
    }

    @Test func aFlushStartingWithTheKeyTheLastOneEndedWithIsARunOfItsOwn() throws {
        let t = try TestStore()
        let (merged, grouped) = try t.store.dbQueue.write { db in
            try db.execute(sql: """
                INSERT INTO pending_calls (caller_id, ip, calls, first, last, account) VALUES
                    (1, 'a', 1, 10, 10, NULL), (2, 'b', 2, 20, 21, '1'),
                    (2, 'b', 3, 15, 30, '2'), (3, 'c', 4, 40, 40, NULL)
                """)
            return try Self.mergedAndGrouped(db)
        }
        #expect(grouped == ["1 '61' 0 1 10 10 '' 1", "2 '62' 0 5 15 30 '32' 0", "3 '63' 0 4 40 40 '' 1"])
        #expect(merged == grouped)
    }

    @Test func rowsInNoOrderAreLeftToSQL() throws {
        let t = try TestStore()
        let (merged, grouped) = try t.store.dbQueue.write { db in
            // Each row before the one it follows: a run each.
            for caller in (1...Int64(PendingCalls.maxRuns + 1)).reversed() {
                try db.execute(sql: "INSERT INTO pending_calls (caller_id, ip, calls, first, last, account) VALUES (?, '10.0.0.1', 1, 5, 5, NULL)",
                               arguments: [caller])
            }
            return try Self.mergedAndGrouped(db)
        }
        #expect(merged == nil)
        #expect(grouped.count == PendingCalls.maxRuns + 1)
    }

    @Test func anImportThatFlushedManyTimesCountsEverySessionsCallsOnce() throws {
        // Flushes of at most 16 totals: the 1 GB corpus's share of runs and more, keys recurring across them.
        let folder = TemporaryFolder()
        _ = try CorpusGenerator(seed: 9).write(records: 3_000, to: folder.url)
        func sessions(_ limit: Int) throws -> [String] {
            let store = try Store(path: folder.url.appendingPathComponent("calls-\(limit).db").path)
            var options = ImportOptions()
            options.pendingCallsLimit = limit
            _ = try Importer(store: store, options: options).run(paths: [folder.path], report: { _ in })
            return try store.dbQueue.read { db in
                try String.fetchAll(db, sql: """
                    SELECT access_key_id || ' ' || calls || ' ' || quote(first_call) || ' ' || quote(last_call) || ' ' || quote(first_ip) FROM sessions
                    UNION ALL SELECT s.access_key_id || ' ' || i.ip FROM session_ips i JOIN sessions s ON s.id = i.session_id
                    ORDER BY 1
                    """)
            }
        }
        let many = try sessions(16)
        #expect(many.count > 100)
        #expect(many == (try sessions(1 << 20)))
    }
}
