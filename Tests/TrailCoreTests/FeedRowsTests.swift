// Rows made in memory and read by SQL through `trail_feed`.

import Foundation
import GRDB
import Testing
@testable import TrailCore

@Suite struct FeedRowsTests {
    @Test func everyValueReachesTheTableAsItWasAddedNullsEmptyTextsAndNulsIncluded() throws {
        let t = try TestStore()
        var rows = FeedRows(columns: 3)
        rows.add(1 as Int64); rows.add("plain"); rows.add(nil as String?)
        rows.add(-7 as Int64); rows.add(""); rows.add("a\u{0}b")
        rows.add(nil as Int64?); rows.add("caf\u{E9}"); rows.add(copyOf: 0, 1)
        #expect(rows.count == 3)
        let (changes, stored) = try t.store.dbQueue.write { db in
            try db.execute(sql: "CREATE TABLE fed (a, b, c)")
            return (try rows.run(db, "INSERT INTO fed SELECT c0, c1, c2 FROM trail_feed(?)"),
                    try Row.fetchAll(db, sql: "SELECT typeof(a), a, typeof(b), hex(b), typeof(c), hex(c) FROM fed ORDER BY rowid"))
        }
        #expect(changes == 3)
        #expect(stored.map { "\($0[0] as String) \($0[1] as Int64? ?? 0) \($0[2] as String) \($0[3] as String) \($0[4] as String) \($0[5] as String)" } == [
            "integer 1 text 706C61696E null ",
            "integer -7 text  text 610062",
            "null 0 text 636166C3A9 text 706C61696E",
        ])
    }

    @Test func rowsHeldPastTheirBatchAreStoredAndTheRestOnTheLastFlush() throws {
        let t = try TestStore()
        let (total, most, left) = try t.store.dbQueue.write { db -> (Int, Int, Int) in
            try db.execute(sql: "CREATE TABLE fed (n INTEGER, s TEXT)")
            var rows = FeedRows(columns: 2)
            var most = 0
            for n in 0..<1_000 {
                rows.add(Int64(n)); rows.add("row \(n)")
                try rows.flush(db, "INSERT INTO fed SELECT c0, c1 FROM trail_feed(?)", atLeast: 64)
                most = max(most, rows.count)
            }
            try rows.flush(db, "INSERT INTO fed SELECT c0, c1 FROM trail_feed(?)", atLeast: 1)
            return (try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM fed WHERE s = 'row ' || n") ?? 0, most, rows.count)
        }
        #expect(total == 1_000)
        #expect(most == 63)
        #expect(left == 0)
    }

    @Test func theTableReadsNothingButRowsBoundAsItsSource() throws {
        let t = try TestStore()
        func run(_ sql: String) throws -> Int? { try t.store.dbQueue.write { db in try Int.fetchOne(db, sql: sql) } }
        // A query cannot name the table without its source, nor pass a number or a text for it.
        #expect(throws: DatabaseError.self) { try run("SELECT COUNT(*) FROM trail_feed") }
        #expect(try run("SELECT COUNT(*) FROM trail_feed(1)") == 0)
        #expect(try run("SELECT COUNT(*) FROM trail_feed('rows')") == 0)
        // Nor can it become a table of the store.
        #expect(throws: DatabaseError.self) { try run("CREATE VIRTUAL TABLE kept USING trail_feed") }
    }
}
