// The writer's dedup key: one row per event id, even when two ids share a hash.

import Foundation
import GRDB
import Testing
@testable import TrailCore

@Suite struct EventWriterTests {
    func parsed(_ id: String, key: Int64? = nil) throws -> ParsedRecord {
        let text = #"{"eventVersion":"1.08","eventID":"\#(id)","eventTime":"2026-11-01T00:00:00Z","eventName":"A"}"#
        var p = ParsedRecord(try readRecords(Array(text.utf8)).records[0])
        if let key { p.key = key }
        return p
    }

    @Test func twoIdsWithOneHashAreBothStoredAndEachOnlyOnce() throws {
        let t = try TestStore()
        let inserted = try t.store.dbQueue.write { db -> [Bool] in
            let writer = try EventWriter(db: db)
            return [
                try writer.write(try parsed("first", key: 42), fileID: 1),
                try writer.write(try parsed("second", key: 42), fileID: 1),
                try writer.write(try parsed("first", key: 42), fileID: 1),
                try writer.write(try parsed("second", key: 42), fileID: 1),
                try writer.write(try parsed("third"), fileID: 1),
            ]
        }
        #expect(inserted == [true, true, false, false, true])
        let ids = try t.store.dbQueue.read { db in try String.fetchAll(db, sql: "SELECT event_id FROM events ORDER BY id") }
        #expect(ids == ["first", "second", "third"])
    }
}
