// The store's migrations: a store written by an earlier version is converted and answers the same.

import GRDB
import Testing
@testable import TrailCore

@Suite struct SchemaTests {
    /// The tables of the first schema that hold data, besides `events`.
    static let v1Tables = ["files", "sessions", "session_ips", "meta", "role_identities", "role_identity_ips", "sso_names"]

    @Test func aStoreOfTheFirstSchemaIsConvertedAndAnswersTheSame() throws {
        let folder = TemporaryFolder()
        let resolverTests = SessionResolverTests()
        let files = try resolverTests.sampleTree(folder)
        let current = try TestStore()
        try current.importPaths(files)
        let expected = try resolverTests.answers(current)
        let expectedEvents = try current.store.dbQueue.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM events ORDER BY id")
        }

        // The same content written in the first schema, as a store of the first version holds it.
        let old = try TestStore { path in
            let queue = try DatabaseQueue(path: path)
            try Schema.migrator().migrate(queue, upTo: "v1-files-events-sessions")
            try queue.writeWithoutTransaction { db in
                try db.execute(sql: "ATTACH DATABASE ? AS current", arguments: [current.store.path])
                let columns = try Row.fetchAll(db, sql: "PRAGMA main.table_info(events)").map { $0["name"] as String }
                let list = columns.joined(separator: ", ")
                try db.execute(sql: "INSERT INTO main.events (\(list)) SELECT \(list) FROM current.events")
                for table in Self.v1Tables {
                    let names = try Row.fetchAll(db, sql: "PRAGMA main.table_info(\(table))").map { $0["name"] as String }
                    let list = names.joined(separator: ", ")
                    try db.execute(sql: "DELETE FROM main.\(table)")
                    try db.execute(sql: "INSERT INTO main.\(table) (\(list)) SELECT \(list) FROM current.\(table)")
                }
                try db.execute(sql: "DETACH DATABASE current")
            }
            let count = try queue.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM events") }
            #expect(count == expectedEvents.count)
            #expect(count ?? 0 > 300)
        }

        #expect(try resolverTests.answers(old) == expected)
        let events = try old.store.dbQueue.read { db in try Row.fetchAll(db, sql: "SELECT * FROM events ORDER BY id") }
        #expect(events.count == expectedEvents.count)
        for (got, want) in zip(events, expectedEvents) {
            for column in want.columnNames where column != "caller_id" {
                if got[column] as DatabaseValue != want[column] as DatabaseValue {
                    Issue.record("event \(want["event_id"] as String) column \(column): \(got[column] as DatabaseValue) != \(want[column] as DatabaseValue)")
                    return
                }
            }
        }
        // One row per distinct caller, and the indexes of the current schema.
        let (callers, distinct, indexes) = try old.store.dbQueue.read { db in
            let columns = Caller.columns.joined(separator: ", ")
            return (try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM callers") ?? 0,
                    try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM (SELECT DISTINCT \(columns) FROM callers)") ?? 0,
                    try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'index'"))
        }
        #expect(callers == distinct && callers > 10)
        #expect(Set(Schema.eventIndexes.map(\.name)).isSubset(of: Set(indexes)))
        // And it goes on importing: the same files again are unchanged, new ones add to it.
        let again = try old.importPaths(files)
        #expect(again.unchanged == files.count && again.newRecords == 0)
    }

    @Test func aStoreOfTheSecondSchemaLearnsEachSessionsMintingCallerAsAnImportWritesIt() throws {
        let folder = TemporaryFolder()
        let resolverTests = SessionResolverTests()
        let files = try resolverTests.sampleTree(folder)
        let current = try TestStore()
        try current.importPaths(files)
        let mintColumns = "SELECT id, access_key_id, mint_caller_id, mint_identity, mint_kind FROM sessions ORDER BY id"
        let expected = try current.store.dbQueue.read { db in try Row.fetchAll(db, sql: mintColumns) }
        // Minted by a session (a caller) and by a web identity or SAML record (an origin of its own).
        #expect(expected.contains { ($0["mint_caller_id"] as Int64?) != nil && ($0["mint_identity"] as String?) == nil })
        #expect(expected.contains { ($0["mint_identity"] as String?) != nil && ($0["mint_kind"] as String?) != nil })

        // The same store as the second schema left it: its sessions know no minting caller.
        let old = try TestStore { path in
            try current.store.dbQueue.writeWithoutTransaction { db in try db.execute(sql: "VACUUM INTO ?", arguments: [path]) }
            let queue = try DatabaseQueue(path: path)
            try queue.writeWithoutTransaction { db in
                try db.execute(sql: """
                    ALTER TABLE sessions DROP COLUMN mint_caller_id;
                    ALTER TABLE sessions DROP COLUMN mint_identity;
                    ALTER TABLE sessions DROP COLUMN mint_kind;
                    DELETE FROM grdb_migrations WHERE identifier = 'v3-session-mint-caller';
                    """)
            }
        }
        let got = try old.store.dbQueue.read { db in try Row.fetchAll(db, sql: mintColumns) }
        #expect(got == expected)
        #expect(try resolverTests.answers(old) == resolverTests.answers(current))
    }

    @Test func aStoreWithTheOldSharedIdsIndexGetsTheOneWithTheCaller() throws {
        let current = try TestStore()
        try current.realLogs("aws-cloudtrail-processing-library-SYNTHETIC")
        let definition = "SELECT sql FROM sqlite_master WHERE name = 'events_shared'"
        let old = try TestStore { path in
            try current.store.dbQueue.writeWithoutTransaction { db in try db.execute(sql: "VACUUM INTO ?", arguments: [path]) }
            let queue = try DatabaseQueue(path: path)
            try queue.writeWithoutTransaction { db in
                try db.execute(sql: """
                    DROP INDEX events_shared;
                    CREATE INDEX events_shared ON event_rows(shared_event_id) WHERE shared_event_id IS NOT NULL;
                    DELETE FROM grdb_migrations WHERE identifier = 'v4-shared-with-caller';
                    """)
                #expect(try String.fetchOne(db, sql: definition)?.contains("caller_id") == false)
            }
        }
        let sql = try old.store.dbQueue.read { db in try String.fetchOne(db, sql: definition) }
        #expect(sql == (try current.store.dbQueue.read { db in try String.fetchOne(db, sql: definition) }))
        #expect(sql?.contains("shared_event_id, caller_id") == true)
    }

    @Test func aStoreWithTheTimeIndexLosesItAndAnswersTheSame() throws {
        let current = try TestStore()
        try current.realLogs("aws-cloudtrail-processing-library-SYNTHETIC")
        let old = try TestStore { path in
            try current.store.dbQueue.writeWithoutTransaction { db in try db.execute(sql: "VACUUM INTO ?", arguments: [path]) }
            let queue = try DatabaseQueue(path: path)
            try queue.writeWithoutTransaction { db in
                try db.execute(sql: """
                    CREATE INDEX events_time ON event_rows(time);
                    DELETE FROM grdb_migrations WHERE identifier = 'v5-no-time-index';
                    """)
            }
        }
        let indexes = "SELECT name FROM sqlite_master WHERE type = 'index' ORDER BY name"
        let names = try old.store.dbQueue.read { db in try String.fetchAll(db, sql: indexes) }
        #expect(!names.contains("events_time"))
        #expect(names == (try current.store.dbQueue.read { db in try String.fetchAll(db, sql: indexes) }))
        let resolverTests = SessionResolverTests()
        #expect(try resolverTests.answers(old) == resolverTests.answers(current))
    }

    @Test func aStoreWithUserAgentsInEveryRowKeepsEachOnceAndAnswersTheSame() throws {
        let folder = TemporaryFolder()
        let resolverTests = SessionResolverTests()
        _ = try resolverTests.sampleTree(folder)
        let current = try TestStore()
        try current.importPaths([folder.path])
        try current.realLogs("aws-cloudtrail-processing-library-SYNTHETIC")
        let agents = "SELECT id, user_agent FROM events ORDER BY id"
        // The same store as the fifth schema left it: each row holds its user agent.
        let old = try TestStore { path in
            try current.store.dbQueue.writeWithoutTransaction { db in try db.execute(sql: "VACUUM INTO ?", arguments: [path]) }
            let queue = try DatabaseQueue(path: path)
            try queue.writeWithoutTransaction { db in
                try db.execute(sql: """
                    DROP VIEW event_origin;
                    DROP VIEW events;
                    ALTER TABLE event_rows ADD COLUMN user_agent TEXT;
                    UPDATE event_rows SET user_agent = (SELECT user_agent FROM user_agents WHERE id = event_rows.user_agent_id);
                    ALTER TABLE event_rows DROP COLUMN user_agent_id;
                    DROP TABLE user_agents;
                    \(Schema.eventsView(userAgents: false));
                    \(Schema.eventOriginView);
                    DELETE FROM grdb_migrations WHERE identifier = 'v6-user-agents';
                    """)
                #expect(try Int.fetchOne(db, sql: "SELECT COUNT(DISTINCT user_agent) FROM event_rows") ?? 0 > 3)
            }
        }
        let (rows, columns, distinct, stored) = try old.store.dbQueue.read { db in
            (try Row.fetchAll(db, sql: agents),
             try String.fetchAll(db, sql: "SELECT name FROM pragma_table_info('event_rows')"),
             try Int.fetchOne(db, sql: "SELECT COUNT(DISTINCT user_agent) FROM events"),
             try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM user_agents"))
        }
        #expect(rows == (try current.store.dbQueue.read { db in try Row.fetchAll(db, sql: agents) }))
        #expect(!columns.contains("user_agent") && columns.contains("user_agent_id"))
        #expect(distinct == stored)
        #expect(try resolverTests.answers(old) == resolverTests.answers(current))
    }

    @Test func theStoredCallerHashIsTheSameFromSwiftAndFromSQL() throws {
        var caller = Caller()
        caller.uiType = "AssumedRole"
        caller.accessKeyId = "ASIAEXAMPLE"
        caller.sessionCreated = 1_800_000_000
        caller.mfaAuthenticated = 0
        caller.principalId = ""
        caller.ownIdentity = "é\u{0}x"
        let t = try TestStore()
        // The text with a NUL written in SQL: GRDB's own binding would stop at it.
        let values: [String: DatabaseValue] = [
            "ui_type": caller.uiType.databaseValue, "principal_id": caller.principalId.databaseValue,
            "access_key_id": caller.accessKeyId.databaseValue, "session_created": caller.sessionCreated.databaseValue,
            "mfa_authenticated": caller.mfaAuthenticated.databaseValue,
        ]
        let marks = Caller.columns.map { $0 == "own_identity" ? "'é' || char(0) || 'x'" : "?" }
        let fromSQL = try t.store.dbQueue.read { db in
            try Int64.fetchOne(db, sql: "SELECT caller_hash(\(marks.joined(separator: ", ")))",
                               arguments: StatementArguments(Caller.columns.filter { $0 != "own_identity" }.map { values[$0] ?? .null }))
        }
        #expect(fromSQL == caller.storeHash)
        var other = caller
        other.ownIdentity = nil
        other.ownKind = "é\u{0}x"
        #expect(other.storeHash != caller.storeHash)
    }
}
