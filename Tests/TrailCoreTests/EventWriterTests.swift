// The writer's dedup key: one row per event id, even when two ids share a hash.

import Foundation
import GRDB
import Testing
@testable import TrailCore
import TrailFixtures

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

    @Test func aCallerIsStoredOnceWholeEvenWithANulAndFoundAgainAfterACacheMiss() throws {
        func record(_ id: String, user: String) throws -> ParsedRecord {
            let text = #"{"eventVersion":"1.08","eventID":"\#(id)","eventTime":"2026-11-01T00:00:00Z","eventName":"A","userIdentity":{"type":"IAMUser","userName":"\#(user)","accessKeyId":"AKIAX"}}"#
            return ParsedRecord(try readRecords(Array(text.utf8)).records[0])
        }
        let t = try TestStore()
        try t.store.dbQueue.write { db in
            _ = try EventWriter(db: db).write(try record("a", user: #"ev\u0000e"#), fileID: 1)
            _ = try EventWriter(db: db).write(try record("b", user: #"ev\u0000e"#), fileID: 1)  // a new writer: an empty cache
            _ = try EventWriter(db: db).write(try record("c", user: "eve"), fileID: 1)
        }
        let rows = try t.store.dbQueue.read { db in
            try Row.fetchAll(db, sql: "SELECT length(CAST(user_name AS BLOB)) AS bytes, caller_id FROM events ORDER BY id")
        }
        #expect(rows.map { $0["bytes"] as Int } == [4, 4, 3])
        #expect(rows[0]["caller_id"] as Int64 == rows[1]["caller_id"] as Int64)
        #expect(rows[1]["caller_id"] as Int64 != rows[2]["caller_id"] as Int64)
        let callers = try t.store.dbQueue.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM callers") }
        #expect(callers == 2)
    }
}

extension EventWriterTests {
    @Test(arguments: [false, true])
    func eachUserAgentIsStoredOnceAndEveryRecordReadsItsOwnBack(bulk: Bool) throws {
        // More distinct user agents than the writer's table has slots, each met again later, some with a
        // NUL or an escape in them, and records with none.
        let agents = (0..<(EventWriter.userAgentSlots + 300)).map { i in
            i % 7 == 0 ? #"agent\u0000\#(i)"# : i % 5 == 0 ? #"aws-cli/2.\#(i) \"quoted\" é"# : "Mozilla/5.0 (\(i))"
        }
        func record(_ i: Int) -> String {
            let agent = i % 11 == 0 ? "" : #""userAgent":"\#(agents[i % agents.count])","#
            return #"{"eventVersion":"1.08","eventID":"e\#(i)","eventTime":"2026-11-01T00:00:00Z","eventName":"A",\#(agent)"#
                + #""userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::1:user/u","accessKeyId":"AKIAU"}}"#
        }
        let folder = TemporaryFolder()
        let n = agents.count * 2
        try folder.write("a.json", "[" + (0..<(n / 2)).map(record).joined(separator: ",") + "]")
        try folder.write("b.json", "[" + ((n / 2)..<n).map(record).joined(separator: ",") + "]")
        let t = try TestStore()
        var options = ImportOptions()
        options.bulk = bulk
        var errors: [InputError] = []
        _ = try Importer(store: t.store, options: options).run(paths: [folder.url.path], report: { errors.append($0) })
        #expect(errors.isEmpty, "\(errors)")
        let (rows, stored) = try t.store.dbQueue.read { db in
            (try Row.fetchAll(db, sql: "SELECT event_id, CAST(user_agent AS BLOB) AS agent FROM events"),
             try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM user_agents"))
        }
        #expect(rows.count == n)
        for row in rows {
            let i = Int((row["event_id"] as String).dropFirst())!
            let expected = i % 11 == 0 ? nil : try JSONSerialization.jsonObject(with: Data("\"\(agents[i % agents.count])\"".utf8), options: .fragmentsAllowed) as? String
            let got = (row["agent"] as Data?).map { String(decoding: $0, as: UTF8.self) }
            if got != expected { Issue.record("e\(i): \(String(describing: got)) expected \(String(describing: expected))"); break }
        }
        let used = Set((0..<n).filter { $0 % 11 != 0 }.map { $0 % agents.count })
        #expect(stored == used.count)
    }
}

@Suite struct ShortTextTests {
    @Test func shortTextsKeepTheirValueAndSortAsSQLiteSortsText() {
        // Addresses and account ids as the writer counts them: equal exactly when their bytes are, and
        // ordered by bytes (what `MAX` of text picks), across the 16-byte in-place limit.
        let values: [String?] = [nil, "", "a", "ab", "ab\u{0}", "abc", "111111111111", "111111111112", "10.0.0.1", "10.0.0.10",
                                 "9.9.9.9", "é", "0123456789abcdef", "0123456789abcdeg", "0123456789abcdef0",
                                 "ec2.amazonaws.com", "2001:db8::1", "2001:0db8:85a3:0000:0000:8a2e:0370:7334"]
        var bytes: [UInt8] = []
        var spans: [Span] = []
        for value in values {
            guard let value else { spans.append(.null); continue }
            spans.append(Span(start: Int32(bytes.count), count: Int32(value.utf8.count)))
            bytes += Array(value.utf8)
        }
        bytes.withUnsafeBufferPointer { buffer in
            let texts = spans.map { EventWriter.ShortText($0, in: buffer) }
            for (i, x) in texts.enumerated() {
                #expect(x.string == values[i], "\(values[i] ?? "nil")")
                for (j, y) in texts.enumerated() {
                    #expect((x == y) == (values[i] == values[j]), "\(values[i] ?? "nil") \(values[j] ?? "nil")")
                    if x == y { #expect(x.hashValue == y.hashValue) }
                    if let a = values[i], let b = values[j] {
                        #expect(x.precedes(y) == a.utf8.lexicographicallyPrecedes(b.utf8), "\(a) < \(b)")
                    }
                }
            }
        }
    }
}

@Suite struct BulkImportTests {
    /// A tree with records delivered twice, within the import and against the store.
    func tree(_ folder: TemporaryFolder) throws -> [String] {
        func record(_ id: String) -> String {
            #"{"eventVersion":"1.08","eventID":"\#(id)","eventTime":"2026-11-01T00:00:00Z","eventName":"ListBuckets","eventSource":"s3.amazonaws.com"}"#
        }
        let first = try folder.write("first/a.json", "[" + record("old-1") + "]")
        try folder.write("bulk/b.json", "[" + ["old-1", "n-1", "n-2", "n-1"].map(record).joined(separator: ",") + "]")
        try folder.write("bulk/c.json", #"{"Records":["# + ["n-2", "n-3"].map(record).joined(separator: ",") + "]}")
        return [first, folder.url.appendingPathComponent("bulk").path]
    }

    @Test func aBulkImportStoresEachRecordOnceAndCountsTheNewOnes() throws {
        for bulk in [false, true] {
            let folder = TemporaryFolder()
            let paths = try tree(folder)
            let t = try TestStore()
            try t.importPaths([paths[0]])
            var options = ImportOptions()
            options.bulk = bulk
            let summary = try Importer(store: t.store, options: options).run(paths: [paths[1]], report: { _ in })
            #expect(summary.records == 6, "bulk \(bulk)")
            #expect(summary.newRecords == 3, "bulk \(bulk)")
            let ids = try t.store.dbQueue.read { db in try String.fetchAll(db, sql: "SELECT event_id FROM events ORDER BY event_id") }
            #expect(ids == ["n-1", "n-2", "n-3", "old-1"], "bulk \(bulk)")
            let indexes = try t.store.dbQueue.read { db in
                try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'event_rows'")
            }
            #expect(indexes.contains("events_event_key") && indexes.contains("events_caller"), "bulk \(bulk)")
            #expect(!indexes.contains("events_time"), "bulk \(bulk)")
        }
    }

    @Test func aBulkImportStoresEveryColumnAsARecordByRecordImportDoes() throws {
        // Files of a few hundred records: the bulk writer's statements of 32 and 8 records, with columns
        // NULL in one record and set in the next, against the one-record upsert.
        let folder = TemporaryFolder()
        _ = try CorpusGenerator(seed: 7).write(records: 3_000, to: folder.url)
        var stores: [TestStore] = []
        for bulk in [false, true] {
            let t = try TestStore()
            var options = ImportOptions()
            options.bulk = bulk
            _ = try Importer(store: t.store, options: options).run(paths: [folder.path], report: { _ in })
            stores.append(t)
        }
        func rows(_ t: TestStore) throws -> [[DatabaseValue]] {
            try t.store.dbQueue.read { db in
                try Row.fetchAll(db, sql: "SELECT * FROM events ORDER BY id").map { row in Array(row.databaseValues) }
            }
        }
        let (single, many) = (try rows(stores[0]), try rows(stores[1]))
        #expect(single.count > 3_000)
        #expect(single == many)
        // Both kinds of values met in each column somewhere, so the comparison means something.
        let columns = single.first?.count ?? 0
        let varying = (0..<columns).filter { c in single.contains { $0[c].isNull } && single.contains { !$0[c].isNull } }
        #expect(varying.count >= 15)
    }

    @Test func recordsDeliveredTwiceInABulkImportCountOnceInTheSessionTotals() throws {
        let folder = TemporaryFolder()
        let resolverTests = SessionResolverTests()
        let files = try resolverTests.sampleTree(folder)
        // A third of the files delivered again under another name, read in the same bulk import.
        for (i, file) in files.enumerated() where i % 3 == 0 {
            try FileManager.default.copyItem(atPath: file, toPath: folder.url.appendingPathComponent("again-\(i).json.gz").path)
        }
        let clean = try TestStore()
        try clean.importPaths(files)
        var options = ImportOptions()
        options.bulk = true
        for split in [false, true] {
            let bulk = try TestStore()
            if split {
                // Part of the tree first: the duplicates are then both within the import and against the store.
                _ = try Importer(store: bulk.store, options: options).run(paths: Array(files.prefix(30)), report: { _ in })
            }
            let summary = try Importer(store: bulk.store, options: options).run(paths: [folder.path], report: { _ in })
            #expect(summary.records > summary.newRecords)
            #expect(try resolverTests.answers(bulk) == (try resolverTests.answers(clean)), "split \(split)")
            let pending = try bulk.store.dbQueue.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM pending_calls") }
            #expect(pending == 0)
        }
    }

    @Test func aBulkImportWritesWithoutTheLogWhenAloneAndLeavesTheStoreInWALMode() throws {
        for otherConnection in [false, true] {
            let folder = TemporaryFolder()
            let paths = try tree(folder)
            let t = try TestStore()
            // Another connection on the store (a query running meanwhile): the mode cannot change.
            let other = otherConnection ? try DatabaseQueue(path: t.store.path) : nil
            _ = try other?.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM files") }
            var options = ImportOptions()
            options.bulk = true
            var logSeen: [Bool] = []
            let summary = try Importer(store: t.store, options: options).run(paths: paths, report: { _ in }) { _, _, _, _, _ in
                logSeen.append(FileManager.default.fileExists(atPath: t.store.path + "-wal"))
            }
            #expect(summary.newRecords == 4, "other connection \(otherConnection)")
            #expect(logSeen == Array(repeating: otherConnection, count: 3), "other connection \(otherConnection)")
            let mode = try t.store.dbQueue.read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") }
            #expect(mode == "wal")
            #expect(!FileManager.default.fileExists(atPath: t.store.path + "-journal"))
            let ids = try (other ?? t.store.dbQueue).read { db in try String.fetchAll(db, sql: "SELECT event_id FROM events ORDER BY event_id") }
            #expect(ids == ["n-1", "n-2", "n-3", "old-1"])
        }
    }

    @Test func restoringTheKeyKeepsTheFirstCopyAndMovesACollidingId() throws {
        let t = try TestStore()
        try t.store.dbQueue.write { db in
            try Schema.dropEventIndexes(db)
            try db.execute(sql: "INSERT INTO callers (id, hash) VALUES (1, ?)", arguments: [Caller().storeHash])
            for (id, key) in [("a", 7), ("b", 7), ("a", 7), ("c", 9)] {
                try db.execute(sql: """
                    INSERT INTO event_rows (event_key, event_id, caller_id, file_id, offset, length, record_index, embedded)
                    VALUES (?, ?, 1, 1, 0, 0, 0, 0)
                    """, arguments: [key, id])
            }
            try Schema.restoreEventIndexes(db)
        }
        let rows = try t.store.dbQueue.read { db in try Row.fetchAll(db, sql: "SELECT id, event_id, event_key FROM events ORDER BY id") }
        #expect(rows.map { $0["event_id"] as String } == ["a", "b", "c"])
        #expect(rows[0]["event_key"] as Int64 == 7)
        #expect(rows[1]["event_key"] as Int64 == EventKey.probe(7))
        // And the writer finds the moved id where it is.
        let inserted = try t.store.dbQueue.write { db in
            try EventWriter(db: db).write(try EventWriterTests().parsed("b", key: 7), fileID: 1)
        }
        #expect(!inserted)
    }
}

extension BulkImportTests {
    @Test func aBulkImportKilledBeforeItsIndexesWereBuiltIsRepairedWhenTheStoreOpens() throws {
        let t = try TestStore()
        let path = t.store.path
        try t.store.dbQueue.write { db in
            // What a kill leaves: no indexes, a duplicate of a committed record.
            try Schema.dropEventIndexes(db)
            try db.execute(sql: "INSERT INTO callers (id, hash) VALUES (1, ?)", arguments: [Caller().storeHash])
            for id in ["x", "y", "x"] {
                try db.execute(sql: """
                    INSERT INTO event_rows (event_key, event_id, caller_id, file_id, offset, length, record_index, embedded)
                    VALUES (?, ?, 1, 1, 0, 0, 0, 0)
                    """, arguments: [EventKey.hash(id), id])
            }
        }
        let reopened = try Store(path: path)
        let ids = try reopened.dbQueue.read { db in try String.fetchAll(db, sql: "SELECT event_id FROM events ORDER BY id") }
        #expect(ids == ["x", "y"])
        let indexes = try reopened.dbQueue.read { db in
            try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name IN ('event_rows', 'callers')")
        }
        #expect(Set(Schema.eventIndexes.map(\.name) + ["events_event_key"]).isSubset(of: Set(indexes)))
    }
}

@Suite struct ImporterFailureTests {
    @Test func aStoreThatFailsMidImportEndsTheImportAndKeepsNothingHalfDone() throws {
        let t = try TestStore()
        try t.store.dbQueue.write { db in
            try db.execute(sql: "CREATE TRIGGER boom BEFORE INSERT ON event_rows BEGIN SELECT RAISE(ABORT, 'disk says no'); END")
        }
        let folder = TemporaryFolder()
        for i in 0..<60 {
            let records = (0..<600).map { j in
                #"{"eventVersion":"1.08","eventID":"f\#(i)-\#(j)","eventTime":"2026-11-01T00:00:00Z","eventName":"A"}"#
            }
            try folder.write("f\(i).json", "[" + records.joined(separator: ",") + "]")
        }
        var options = ImportOptions()
        options.batchSize = 16
        let started = Date()
        #expect(throws: (any Error).self) {
            _ = try Importer(store: t.store, options: options).run(paths: [folder.path], report: { _ in })
        }
        #expect(Date().timeIntervalSince(started) < 30)
        // Nothing half-done stays behind.
        try t.store.dbQueue.write { db in try db.execute(sql: "DROP TRIGGER boom") }
        let files = try t.store.dbQueue.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM files") }
        #expect(files == 0)
        let summary = try Importer(store: t.store).run(paths: [folder.path], report: { _ in })
        #expect(summary.newRecords == 60 * 600)
    }
}

@Suite struct ImporterTests {
    @Test(arguments: [false, true])
    func aCallerMetAgainAfterTheCacheForgotItIsStoredOnce(bulk: Bool) throws {
        // More callers than the writer's cache holds, then the first ones again: in a first import a
        // caller not stored yet is stored without a look-up, one stored before is found.
        let n = EventWriter.callerCacheSize + 500
        func record(_ i: Int, user: Int) -> String {
            #"{"eventVersion":"1.08","eventID":"e\#(i)","eventTime":"2026-11-01T00:00:00Z","eventName":"A","#
                + #""userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::1:user/u\#(user)","accessKeyId":"AKIA\#(user)"}}"#
        }
        let folder = TemporaryFolder()
        let first = (0..<n).map { record($0, user: $0) }
        let again = (0..<300).map { record(n + $0, user: $0) }
        try folder.write("a.json", "[" + first.joined(separator: ",") + "]")
        try folder.write("b.json", "[" + again.joined(separator: ",") + "]")
        let t = try TestStore()
        var options = ImportOptions()
        options.bulk = bulk
        _ = try Importer(store: t.store, options: options).run(paths: [folder.url.path], report: { _ in })
        let (callers, events) = try t.store.dbQueue.read { db in
            (try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM callers") ?? 0, try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM event_rows") ?? 0)
        }
        #expect(events == n + 300)
        #expect(callers == n)
    }

    @Test(arguments: [false, true])
    func thePlannerStatisticsAreThoseAFullAnalyzeWrites(bulk: Bool) throws {
        // Two indexes' figures are written from counts rather than read from the index: they must be
        // what ANALYZE itself finds.
        let folder = TemporaryFolder()
        let files = try SessionResolverTests().sampleTree(folder)
        let t = try TestStore()
        var options = ImportOptions()
        options.bulk = bulk
        _ = try Importer(store: t.store, options: options).run(paths: files, report: { _ in })
        // (`meta` gains its `analyzed_upto` row after the statistics are taken.)
        let statistics = "SELECT tbl, idx, stat FROM sqlite_stat1 WHERE tbl != 'meta' ORDER BY tbl, idx"
        let written = try t.store.dbQueue.read { db in try Row.fetchAll(db, sql: statistics) }
        #expect(written.contains { $0["idx"] == "events_caller" } && written.contains { $0["idx"] == "events_event_key" })
        let analyzed = try t.store.dbQueue.write { db in
            try db.execute(sql: "ANALYZE")
            return try Row.fetchAll(db, sql: statistics)
        }
        #expect(written == analyzed)
    }

    @Test(arguments: [false, true])
    func aFileThatFailsAfterSomeOfItsRecordsWereWrittenLeavesNothingBehind(bulk: Bool) throws {
        let folder = TemporaryFolder()
        func records(_ name: String, _ count: Int, user: String, agent: String) -> [String] {
            (0..<count).map { i in
                #"{"eventVersion":"1.08","eventID":"\#(name)-\#(i)","eventTime":"2026-11-01T00:00:00Z","eventName":"A","#
                    + #""userAgent":"\#(agent)","#
                    + #""sourceIPAddress":"10.0.0.\#(i % 7)","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::1:user/\#(user)\#(i % 5)","accessKeyId":"AKIA\#(user)\#(i % 5)"}}"#
            }
        }
        // Good files around one that breaks after 100 records: with batches of 16, several of its batches
        // are written before its error comes. The user agent it stored first is rolled back with it,
        // and the next file's records name it again.
        try folder.write("a.json", "[" + records("a", 40, user: "good", agent: "agent-a").joined(separator: ",") + "]")
        try folder.write("b.json", "[" + records("b", 100, user: "bad", agent: "agent-b").joined(separator: ",") + ",{\"eventID\":")
        try folder.write("c.json", "[" + records("c", 40, user: "good", agent: "agent-b").joined(separator: ",") + "]")
        let (t, summary, errors) = try EventWriterTests.importInSmallBatches(folder, bulk: bulk)
        #expect(errors.count == 1 && errors.first?.path.hasSuffix("b.json") == true)
        #expect(summary.newRecords == 80 && summary.failed == 1)
        let (paths, badEvents, badCallers, sessions, joined) = try t.store.dbQueue.read { db in
            (try String.fetchAll(db, sql: "SELECT path FROM files ORDER BY path").map { ($0 as NSString).lastPathComponent },
             try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM events WHERE event_id LIKE 'b-%'"),
             try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM callers WHERE arn LIKE '%user/bad%'"),
             try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM sessions"),
             try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM events e JOIN callers c ON c.id = e.caller_id"))
        }
        #expect(paths == ["a.json", "c.json"])
        #expect(badEvents == 0 && badCallers == 0 && sessions == 0)
        #expect(joined == 80)
        let agents = try t.store.dbQueue.read { db in
            try Row.fetchAll(db, sql: "SELECT user_agent, COUNT(*) AS n FROM events GROUP BY user_agent ORDER BY user_agent")
                .map { "\($0["user_agent"] as String? ?? "NULL") \($0["n"] as Int)" }
        }
        #expect(agents == ["agent-a 40", "agent-b 40"])
        let stored = try t.store.dbQueue.read { db in try String.fetchAll(db, sql: "SELECT user_agent FROM user_agents ORDER BY user_agent") }
        #expect(stored == ["agent-a", "agent-b"])
    }

    @Test(arguments: [false, true])
    func aSessionCountsNoCallOfAFileThatFailedAfterSomeOfItsRecordsWereWritten(bulk: Bool) throws {
        // One session signs records in three files, the middle one breaking after 100 records: those
        // were written, and counted, before the error rolled them back.
        let folder = TemporaryFolder()
        func records(_ name: String, _ count: Int) -> [String] {
            (0..<count).map { i in
                #"{"eventVersion":"1.08","eventID":"\#(name)-\#(i)","eventTime":"2026-11-01T00:0\#(i % 10):00Z","eventName":"A","#
                    + #""sourceIPAddress":"10.0.0.\#(i % 3)","userIdentity":{"type":"AssumedRole","arn":"arn:aws:sts::1:assumed-role/R/s","#
                    + #""accessKeyId":"ASIAONE","sessionContext":{"sessionIssuer":{"type":"Role","arn":"arn:aws:iam::1:role/R"},"#
                    + #""attributes":{"creationDate":"2026-11-01T00:00:00Z"}}}}"#
            }
        }
        try folder.write("a.json", "[" + records("a", 40).joined(separator: ",") + "]")
        try folder.write("b.json", "[" + records("b", 100).joined(separator: ",") + ",{\"eventID\":")
        try folder.write("c.json", "[" + records("c", 40).joined(separator: ",") + "]")
        let (t, _, errors) = try EventWriterTests.importInSmallBatches(folder, bulk: bulk)
        #expect(errors.count == 1)
        let (calls, ips) = try t.store.dbQueue.read { db in
            (try Int.fetchOne(db, sql: "SELECT calls FROM sessions WHERE access_key_id = 'ASIAONE'"),
             try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM session_ips"))
        }
        #expect(calls == 80)
        #expect(ips == 3)
    }

    @Test func plannerStatisticsAreGatheredFirstThenOnlyOnceTheStoreHasGrownByATenth() throws {
        let folder = TemporaryFolder()
        func file(_ name: String, _ count: Int) throws -> String {
            let records = (0..<count).map { i in
                #"{"eventVersion":"1.08","eventID":"\#(name)-\#(i)","eventTime":"2026-11-01T00:00:00Z","eventName":"A"}"#
            }
            return try folder.write("\(name).json", "[" + records.joined(separator: ",") + "]")
        }
        let t = try TestStore()
        func analyzedUpTo() throws -> Int64? {
            try t.store.dbQueue.read { db in
                try Int64.fetchOne(db, sql: "SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'analyzed_upto'")
            }
        }
        try t.importPaths([try file("a", 100)])
        #expect(try analyzedUpTo() == 100)
        let stats = try t.store.dbQueue.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM sqlite_stat1") }
        #expect((stats ?? 0) > 0)
        try t.importPaths([try file("b", 5)])
        #expect(try analyzedUpTo() == 100)
        try t.importPaths([try file("c", 20)])
        #expect(try analyzedUpTo() == 125)
    }
}

@Suite struct RowBatchTests {
    /// Every record of the real logs, as the importer packs it.
    static func realRecords() throws -> [FramedRecord] {
        try RealLogsTests.expected.filter(\.ok).flatMap { try readFile(Fixtures.realLogs.appendingPathComponent($0.path).path) }
    }

    @Test func storedFieldsLeftInPlaceByTheReaderPackAsTheirStrings() throws {
        // The importer's reader leaves the text of stored-only fields in its buffer: every record of the
        // real logs and of a generated trail must pack to the same bytes, spans and rows as when read
        // into strings.
        let folder = TemporaryFolder()
        _ = try CorpusGenerator(seed: 5).write(bytes: 1_500_000, to: folder.url)
        // And the edges: an escaped, an empty and a missing eventID; escapes, numbers and null in the others.
        let edges = try folder.write("edges.json", """
            {"Records":[{"eventVersion":"1.08","eventID":"e\\u0031","awsRegion":"us-\\u0065ast-1","userAgent":"a\\"b"},
            {"eventVersion":"1.08","eventID":"","awsRegion":7,"eventType":null,"userAgent":""},
            {"eventVersion":"1.08","eventTime":"2026-11-01T00:00:00Z","eventType":"AwsApiCall","userAgent":"x"},
            {"eventVersion":"1.08","eventID":"e2","eventID":"e3","awsRegion":"a","awsRegion":"b\\u0041"}]}
            """)
        var paths = [edges] + RealLogsTests.expected.filter(\.ok).map { Fixtures.realLogs.appendingPathComponent($0.path).path }
        paths += try FileManager.default.subpathsOfDirectory(atPath: folder.url.path).filter { $0.hasSuffix(".gz") }
            .map { folder.url.appendingPathComponent($0).path }
        var keptInPlace = 0
        var records = 0
        for path in paths {
            let asStrings = RecordReader(source: try GzipReader(path: path), path: path)
            let inPlace = RecordReader(source: try GzipReader(path: path), path: path, storedTextInPlace: true)
            var expected = RowBatch()
            var got = RowBatch()
            var framed = FramedRecord()
            while let record = try asStrings.next() {
                #expect(try inPlace.next(into: &framed), "\(path)")
                expected.append(record)
                got.append(framed)
                if framed.record.inPlace.userAgent != nil { keptInPlace += 1 }
                records += 1
            }
            #expect(try !inPlace.next(into: &framed))
            #expect(Array(got.bytes.buffer) == Array(expected.bytes.buffer), "\(path)")
            #expect(got.spans.map { [$0.start, $0.count] } == expected.spans.map { [$0.start, $0.count] }, "\(path)")
            #expect(got.rows.map { "\($0)" } == expected.rows.map { "\($0)" }, "\(path)")
        }
        #expect(records > 1000 && keptInPlace > records / 2)
    }

    @Test func packedBytesCopyValuesOfEveryLengthWhole() {
        // The in-line copy has a case for each length class up to 32 bytes; appended after odd offsets.
        let out = PackedBytes(capacity: 8)
        var expected: [UInt8] = []
        for n in 0...70 {
            let value = (0..<n).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ n) }
            value.withUnsafeBytes { out.append($0.baseAddress, n) }
            expected += value
            out.append(0xEE)
            expected.append(0xEE)
        }
        #expect(Array(out.buffer) == expected)
    }

    @Test func theStoredCallerHashKeepsItsValues() {
        // `callers.hash` is stored: these values, computed by the first version that stored them, must not
        // change without a migration. Lengths around the 8-byte word, a NUL, non-ASCII, nil and numbers.
        var caller = Caller()
        #expect(caller.storeHash == -4026254748687107491)
        caller.uiType = "AssumedRole"
        caller.arn = "arn:aws:sts::111111111111:assumed-role/GitHubOIDC/GitHubActions"
        caller.accessKeyId = "ASIA0000000000000001"
        caller.principalId = "AROA:x"
        caller.userName = "é\u{0}☕"
        caller.sessionCreated = 1_800_000_000
        caller.mfaAuthenticated = 0
        caller.ownIdentity = "12345678"
        caller.ownKind = "1234567"
        caller.ownAttribution = ""
        #expect(caller.storeHash == 4052156261225225209)
    }

    @Test func aPackedCallerHashesAsTheStoredHashAndItsBytesTellCallersApart() throws {
        let records = try Self.realRecords()
        #expect(records.count > 500)
        var batch = RowBatch()
        for framed in records { batch.append(framed) }
        var byHash: [Int64: [UInt8]] = [:]
        for (i, framed) in records.enumerated() {
            let row = batch.rows[i]
            let caller = Caller(framed.record, own: IdentityRules.ownAttribution(framed.record))
            // The hash stored in `callers.hash` (and computed by SQL's caller_hash) is unchanged.
            #expect(row.callerHash == caller.storeHash, "\(framed.key)")
            let bytes = Array(UnsafeBufferPointer(rebasing: batch.bytes.buffer[Int(row.callerStart)..<Int(row.callerEnd)]))
            if let seen = byHash[row.callerHash] { #expect(seen == bytes, "\(framed.key)") }
            byHash[row.callerHash] = bytes
            // Each caller text value's span holds exactly its bytes.
            let values = [caller.uiType, caller.principalId, caller.arn, caller.accessKeyId, caller.userName, caller.invokedBy,
                          caller.onBehalfOf, caller.credentialId, caller.issuerArn, caller.federatedProvider,
                          caller.sourceIdentity, caller.ownIdentity, caller.ownKind, caller.ownAttribution]
            for (k, value) in values.enumerated() {
                let span = batch.spans[Int(row.spans) + TextSlot.uiType.rawValue + k]
                let text = span.count < 0 ? nil
                    : String(decoding: UnsafeBufferPointer(rebasing: batch.bytes.buffer[Int(span.start)..<Int(span.start + span.count)]), as: UTF8.self)
                #expect(text == value, "\(framed.key) slot \(k)")
            }
        }
        #expect(byHash.count > 50)
    }
}

extension EventWriterTests {
    /// Imports a folder with one reader and batches of 16 records, so that a file breaking late has
    /// several of its batches written before its error comes.
    static func importInSmallBatches(_ folder: TemporaryFolder, bulk: Bool) throws -> (TestStore, ImportSummary, [InputError]) {
        let t = try TestStore()
        var options = ImportOptions()
        options.batchSize = 16
        options.bulk = bulk
        options.workers = 1
        var errors: [InputError] = []
        let summary = try Importer(store: t.store, options: options).run(paths: [folder.path], report: { errors.append($0) })
        return (t, summary, errors)
    }
}
